"""Test data, built through the same services the app uses."""

import hashlib
import hmac
import itertools
import json
import time

import factory
from django.contrib.auth.models import Group

from channels.models import ChannelKind
from channels.services import channel_create
from config.models import Role, Team, User

_seq = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    role = Role.AGENT
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-123")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_team(name: str, *members: User) -> Team:
    team = Team.objects.create(name=name, group=Group.objects.create(name=f"team:{name}"))
    team.members.add(*members)
    return team


def make_channel(kind: str = ChannelKind.WHATSAPP, **kwargs):
    defaults = {"name": f"{kind} {next(_seq)}", "secret": f"secret-{kind}", "verify_token": "verify-me"}
    defaults.update(kwargs)
    if kind == ChannelKind.WHATSAPP:
        defaults.setdefault("settings", {"phone_number_id": "106540352242922"})
        defaults.setdefault("access_token", "wa-token")
    if kind == ChannelKind.TELEGRAM:
        defaults.setdefault("access_token", "123456:bot-token")
    if kind in (ChannelKind.MESSENGER, ChannelKind.INSTAGRAM):
        defaults.setdefault("access_token", "page-token")
    return channel_create(kind=kind, **defaults)


def signed_headers(channel, body: bytes) -> dict:
    """The headers the platform would send with this body."""
    if channel.kind in (ChannelKind.WHATSAPP, ChannelKind.MESSENGER, ChannelKind.INSTAGRAM):
        digest = hmac.new(channel.secret.encode(), body, hashlib.sha256).hexdigest()
        return {"X-Hub-Signature-256": f"sha256={digest}"}
    if channel.kind == ChannelKind.TELEGRAM:
        return {"X-Telegram-Bot-Api-Secret-Token": channel.secret}
    return {"Authorization": f"Bearer {channel.secret}"}


def post_webhook(client, channel, payload, *, headers=None, content_type=None):
    """POST a delivery through the real URL, signed like the platform signs it."""
    if isinstance(payload, (bytes, str)):
        body = payload.encode() if isinstance(payload, str) else payload
    else:
        body = json.dumps(payload).encode()
    content_type = content_type or ("message/rfc822" if channel.kind == ChannelKind.EMAIL else "application/json")
    return client.post(
        channel.webhook_path,
        data=body,
        content_type=content_type,
        headers=headers if headers is not None else signed_headers(channel, body),
    )


def wa_text(wa_id: str, text: str, *, name: str = "Customer", message_id: str | None = None, ts: int | None = None):
    """A WhatsApp Cloud API delivery with one text message."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
                            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": message_id or f"wamid.{next(_seq)}",
                                    "timestamp": str(ts or int(time.time())),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def tg_text(chat_id: int, text: str, *, first_name="Sheena", last_name="Nelson", message_id=None, update_id=None):
    return {
        "update_id": update_id or next(_seq),
        "message": {
            "message_id": message_id or next(_seq),
            "from": {"id": chat_id, "is_bot": False, "first_name": first_name, "last_name": last_name},
            "chat": {"id": chat_id, "first_name": first_name, "type": "private"},
            "date": int(time.time()),
            "text": text,
        },
    }


def email_raw(sender: str, body: str, *, name="Sheena Nelson", subject="Hello", message_id=None, extra_headers=""):
    message_id = message_id or f"<m{next(_seq)}@mail.example.com>"
    return (
        f"From: {name} <{sender}>\r\nTo: support@shop.example\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\nDate: Sun, 08 Jun 2025 21:05:11 +0000\r\n{extra_headers}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def webchat_message(session: str, text: str, **fields):
    return {"session_id": session, "message_id": str(next(_seq)), "text": text, **fields}


def inbound(
    channel, external_id: str, text: str = "hello", *, name: str = "", phone: str = "", email: str = "", at=None
):
    """Deliver one inbound message through the real ingest service; returns the stored message."""
    from django.utils import timezone

    from channels.inbound import InboundMessage
    from conversations.services import inbound_message_ingest

    if channel.kind == ChannelKind.WHATSAPP and not phone:
        phone = external_id
    if channel.kind == ChannelKind.EMAIL and not email:
        email = external_id
    message = InboundMessage(
        external_id=external_id,
        platform_message_id=f"in-{next(_seq)}",
        sent_at=at or timezone.now(),
        body=text,
        display_name=name,
        phone=phone,
        email=email,
        phone_is_international=channel.kind != ChannelKind.WEBCHAT,
    )
    return inbound_message_ingest(channel=channel, inbound=message)


def contact_of(message):
    from contacts.models import Contact

    return Contact.objects.get(pk=message.conversation.contact_id)


def meta_delivery(*events, object_type: str = "page") -> dict:
    """A Messenger (object "page") or Instagram delivery with these `messaging` events."""
    return {"object": object_type, "entry": [{"id": "1", "time": 1, "messaging": list(events)}]}


def meta_message(sender: str, text: str, mid: str, **extra) -> dict:
    return {
        "sender": {"id": sender},
        "recipient": {"id": "1"},
        "timestamp": 1749416600001,
        "message": {"mid": mid, "text": text, **extra},
    }
