"""Workers' side of the inbound log: claimed deliveries become messages, each exactly once.

A claimed batch is processed in one transaction, which also marks its deliveries done or failed:
a crash before the commit leaves them claimed (and waiting again once the claim expires) with
nothing of them stored; after the commit they are done. One commit per batch, not per delivery,
is most of the workers' throughput (docs/benchmarks.md); the other part is that plain messages
are stored together, a few statements for a whole run of them (`conversations.inbound.batch`).
Whatever that path leaves, or everything it was given if it breaks, is stored one item at a time,
each in its own savepoint: an item that fails is recorded as its delivery's failure and the other
items are kept; a delivery that fails does not hold back the rest of its batch. A message already
stored (a redelivery) is not stored again. If the batch's
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
from channels.inbound import InboundMessage, ParsedDelivery, PayloadError
from channels.models import InboundDelivery
from conversations.inbound.batch import is_plain, plain_messages_ingest
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
            deliveries_finish(_store_all([delivery for delivery in batch if delivery.pk in ours]))
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


def _store_all(deliveries: list[InboundDelivery]) -> dict[int, list[str]]:
    """Each delivery's failures, once what they carry is stored in arrival order.

    Plain messages (`batch.is_plain`) wait in a run and are stored together; anything else first
    stores the run, then itself, so that no sender's messages overtake each other.
    """
    failures: dict[int, list[str]] = {delivery.pk: [] for delivery in deliveries}
    run: list[tuple[InboundDelivery, InboundMessage]] = []
    for delivery in deliveries:
        parsed = _parsed(delivery, failures[delivery.pk])
        if parsed is None:
            continue
        for inbound in parsed.messages:
            if is_plain(delivery.channel, inbound):
                run.append((delivery, inbound))
                continue
            _store_run(run, failures)
            run = []
            _store_one(delivery, inbound, failures)
        for update in parsed.statuses:
            failure = _in_savepoint(lambda c=delivery.channel, u=update: message_status_update(channel=c, update=u))
            if failure:
                failures[delivery.pk].append(f"status of {update.platform_message_id}: {failure}")
    _store_run(run, failures)
    return failures


def _parsed(delivery: InboundDelivery, failures: list[str]) -> ParsedDelivery | None:
    """The delivery read by its platform's parser; None (and the reason in `failures`) if it cannot be."""
    try:
        parsed = platforms.parse_stored(delivery.channel.kind, delivery_body(delivery))
    except PayloadError as exc:
        failures.append(f"unreadable delivery: {exc}")
        return None
    except (OSError, RecursionError, MemoryError) as exc:
        failures.append(f"unreadable delivery: {exc.__class__.__name__}: {exc}")
        return None
    except Exception as exc:  # noqa: BLE001 - a parser bug on one delivery fails that delivery, never its batch
        log.exception("inbound delivery %s failed", delivery.pk)
        failures.append(f"{exc.__class__.__name__}: {exc}")
        return None
    failures.extend(parsed.failures)
    return parsed


def _store_run(run: list[tuple[InboundDelivery, InboundMessage]], failures: dict[int, list[str]]) -> None:
    """Plain messages together; what the set-based path leaves (or all of them, if it breaks) one at
    a time, so a message that fails is that message's failure only."""
    if not run:
        return
    delivery_of = {id(inbound): delivery for delivery, inbound in run}
    items = [(delivery.channel, inbound) for delivery, inbound in run]
    try:
        with transaction.atomic():
            left = plain_messages_ingest(items=items)
    except (OperationalError, InterfaceError):
        raise  # the whole batch is retried
    except Exception:  # noqa: BLE001 - the one-at-a-time pipeline stores them and says which one fails
        log.exception("set-based ingest of %s messages failed: one at a time", len(items))
        left = items
    for _, inbound in left:
        _store_one(delivery_of[id(inbound)], inbound, failures)


def _store_one(delivery: InboundDelivery, inbound: InboundMessage, failures: dict[int, list[str]]) -> None:
    failure = _in_savepoint(lambda: inbound_message_ingest(channel=delivery.channel, inbound=inbound))
    if failure:
        failures[delivery.pk].append(f"message {inbound.platform_message_id}: {failure}")


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
