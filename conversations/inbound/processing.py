"""Workers' side of the inbound log: claimed deliveries become messages, each exactly once.

A claimed batch is processed in one transaction, which also marks its deliveries done or failed:
a crash before the commit leaves them claimed (and waiting again once the claim expires) with
nothing of them stored; after the commit they are done. One commit per batch, not per delivery,
is most of the workers' throughput (docs/benchmarks.md). Each delivery is stored in its own
savepoint, and each item of a delivery in a savepoint inside it: an item that fails is recorded as
its delivery's failure and the other items are kept; a delivery that fails does not hold back the
rest of its batch. A message already stored (a redelivery) is not stored again. If the batch's
transaction itself breaks off (a deadlock with another worker, a lost connection), its deliveries
are tried again one transaction each.
"""

import logging

from django.db import DatabaseError, InterfaceError, OperationalError, transaction

from channels import platforms
from channels.delivery_log import (
    deliveries_claim,
    deliveries_finish,
    deliveries_lock_claimed,
    delivery_body,
    delivery_interrupted,
)
from channels.inbound import ParsedDelivery, PayloadError
from channels.models import InboundDelivery
from conversations.inbound.pipeline import inbound_message_ingest, message_status_update

log = logging.getLogger(__name__)

BATCH_SIZE = 100


def deliveries_process_waiting(*, batch_size: int = BATCH_SIZE, limit: int | None = None) -> int:
    """Claim and process batches until nothing is waiting (or `limit` are done); returns how many."""
    processed = 0
    while limit is None or processed < limit:
        batch = deliveries_claim(limit=batch_size if limit is None else min(batch_size, limit - processed))
        if not batch:
            return processed
        deliveries_process(batch)
        processed += len(batch)
    return processed


def deliveries_process(batch: list[InboundDelivery]) -> None:
    """Store what a claimed batch carries, in one transaction; each delivery ends done or failed."""
    try:
        with transaction.atomic():
            ours = deliveries_lock_claimed(batch)
            outcomes = {delivery.pk: _store_isolated(delivery) for delivery in batch if delivery.pk in ours}
            deliveries_finish(outcomes)
    except (OperationalError, InterfaceError) as exc:
        if len(batch) == 1:
            # The database broke off (deadlock, lost connection), not the delivery: try it again later.
            log.warning("delivery %s interrupted: %s", batch[0].pk, exc)
            delivery_interrupted(delivery=batch[0], reason=f"interrupted: {exc}")
            return
        log.warning("batch of %s deliveries interrupted (%s): one transaction each", len(batch), exc)
        for delivery in batch:
            deliveries_process([delivery])


def delivery_process(*, delivery: InboundDelivery) -> None:
    """One claimed delivery in a transaction of its own."""
    deliveries_process([delivery])


def _store_isolated(delivery: InboundDelivery) -> list[str]:
    """One delivery's failures. Only its items write, each in its own savepoint (`_in_savepoint`),
    so a delivery that fails leaves nothing half-stored and the batch goes on."""
    try:
        return _store(delivery)
    except (OperationalError, InterfaceError):
        raise  # the whole batch is retried
    except Exception as exc:  # noqa: BLE001 - any bug on one delivery fails that delivery, never its batch
        log.exception("inbound delivery %s failed", delivery.pk)
        return [f"{exc.__class__.__name__}: {exc}"]


def _store(delivery: InboundDelivery) -> list[str]:
    try:
        parsed = platforms.parse_stored(delivery.channel.kind, delivery_body(delivery))
    except PayloadError as exc:
        return [f"unreadable delivery: {exc}"]
    except (OSError, RecursionError, MemoryError) as exc:
        return [f"unreadable delivery: {exc.__class__.__name__}: {exc}"]
    return [*parsed.failures, *_store_items(delivery, parsed)]


def _store_items(delivery: InboundDelivery, parsed: ParsedDelivery) -> list[str]:
    failures = []
    channel = delivery.channel
    for inbound in parsed.messages:
        failure = _in_savepoint(lambda m=inbound: inbound_message_ingest(channel=channel, inbound=m))
        if failure:
            failures.append(f"message {inbound.platform_message_id}: {failure}")
    for update in parsed.statuses:
        failure = _in_savepoint(lambda u=update: message_status_update(channel=channel, update=u))
        if failure:
            failures.append(f"status of {update.platform_message_id}: {failure}")
    return failures


def _in_savepoint(store) -> str:
    """Run one item's store in a savepoint; the reason it failed, or "" when it was stored."""
    try:
        with transaction.atomic():
            store()
    except (OperationalError, InterfaceError):
        raise  # the whole delivery is retried
    except (PayloadError, DatabaseError, ValueError, TypeError, LookupError) as exc:
        log.warning("inbound item failed: %s", exc)
        return f"{exc.__class__.__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - a bug on one item fails that item, never the others
        log.exception("inbound item failed")
        return f"{exc.__class__.__name__}: {exc}"
    return ""
