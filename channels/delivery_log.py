"""The durable inbound log: writes on `InboundDelivery` (accept, claim, finish, replay).

A webhook delivery is accepted in one insert (on the ASGI path, together with the deliveries that
arrive meanwhile in the same process: `AcceptQueue`, one transaction per batch); workers claim
waiting deliveries in batches and process each in its own transaction
(`conversations.inbound.processing`). Claims are
`SELECT … FOR UPDATE SKIP LOCKED`, so several workers share the work, and a worker takes a
sender's delivery only when no earlier delivery of that sender is waiting or being processed
elsewhere: one sender's deliveries are processed in arrival order whatever the number of workers.
"""

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F, Min
from django.utils import timezone

from channels import platforms
from channels.models import Channel, InboundDelivery
from config.pg import conninfo

log = logging.getLogger(__name__)

Status = InboundDelivery.Status

NOTIFY_CHANNEL = "mi_inbound"
# Headers a parser may need later; signatures were checked at acceptance and are not kept.
KEPT_HEADERS = ("Content-Type", "User-Agent")
# A delivery claimed this long ago by a worker that never finished it (it crashed) is waiting again.
CLAIM_EXPIRES_AFTER = timedelta(minutes=5)
# After this many interrupted attempts (lost connections, deadlocks) a delivery is failed.
MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class AcceptedRow:
    """What an authenticated delivery is kept as: the columns of its `InboundDelivery` row."""

    channel_id: int
    body: bytes  # b"" when the body is in file storage
    body_file: str
    body_size: int
    headers: dict
    sender_key: str
    received_at: datetime


def delivery_row(*, channel: Channel, body: bytes, headers) -> AcceptedRow:
    """The row of an authenticated delivery: the headers kept, its sender, and its body inline or,
    when larger than INBOUND_INLINE_MAX_BYTES, saved to file storage (here)."""
    key = platforms.sender_key(channel.kind, body)
    body_file = ""
    if len(body) > settings.INBOUND_INLINE_MAX_BYTES:
        body_file = default_storage.save(f"inbound/{uuid.uuid4().hex}.bin", ContentFile(body))
    return AcceptedRow(
        channel_id=channel.pk,
        body=b"" if body_file else body,
        body_file=body_file,
        body_size=len(body),
        headers={name: _one_line(headers[name]) for name in KEPT_HEADERS if name in headers},
        sender_key=f"{channel.pk}:{key}" if key else "",
        received_at=timezone.now(),
    )


def delivery_accept(*, channel: Channel, body: bytes, headers) -> InboundDelivery:
    """Keep an authenticated delivery for the workers: one insert that also wakes them (NOTIFY on commit).

    On PostgreSQL the insert and the NOTIFY are one statement, one round trip (the statement the
    group commit of `AcceptQueue` sends for many deliveries at once). Elsewhere, the ORM insert
    (workers poll there).
    """
    row = delivery_row(channel=channel, body=body, headers=headers)
    delivery = InboundDelivery(
        channel=channel,
        body=row.body,
        body_file=row.body_file,
        body_size=row.body_size,
        headers=row.headers,
        sender_key=row.sender_key,
        received_at=row.received_at,
    )
    if connection.vendor != "postgresql":
        delivery.save(force_insert=True)
        return delivery
    with connection.cursor() as cursor:
        cursor.execute(ACCEPT_SQL, _accept_params([row]))
        delivery.pk = cursor.fetchone()[0]
    delivery._state.adding = False
    return delivery


async def adelivery_accept(*, channel: Channel, body: bytes, headers) -> int:
    """`delivery_accept` for async code (PostgreSQL only), returning the id: the row is written by this
    process's `AcceptQueue` together with the deliveries that arrived meanwhile, in one transaction,
    and this returns once that transaction is committed. Raises AcceptFailed when it was not:
    nothing of its batch is stored, and the caller must not answer 200."""
    if len(body) > settings.INBOUND_INLINE_MAX_BYTES:  # writes a file: not on the event loop
        row = await sync_to_async(delivery_row, thread_sensitive=False)(channel=channel, body=body, headers=headers)
    else:
        row = delivery_row(channel=channel, body=body, headers=headers)
    return await accept_queue.put(row)


# Many deliveries in one statement: one transaction (autocommit), one NOTIFY. Ids come from the
# sequence in the order unnest() yields the rows (Django's bulk_create relies on the same), so
# `ORDER BY id` gives them back in the order of the arrays. pg_notify, like NOTIFY, is delivered
# when the transaction commits, and never if it rolls back; the MATERIALIZED CTE calls it once.
ACCEPT_SQL = (
    "WITH accepted AS ("
    " INSERT INTO channels_inbounddelivery"
    " (channel_id, body, body_file, body_size, headers, sender_key, received_at, status, attempts, error)"
    " SELECT c, b, f, s, h::jsonb, k, r, 'waiting', 0, ''"
    " FROM unnest(%s::bigint[], %s::bytea[], %s::text[], %s::integer[], %s::text[], %s::text[], %s::timestamptz[])"
    " AS d(c, b, f, s, h, k, r) RETURNING id),"
    f" woken AS MATERIALIZED (SELECT pg_notify('{NOTIFY_CHANNEL}', ''))"
    " SELECT id FROM accepted, woken ORDER BY id"
)


# Parameters in binary (half the CPU of text for arrays of bodies); Django's cursors bind in text.
_ACCEPT_SQL_BINARY = ACCEPT_SQL.replace("%s", "%b")


def _accept_params(rows: list[AcceptedRow]) -> list[list]:
    return [
        [row.channel_id for row in rows],
        [row.body for row in rows],
        [row.body_file for row in rows],
        [row.body_size for row in rows],
        [json.dumps(row.headers) for row in rows],
        [row.sender_key for row in rows],
        [row.received_at for row in rows],
    ]


