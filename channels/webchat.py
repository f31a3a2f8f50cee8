"""The web chat widget's visitor sessions and messages (the widget itself is static/widget/widget.js)."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from channels.inbound import InboundMessage, ParsedDelivery, clean_text
from channels.models import Channel, ChannelIdentity, WebchatSession
from config.models import Workspace
from contacts.normalize import normalize_email, normalize_phone
from conversations.models import DeliveryStatus, Direction, Message

PRECHAT_FIELDS = ("name", "email", "phone")


def prechat_settings(channel: Channel) -> dict:
    prechat = channel.settings.get("prechat") or {}
    fields = [f for f in prechat.get("fields", []) if f in PRECHAT_FIELDS]
    required = [f for f in prechat.get("required", []) if f in fields]
    return {"enabled": bool(prechat.get("enabled") and fields), "fields": fields, "required": required}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def prechat_errors(channel: Channel, data: dict) -> dict[str, str]:
    """The same checks the browser makes, made again on the server."""
    settings = prechat_settings(channel)
    errors = {}
    for field in settings["required"]:
        if not str(data.get(field) or "").strip():
            errors[field] = "This field is required."
    email = str(data.get("email") or "").strip()
    if email and "email" not in errors and not normalize_email(email).is_valid:
        errors["email"] = "Enter a valid e-mail address."
    phone = str(data.get("phone") or "").strip()
    if phone and "phone" not in errors and not normalize_phone(phone, Workspace.current().phone_region).is_valid:
        errors["phone"] = "Enter a valid phone number."
    return errors


def webchat_session_start(
    *, channel: Channel, name: str = "", email: str = "", phone: str = ""
) -> tuple[WebchatSession, str]:
    """A new visitor session; returns it with its secret token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    session = WebchatSession.objects.create(
        channel=channel,
        token_hash=_hash(token),
        name=clean_text(name.strip(), 255),
        email=clean_text(email.strip(), 320),
        phone=clean_text(phone.strip(), 64),
    )
    return session, token


def session_for_token(channel: Channel, token: str) -> WebchatSession | None:
    if not token:
        return None
    return WebchatSession.objects.filter(channel=channel, token_hash=_hash(token)).first()


def visitor_message(*, session: WebchatSession, text: str, client_id: str) -> Message:
    """A visitor's message, through the same ingest pipeline as every other channel."""
    from conversations.services import delivery_ingest

    inbound = InboundMessage(
        external_id=str(session.public_id),
        platform_message_id=f"{session.public_id}:{client_id}",
        sent_at=timezone.now(),
        body=clean_text(text.strip(), 4096),
        display_name=session.name,
        email=session.email,
        phone=session.phone,
        phone_is_international=False,
    )
    return delivery_ingest(channel=session.channel, delivery=ParsedDelivery(messages=[inbound]))[0]


def visitor_messages(*, session: WebchatSession, after: int = 0, limit: int = 100) -> list[Message]:
    """The visitor's side of the chat: what they wrote and what agents answered on web chat."""
    identity = ChannelIdentity.objects.filter(channel=session.channel, external_id=str(session.public_id)).first()
    if identity is None:
        return []
    messages = list(Message.objects.filter(identity=identity, pk__gt=after).order_by("pk")[:limit])
    delivered = [m.pk for m in messages if m.direction == Direction.OUTBOUND and m.status == DeliveryStatus.SENT]
    if delivered:
        with transaction.atomic():
            Message.objects.filter(pk__in=delivered).update(status=DeliveryStatus.DELIVERED)
    return messages
