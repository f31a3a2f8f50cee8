"""Public endpoints of the web chat widget. Visitors authenticate with their session token."""

import json
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from channels.models import Channel, ChannelKind
from channels.rate_limits import message_limits, rate_limit_check, session_limits
from channels.webchat import prechat_errors, prechat_settings, session_for_token, webchat_session_start
from config.params import parse_offset
from config.web import client_ip
from conversations.inbound.views import too_many_requests
from conversations.inbound.webchat import (
    visitor_client_id,
    visitor_file,
    visitor_file_token,
    visitor_message,
    visitor_messages,
    visitor_messages_seen,
)
from conversations.serving import attachment_response

WIDGET_JS = Path(settings.BASE_DIR) / "static" / "widget" / "widget.js"
MAX_BODY = 16_384

# Everything the widget shows, in the visitor's language (see `_visitor_language`).
WIDGET_STRINGS = {
    "open": _("Chat with us"),
    "chat": _("Chat"),
    "close": _("Close the chat"),
    "intro": _("Before we start, tell us how to reach you."),
    "name": _("Your name"),
    "email": _("E-mail"),
    "phone": _("Phone (WhatsApp)"),
    "start": _("Start chat"),
    "required": _("This field is required."),
    "invalid": _("Please check this value."),
    "placeholder": _("Write a message…"),
    "message": _("Message"),
    "send": _("Send"),
    "you": _("You"),
    "agent": _("Agent"),
    "failed": _("Your message could not be sent. Please try again."),
}


def _visitor_language(request: HttpRequest) -> str:
    """The page's language when the widget sends it (`?lang=`), else the visitor's browser language."""
    try:
        return translation.get_supported_language_variant(request.GET.get("lang", "").strip().lower())
    except LookupError:
        return translation.get_language_from_request(request)


# The widget's endpoints answer JSON or a script to any site: their own policy lets them load
# nothing and be framed by nobody (the app's pages have SECURE_CSP). What a host page must allow
# for the widget is in docs/security.md.
WIDGET_ENDPOINT_CSP = {"default-src": [CSP.NONE], "frame-ancestors": [CSP.NONE]}


def _cors(response: HttpResponse) -> HttpResponse:
    response._csp_config = WIDGET_ENDPOINT_CSP
    # The widget runs on the business's own site; it sends a bearer token, never cookies.
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
    response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response["Access-Control-Max-Age"] = "600"
    return response


def _json(data, status=200) -> HttpResponse:
    return _cors(JsonResponse(data, status=status))


def _channel(public_id) -> Channel:
    return get_object_or_404(Channel, public_id=public_id, kind=ChannelKind.WEBCHAT, is_active=True)


def _refused(request: HttpRequest, channel: Channel, limits) -> HttpResponse | None:
    """A clear 429 when this visitor address (or the channel as a whole) sends too much."""
    wait = rate_limit_check(limits=limits, visitor=client_ip(request), channel_id=channel.pk)
    return None if wait is None else _cors(too_many_requests(wait))