class AcceptFailed(Exception):
    """The database did not commit the batch holding this delivery: none of it is stored."""


class AcceptQueue:
    """Group commit of accepted deliveries, one queue per process (`accept_queue`), for async code.

    Requests put their rows in the queue and wait; one writer task takes everything waiting (up to
    INBOUND_ACCEPT_BATCH_ROWS rows and INBOUND_ACCEPT_BATCH_BYTES of inline bodies), writes it with
    ONE statement (`ACCEPT_SQL`: the rows and one NOTIFY, one transaction) on its own psycopg
    connection, and answers every request of the batch with its id once the commit is done, or
    with AcceptFailed if the statement or the commit failed (the connection is then dropped and
    the next batch opens a new one). Deliveries that arrive while a batch is being written form
    the next batch: the busier the process, the larger the batches, and no wait is added when it
    is quiet (INBOUND_ACCEPT_LINGER_MS adds one, to group more).
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pending: list[tuple[AcceptedRow, asyncio.Future]] = []
        self._wake = asyncio.Event()
        self._connection: psycopg.AsyncConnection | None = None
        self._writer = loop.create_task(self._write_forever(), name="inbound accept queue")

    async def put(self, row: AcceptedRow) -> int:
        """The id of the row once committed; raises AcceptFailed (also when the database does not
        answer within INBOUND_ACCEPT_TIMEOUT_SECONDS, or too many rows wait already)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._writer.done():
            self._start(loop)
        if len(self._pending) >= settings.INBOUND_ACCEPT_MAX_WAITING:
            raise AcceptFailed("too many deliveries waiting for the database")
        future = loop.create_future()
        self._pending.append((row, future))
        self._wake.set()
        try:
            # On timeout the future is cancelled: a batch not yet taken skips the row. One being
            # written may still store it; the platform's retry is then a redelivery, stored once.
            return await asyncio.wait_for(future, settings.INBOUND_ACCEPT_TIMEOUT_SECONDS)
        except TimeoutError as exc:
            raise AcceptFailed("the database did not answer in time") from exc

    async def _write_forever(self) -> None:
        try:
            while True:
                await self._wake.wait()
                if settings.INBOUND_ACCEPT_LINGER_MS:
                    await asyncio.sleep(settings.INBOUND_ACCEPT_LINGER_MS / 1000)
                self._wake.clear()
                while self._pending:
                    await self._write(self._take())
        except BaseException:  # cancelled at shutdown (or a bug): nobody may wait forever
            for _, future in self._pending:
                if not future.done():
                    future.set_exception(AcceptFailed("the server is stopping"))
            self._pending = []
            raise

    def _take(self) -> list[tuple[AcceptedRow, asyncio.Future]]:
        rows, size = 0, 0
        for rows, (row, _) in enumerate(self._pending, start=1):
            size += len(row.body)
            if rows >= settings.INBOUND_ACCEPT_BATCH_ROWS or size >= settings.INBOUND_ACCEPT_BATCH_BYTES:
                break
        batch, self._pending = self._pending[:rows], self._pending[rows:]
        return [(row, future) for row, future in batch if not future.done()]  # gone: not written

    async def _write(self, batch: list[tuple[AcceptedRow, asyncio.Future]]) -> None:
        if not batch:
            return
        reused = self._connection is not None and not self._connection.closed
        try:
            try:
                ids = await self._insert(batch)
            except psycopg.OperationalError:
                if not (reused and self._connection.closed):
                    raise
                # The connection died while it sat idle or just now (a database restart, an idle
                # timeout): once more on a new one. Had the lost statement committed, its rows are
                # there twice: a redelivery, which the workers store once.
                batch = [(row, future) for row, future in batch if not future.done()]  # given up: not again
                ids = await self._insert(batch) if batch else []
        except BaseException as exc:  # whatever failed (or stopped us), no request of the batch may get a 200
            log.warning("accepting %d deliveries failed: %r", len(batch), exc)
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, AcceptFailed) else AcceptFailed(repr(exc)))
            broken, self._connection = self._connection, None
            if broken is not None:
                with contextlib.suppress(Exception):
                    await broken.close()
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), pk in zip(batch, ids, strict=True):
            if not future.done():
                future.set_result(pk)

    async def _insert(self, batch: list[tuple[AcceptedRow, asyncio.Future]]) -> list[int]:
        if self._connection is None or self._connection.closed:
            self._connection = await _writer_connection()
        cursor = await self._connection.execute(_ACCEPT_SQL_BINARY, _accept_params([row for row, _ in batch]))
        ids = [record[0] for record in await cursor.fetchall()]
        if len(ids) != len(batch):
            raise AcceptFailed(f"{len(ids)} ids for {len(batch)} rows")
        return ids


async def _writer_connection() -> psycopg.AsyncConnection:
    """The group commit's own connection: it gives up connecting, or on a lock or a statement, in
    half the time a webhook waits for it (so the webhook usually hears why; a row can still be
    committed after its webhook was answered 503, and the platform's retry is then a redelivery,
    stored once), and notices a peer that vanished (TCP keepalives)."""
    wait_ms = max(1, int(settings.INBOUND_ACCEPT_TIMEOUT_SECONDS * 500))
    return await psycopg.AsyncConnection.connect(
        **conninfo(),
        autocommit=True,
        application_name="mergeinbox accept",
        connect_timeout=max(1, int(settings.INBOUND_ACCEPT_TIMEOUT_SECONDS / 2)),
        keepalives=1,
        keepalives_idle=30,
        keepalives_interval=10,
        keepalives_count=3,
        options=f"-c statement_timeout={wait_ms} -c lock_timeout={wait_ms}",
    )


accept_queue = AcceptQueue()


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
