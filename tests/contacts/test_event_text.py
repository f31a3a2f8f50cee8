"""Timeline events say what changed, in the reader's language (rendered from structured data)."""

from django.urls import reverse
from django.utils import translation

from contacts.event_text import event_text
from contacts.models import Event, EventKind
from contacts.services import contact_profile_update
from conversations.services import conversation_close
from tests.factories import contact_of, inbound


def _event(kind, data, **extra):
    return Event(kind=kind, data=data, **extra)


def test_a_profile_edit_says_which_property_changed_from_what_to_what(manager, whatsapp):
    contact = contact_of(inbound(whatsapp, "6281234567890", "hi", name="Sheena"))
    contact_profile_update(actor=manager, contact=contact, name="Sheena Nelson", email="sheena@example.com")
    event = Event.objects.get(contact=contact, kind=EventKind.PROPERTY_CHANGED)
    assert event.data["name"] == ["Sheena", "Sheena Nelson"]  # data, not a sentence
    text = event_text(event)
    assert "Sheena → Sheena Nelson" in text and "sheena@example.com" in text
    assert text != "Property changed"


def test_workflow_events_name_the_team_the_answer_and_the_field():
    routed = _event(EventKind.WORKFLOW, {"workflow": "Sales", "step": "routed to team", "team": "Support"})
    assert event_text(routed) == "Workflow “Sales” routed the conversation to team Support"
    saved = _event(
        EventKind.WORKFLOW, {"workflow": "Sales", "step": "answer saved", "field": "contact.email", "value": "a@b.co"}
    )
    assert "“a@b.co”" in event_text(saved) and "e-mail" in event_text(saved)
    assigned = _event(EventKind.WORKFLOW, {"workflow": "Sales", "step": "assigned", "agent": "ayu"})
    assert "ayu" in event_text(assigned)
    unknown = _event(EventKind.WORKFLOW, {"workflow": "Sales", "step": "something new"})
    assert "Sales" in event_text(unknown)


def test_assignment_events_say_to_whom_and_which_team():
    assert event_text(_event(EventKind.ASSIGNED, {"assignee": "ayu", "team": None})) == "Assigned to ayu"
    assert event_text(_event(EventKind.ASSIGNED, {"assignee": None, "team": "Sales"})) == "Routed to team Sales"
    by_workflow = event_text(_event(EventKind.ASSIGNED, {"assignee": "ayu", "team": "Sales", "by": "workflow"}))
    assert "ayu" in by_workflow and "Sales" in by_workflow and "workflow" in by_workflow


def test_a_merge_event_names_the_fields_taken_and_never_reads_source():
    merged = _event(
        EventKind.MERGED,
        {
            "source": 50,
            "source_name": "Sheena Mail",
            "choices": {"email": "source", "phone": "source", "name": "target"},
        },
    )
    text = event_text(merged)
    assert "Sheena Mail" in text and "E-mail, Phone" in text and "#50" in text
    assert "email: source" not in text and "source" not in text.replace("Sheena", "")


def test_the_same_event_reads_in_each_readers_language(manager, whatsapp):
    message = inbound(whatsapp, "6281234567890", "hi")
    conversation_close(actor=manager, conversation=message.conversation)
    event = Event.objects.get(kind=EventKind.CONVERSATION_CLOSED)
    assert event_text(event).startswith("Conversation closed")
    with translation.override("fr"):
        assert event_text(event).startswith("Conversation fermée")


def test_the_timeline_shows_the_specific_text(client, manager, whatsapp):
    message = inbound(whatsapp, "6281234567890", "hi", name="Sheena")
    contact_profile_update(actor=manager, contact=contact_of(message), name="Sheena N")
    client.force_login(manager)
    body = client.get(reverse("conversations:detail", args=[message.conversation_id])).content.decode()
    assert "Profile changed: name Sheena → Sheena N" in body
