"""Workers' side of the inbound log: claimed deliveries become messages, each exactly once.

Each delivery is processed in its own transaction, which also marks it done or failed: a crash
before the commit leaves it claimed (and waiting again once the claim expires) with nothing of it
stored; after the commit it is done. A message already stored (a redelivery) is not stored again.
Each item of a delivery is stored in its own savepoint: an item that fails is recorded as the
delivery's failure, and the other items are kept.
"""

import logging

from django.db import DatabaseError, InterfaceError, OperationalError, transaction

from channels import platforms
from channels.delivery_log import (
    deliveries_claim,
    delivery_body,
    delivery_finish,
    delivery_interrupted,
    delivery_lock_claimed,
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
        for delivery in batch:
            delivery_process(delivery=delivery)
        processed += len(batch)
    return processed


def delivery_process(*, delivery: InboundDelivery) -> None:
    """Store what one claimed delivery carries and mark it done, or failed with the reasons."""
    try:
        with transaction.atomic():
            if not delivery_lock_claimed(delivery):
                return
            failures = _store(delivery)
            delivery_finish(delivery=delivery, failures=failures)
    except (OperationalError, InterfaceError) as exc:
        # The database broke off (deadlock, lost connection), not the delivery: try it again later.
        log.warning("delivery %s interrupted: %s", delivery.pk, exc)
        delivery_interrupted(delivery=delivery, reason=f"interrupted: {exc}")


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
    return ""
