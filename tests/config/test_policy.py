"""The one permission policy: channel access decides what an agent sees, after any merge too."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from channels.models import ChannelIdentity, ChannelKind
from config.workspace import permissions
from contacts.selectors import visible_contacts
from contacts.services import comment_add
from conversations.models import Conversation, Message
from conversations.selectors import visible_conversations
from merging.services import contact_merge
from tests.factories import UserFactory, contact_of, inbound, make_channel, make_team

SECRET_TEXT = "card ending 4242 via messenger"
SECRET_NOTE = "messenger-only internal note"


@pytest.fixture
def messenger(db):
    return make_channel(ChannelKind.MESSENGER)


@pytest.fixture
def merged_with_messenger(whatsapp, messenger, manager):
    """A WhatsApp contact the agent can see, with a Messenger contact merged into it by a manager."""
    wa_message = inbound(whatsapp, "6281234567890", "hello on whatsapp")
    messenger_message = inbound(messenger, "psid-777", SECRET_TEXT, name="Sheena FB")
    messenger_conversation = messenger_message.conversation
    comment_add(
        actor=manager, contact=contact_of(messenger_message), conversation=messenger_conversation, body=SECRET_NOTE
    )
    contact_merge(actor=manager, target=contact_of(wa_message), source=contact_of(messenger_message))
    return {
        "contact": contact_of(wa_message),
        "wa_conversation": Conversation.objects.get(pk=wa_message.conversation_id),
        "messenger_conversation": messenger_conversation,
        "messenger_identity": ChannelIdentity.objects.get(channel=messenger),
    }


def test_after_a_merge_an_agent_sees_nothing_of_a_channel_they_have_no_access_to(client, agent, merged_with_messenger):
    merged = merged_with_messenger
    client.force_login(agent)
    wa_conversation = merged["wa_conversation"]
    pages = [
        reverse("conversations:inbox"),
        reverse("conversations:inbox") + "?q=Sheena",
        reverse("conversations:detail", args=[wa_conversation.pk]),
        reverse("conversations:older", args=[wa_conversation.pk]) + "?before=32472144000000000_999999999",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert SECRET_TEXT not in page and SECRET_NOTE not in page, url
        assert "psid-777" not in page, url
    htmx = {"HX-Request": "true", "HX-Target": "conversation-pane"}
    fragment = client.get(reverse("conversations:detail", args=[wa_conversation.pk]), headers=htmx).content.decode()
    composer = fragment[
        fragment.index('name="identity"') : fragment.index("</select>", fragment.index('name="identity"'))
    ]
    assert SECRET_TEXT not in fragment and merged["messenger_identity"].channel.name not in composer
    assert client.get(reverse("conversations:detail", args=[merged["messenger_conversation"].pk])).status_code == 404


def test_a_crafted_post_to_send_on_a_hidden_channel_is_refused(client, agent, merged_with_messenger):
    merged = merged_with_messenger
    client.force_login(agent)
    before = Message.objects.count()
    client.post(
        reverse("conversations:send", args=[merged["wa_conversation"].pk]),
        {"identity": merged["messenger_identity"].pk, "body": "sneaky reply"},
    )
    assert Message.objects.count() == before
    assert not Message.objects.filter(body="sneaky reply").exists()


def test_team_grants_and_direct_grants_answer_the_same_through_guardian_and_the_selectors(whatsapp, telegram):
    direct = UserFactory(username="direct", role="agent")
    member = UserFactory(username="member", role="agent")
    outsider = UserFactory(username="outsider", role="agent")
    assign_perm(permissions.ACCESS_CHANNEL, direct, whatsapp)
    team = make_team("Support", member)
    assign_perm(permissions.ACCESS_CHANNEL, team.group, whatsapp)
    customer = contact_of(inbound(whatsapp, "6281234567890"))
    for user, may in ((direct, True), (member, True), (outsider, False)):
        user = type(user).objects.get(pk=user.pk)  # no permission cache from earlier questions
        assert user.has_perm(permissions.ACCESS_CHANNEL, whatsapp) is may
        assert not user.has_perm(permissions.ACCESS_CHANNEL, telegram)
        assert (whatsapp.pk in permissions.channel_ids(user)) is may
        assert list(visible_contacts(user)) == ([customer] if may else [])
        assert visible_conversations(user).exists() is may


def test_the_assignee_list_holds_only_users_who_may_see_the_conversation(
    client, manager, agent, agent_without_access, admin_user, whatsapp
):
    conversation = inbound(whatsapp, "6281234567890").conversation
    client.force_login(manager)
    page = client.get(reverse("conversations:detail", args=[conversation.pk])).content.decode()
    options = page[page.index('name="assignee"') : page.index("</select>", page.index('name="assignee"'))]
    assert agent.username in options and manager.username in options
    assert agent_without_access.username not in options and admin_user.username not in options

    client.post(reverse("conversations:assign", args=[conversation.pk]), {"assignee": agent_without_access.pk})
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def _inbox_queries(client, user) -> int:
    client.force_login(user)
    client.get(reverse("conversations:inbox"))  # warm up sessions and caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("conversations:inbox")).status_code == 200
    return len(queries.captured_queries)


def test_agent_and_manager_inbox_query_counts_stay_bounded_and_equal_at_two_sizes(client, agent, manager, whatsapp):
    inbound(whatsapp, "6281200000001")
    small = {"agent": _inbox_queries(client, agent), "manager": _inbox_queries(client, manager)}
    for i in range(2, 40):
        inbound(whatsapp, f"62812000000{i:02d}")
    large = {"agent": _inbox_queries(client, agent), "manager": _inbox_queries(client, manager)}
    assert small == large
    assert large["agent"] <= large["manager"] + 2  # one guardian question per request, not per row


def test_adding_a_channel_of_a_kind_without_a_platform_is_refused_with_a_clear_message():
    with pytest.raises(CommandError, match="invalid choice: 'line'"):
        call_command("add_channel", "line", "LINE shop")
    assert set(ChannelKind.values) == {"whatsapp", "telegram", "messenger", "instagram", "email", "webchat"}


def test_services_refuse_an_actor_who_cannot_see_the_contact_or_conversation(agent_without_access, whatsapp):
    from django.core.exceptions import PermissionDenied

    from contacts.services import comment_add, contact_profile_update
    from conversations.services import conversation_close

    message = inbound(whatsapp, "6281234567890")
    contact = contact_of(message)
    for attempt in (
        lambda: comment_add(actor=agent_without_access, contact=contact, body="hi", conversation=message.conversation),
        lambda: contact_profile_update(actor=agent_without_access, contact=contact, name="Renamed"),
        lambda: conversation_close(actor=agent_without_access, conversation=message.conversation),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    contact.refresh_from_db()
    assert contact.name != "Renamed" and not contact.comments.exists()
    assert Conversation.objects.get(pk=message.conversation_id).status == "open"
