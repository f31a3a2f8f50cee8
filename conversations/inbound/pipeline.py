"""The inbound pipeline: a parsed delivery becomes identities, contacts, conversations and messages.

Lock order, everywhere: contact rows (by ascending id) before conversation rows.
"""

import dataclasses

from django.db import IntegrityError, transaction
from django.db.models import F

from channels.inbound import Action, InboundMessage, ParsedDelivery, PayloadError, StatusUpdate
from channels.models import Channel, ChannelIdentity
from channels.services import (
    identity_add_keys_from,
    identity_change_number,
    identity_change_scoped_id,
    identity_find_scoped,
    identity_for_inbound,
)
from config.notify import live_notify
from contacts.events import event_build, event_record, events_record
from contacts.models import Contact, EventKind
from contacts.normalize import clean_text
from conversations.attachments import attachments_store
from conversations.models import (
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Message,
    OpenedBy,
    Workflow,
    WorkflowRun,
)
from conversations.workflows.tasks import workflow_answer, workflow_start
from merging.detection import suggestions_refresh

STATUS_ORDER = [DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ]


def delivery_ingest(*, channel: Channel, delivery: ParsedDelivery) -> list[Message]:
    """Store one webhook delivery, all or nothing; redelivered messages are stored once."""
    with transaction.atomic():
        stored = [inbound_message_ingest(channel=channel, inbound=m) for m in delivery.messages]
        for status in delivery.statuses:
            message_status_update(channel=channel, update=status)
    return stored


def inbound_message_ingest(*, channel: Channel, inbound: InboundMessage) -> Message | None:
    """One inbound message: find or create the sender, join or open the conversation.

    Locks the sender's visible contact, so a merge moving the identity cannot interleave.
    An item that acts on an earlier message (edit, delete, reaction) changes that message and
    returns it; a reaction to, or deletion of, a message we never stored changes nothing.
    """
    if inbound.action in (Action.EDIT, Action.DELETE, Action.REACT):
        target = _act_on_target(channel, inbound)
        if target is not None:
            live_notify("message", message=target)  # edited, deleted or reacted to: the page re-reads it
        if target is not None or inbound.action != Action.EDIT:
            return target
        # An edit of a message we never received: keep the new text as the message.
    if inbound.action == Action.NUMBER_CHANGED:
        return _number_change(channel, inbound)
    if inbound.action == Action.SCOPED_ID_CHANGED:
        return _scoped_id_change(channel, inbound)
    inbound = _with_profile(channel, inbound)
    # Inside the worker's per-item savepoint this joins it (a savepoint more is a round trip more).
    with transaction.atomic(savepoint=False):
        duplicate = _stored(channel, inbound.platform_message_id)
        if duplicate is not None:
            return _apply_edit(duplicate, inbound) if inbound.is_edit else duplicate
        identity, created = identity_for_inbound(channel=channel, message=inbound)
        if created:  # rows of this transaction: nobody else can see them, let alone lock them
            contact = identity.contact
        else:
            identity, contact = _lock_identity_contact(identity)
        key_added = created or (not created and identity_add_keys_from(identity=identity, message=inbound))
        if key_added:
            suggestions_refresh(contact_id=contact.pk)  # a key arrived: its suggestion shows at once
        conversation = _open_conversation_for(contact=contact, identity=identity, at=inbound.sent_at)
        try:
            with transaction.atomic():
                message = inbound_row(conversation=conversation, identity=identity, channel=channel, inbound=inbound)
                message.reply_to = _reply_target(channel, inbound.reply_to_platform_ids)
                message.save(force_insert=True)
        except IntegrityError:
            # The same platform message, delivered twice at the same moment.
            return Message.objects.get(channel=channel, platform_message_id=inbound.platform_message_id)
        attachments_store(message=message, items=_without_nul(inbound.attachments), contents=inbound.media_bytes)
        _hand_answer_to_waiting_workflow(conversation, message)
        ChannelIdentity.objects.filter(pk=identity.pk).update(last_inbound_at=inbound.sent_at)
        Conversation.objects.filter(pk=conversation.pk).update(
            last_message_at=inbound.sent_at, unread_count=F("unread_count") + 1
        )
        live_notify("message", conversation=conversation, message=message)
    return message


def inbound_row(*, conversation: Conversation, identity: ChannelIdentity, channel: Channel, inbound) -> Message:
    """The message row of an inbound message, not saved yet."""
    return Message(
        conversation=conversation,
        identity=identity,
        channel=channel,
        direction=Direction.INBOUND,
        body=inbound.body,
        attachments=_without_nul(inbound.attachments),
        platform_message_id=inbound.platform_message_id,
        status=DeliveryStatus.RECEIVED,
        created_at=inbound.sent_at,
        edited_at=inbound.sent_at if inbound.is_edit else None,
    )


