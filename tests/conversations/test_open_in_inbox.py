""""Open in inbox" leads to the contact's open conversation, and a reply never lands in a closed one."""

from django.urls import reverse

from conversations.models import Conversation, ConversationStatus
from conversations.services import conversation_close, message_send
from tests.factories import contact_of, inbound


def _closed_then_open(whatsapp, manager):
    first = inbound(whatsapp, "6281234567890", "first visit", name="Rina")
    conversation_close(actor=manager, conversation=first.conversation)
    second = inbound(whatsapp, "6281234567890", "back again", name="Rina")
    assert second.conversation_id != first.conversation_id
    # The closed one was touched last (e.g. a late status update): ordering by date would pick it.
    Conversation.objects.filter(pk=first.conversation_id).update(last_message_at=second.created_at)
    return first.conversation, second.conversation


def test_open_in_inbox_opens_the_open_conversation_even_when_a_closed_one_is_newer(client, manager, whatsapp):
    closed, open_one = _closed_then_open(whatsapp, manager)
    client.force_login(manager)
    response = client.get(reverse("conversations:contact", args=[open_one.contact_id]))
    assert response.status_code == 302 and response.url == reverse("conversations:detail", args=[open_one.pk])


def test_open_in_inbox_opens_the_latest_conversation_when_none_is_open(client, manager, whatsapp):
    message = inbound(whatsapp, "6281234567890", "hello", name="Rina")
    conversation_close(actor=manager, conversation=message.conversation)
    client.force_login(manager)
    response = client.get(reverse("conversations:contact", args=[message.conversation.contact_id]))
    assert response.url == reverse("conversations:detail", args=[message.conversation_id])


def test_a_reply_typed_in_a_closed_conversation_goes_into_the_open_one(manager, whatsapp):
    closed, open_one = _closed_then_open(whatsapp, manager)
    identity = contact_of(inbound(whatsapp, "6281234567890", "x")).identities.get()
    message = message_send(actor=manager, conversation=closed, identity=identity, body="on it")
    assert message.conversation_id == open_one.pk
    closed.refresh_from_db()
    assert closed.status == ConversationStatus.CLOSED


def test_a_reply_in_a_closed_conversation_reopens_it_when_nothing_else_is_open(client, manager, whatsapp):
    message = inbound(whatsapp, "6281234567890", "hello", name="Rina")
    conversation = conversation_close(actor=manager, conversation=message.conversation)
    client.force_login(manager)
    client.post(
        reverse("conversations:send", args=[conversation.pk]), {"identity": message.identity_id, "body": "still there?"}
    )
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN
    assert conversation.messages.filter(body="still there?").exists()
    assert conversation.events.filter(kind="conversation_reopened").exists()
