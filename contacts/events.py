"""Timeline events: one helper every service uses to record what happened."""

from django.utils import timezone

from config.notify import live_notify
from contacts.models import Event


def event_record(*, contact, kind: str, actor=None, conversation=None, data=None, at=None) -> Event:
    if conversation is not None:
        live_notify("conversation", conversation=conversation)
    else:
        live_notify("contact", contact_ids=[contact.root_id or contact.pk])
    return Event.objects.create(
        created_at=at or timezone.now(),
        contact_id=contact.root_id or contact.pk,
        profile_id=contact.root_id or contact.pk,
        conversation=conversation,
        kind=kind,
        actor=actor,
        data=data or {},
    )
