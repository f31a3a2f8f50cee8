"""Public endpoints of the web chat widget. Visitors authenticate with their session token."""

import json
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from channels.models import Channel, ChannelKind
from channels.webchat import (
    prechat_errors,
    prechat_settings,
    session_for_token,
    visitor_message,
    visitor_messages,
    webchat_session_start,
)

WIDGET_JS = Path(settings.BASE_DIR) / "static" / "widget" / "widget.js"
MAX_BODY = 16_384


def _cors(response: HttpResponse) -> HttpResponse:
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
    return _json({"name": channel.settings.get("title") or channel.name, "prechat": prechat_settings(channel)})


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def widget_sessions(request: HttpRequest, public_id) -> HttpResponse:
    channel = _channel(public_id)
    if request.method == "OPTIONS":
        return _cors(HttpResponse())
    data = _body(request)
    if data is None:
        return _json({"error": "Send a JSON object."}, status=400)
    fields = {key: str(data.get(key) or "") for key in ("name", "email", "phone")}
    errors = prechat_errors(channel, fields)
    if errors:
        return _json({"errors": errors}, status=400)
    session, token = webchat_session_start(channel=channel, **fields)
    return _json({"token": token, "visitor": str(session.public_id)}, status=201)


@csrf_exempt
@require_http_methods(["GET", "POST", "OPTIONS"])
def widget_messages(request: HttpRequest, public_id) -> HttpResponse:
    channel = _channel(public_id)
    if request.method == "OPTIONS":
        return _cors(HttpResponse())
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    session = session_for_token(channel, token)
    if session is None:
        return _json({"error": "Unknown or expired session; start a new chat."}, status=401)
    if request.method == "POST":
        data = _body(request)
        text = str((data or {}).get("text") or "").strip()
        client_id = str((data or {}).get("client_id") or "")[:64]
        if not text or not client_id:
            return _json({"error": 'Send {"text": "...", "client_id": "..."}.'}, status=400)
        message = visitor_message(session=session, text=text, client_id=client_id)
        return _json({"id": message.pk}, status=201)
    after = request.GET.get("after", "0")
    messages = visitor_messages(session=session, after=int(after) if after.isdigit() else 0)
    return _json(
        {
            "messages": [
                {
                    "id": m.pk,
                    "from": "visitor" if m.direction == "in" else "agent",
                    "text": m.body,
                    "at": m.created_at.isoformat(),
                }
                for m in messages
            ]
        }
    )


@require_GET
def widget_demo(request: HttpRequest) -> HttpResponse:
    """A pretend shop page with the widget on it."""
    channel = Channel.objects.filter(kind=ChannelKind.WEBCHAT, is_active=True).order_by("pk").first()
    if channel is None:
        raise Http404("Connect a web chat channel first (manage.py add_channel webchat NAME).")
    return render(request, "channels/widget_demo.html", {"channel": channel})
