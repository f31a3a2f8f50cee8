"""Timeline events: one helper every service uses to record what happened."""

from conversations.models import Event


def event_record(*, contact, kind: str, actor=None, conversation=None, data=None) -> Event:
    return Event.objects.create(
        contact_id=contact.root_id or contact.pk,
        profile_id=contact.root_id or contact.pk,
        conversation=conversation,
        kind=kind,
        actor=actor,
        data=data or {},
    )
