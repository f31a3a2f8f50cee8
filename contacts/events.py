"""Timeline events: one helper every service uses to record what happened."""

from django.utils import timezone

from config.notify import live_notify
from contacts.models import Event


def event_record(*, contact, kind: str, actor=None, conversation=None, data=None, at=None) -> Event:
    """An event on a conversation belongs to the conversation's profile (it goes where the
    conversation goes on unmerge); any other event to the visible contact it happened to."""
    visible_id = contact.root_id or contact.pk
    if conversation is not None:
        live_notify("conversation", conversation=conversation)
    else:
        live_notify("contact", contact_ids=[contact.root_id or contact.pk])
    return Event.objects.create(
        created_at=at or timezone.now(),
        contact_id=visible_id,
        profile_id=conversation.profile_id if conversation is not None else visible_id,
        conversation=conversation,
        kind=kind,
        actor=actor,
        data=data or {},
    )
