"""The WSGI application: Django, with one short path in front of it for webhook deliveries.

A webhook POST (`/webhooks/<uuid>/`) goes straight to the webhook view: no URL resolution and no
middleware (sessions, locale, CSRF, auth, messages, history: none of them applies to a platform's
signed POST, and together they cost more than the view itself). Acceptance is the hot path
(docs/benchmarks.md): the view authenticates, inserts, and answers. Everything else, including
the webhooks' GET handshake, goes through Django as usual.
"""

import os
import re
import uuid

from django.core import signals
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest, get_script_name, set_script_prefix
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from conversations.inbound.views import webhook  # noqa: E402 - needs the apps loaded above

WEBHOOK_PATH = re.compile(r"^/webhooks/([0-9a-fA-F-]{32,36})/$")


def application(environ, start_response):
    match = WEBHOOK_PATH.match(environ.get("PATH_INFO", ""))
    if match is None or environ.get("REQUEST_METHOD") != "POST":
        return django_application(environ, start_response)
    try:
        public_id = uuid.UUID(match.group(1))
    except ValueError:
        return django_application(environ, start_response)
    set_script_prefix(get_script_name(environ))
    signals.request_started.send(sender=WSGIHandler, environ=environ)
    request = WSGIRequest(environ)
    try:
        request.get_host()  # ALLOWED_HOSTS holds here too
        response = webhook(request, public_id)
    except Exception as exc:  # noqa: BLE001 - answered as Django would (404, 400, 500 with logging)
        response = response_for_exception(request, exc)
    response._resource_closers.append(request.close)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    status = f"{response.status_code} {response.reason_phrase}"
    start_response(status, [*response.items(), *(("Set-Cookie", c.OutputString()) for c in response.cookies.values())])
    return response  # its close() sends request_finished (database connections are tidied there)
