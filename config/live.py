"""Live updates for open pages, receiving side.

- `stream`: Server-Sent Events, served by an ASGI server (uvicorn) beside the WSGI pages. Each
  process holds ONE listening psycopg connection (`Hub`) on the channel `config.notify` sends to;
  each open page's stream forwards only the ids its user may see (the permission policy, asked
  through `permissions.sees_through`) and never a row's content: pages fetch what changed through
  the ordinary views, which are scoped too.
- `counts`: the page's counters and badges as JSON (tabs, dashboard figures, a contact's badge).
- `updates`: the polling fallback, for pages whose stream cannot connect (the SQLite demo, a
  proxy that buffers): a cursor that changes when something the user may see changes.

It sits at the project level because it watches every app (messages and merge suggestions).
"""

import asyncio
import contextlib
import json
import logging
import time

import psycopg
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from config.notify import LIVE_CHANNEL
from config.params import parse_id
from config.pg import conninfo
from config.workspace import permissions
from config.workspace.models import User
from contacts.models import Contact
from conversations.models import Message
from conversations.selectors import COUNT_CAP, inbox_counts
from merging.selectors import contact_groups, open_group_count, visible_suggestions

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15
SCOPE_SECONDS = 30  # how often a stream asks the policy again (channel access granted or revoked)


class Hub:
    """One LISTEN connection per process, fanning NOTIFY payloads out to the streams of that process."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue] = set()
        self.task: asyncio.Task | None = None
        self.connected = asyncio.Event()

    def subscribe(self) -> asyncio.Queue:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._listen())
        queue: asyncio.Queue = asyncio.Queue(maxsize=500)
        self.queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.queues.discard(queue)

    def _publish(self, payload: str) -> None:
        for queue in list(self.queues):
            try:
                queue.put_nowait(payload)
            except asyncio.QueueFull:  # a stalled page: it resynchronises when it catches up
                with contextlib.suppress(asyncio.QueueEmpty):
                    while True:
                        queue.get_nowait()
                queue.put_nowait(json.dumps({"t": "resync", "items": []}))

    async def _listen(self) -> None:
        first = True
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(**conninfo(), autocommit=True) as conn:
                    await conn.execute(f"LISTEN {LIVE_CHANNEL}")
                    self.connected.set()
                    if not first:  # news sent while we were away is lost: pages fetch it all again
                        self._publish(json.dumps({"t": "resync", "items": []}))
                    first = False
                    async for notify in conn.notifies():
                        self._publish(notify.payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("Live updates: lost the LISTEN connection; retrying in 1 s", exc_info=True)
            self.connected.clear()
            await asyncio.sleep(1)


hub = Hub()


def _scope(user_pk: int):
    """The user's channel scope from the policy, or False when the account is gone or inactive."""
    user = User.objects.filter(pk=user_pk, is_active=True).first()
    return permissions.channel_ids(user) if user is not None else False


def scoped_event(scope, payload: str) -> dict | None:
    """What one page may learn from one NOTIFY payload: the ids whose channels its user may see
    (a merge suggestion only when the user sees every contact in it); None for nothing."""
    try:
        data = json.loads(payload)
        topic, items = data["t"], data["items"]
    except (ValueError, KeyError, TypeError):
        return None
    if topic == "resync":
        return {"t": "resync"}
    seen = [(kind, pk) for kind, pk, channels in items if permissions.sees_through(scope, channels)]
    if not seen or (topic == "suggestion" and len(seen) < len(items)):
        return None
    event: dict = {"t": topic}
    for kind, pk in seen:
        event.setdefault(kind + "s", [])
        if pk not in event[kind + "s"]:
            event[kind + "s"].append(pk)
    return event


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _allow_origin(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Pages served by another process (another port) may open the stream with their cookies."""
    origin = request.headers.get("Origin")
    if origin and origin in settings.LIVE_STREAM_ALLOWED_ORIGINS:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Credentials"] = "true"
        response["Vary"] = "Origin"
    return response


@require_GET
async def stream(request: HttpRequest) -> HttpResponse:
    """Server-Sent Events for one open page. 204 (the page polls instead) where the database has
    no LISTEN/NOTIFY (SQLite) or for an anonymous visitor."""
    user = await request.auser()
    under_wsgi = "wsgi.version" in request.META  # a WSGI server would buffer an endless stream
    if not user.is_authenticated or connection.vendor != "postgresql" or under_wsgi:
        return _allow_origin(request, HttpResponse(status=204))
    user_pk = user.pk
    scope = await sync_to_async(_scope)(user_pk)

    async def events():
        nonlocal scope
        queue = hub.subscribe()
        checked = time.monotonic()
        try:
            yield "retry: 2000\n" + _sse("ready", {})
            while scope is not False:
                try:
                    payload = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    payload = None
                if time.monotonic() - checked > SCOPE_SECONDS:
                    scope, checked = await sync_to_async(_scope)(user_pk), time.monotonic()
                    continue
                if payload is None:
                    yield ": keep-alive\n\n"
                elif (event := scoped_event(scope, payload)) is not None:
                    yield _sse("change", event)
        finally:
            hub.unsubscribe(queue)

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return _allow_origin(request, response)


def live_cursor(user) -> str:
    """Changes whenever a message or a merge suggestion the user may see is stored. Opaque (a keyed
    hash, not the ids): row ids are global, so their gaps would show traffic on hidden channels."""
    last_message = permissions.visible(user, Message.objects.all()).order_by("-pk").values_list("pk", flat=True)
    last_suggestion = visible_suggestions(user).order_by("-pk").values_list("pk", flat=True)
    state = f"{user.pk}:{last_message.first() or 0}.{last_suggestion.first() or 0}"
    return salted_hmac("config.live.cursor", state, algorithm="sha256").hexdigest()[:20]


@login_required
@require_GET
def updates(request: HttpRequest) -> HttpResponse:
    """The fallback, polled by a page whose stream cannot connect: 204 when nothing the user may
    see is new since the page's cursor, else 200 with an `inbox-changed` trigger. The cursor is
    server-side (highest visible message and suggestion ids), so it works across processes."""
    cursor = live_cursor(request.user)
    response = HttpResponse(status=204 if request.GET.get("cursor") in (cursor, None, "") else 200)
    response["X-Updates-Cursor"] = cursor
    if response.status_code == 200:
        response["HX-Trigger"] = json.dumps({"inbox-changed": {"cursor": cursor}})
    return response


def _capped(value: int) -> str:
    return f"{COUNT_CAP - 1}+" if value >= COUNT_CAP else str(value)


@login_required
@require_GET
def counts(request: HttpRequest) -> JsonResponse:
    """Every counter a page shows (`[data-live-count=name]`), scoped to the user; with
    `?contact=<id>` also that contact's merge-suggestion badge (if the user may see the contact)."""
    user = request.user
    figures = inbox_counts(user)
    data = {name: _capped(value) for name, value in figures.items()}
    data["suggestions"] = _capped(open_group_count(user))  # groups, as the dashboard counts them
    unread = ngettext(
        "%(counter)s conversation with unread messages",
        "%(counter)s conversations with unread messages",
        figures["unread"],
    )
    data["unread_text"] = unread % {"counter": _capped(figures["unread"])}
    contact_id = parse_id(request.GET.get("contact"))
    if contact_id is not None:
        contact = permissions.visible(user, Contact.objects.filter(pk=contact_id, root__isnull=True)).first()
        if contact is not None:
            data["contact_suggestions"] = str(len(contact_groups(user, contact)))
    return JsonResponse(data)
