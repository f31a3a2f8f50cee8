"""Outbound clients: one per platform, each speaking the platform's real API.

Base URLs come from settings so staging and the tests can point them at a local server.
"""

import json
import urllib.error
import urllib.request

from django.conf import settings

from channels.models import ChannelKind


class SendFailed(Exception):
    """The platform refused the message or could not be reached; shown on the message."""


def post_json(url: str, payload: dict, headers: dict | None = None) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.OUTBOUND_TIMEOUT_SECONDS) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise SendFailed(f"HTTP {exc.code}: {_error_text(exc)}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise SendFailed(f"could not reach the platform: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise SendFailed("the platform answered with something that is not JSON") from exc


def _error_text(exc: urllib.error.HTTPError) -> str:
    body = exc.read()[:2000]
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return body.decode("utf-8", "replace") or exc.reason
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(data.get("description") or data) if isinstance(data, dict) else str(data)


def send_message(message) -> str:
    """Deliver one outbound message; returns the platform's message id."""
    from channels.clients import email, meta, telegram, whatsapp

    senders = {
        ChannelKind.WHATSAPP: whatsapp.send_text,
        ChannelKind.TELEGRAM: telegram.send_text,
        ChannelKind.MESSENGER: meta.send_text,
        ChannelKind.INSTAGRAM: meta.send_text,
        ChannelKind.EMAIL: email.send_text,
        ChannelKind.WEBCHAT: _webchat_send,
    }
    sender = senders.get(message.channel.kind)
    if sender is None:
        raise SendFailed(f"Sending on {message.channel.get_kind_display()} is not supported yet.")
    return sender(message)


def _webchat_send(message) -> str:
    # The visitor's widget fetches new messages from us; there is no platform to call.
    return f"webchat:{message.pk}"
