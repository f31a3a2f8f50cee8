from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations.models import Conversation, Message
from tests.factories import contact_of, inbound

HTMX = {"HX-Request": "true"}


@pytest.fixture
def conversation(whatsapp):
    return inbound(whatsapp, "6281234567890", "Halo, masih ada?", name="Sheena").conversation


def test_inbox_lists_conversations_for_an_agent_with_access(client, agent, conversation):
    client.force_login(agent)
    response = client.get(reverse("conversations:inbox"))
    assert response.status_code == 200
    assert b"Sheena" in response.content and b"<html" in response.content


def test_inbox_htmx_request_for_the_list_returns_only_the_fragment(client, agent, conversation):
    client.force_login(agent)
    response = client.get(reverse("conversations:inbox"), headers={**HTMX, "HX-Target": "conversation-list"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="conversation-list"' in response.content


def test_inbox_requires_login(client):
    response = client.get(reverse("conversations:inbox"))
    assert response.status_code == 302 and "/login/" in response.url


def test_agent_without_channel_access_gets_404_for_the_conversation(client, agent_without_access, conversation):
    client.force_login(agent_without_access)
    assert client.get(reverse("conversations:detail", args=[conversation.pk])).status_code == 404


def test_agent_without_channel_access_sees_an_empty_inbox(client, agent_without_access, conversation):
    client.force_login(agent_without_access)
    assert b"Sheena" not in client.get(reverse("conversations:inbox")).content


def test_conversation_shows_one_timeline_across_channels(client, manager, whatsapp, email_channel, conversation):
    from merging.services import contact_merge

    mail = contact_of(inbound(email_channel, "sheena@example.com", "Another colour by mail"))
    contact_merge(actor=manager, target=conversation.contact, source=mail)
    client.force_login(manager)
    response = client.get(reverse("conversations:detail", args=[conversation.pk]))
    body = response.content.decode()
    assert "Halo, masih ada?" in body and "Another colour by mail" in body
    assert 'class="badge ch-whatsapp"' in body and 'class="badge ch-email"' in body


def test_composer_lists_the_main_channel_first_and_shows_whether_it_can_send(
    client, manager, whatsapp, email_channel, conversation
):
    from merging.services import contact_merge

    mail = contact_of(inbound(email_channel, "sheena@example.com", "mail"))
    contact_merge(actor=manager, target=conversation.contact, source=mail)
    client.force_login(manager)
    body = client.get(reverse("conversations:detail", args=[conversation.pk])).content.decode()
    select = body[body.index('id="identity"') :]
    assert select.index("6281234567890") < select.index("sheena@example.com")
    assert "★" in select[: select.index("sheena@example.com")]
    assert "can send now" in select


def test_conversation_pane_fragment_for_htmx(client, agent, conversation):
    client.force_login(agent)
    response = client.get(
        reverse("conversations:detail", args=[conversation.pk]), headers={**HTMX, "HX-Target": "conversation-pane"}
    )
    assert b"<html" not in response.content and b'id="conversation-pane"' in response.content


def test_send_queues_the_reply_and_shows_it(client, agent, conversation, whatsapp):
    client.force_login(agent)
    identity = conversation.contact.identities.get()
    response = client.post(
        reverse("conversations:send", args=[conversation.pk]),
        {"identity": identity.pk, "body": "Masih, kak!"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert b"Masih, kak!" in response.content
    assert Message.objects.get(direction="out").status == "pending"


def test_send_without_text_re_renders_the_form_with_an_error(client, agent, conversation):
    client.force_login(agent)
    identity = conversation.contact.identities.get()
    response = client.post(
        reverse("conversations:send", args=[conversation.pk]), {"identity": identity.pk, "body": ""}, headers=HTMX
    )
    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert not Message.objects.filter(direction="out").exists()


def test_send_is_post_only(client, agent, conversation):
    client.force_login(agent)
    assert client.get(reverse("conversations:send", args=[conversation.pk])).status_code == 405


def test_send_works_as_a_normal_post_without_htmx(client, agent, conversation):
    client.force_login(agent)
    identity = conversation.contact.identities.get()
    response = client.post(
        reverse("conversations:send", args=[conversation.pk]), {"identity": identity.pk, "body": "ok"}
    )
    assert response.status_code == 302


def test_close_and_reopen(client, agent, conversation):
    client.force_login(agent)
    client.post(reverse("conversations:close", args=[conversation.pk]), headers=HTMX)
    conversation.refresh_from_db()
    assert conversation.status == "closed"
    client.post(reverse("conversations:reopen", args=[conversation.pk]), headers=HTMX)
    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_comment_appears_in_the_timeline(client, agent, conversation):
    client.force_login(agent)
    response = client.post(
        reverse("conversations:comment", args=[conversation.pk]), {"body": "verify identity next time"}, headers=HTMX
    )
    assert b"verify identity next time" in response.content


def test_assign_to_an_agent(client, manager, agent, conversation):
    client.force_login(manager)
    client.post(reverse("conversations:assign", args=[conversation.pk]), {"assignee": agent.pk}, headers=HTMX)
    conversation.refresh_from_db()
    assert conversation.assignee == agent


def test_updates_says_204_when_nothing_is_new_and_triggers_a_refresh_when_something_is(client, agent, whatsapp):
    client.force_login(agent)
    first = client.get(reverse("live_updates"))
    cursor = first["X-Updates-Cursor"]
    assert client.get(reverse("live_updates"), {"cursor": cursor}).status_code == 204
    inbound(whatsapp, "6281234567890", "new", at=timezone.now() - timedelta(days=3))  # late platform timestamp
    response = client.get(reverse("live_updates"), {"cursor": cursor})
    assert response.status_code == 200 and "inbox-changed" in response["HX-Trigger"]
    assert response["X-Updates-Cursor"] != cursor


def test_long_history_is_paged_and_earlier_messages_load_on_demand(client, agent, whatsapp, conversation):
    for i in range(40):
        inbound(whatsapp, "6281234567890", f"message number {i}")
    client.force_login(agent)
    body = client.get(reverse("conversations:detail", args=[conversation.pk])).content.decode()
    assert "message number 39" in body and "Halo, masih ada?" not in body
    start = body.index("?before=") + len("?before=")
    cursor = body[start : body.index('"', start)]
    older = client.get(reverse("conversations:older", args=[conversation.pk]) + "?before=" + cursor).content.decode()
    assert "Halo, masih ada?" in older and "message number 39" not in older


def test_inbox_query_count_does_not_grow_with_conversations(client, manager, whatsapp, django_assert_max_num_queries):
    for i in range(3):
        inbound(whatsapp, f"62812000000{i}", "hi")
    client.force_login(manager)
    client.get(reverse("conversations:inbox"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("conversations:inbox"))
    for i in range(3, 25):
        inbound(whatsapp, f"62812000000{i:02d}", "hi")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("conversations:inbox"))


def test_conversation_view_query_count_is_bounded(
    client, manager, whatsapp, conversation, django_assert_max_num_queries
):
    for i in range(30):
        inbound(whatsapp, "6281234567890", f"m{i}")
    client.force_login(manager)
    with django_assert_max_num_queries(30):
        client.get(reverse("conversations:detail", args=[conversation.pk]))


def test_an_absorbed_contacts_inbox_link_leads_to_the_merged_contact(client, manager, webchat, conversation):
    from merging.services import contact_merge

    other = contact_of(inbound(webchat, "s1"))
    contact_merge(actor=manager, target=conversation.contact, source=other)
    client.force_login(manager)
    response = client.get(reverse("conversations:contact", args=[other.pk]))
    assert response.status_code == 302
    assert Conversation.objects.get(pk=int(response.url.rstrip("/").split("/")[-1])).contact == conversation.contact
