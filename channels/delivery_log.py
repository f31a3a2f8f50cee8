"""The durable inbound log: writes on `InboundDelivery` (accept, claim, finish, replay).

A webhook delivery is accepted in one insert; workers claim waiting deliveries in batches and
process each in its own transaction (`conversations.inbound.processing`). Claims are
`SELECT … FOR UPDATE SKIP LOCKED`, so several workers share the work, and a worker takes a
sender's delivery only when no earlier delivery of that sender is waiting or being processed
elsewhere: one sender's deliveries are processed in arrival order whatever the number of workers.
"""

import json
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F, Min
from django.utils import timezone

from channels import platforms
from channels.models import Channel, InboundDelivery

Status = InboundDelivery.Status

NOTIFY_CHANNEL = "mi_inbound"
# Headers a parser may need later; signatures were checked at acceptance and are not kept.
KEPT_HEADERS = ("Content-Type", "User-Agent")
# A delivery claimed this long ago by a worker that never finished it (it crashed) is waiting again.
CLAIM_EXPIRES_AFTER = timedelta(minutes=5)
# After this many interrupted attempts (lost connections, deadlocks) a delivery is failed.
MAX_ATTEMPTS = 5


def delivery_accept(*, channel: Channel, body: bytes, headers) -> InboundDelivery:
    """Keep an authenticated delivery for the workers: one insert that also wakes them (NOTIFY on commit).

    On PostgreSQL the insert and the NOTIFY are one statement, one round trip: acceptance is the
    webhook's hot path (see docs/benchmarks.md). Elsewhere, the ORM insert (workers poll there).
    """
    key = platforms.sender_key(channel.kind, body)
    delivery = InboundDelivery(
        channel=channel,
        body_size=len(body),
        headers={name: _one_line(headers[name]) for name in KEPT_HEADERS if name in headers},
        sender_key=f"{channel.pk}:{key}" if key else "",
    )
    if len(body) > settings.INBOUND_INLINE_MAX_BYTES:
        delivery.body_file = default_storage.save(f"inbound/{uuid.uuid4().hex}.bin", ContentFile(body))
    else:
        delivery.body = body
    if connection.vendor != "postgresql":
        delivery.save(force_insert=True)
        return delivery
    with connection.cursor() as cursor:
        cursor.execute(
            _ACCEPT_SQL,
            [
                channel.pk,
                bytes(delivery.body),
                delivery.body_file,
                delivery.body_size,
                json.dumps(delivery.headers),
                delivery.sender_key,
                delivery.received_at,
            ],
        )
        delivery.pk = cursor.fetchone()[0]
    delivery._state.adding = False
    return delivery


# The insert and the wake-up in one statement; pg_notify, like NOTIFY, is delivered when the
# transaction commits (at once under autocommit), and never if it rolls back.
_ACCEPT_SQL = (
    "WITH accepted AS ("
    " INSERT INTO channels_inbounddelivery"
    " (channel_id, body, body_file, body_size, headers, sender_key, received_at, status, attempts, error)"
    " VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s, 'waiting', 0, '') RETURNING id)"
    f" SELECT id, pg_notify('{NOTIFY_CHANNEL}', '') FROM accepted"
)


def deliveries_notify() -> None:
    """Wake the inbound workers (PostgreSQL); elsewhere they find the work by polling."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {NOTIFY_CHANNEL}")


def delivery_body(delivery: InboundDelivery) -> bytes:
    if delivery.body_file:
        with default_storage.open(delivery.body_file, "rb") as stored:
            return stored.read()
    return bytes(delivery.body)


def deliveries_claim(*, limit: int = 100) -> list[InboundDelivery]:
    """Claim up to `limit` waiting deliveries for this worker, oldest first, keeping per-sender order.

    Locks the waiting rows it reads (skipping rows other workers hold), in id order.
    """
    now = timezone.now()
    with transaction.atomic():
        _expire_abandoned_claims(now)
        candidates = list(
            InboundDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=Status.WAITING)
            .order_by("pk")
            .values_list("pk", "sender_key")[:limit]
        )
        ids = [pk for pk, _ in candidates]
        first_elsewhere = dict(
            InboundDelivery.objects.filter(
                status__in=[Status.WAITING, Status.PROCESSING],
                sender_key__in={key for _, key in candidates if key},
            )
            .exclude(pk__in=ids)
            .values("sender_key")
            .annotate(first=Min("pk"))
            .values_list("sender_key", "first")
        )
        claimed = [pk for pk, key in candidates if pk < first_elsewhere.get(key, pk + 1)]
        InboundDelivery.objects.filter(pk__in=claimed).update(
            status=Status.PROCESSING, claimed_at=now, attempts=F("attempts") + 1
        )
    return list(InboundDelivery.objects.filter(pk__in=claimed).select_related("channel").order_by("pk"))


def _expire_abandoned_claims(now) -> None:
    abandoned = InboundDelivery.objects.filter(status=Status.PROCESSING, claimed_at__lt=now - CLAIM_EXPIRES_AFTER)
    abandoned.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=Status.FAILED, error="abandoned by its worker too many times", processed_at=now
    )
    abandoned.update(status=Status.WAITING, claimed_at=None)


def deliveries_lock_claimed(batch: list[InboundDelivery]) -> set[int]:
    """Lock a claimed batch for processing (inside the caller's transaction); the ids still ours.

    A claim that expired and was taken by another worker meanwhile is no longer ours.
    """
    current = (
        InboundDelivery.objects.select_for_update()
        .filter(pk__in=[delivery.pk for delivery in batch], status=Status.PROCESSING)
        .values_list("pk", "claimed_at")
    )
    claimed_at = {delivery.pk: delivery.claimed_at for delivery in batch}
    return {pk for pk, at in current if at == claimed_at[pk]}


def deliveries_finish(outcomes: dict[int, list[str]]) -> None:
    """Done, or failed with the reasons (inside the transaction that stored what they carried)."""
    now = timezone.now()
    done = [pk for pk, failures in outcomes.items() if not failures]
    if done:
        InboundDelivery.objects.filter(pk__in=done).update(status=Status.DONE, error="", processed_at=now)
    for pk, failures in outcomes.items():
        if failures:
            InboundDelivery.objects.filter(pk=pk).update(
                status=Status.FAILED, error="\n".join(failures)[:10_000], processed_at=now
            )


def delivery_interrupted(*, delivery: InboundDelivery, reason: str) -> None:
    """Processing broke off (the database, not the delivery): wait for another try, or fail."""
    exhausted = delivery.attempts >= MAX_ATTEMPTS
    InboundDelivery.objects.filter(pk=delivery.pk, status=Status.PROCESSING).update(
        status=Status.FAILED if exhausted else Status.WAITING,
        error=reason[:10_000],
        claimed_at=None,
        processed_at=timezone.now() if exhausted else None,
    )


def deliveries_replay(*, ids=None) -> int:
    """Failed deliveries wait again (all of them, or these ids); returns how many."""
    failed = InboundDelivery.objects.filter(status=Status.FAILED)
    if ids is not None:
        failed = failed.filter(pk__in=ids)
    with transaction.atomic():
        count = failed.update(status=Status.WAITING, attempts=0, claimed_at=None, processed_at=None)
        transaction.on_commit(deliveries_notify)
    return count


def _one_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ").replace("\x00", "")[:1000]
