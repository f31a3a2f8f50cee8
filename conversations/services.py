"""Writes on conversations and messages: the inbound pipeline and everything agents do.

Lock order, everywhere: contact rows (by ascending id) before conversation rows.
"""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from channels.inbound import InboundMessage, ParsedDelivery, StatusUpdate
from channels.models import Channel, ChannelIdentity
from channels.services import identity_add_keys_from, identity_for_inbound
from config import permissions
from contacts.models import Contact
from conversations.events import event_record
from conversations.models import (
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    EventKind,
    Message,
    OpenedBy,
    Workflow,
    WorkflowRun,
)

STATUS_ORDER = [DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ]


class SendRefused(Exception):
    """The message cannot go out on this channel now (closed messaging window, no client...)."""


def delivery_ingest(*, channel: Channel, delivery: ParsedDelivery) -> list[Message]:
    """Store one webhook delivery, all or nothing; redelivered messages are stored once."""
    with transaction.atomic():
        stored = [inbound_message_ingest(channel=channel, inbound=m) for m in delivery.messages]
        for status in delivery.statuses:
            message_status_update(channel=channel, update=status)
    return stored


def inbound_message_ingest(*, channel: Channel, inbound: InboundMessage) -> Message:
    """One inbound message: find or create the sender, join or open the conversation.

    Locks the sender's visible contact, so a merge moving the identity cannot interleave.
    """
    with transaction.atomic():
        duplicate = _stored(channel, inbound.platform_message_id)
        if duplicate is not None:
            return _apply_edit(duplicate, inbound) if inbound.is_edit else duplicate
        identity, created = identity_for_inbound(channel=channel, message=inbound)
        identity, contact = _lock_identity_contact(identity)
        if not created:
            identity_add_keys_from(identity=identity, message=inbound)
        conversation = _open_conversation_for(contact=contact, channel=channel, at=inbound.sent_at)
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    conversation=conversation,
                    identity=identity,
                    channel=channel,
                    direction=Direction.INBOUND,
                    body=inbound.body,
                    attachments=inbound.attachments,
                    platform_message_id=inbound.platform_message_id,
                    status=DeliveryStatus.RECEIVED,
                    reply_to=_reply_target(channel, inbound.reply_to_platform_ids),
                    created_at=inbound.sent_at,
                    edited_at=inbound.sent_at if inbound.is_edit else None,
                )
        except IntegrityError:
            # The same platform message, delivered twice at the same moment.
            return Message.objects.get(channel=channel, platform_message_id=inbound.platform_message_id)
        _hand_answer_to_waiting_workflow(conversation, message)
        ChannelIdentity.objects.filter(pk=identity.pk).update(last_inbound_at=inbound.sent_at)
        Conversation.objects.filter(pk=conversation.pk).update(
            last_message_at=inbound.sent_at, unread_count=F("unread_count") + 1
        )
    return message


def _hand_answer_to_waiting_workflow(conversation: Conversation, message: Message) -> None:
    run_id = (
        WorkflowRun.objects.filter(conversation=conversation, status=WorkflowRun.Status.WAITING)
        .values_list("pk", flat=True)
        .first()
    )
    if run_id is not None:
        from conversations.tasks import workflow_answer

        workflow_answer.enqueue(run_id=run_id, message_id=message.pk)


def _stored(channel: Channel, platform_message_id: str) -> Message | None:
    return Message.objects.filter(channel=channel, platform_message_id=platform_message_id).first()


def _apply_edit(message: Message, inbound: InboundMessage) -> Message:
    if inbound.body and inbound.body != message.body:
        Message.objects.filter(pk=message.pk).update(body=inbound.body, edited_at=inbound.sent_at)
        message.refresh_from_db()
    return message


def _lock_identity_contact(identity: ChannelIdentity) -> tuple[ChannelIdentity, Contact]:
    """Lock the contact that owns the identity now; follow it if a merge moved it meanwhile."""
    while True:
        contact = Contact.objects.select_for_update().get(pk=identity.contact_id)
        fresh = ChannelIdentity.objects.select_related("channel").get(pk=identity.pk)
        if fresh.contact_id == contact.pk:
            return fresh, contact
        identity = fresh


def _open_conversation_for(*, contact: Contact, channel: Channel, at) -> Conversation:
    """The contact's open conversation, or a new one opened by the contact (caller holds the lock)."""
    conversation = Conversation.objects.filter(contact=contact, status=ConversationStatus.OPEN).first()
    if conversation is not None:
        return conversation
    conversation = Conversation.objects.create(
        contact=contact,
        profile=contact,
        channel=channel,
        opened_by=OpenedBy.CONTACT,
        opened_at=at,
        last_message_at=at,
    )
    event_record(
        contact=contact,
        conversation=conversation,
        kind=EventKind.CONVERSATION_OPENED,
        data={"source": "contact", "channel": channel.kind},
        at=at,
    )
    if Workflow.objects.filter(is_active=True).exists():
        from conversations.tasks import workflow_start

        workflow_start.enqueue(conversation_id=conversation.pk)  # joins this transaction
    return conversation