def _with_profile(channel: Channel, inbound: InboundMessage) -> InboundMessage:
    """A first message from someone whose webhook carries no name: ask the platform who it is."""
    lookup = channel.platform.profile
    if lookup is None or inbound.display_name:
        return inbound
    if (
        ChannelIdentity.objects.filter(channel=channel, external_id=inbound.external_id)
        .exclude(display_name="")
        .exists()
    ):
        return inbound
    found = lookup(channel, inbound.external_id)
    return dataclasses.replace(
        inbound,
        display_name=clean_text(found.get("name", ""), 255),
        username=inbound.username or clean_text(found.get("username", ""), 255),
        picture_url=inbound.picture_url or found.get("picture_url", ""),
    )


def _act_on_target(channel: Channel, inbound: InboundMessage) -> Message | None:
    with transaction.atomic():
        target = (
            Message.objects.select_for_update()
            .select_related("identity")
            .filter(channel=channel, platform_message_id=inbound.target_platform_id)
            .first()
        )
        if target is None:
            return None
        if inbound.external_id != target.identity.external_id and inbound.scoped_id != target.identity.scoped_id:
            raise PayloadError(f"{inbound.action} of a message in someone else's conversation")
        if inbound.action == Action.EDIT:
            target.body, target.edited_at = inbound.body or target.body, inbound.sent_at
            target.save(update_fields=["body", "edited_at"])
        elif inbound.action == Action.DELETE:
            target.deleted_at = target.deleted_at or inbound.sent_at
            target.save(update_fields=["deleted_at"])
        else:
            others = [r for r in target.reactions if r.get("by") != "contact"]
            mine = [{"emoji": inbound.body, "by": "contact", "at": inbound.sent_at.isoformat()}] if inbound.body else []
            target.reactions = others + mine
            target.save(update_fields=["reactions"])
    return target


def _number_change(channel: Channel, inbound: InboundMessage) -> None:
    with transaction.atomic():
        identity = ChannelIdentity.objects.filter(channel=channel, external_id=inbound.external_id).first()
        if identity is None:
            return None  # a number change of someone who never wrote to us: nothing to update
        identity, contact = _lock_identity_contact(identity)
        identity_change_number(identity=identity, message=inbound)
        suggestions_refresh(contact_id=contact.pk)  # the new phone may be another contact's
        event_record(
            contact=contact,
            kind=EventKind.PROPERTY_CHANGED,
            data={"reason": inbound.body or f"phone number changed to +{inbound.phone}"},
            at=inbound.sent_at,
        )
    return None


def _scoped_id_change(channel: Channel, inbound: InboundMessage) -> None:
    with transaction.atomic():
        identity = identity_find_scoped(channel=channel, message=inbound)
        if identity is None:
            return None  # someone who never wrote to us: nothing to update
        identity, contact = _lock_identity_contact(identity)
        identity_change_scoped_id(identity=identity, message=inbound)
        event_record(
            contact=contact,
            kind=EventKind.PROPERTY_CHANGED,
            data={"reason": inbound.body or f"WhatsApp user id changed to {inbound.scoped_id}"},
            at=inbound.sent_at,
        )
    return None


def _without_nul(value):
    """JSON as PostgreSQL stores it: jsonb refuses NUL in strings, whichever field a platform put it in."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def _hand_answer_to_waiting_workflow(conversation: Conversation, message: Message) -> None:
    run_id = (
        WorkflowRun.objects.filter(conversation=conversation, status=WorkflowRun.Status.WAITING)
        .values_list("pk", flat=True)
        .first()
    )
    if run_id is not None:
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
            fresh.contact = contact
            if fresh.profile_id == contact.pk:
                fresh.profile = contact
            return fresh, contact
        identity = fresh


def _open_conversation_for(*, contact: Contact, identity: ChannelIdentity, at) -> Conversation:
    """The contact's open conversation, or a new one opened by the contact (caller holds the lock)."""
    conversation = Conversation.objects.filter(contact=contact, status=ConversationStatus.OPEN).first()
    if conversation is not None:
        return conversation
    return conversations_open_by_contacts(openings=[(contact, identity, at)])[0]


def conversations_open_by_contacts(*, openings: list[tuple[Contact, ChannelIdentity, object]]) -> list:
    """New conversations opened by contacts that have none open (the caller holds their locks),
    one per (contact, identity that wrote, when), on the identity's channel, with their events;
    workflows start on them.

    A new one belongs to the profile of the identity that opened it: an unmerge gives it back
    to that profile (docs/merging.md).
    """
    conversations = Conversation.objects.bulk_create(
        [
            Conversation(
                contact=contact,
                profile_id=identity.profile_id,
                channel=identity.channel,
                opened_by=OpenedBy.CONTACT,
                opened_at=at,
                last_message_at=at,
            )
            for contact, identity, at in openings
        ]
    )
    events_record(
        [
            event_build(
                contact=contact,
                conversation=conversation,
                kind=EventKind.CONVERSATION_OPENED,
                data={"source": "contact", "channel": identity.channel.kind},
                at=at,
            )
            for (contact, identity, at), conversation in zip(openings, conversations, strict=True)
        ]
    )
    if conversations and Workflow.objects.filter(is_active=True).exists():
        for conversation in conversations:
            workflow_start.enqueue(conversation_id=conversation.pk)  # joins this transaction
    return conversations


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
    live_notify("message", message=message)
    return True
