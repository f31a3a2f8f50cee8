"""Delivering an outbound message through its channel's platform, and recording the outcome."""

import logging

from django.db import transaction

from channels import platforms
from config.notify import live_notify
from conversations.models import AttachmentStatus, DeliveryStatus, Direction, Message

log = logging.getLogger(__name__)


def message_deliver(*, message_id: int) -> str:
    """Send one pending message; it ends "sent" or "failed" with the reason, never stays pending."""
    message = Message.objects.select_related("channel", "identity", "conversation").get(pk=message_id)
    if message.status != DeliveryStatus.PENDING:
        return message.status
    try:
        platform_id = platforms.send_text(_outbound(message))
    except platforms.SendFailed as exc:
        return _failed(message, str(exc))
    except Exception as exc:  # any other error must still end the message as failed, with a Retry
        log.exception("sending message %s failed", message_id)
        return _failed(message, f"{exc.__class__.__name__}: {exc}")
    with transaction.atomic():
        Message.objects.filter(pk=message_id, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SENT, platform_message_id=platform_id
        )
        live_notify("message", message=message)
    return DeliveryStatus.SENT


def _failed(message: Message, reason: str) -> str:
    Message.objects.filter(pk=message.pk, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, error=reason[:2000]
    )
    live_notify("message", message=message)
    return DeliveryStatus.FAILED


def _outbound(message: Message) -> platforms.Outbound:
    """What the platform client needs: for e-mail, the thread of the contact's last message."""
    last_inbound = (
        Message.objects.filter(
            conversation=message.conversation, identity=message.identity, direction=Direction.INBOUND
        )
        .order_by("-created_at", "-id")
        .only("platform_message_id", "body")
        .first()
    )
    return platforms.Outbound(
        media=_media(message),
        channel=message.channel,
        recipient=message.identity.external_id,
        body=message.body,
        local_id=message.pk,
        in_reply_to=last_inbound.platform_message_id if last_inbound else "",
        subject=_reply_subject(last_inbound.body) if last_inbound else "",
    )


def _media(message: Message) -> platforms.OutboundMedia | None:
    attachment = message.media.filter(status=AttachmentStatus.STORED).exclude(file="").order_by("pk").first()
    if attachment is None:
        return None
    with attachment.file.open("rb") as handle:
        content = handle.read()
    return platforms.OutboundMedia(
        kind=attachment.kind,
        filename=attachment.display_name,
        content_type=attachment.content_type,
        content=content,
    )


def _reply_subject(body: str) -> str:
    first_line = body.split("\n", 1)[0].strip()
    if not first_line:
        return ""
    return first_line if first_line.lower().startswith("re:") else f"Re: {first_line}"[:200]
