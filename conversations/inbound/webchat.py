"""A web chat visitor's side of the conversation: their messages in, our replies out."""

import json

from django.core import signing
from django.db import transaction

from channels.models import ChannelIdentity, WebchatSession
from channels.platforms import webchat
from conversations.inbound.pipeline import delivery_ingest
from conversations.models import Attachment, AttachmentStatus, DeliveryStatus, Direction, Message


def visitor_message(*, session: WebchatSession, text: str, client_id: str) -> Message:
    """A visitor's message, read by the web chat platform like any delivery and ingested."""
    body = {
        "session_id": str(session.public_id),
        "message_id": client_id,
        "text": text,
        "name": session.name,
        "email": session.email,
        "phone": session.phone,
    }
    delivery = webchat.PLATFORM.parse(json.dumps(body).encode())
    return delivery_ingest(channel=session.channel, delivery=delivery)[0]


def visitor_messages(*, session: WebchatSession, after: int = 0, limit: int = 100) -> list[Message]:
    """What the visitor wrote and what agents answered on web chat, after a message id."""
    identity = ChannelIdentity.objects.filter(channel=session.channel, external_id=str(session.public_id)).first()
    if identity is None:
        return []
    return list(
        Message.objects.filter(identity=identity, pk__gt=after).prefetch_related("media").order_by("pk")[:limit]
    )


FILE_LINK_MAX_AGE = 7 * 24 * 3600  # seconds a download link in the widget stays valid
_FILE_SALT = "webchat-file"


def visitor_file_token(*, session: WebchatSession, attachment: Attachment) -> str:
    """A signed token naming one file for one visitor: the widget's download link (a link cannot
    carry the bearer token)."""
    return signing.dumps({"a": attachment.pk, "s": str(session.public_id)}, salt=_FILE_SALT, compress=True)


def visitor_file(*, channel, token: str) -> Attachment | None:
    """The stored attachment a valid token names, if it is in that visitor's conversation."""
    try:
        data = signing.loads(token, salt=_FILE_SALT, max_age=FILE_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return (
        Attachment.objects.select_related("message")
        .filter(
            pk=data.get("a"),
            status=AttachmentStatus.STORED,
            message__identity__channel=channel,
            message__identity__external_id=str(data.get("s")),
        )
        .first()
    )


def visitor_messages_seen(*, session: WebchatSession, up_to: int) -> int:
    """The widget showed our replies up to this id: they are delivered."""
    with transaction.atomic():
        return Message.objects.filter(
            identity__channel=session.channel,
            identity__external_id=str(session.public_id),
            direction=Direction.OUTBOUND,
            status=DeliveryStatus.SENT,
            pk__lte=up_to,
        ).update(status=DeliveryStatus.DELIVERED)
