"""Live updates tell a user's page only about what that user may see."""

import pytest
from guardian.shortcuts import assign_perm

from config.workspace.models import Role
from tests.factories import UserFactory, inbound


@pytest.fixture
def wa_agent(whatsapp):
    user = UserFactory(username="wa-only", role=Role.AGENT)
    assign_perm("channels.access_channel", user, whatsapp)
    return user


def poll(client, cursor=""):
    response = client.get("/inbox/updates/", {"cursor": cursor})
    return response.status_code, response["X-Updates-Cursor"]


def test_an_email_on_a_hidden_channel_changes_nothing_an_agent_sees(client, wa_agent, whatsapp, email_channel):
    inbound(whatsapp, "6281234567890", "halo", name="Sheena Nelson", email="sheena@example.com")
    client.force_login(wa_agent)
    _, cursor = poll(client)
    # A new person, the same person (known by the e-mail the agent's contact has), and a flood.
    inbound(email_channel, "stranger@example.com", "secret", name="Stranger")
    inbound(email_channel, "sheena@example.com", "secret too", name="Sheena Nelson")
    for number in range(5):
        inbound(email_channel, f"bulk{number}@example.com", "volume", name="Sheena Nelson")
    assert poll(client, cursor) == (204, cursor)


def test_a_message_on_a_visible_channel_is_announced(client, wa_agent, whatsapp):
    client.force_login(wa_agent)
    _, cursor = poll(client)
    inbound(whatsapp, "6281234567890", "halo")
    status, new_cursor = poll(client, cursor)
    assert status == 200 and new_cursor != cursor


def test_the_cursor_does_not_reveal_message_ids(client, wa_agent, whatsapp, email_channel):
    inbound(whatsapp, "6281234567890", "halo")
    inbound(email_channel, "x@example.com", "hidden")
    client.force_login(wa_agent)
    _, cursor = poll(client)
    assert len(cursor) == 20 and set(cursor) <= set("0123456789abcdef")  # a keyed hash, no ids to compare


def test_two_users_seeing_the_same_things_get_different_cursors(client, wa_agent, whatsapp):
    other = UserFactory(username="wa-two", role=Role.AGENT)
    assign_perm("channels.access_channel", other, whatsapp)
    inbound(whatsapp, "6281234567890", "halo")
    client.force_login(wa_agent)
    _, mine = poll(client)
    client.force_login(other)
    _, theirs = poll(client)
    assert mine != theirs