def _reply_target(channel: Channel, platform_ids: tuple[str, ...]) -> Message | None:
    if not platform_ids:
        return None
    return Message.objects.filter(channel=channel, platform_message_id__in=platform_ids).order_by("-created_at").first()


def message_status_update(*, channel: Channel, update: StatusUpdate) -> bool:
    """Apply a delivery report to our outbound message; a status never goes backwards."""
    message = (
        Message.objects.select_for_update()
        .filter(channel=channel, platform_message_id=update.platform_message_id, direction=Direction.OUTBOUND)
        .first()
    )
    if message is None:
        return False
    if update.status == DeliveryStatus.FAILED:
        message.status, message.error = DeliveryStatus.FAILED, update.error or "Failed on the platform"
    elif message.status in STATUS_ORDER and STATUS_ORDER.index(update.status) > STATUS_ORDER.index(message.status):
        message.status = update.status
    else:
        return False
    message.save(update_fields=["status", "error"])
    return True


def message_send(*, actor, conversation: Conversation, identity: ChannelIdentity, body: str) -> Message:
    """Queue an agent's reply on one of the contact's channels; the worker delivers it."""
    from conversations.selectors import user_can_access_conversation
    from conversations.tasks import deliver_message

    permissions.require(user_can_access_conversation(actor, conversation))
    body = body.strip()
    if not body:
        raise SendRefused("The message is empty.")
    if identity.contact_id != conversation.contact_id:
        raise SendRefused("That channel does not belong to this contact.")
    if not identity.can_send_free_form():
        raise SendRefused(
            f"The {identity.channel.get_kind_display()} messaging window is closed: "
            "the contact has not written in the last 24 hours, so only a template can be sent."
        )
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation,
            identity=identity,
            channel=identity.channel,
            direction=Direction.OUTBOUND,
            body=body,
            status=DeliveryStatus.PENDING,
            author=actor,
        )
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=message.created_at, unread_count=0)
        deliver_message.enqueue(message_id=message.pk)
    return message


def bot_message_send(*, conversation: Conversation, body: str) -> Message | None:
    """A workflow's message to the contact, on the channel the contact last wrote from."""
    from conversations.tasks import deliver_message

    last_inbound = (
        Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
        .select_related("identity__channel")
        .order_by("-created_at", "-id")
        .first()
    )
    if last_inbound is None or not body.strip():
        return None
    identity = last_inbound.identity
    message = Message.objects.create(
        conversation=conversation,
        identity=identity,
        channel=identity.channel,
        direction=Direction.OUTBOUND,
        body=body.strip(),
        status=DeliveryStatus.PENDING,
    )
    deliver_message.enqueue(message_id=message.pk)
    return message


def message_retry(*, actor, message: Message) -> Message:
    from conversations.selectors import user_can_access_conversation
    from conversations.tasks import deliver_message

    permissions.require(user_can_access_conversation(actor, message.conversation))
    if message.status != DeliveryStatus.FAILED:
        raise SendRefused("Only a failed message can be retried.")
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(status=DeliveryStatus.PENDING, error="")
        deliver_message.enqueue(message_id=message.pk)
    message.refresh_from_db()
    return message


def conversation_mark_read(*, conversation: Conversation) -> None:
    """An agent opened the conversation: nothing in it is unread any more."""
    if conversation.unread_count:
        Conversation.objects.filter(pk=conversation.pk).update(unread_count=0)
        conversation.unread_count = 0


def conversation_close(*, actor, conversation: Conversation, reason: str = "") -> Conversation:
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if not conversation.is_open:
            return conversation
        conversation.status = ConversationStatus.CLOSED
        conversation.closed_at = timezone.now()
        conversation.save(update_fields=["status", "closed_at"])
        event_record(
            contact=conversation.contact,
            conversation=conversation,
            kind=EventKind.CONVERSATION_CLOSED,
            actor=actor,
            data={"reason": reason} if reason else {},
        )
    return conversation


def conversation_reopen(*, actor, conversation: Conversation) -> Conversation:
    """Reopen a closed conversation, unless the contact already has another one open."""
    with transaction.atomic():
        Contact.objects.select_for_update().get(pk=conversation.contact_id)
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.is_open:
            return conversation
        if Conversation.objects.filter(contact_id=conversation.contact_id, status=ConversationStatus.OPEN).exists():
            raise ValueError("This contact already has an open conversation; close it first.")
        conversation.status, conversation.closed_at = ConversationStatus.OPEN, None
        conversation.save(update_fields=["status", "closed_at"])
        event_record(
            contact=conversation.contact, conversation=conversation, kind=EventKind.CONVERSATION_REOPENED, actor=actor
        )
    return conversation


def conversation_assign(*, actor, conversation: Conversation, assignee, team=None) -> Conversation:
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        conversation.assignee = assignee
        if team is not None:
            conversation.team = team
        conversation.save(update_fields=["assignee", "team"])
        event_record(
            contact=conversation.contact,
            conversation=conversation,
            kind=EventKind.ASSIGNED,
            actor=actor,
            data={"assignee": assignee.get_username() if assignee else None, "team": team.name if team else None},
        )
    return conversation
