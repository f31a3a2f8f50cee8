import logging
from collections.abc import Awaitable, Callable, Mapping

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from channels.delivery_log import AcceptFailed, adelivery_accept, delivery_accept
from channels.models import Channel
from channels.platforms import NotAuthentic, authenticate, meta_challenge, webhook_max_bytes
from channels.rate_limits import rate_limit_check, webhook_limits
from channels.selectors import webhook_channel, webhook_channel_cached
from config.web import client_ip

log = logging.getLogger(__name__)


def too_many_requests(wait: int) -> JsonResponse:
    response = JsonResponse({"error": f"Too many requests; try again in {wait} seconds."}, status=429)
    response["Retry-After"] = str(wait)
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, public_id) -> HttpResponse:
    """One endpoint per channel. Authentic deliveries are kept and answered at once; workers process them.

    Only a wrong signature (403, nothing kept) and a body over WEBHOOK_MAX_BYTES (413) are refused:
    a delivery we cannot read is kept as failed and can be replayed, never answered 400 and lost.
    In production the POSTs of most channels are answered by `webhook_accept` instead (the same
    checks, then a group commit); this view answers them under WSGI (the demo, the tests), and
    answers the GET handshake and the POSTs of public-sender channels everywhere.
    """
    channel = webhook_channel(public_id)
    if channel is None:
        raise Http404("no such channel")
    if request.method == "GET":
        challenge = meta_challenge(channel, request.GET)
        if challenge is None:
            return HttpResponseForbidden("verification failed")
        return HttpResponse(challenge, content_type="text/plain")
    if channel.platform.public_senders:
        wait = rate_limit_check(limits=webhook_limits(), visitor=client_ip(request), channel_id=channel.pk)
        if wait is not None:
            return too_many_requests(wait)
    limit = webhook_max_bytes(channel)
    if (refusal := _refuse_declared_size(request.headers, limit)) is not None:
        return refusal
    # Read directly, not `request.body`: e-mail with attachments may exceed
    # DATA_UPLOAD_MAX_MEMORY_SIZE, which stays at WEBHOOK_MAX_BYTES for every other endpoint.
    body = request.read(limit + 1)
    if (refusal := _refuse(channel, body, request.headers, limit)) is not None:
        return refusal
    delivery = delivery_accept(channel=channel, body=body, headers=request.headers)
    return JsonResponse({"accepted": delivery.pk})


async def webhook_accept(
    public_id, headers: Mapping[str, str], read_body: Callable[[int], Awaitable[bytes]]
) -> HttpResponse | None:
    """A webhook POST on the ASGI hot path (`config/asgi.py`, served by uvicorn in production).

    The checks of `webhook`, then the delivery goes into this process's group commit
    (`channels.delivery_log.AcceptQueue`): 200 only once the transaction holding its row is
    committed; 503 (the platform retries) when it was not, or not in INBOUND_ACCEPT_TIMEOUT_SECONDS
    (a row committed after its 503 makes the retry a redelivery, which the workers store once).
    `headers` are the request's (any case), `read_body(n)` reads at most about n bytes of the body.
    None, before anything is read, for what `webhook` answers instead: an unknown channel (404),
    channels whose senders are the public (web chat: their rate limits count every request in the
    database), and every POST where the database is not PostgreSQL (the SQLite demo).
    """
    if connection.vendor != "postgresql":
        return None
    known, channel = webhook_channel_cached(public_id)
    if not known:
        channel = await sync_to_async(_webhook_channel_fresh)(public_id)
    if channel is None or channel.platform.public_senders:
        return None
    limit = webhook_max_bytes(channel)
    if (refusal := _refuse_declared_size(headers, limit)) is not None:
        return refusal
    body = await read_body(limit + 1)
    if (refusal := _refuse(channel, body, headers, limit)) is not None:
        return refusal
    try:
        pk = await adelivery_accept(channel=channel, body=body, headers=headers)
    except AcceptFailed:
        response = JsonResponse({"error": "not stored; try again"}, status=503)
        response["Retry-After"] = "1"
        return response
    return JsonResponse({"accepted": pk})


def _refuse_declared_size(headers: Mapping[str, str], limit: int) -> JsonResponse | None:
    if int(headers.get("Content-Length") or 0) > limit:
        return JsonResponse({"error": "body too large"}, status=413)
    return None


def _refuse(channel: Channel, body: bytes, headers, limit: int) -> JsonResponse | None:
    """413 for a body over the limit (`body` holds at most limit + 1 bytes), 403 for a wrong signature."""
    if len(body) > limit:
        return JsonResponse({"error": "body too large"}, status=413)
    try:
        authenticate(channel, body, headers)
    except NotAuthentic as exc:
        log.warning("webhook %s refused: %s", channel.public_id, exc)
        return JsonResponse({"error": str(exc)}, status=403)
    return None


def _webhook_channel_fresh(public_id) -> Channel | None:
    # Django closes a worn-out connection at the start of its own requests; in the thread this
    # runs in, no Django request might come for a long time.
    close_old_connections()
    return webhook_channel(public_id)
