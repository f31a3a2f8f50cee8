"""Deliveries as each platform sends them, signed with a channel's secret: a "customer" for the demo.

`delivery_for(channel, sender=..., text=..., name=...)` builds the body the platform would POST to
the channel's webhook (WhatsApp Cloud API, Telegram Bot API update, Messenger/Instagram webhook,
a raw RFC 5322 e-mail, the web chat widget's JSON) and the headers that authenticate it.
"""

import hashlib
import hmac
import json
import re
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

from channels.platforms.base import bearer_token, meta_signature, telegram_secret

DEFAULT_SENDERS = {
    "whatsapp": "6281234567890",
    "telegram": "5123456789",
    "messenger": "6543210987654321",
    "instagram": "1234567890123456",
    "email": "customer@example.com",
    "webchat": "demo-visitor",
}


class BadSender(ValueError):
    """The --from value cannot be an id on this platform."""


@dataclass(frozen=True)
class Delivery:
    body: bytes
    content_type: str
    headers: dict


def delivery_for(channel, *, sender: str, text: str, name: str) -> Delivery:
    build = _BUILDERS[channel.kind]
    body, content_type = build(channel, sender.strip(), text, name)
    sign = _SIGNERS[channel.platform.authenticate]
    return Delivery(body=body, content_type=content_type, headers=sign(channel, body))


def _whatsapp(channel, sender: str, text: str, name: str) -> tuple[bytes, str]:
    wa_id = re.sub(r"[\s().+-]", "", sender)
    if not re.fullmatch(r"\d{8,15}", wa_id):
        raise BadSender(f"a WhatsApp sender is an international phone number (8-15 digits), not {sender!r}")
    payload = whatsapp_text_delivery(
        wa_id=wa_id,
        text=text,
        name=name,
        message_id=f"wamid.demo{uuid.uuid4().hex}",
        timestamp=int(time.time()),
        phone_number_id=str(channel.settings.get("phone_number_id", "106540352242922")),
    )
    return json.dumps(payload).encode(), "application/json"


def whatsapp_text_delivery(
    *, wa_id: str, text: str, name: str, message_id: str, timestamp: int, phone_number_id: str = "106540352242922"
) -> dict:
    """A WhatsApp Cloud API webhook delivery with one text message (also used by the tests)."""
    message = {"from": wa_id, "id": message_id, "timestamp": str(timestamp), "type": "text", "text": {"body": text}}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": [message],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}],
    }


def _telegram(channel, sender: str, text: str, name: str) -> tuple[bytes, str]:
    if not re.fullmatch(r"\d{1,15}", sender):
        raise BadSender(f"a Telegram sender is a numeric chat id, not {sender!r}")
    first, _, last = name.partition(" ")
    person = {"id": int(sender), "is_bot": False, "first_name": first or "Customer", "last_name": last}
    payload = {
        "update_id": int(time.time() * 1000) % 2_000_000_000,
        "message": {
            "message_id": int(time.time() * 1000) % 2_000_000_000,
            "from": person,
            "chat": {"id": int(sender), "first_name": person["first_name"], "type": "private"},
            "date": int(time.time()),
            "text": text,
        },
    }
    return json.dumps(payload).encode(), "application/json"


def _meta(object_type: str):
    def build(channel, sender: str, text: str, name: str) -> tuple[bytes, str]:
        if not re.fullmatch(r"\d{1,32}", sender):
            raise BadSender(f"a {channel.get_kind_display()} sender is a numeric scoped id, not {sender!r}")
        now_ms = int(time.time() * 1000)
        event = {
            "sender": {"id": sender},
            "recipient": {"id": "112233445566778"},
            "timestamp": now_ms,
            "message": {"mid": f"m_demo{uuid.uuid4().hex}", "text": text},
        }
        payload = {"object": object_type, "entry": [{"id": "112233445566778", "time": now_ms, "messaging": [event]}]}
        return json.dumps(payload).encode(), "application/json"

    return build


def _email(channel, sender: str, text: str, name: str) -> tuple[bytes, str]:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", sender):
        raise BadSender(f"an e-mail sender is an address, not {sender!r}")
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>" if name else sender
    message["To"] = channel.settings.get("address", "support@localhost")
    message["Subject"] = text.splitlines()[0][:80] if text.strip() else "(no subject)"
    message["Message-ID"] = make_msgid(domain="customer.example")
    message["Date"] = format_datetime(timezone.now())
    message.set_content(text)
    return bytes(message), "message/rfc822"


def _webchat(channel, sender: str, text: str, name: str) -> tuple[bytes, str]:
    if not 0 < len(sender) <= 100:
        raise BadSender("a web chat sender is a session id of 1-100 characters")
    payload = {"session_id": sender, "message_id": uuid.uuid4().hex, "text": text, "name": name}
    return json.dumps(payload).encode(), "application/json"


def _meta_signature(channel, body: bytes) -> dict:
    digest = hmac.new(channel.secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}"}


def _telegram_secret(channel, body: bytes) -> dict:
    return {"X-Telegram-Bot-Api-Secret-Token": channel.secret}


def _bearer_token(channel, body: bytes) -> dict:
    return {"Authorization": f"Bearer {channel.secret}"}


_BUILDERS = {
    "whatsapp": _whatsapp,
    "telegram": _telegram,
    "messenger": _meta("page"),
    "instagram": _meta("instagram"),
    "email": _email,
    "webchat": _webchat,
}
# Each platform's way of authenticating a webhook, and how its sender signs one.
_SIGNERS = {meta_signature: _meta_signature, telegram_secret: _telegram_secret, bearer_token: _bearer_token}
