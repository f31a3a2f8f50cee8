"""Writes on conversations and messages: everything agents (and workflows) do.

Lock order, everywhere: contact rows (by ascending id) before conversation rows.
"""

from django.db import transaction
from django.utils import timezone

from channels.models import ChannelIdentity
from config.notify import live_notify
from config.workspace import permissions
from contacts.events import event_record
from contacts.models import Contact, EventKind
from conversations.attachments import Upload, outbound_attachment_add, upload_refusal
from conversations.models import (
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Message,
)
from conversations.tasks import deliver_message


def _require_sees(actor, conversation: Conversation) -> None:
    """Users act only on conversations they may see; `actor=None` is the system (workflows, merges)."""
    if actor is not None:
        permissions.require(permissions.can_see_conversation(actor, conversation), "You cannot see this conversation.")


class SendRefused(Exception):
    """The message cannot go out on this channel now (closed messaging window, no client...)."""


def message_send(
    *, actor, conversation: Conversation, identity: ChannelIdentity, body: str, upload: Upload | None = None
) -> Message:
    """Queue an agent's reply (text, and optionally one file) on one of the contact's channels;
    the worker delivers it."""
    _require_sees(actor, conversation)
    permissions.require(permissions.can_send_on(actor, identity), "You cannot send on this channel.")
    body = body.strip()
    if not body and upload is None:
        raise SendRefused("The message is empty.")
    if upload is not None and (refusal := upload_refusal(channel=identity.channel, upload=upload)):
        raise SendRefused(refusal)
    if identity.contact_id != conversation.contact_id:
        raise SendRefused("That channel does not belong to this contact.")
    if not identity.can_send_free_form():
        hours = int(identity.channel.platform.messaging_window.total_seconds() // 3600)
        raise SendRefused(
            f"The {identity.channel.get_kind_display()} messaging window is closed: "
            f"the contact has not written in the last {hours} hours, so only a template can be sent."
        )
    with transaction.atomic():
        conversation = _reply_conversation(actor=actor, conversation=conversation)
        message = Message.objects.create(
            conversation=conversation,
            identity=identity,
            channel=identity.channel,
            direction=Direction.OUTBOUND,
            body=body,
            status=DeliveryStatus.PENDING,
            author=actor,
        )
        if upload is not None:
            outbound_attachment_add(message=message, upload=upload)
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=message.created_at, unread_count=0)
        deliver_message.enqueue(message_id=message.pk)
        live_notify("message", conversation=conversation, message=message)
    return message


def _reply_conversation(*, actor, conversation: Conversation) -> Conversation:
    """Where a reply typed in `conversation` goes: there when it is open; else into the contact's
    open conversation; else `conversation` is reopened (a reply never lands in a closed one).
    Locks the contact, then the conversation (the caller holds the transaction)."""
    Contact.objects.select_for_update().get(pk=conversation.contact_id)
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.is_open:
        return conversation
    open_one = Conversation.objects.filter(contact_id=conversation.contact_id, status=ConversationStatus.OPEN).first()
    if open_one is not None:
        return open_one
    conversation.status, conversation.closed_at = ConversationStatus.OPEN, None
    conversation.save(update_fields=["status", "closed_at"])
    event_record(
        contact=conversation.contact, conversation=conversation, kind=EventKind.CONVERSATION_REOPENED, actor=actor
    )
    return conversation


def bot_message_send(*, conversation: Conversation, body: str) -> Message | None:
    """A workflow's message to the contact, on the channel the contact last wrote from."""
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
    live_notify("message", conversation=conversation, message=message)
    return message


def message_retry(*, actor, message: Message) -> Message:
    _require_sees(actor, message.conversation)
    permissions.require(permissions.can_send_on(actor, message.identity), "You cannot send on this channel.")
    if message.status != DeliveryStatus.FAILED:
        raise SendRefused("Only a failed message can be retried.")
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(status=DeliveryStatus.PENDING, error="")
        deliver_message.enqueue(message_id=message.pk)
        live_notify("message", message=message)
    message.refresh_from_db()
    return message


def conversation_mark_read(*, conversation: Conversation) -> None:
    """An agent opened the conversation: nothing in it is unread any more."""
    if conversation.unread_count:
        Conversation.objects.filter(pk=conversation.pk).update(unread_count=0)
        conversation.unread_count = 0
        live_notify("conversation", conversation=conversation)


def conversation_close(
    *, actor, conversation: Conversation, reason: str = "", continues_in: Conversation | None = None
) -> Conversation:
    """Close it; `continues_in`: the conversation that goes on instead (a merge keeps the other one)."""
    _require_sees(actor, conversation)
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
            data=({"reason": reason} if reason else {}) | ({"continues_in": continues_in.pk} if continues_in else {}),
        )
    return conversation


def conversation_reopen(*, actor, conversation: Conversation) -> Conversation:
    """Reopen a closed conversation, unless the contact already has another one open."""
    _require_sees(actor, conversation)
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


def conversation_assign(*, actor, conversation: Conversation, assignee, team=None, via: str = "") -> Conversation:
    """Give the conversation to `assignee` (None: unassigned), who must be allowed to see it."""
    _require_sees(actor, conversation)
    permissions.require(permissions.may_be_assigned(assignee, conversation), "That user cannot see this conversation.")
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        conversation.assignee = assignee
        if team is not None:
            conversation.team = team
        conversation.save(update_fields=["assignee", "team"])
        data = {"assignee": assignee.get_username() if assignee else None, "team": team.name if team else None}
        event_record(
            contact=conversation.contact,
            conversation=conversation,
            kind=EventKind.ASSIGNED,
            actor=actor,
            data={**data, "by": via} if via else data,
        )
    return conversation


def conversation_route_to_team(*, actor, conversation: Conversation, team, via: str = "") -> Conversation:
    """Hand the conversation to a team (its members see it in "My teams")."""
    _require_sees(actor, conversation)
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        conversation.team = team
        conversation.save(update_fields=["team"])
        event_record(
            contact=conversation.contact,
            conversation=conversation,
            kind=EventKind.ASSIGNED,
            actor=actor,
            data={"team": team.name, "by": via} if via else {"team": team.name},
        )
    return conversation


def conversation_field_set(*, conversation: Conversation, name: str, value) -> Conversation:
    """A conversation field (set by a workflow answer), written under the conversation's lock."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        conversation.fields = {**conversation.fields, name: value}
        conversation.save(update_fields=["fields"])
    return conversation
