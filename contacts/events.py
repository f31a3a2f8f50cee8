"""Timeline events: one helper every service uses to record what happened."""

from django.utils import timezone

from config.notify import live_notify
from contacts.models import Event


def event_record(*, contact, kind: str, actor=None, conversation=None, data=None, at=None) -> Event:
    """An event on a conversation belongs to the conversation's profile (it goes where the
    conversation goes on unmerge); any other event to the visible contact it happened to."""
    event = event_build(contact=contact, kind=kind, actor=actor, conversation=conversation, data=data, at=at)
    events_record([event])
    return event


def event_build(*, contact, kind: str, actor=None, conversation=None, data=None, at=None) -> Event:
    """An event as `event_record` stores it, not saved yet (`events_record` stores many at once)."""
    visible_id = contact.root_id or contact.pk
    return Event(
        created_at=at or timezone.now(),
        contact_id=visible_id,
        profile_id=conversation.profile_id if conversation is not None else visible_id,
        conversation=conversation,
        kind=kind,
        actor=actor,
        data=data or {},
    )


def events_record(events: list[Event]) -> list[Event]:
    """Store built events in one insert, and tell open pages."""
    on_conversations = [event.conversation for event in events if event.conversation is not None]
    if on_conversations:
        live_notify("conversation", conversations=on_conversations)
    if len(on_conversations) < len(events):
        live_notify("contact", contact_ids=[event.contact_id for event in events if event.conversation is None])
    return Event.objects.bulk_create(events)