def _body(request: HttpRequest) -> dict | None:
    if len(request.body) > MAX_BODY:
        return None
    try:
        data = json.loads(request.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


@require_GET
def widget_js(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(WIDGET_JS.read_bytes(), content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return _cors(response)


@csrf_exempt
@require_http_methods(["GET", "OPTIONS"])
def widget_config(request: HttpRequest, public_id) -> HttpResponse:
    channel = _channel(public_id)
    if request.method == "OPTIONS":
        return _cors(HttpResponse())
    language = _visitor_language(request)
    with translation.override(language):
        strings = {key: str(text) for key, text in WIDGET_STRINGS.items()}
    return _json(
        {
            "name": channel.settings.get("title") or channel.name,
            "prechat": prechat_settings(channel),
            "language": language,
            "strings": strings,
        }
    )


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def widget_sessions(request: HttpRequest, public_id) -> HttpResponse:
    channel = _channel(public_id)
    if request.method == "OPTIONS":
        return _cors(HttpResponse())
    if refused := _refused(request, channel, session_limits()):
        return refused
    data = _body(request)
    if data is None:
        return _json({"error": "Send a JSON object."}, status=400)
    fields = {key: str(data.get(key) or "") for key in ("name", "email", "phone")}
    with translation.override(_visitor_language(request)):
        errors = prechat_errors(channel, fields)
    if errors:
        return _json({"errors": errors}, status=400)
    session, token = webchat_session_start(channel=channel, **fields)
    return _json({"token": token, "visitor": str(session.public_id)}, status=201)


def _session(request: HttpRequest, channel: Channel):
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return session_for_token(channel, token)


UNKNOWN_SESSION = {"error": "Unknown or expired session; start a new chat."}


def visitor_endpoint(view):
    """A widget endpoint of a visitor's chat: the CORS preflight answered, the channel found and
    the visitor's session required (401 without one); the view gets both."""

    @wraps(view)
    def endpoint(request: HttpRequest, public_id) -> HttpResponse:
        channel = _channel(public_id)
        if request.method == "OPTIONS":
            return _cors(HttpResponse())
        session = _session(request, channel)
        if session is None:
            return _json(UNKNOWN_SESSION, status=401)
        return view(request, channel, session)

    return endpoint


@csrf_exempt
@require_http_methods(["GET", "POST", "OPTIONS"])
@visitor_endpoint
def widget_messages(request: HttpRequest, channel: Channel, session) -> HttpResponse:
    if request.method == "POST":
        if refused := _refused(request, channel, message_limits()):
            return refused
        data = _body(request)
        text = str((data or {}).get("text") or "").strip()
        client_id = str((data or {}).get("client_id") or "")[:64]
        if not text or not client_id or "\x00" in text + client_id:
            return _json({"error": 'Send {"text": "...", "client_id": "..."}.'}, status=400)
        visitor_message(session=session, text=text, client_id=client_id)  # kept; a worker stores it
        return _json({"client_id": client_id}, status=202)
    after = parse_offset(request.GET.get("after", "0"))
    if after is None:
        return _json({"error": "after must be a message id."}, status=400)
    messages = visitor_messages(session=session, after=after)
    return _json(
        {
            "messages": [
                {
                    "id": m.pk,
                    "from": "visitor" if m.direction == "in" else "agent",
                    "client_id": visitor_client_id(m),
                    "text": m.body,
                    "at": m.created_at.isoformat(),
                    "files": [_file_link(request, channel, session, a) for a in m.media.all() if a.file],
                }
                for m in messages
            ]
        }
    )


def _file_link(request: HttpRequest, channel: Channel, session, attachment) -> dict:
    token = visitor_file_token(session=session, attachment=attachment)
    url = reverse("inbound:widget_file", args=[channel.public_id, token])
    return {"name": attachment.display_name, "size": attachment.size, "url": request.build_absolute_uri(url)}


@require_GET
def widget_file(request: HttpRequest, public_id, token: str) -> HttpResponse:
    """A file in the visitor's conversation, by its signed link; always a download."""
    attachment = visitor_file(channel=_channel(public_id), token=token)
    if attachment is None:
        raise Http404("This link is not valid (any more).")
    return _cors(attachment_response(attachment, download=True))


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
@visitor_endpoint
def widget_seen(request: HttpRequest, channel: Channel, session) -> HttpResponse:
    """The widget has shown our replies up to `up_to`: they count as delivered."""
    up_to = (_body(request) or {}).get("up_to")
    if not isinstance(up_to, int) or isinstance(up_to, bool) or up_to < 0:
        return _json({"error": 'Send {"up_to": <message id>}.'}, status=400)
    return _json({"delivered": visitor_messages_seen(session=session, up_to=up_to)})


@require_GET
def widget_demo(request: HttpRequest) -> HttpResponse:
    """A pretend shop page with the widget on it."""
    channel = Channel.objects.filter(kind=ChannelKind.WEBCHAT, is_active=True).order_by("pk").first()
    if channel is None:
        raise Http404("Connect a web chat channel first (manage.py add_channel webchat NAME).")
    return render(request, "channels/widget_demo.html", {"channel": channel})
