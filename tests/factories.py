"""Test data, built through the same services the app uses."""

import hashlib
import hmac
import io
import itertools
import json
import time
from email.message import EmailMessage

import factory
from django.core.management import call_command
from guardian.shortcuts import assign_perm

from channels.models import ChannelKind
from channels.services import channel_create
from config.demo.simulate import whatsapp_text_delivery
from config.workspace.models import Role, Team, User
from config.workspace.services import team_create

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
    return team_create(name=name, members=members)


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


# The channels and users of the fixtures of the same names (tests/conftest.py).
TEST_CHANNELS = {
    "whatsapp": (ChannelKind.WHATSAPP, {}),
    "telegram": (ChannelKind.TELEGRAM, {}),
    "email_channel": (ChannelKind.EMAIL, {"settings": {"address": "support@shop.example"}}),
    "webchat": (ChannelKind.WEBCHAT, {}),
}
ROLE_USERS = {
    "owner": {"username": "olivia", "role": Role.OWNER},
    "manager": {"username": "marco", "role": Role.MANAGER},
    "agent": {"username": "ayu", "role": Role.AGENT},  # with access to every channel of TEST_CHANNELS
    "agent_without_access": {"username": "budi", "role": Role.AGENT},
    "admin_user": {"username": "root", "role": Role.OWNER, "is_staff": True, "is_superuser": True},
}


def make_test_channel(name: str):
    kind, kwargs = TEST_CHANNELS[name]
    return make_channel(kind, **kwargs)


def make_role_user(name: str, *, channels=()):
    user = UserFactory(**ROLE_USERS[name])
    for channel in channels:
        assign_perm("channels.access_channel", user, channel)
    return user


def make_cast() -> dict:
    """Every channel of TEST_CHANNELS and every user of ROLE_USERS, by fixture name."""
    channels = {name: make_test_channel(name) for name in TEST_CHANNELS}
    users = {name: make_role_user(name, channels=channels.values() if name == "agent" else ()) for name in ROLE_USERS}
    return channels | users


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


def process_inbound() -> str:
    """What an inbound worker does: process every waiting delivery (the real command)."""
    out = io.StringIO()
    call_command("process_inbound", stdout=out)
    return out.getvalue()


def deliver(client, channel, payload, *, headers=None, content_type=None):
    """POST a delivery like the platform, then process it like the inbound worker; the response."""
    response = post_webhook(client, channel, payload, headers=headers, content_type=content_type)
    process_inbound()
    return response


def wa_text(wa_id: str, text: str, *, name: str = "Customer", message_id: str | None = None, ts: int | None = None):
    """A WhatsApp Cloud API delivery with one text message."""
    return whatsapp_text_delivery(
        wa_id=wa_id,
        text=text,
        name=name,
        message_id=message_id or f"wamid.{next(_seq)}",
        timestamp=ts or int(time.time()),
    )


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
    from conversations.inbound.pipeline import inbound_message_ingest

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


def wa_media(wa_id: str, kind: str, media_id: str, *, mime_type: str, filename: str = "", caption: str = "", **extra):
    """A WhatsApp delivery with one image, audio, video, document or sticker message."""
    delivery = wa_text(wa_id, "")
    message = delivery["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    media = {"id": media_id, "mime_type": mime_type, "sha256": "x", **extra}
    if filename:
        media["filename"] = filename
    if caption:
        media["caption"] = caption
    message.update(type=kind, **{kind: media})
    return delivery


def tg_media(chat_id: int, field: str, file_id: str, **media):
    """A Telegram update with one photo, voice, audio, video or document."""
    update = tg_text(chat_id, "")
    del update["message"]["text"]
    if field == "photo":
        update["message"]["photo"] = [{"file_id": f"{file_id}-small", "width": 90}, {"file_id": file_id, "width": 800}]
    else:
        update["message"][field] = {"file_id": file_id, "file_unique_id": f"u{file_id}", **media}
    return update


def email_with_files(sender: str, body: str, files: list[tuple[str, str, bytes]], *, inline: tuple = ()) -> bytes:
    """A multipart e-mail with these (filename, content type, bytes) attached and inline images."""
    message = EmailMessage()
    message["From"] = f"Sheena Nelson <{sender}>"
    message["To"] = "support@shop.example"
    message["Subject"] = "Invoice"
    message["Message-ID"] = f"<m{next(_seq)}@mail.example.com>"
    message["Date"] = "Sun, 08 Jun 2025 21:05:11 +0000"
    message.set_content(body)
    if inline:
        message.add_alternative(f'<p>{body}</p><img src="cid:{inline[0]}">', subtype="html")
        html = message.get_payload()[1]
        maintype, subtype = inline[2].split("/")
        html.add_related(inline[3], maintype=maintype, subtype=subtype, cid=f"<{inline[0]}>", filename=inline[1])
    for filename, content_type, content in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def meta_media(sender: str, mid: str, url: str, kind: str = "image") -> dict:
    """A Messenger/Instagram `messaging` event with one attachment (no text)."""
    event = meta_message(sender, "", mid, attachments=[{"type": kind, "payload": {"url": url}}])
    del event["message"]["text"]
    return event
