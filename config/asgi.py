"""The ASGI application: Django, with the webhook's hot path in front of it.

Served by uvicorn in production (README, "Running in production"): the live-update stream, and
the platforms' webhook POSTs. A webhook POST (`/webhooks/<uuid>/`) goes straight to
`webhook_accept`, as in `config/wsgi.py`: no URL resolution and no middleware (none applies to a
platform's signed POST), and there the deliveries of all the requests in flight in this process
are written together, one transaction per batch (`channels.delivery_log.AcceptQueue`): a commit
per delivery is what limited acceptance under WSGI (docs/benchmarks.md). Everything else goes
through Django as usual, and so do the webhook POSTs `webhook_accept` leaves to it (an unknown
channel, web chat's rate-limited webhook) and those with a Host that ALLOWED_HOSTS refuses.
"""

import io
import os
import re
import uuid

from django.core.asgi import get_asgi_application
from django.core.exceptions import DisallowedHost, RequestAborted
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.exception import response_for_exception
from django.utils.datastructures import CaseInsensitiveMapping

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

from conversations.inbound.views import webhook_accept  # noqa: E402 - needs the apps loaded above

WEBHOOK_PATH = re.compile(r"^/webhooks/([0-9a-fA-F-]{32,36})/$")


async def application(scope, receive, send):
    match = WEBHOOK_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
    if match is None or scope["method"] != "POST" or not _host_allowed(scope):
        return await django_application(scope, receive, send)  # a refused Host: a 400, logged as Django does
    try:
        public_id = uuid.UUID(match.group(1))
    except ValueError:
        return await django_application(scope, receive, send)

    async def read_body(limit: int) -> bytes:
        chunks, size = [], 0
        while size <= limit:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise RequestAborted
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    try:
        response = await webhook_accept(public_id, _headers(scope), read_body)
    except RequestAborted:
        return  # the platform hung up before sending its body: nothing to answer, nothing kept
    except Exception as exc:  # noqa: BLE001 - answered and logged as Django would (a 500)
        response = response_for_exception(ASGIRequest(scope, io.BytesIO()), exc)
    if response is None:
        return await django_application(scope, receive, send)
    content = response.content
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers["Content-Length"] = str(len(content))
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.items()]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def _headers(scope) -> CaseInsensitiveMapping:
    """The request's headers by name in any case; repeated ones joined by commas, as Django does."""
    fields: dict[str, str] = {}
    for name, value in scope["headers"]:
        name, value = name.decode("latin-1"), value.decode("latin-1")
        fields[name] = f"{fields[name]},{value}" if name in fields else value
    return CaseInsensitiveMapping(fields)


_hosts_seen: dict[tuple, bool] = {}


def _host_allowed(scope) -> bool:
    """Whether Django's `HttpRequest.get_host()` (ALLOWED_HOSTS) takes this request's host; the answer
    is kept per value of what it reads (Host, X-Forwarded-Host, the server's address)."""
    key = (tuple(v for k, v in scope["headers"] if k in (b"host", b"x-forwarded-host")), scope.get("server"))
    allowed = _hosts_seen.get(key)
    if allowed is None:
        try:
            ASGIRequest(scope, io.BytesIO()).get_host()
            allowed = True
        except DisallowedHost:
            allowed = False
        if len(_hosts_seen) > 1000:
            _hosts_seen.clear()
        _hosts_seen[key] = allowed
    return allowed
