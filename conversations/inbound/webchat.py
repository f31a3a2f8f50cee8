"""A web chat visitor's side of the conversation: their messages in, our replies out."""

import json

from django.core import signing
from django.db import transaction

from channels.delivery_log import delivery_accept
from channels.models import ChannelIdentity, InboundDelivery, WebchatSession
from conversations.models import Attachment, AttachmentStatus, DeliveryStatus, Direction, Message


def visitor_message(*, session: WebchatSession, text: str, client_id: str) -> InboundDelivery:
    """A visitor's message goes through the inbound log like every platform's delivery: kept in
    one insert now, stored as a message by the inbound workers (the widget shows it at once, marked
    as sending, until its poll returns the stored message with the same client id)."""
    body = {
        "session_id": str(session.public_id),
        "message_id": client_id,
        "text": text,
        "name": session.name,
        "email": session.email,
        "phone": session.phone,
    }
    return delivery_accept(channel=session.channel, body=json.dumps(body).encode(), headers={})


def visitor_client_id(message: Message) -> str:
    """The widget's own id of a visitor's message ("" for our replies)."""
    if message.direction != Direction.INBOUND:
        return ""
    return message.platform_message_id.partition(":")[2]


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
