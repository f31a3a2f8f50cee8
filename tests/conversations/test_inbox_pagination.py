"""Inbox lists of any length: every tab and filter pages with a keyset cursor."""

import copy
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from config.workspace.models import Role
from conversations.models import Conversation
from conversations.selectors import PAGE
from conversations.services import conversation_assign
from tests.factories import UserFactory, inbound, make_cast, make_team

HTMX = {"HX-Request": "true"}
ROW = re.compile(r'<li id="row-(\d+)"')
MORE = re.compile(r'<li class="more"><a href="([^"]+)"')


def walk(client, url: str, *, htmx: bool) -> list[int]:
    """Every conversation id the list shows, following its "More" link to the end."""
    seen, first = [], True
    while url:
        response = client.get(url, headers=HTMX if htmx and not first else {})
        assert response.status_code == 200
        body = response.content.decode()
        if htmx and not first:
            assert "<html" not in body  # infinite scroll gets only the next rows
        seen += [int(pk) for pk in ROW.findall(body)]
        more = MORE.search(body)
        url = more.group(1).replace("&amp;", "&") if more else None
        first = False
    return seen


def open_conversations(whatsapp, telegram) -> list:
    """75 open conversations, many sharing one timestamp (the id must break the tie)."""
    same = timezone.now() - timedelta(hours=1)
    messages = [
        inbound(
            whatsapp if i % 2 else telegram,
            f"62812000{i:04d}",
            f"hello {i}",
            name=f"Person {i}",
            at=same if i % 3 else same - timedelta(minutes=i),
        )
        for i in range(75)
    ]
    return [m.conversation for m in messages]


# Built once for the module (see module_db); each test gets copies.
@pytest.fixture(scope="module")
def built_once(module_db):
    cast = make_cast()
    return {"cast": cast, "many": open_conversations(cast["whatsapp"], cast["telegram"])}


@pytest.fixture
def many(built_once):
    return copy.deepcopy(built_once["many"])


@pytest.fixture
def agent(built_once):
    return copy.deepcopy(built_once["cast"]["agent"])


@pytest.fixture
def whatsapp(built_once):
    return copy.deepcopy(built_once["cast"]["whatsapp"])


@pytest.fixture
def telegram(built_once):
    return copy.deepcopy(built_once["cast"]["telegram"])


@pytest.mark.parametrize("htmx", [True, False])
def test_every_open_conversation_is_reachable_in_the_all_tab(client, agent, many, htmx):
    client.force_login(agent)
    seen = walk(client, reverse("conversations:inbox"), htmx=htmx)
    assert len(seen) == len(set(seen)) == 75
    assert set(seen) == {c.pk for c in many}


def test_pages_are_in_newest_first_order_with_ids_breaking_ties(client, agent, many):
    client.force_login(agent)
    seen = walk(client, reverse("conversations:inbox"), htmx=True)
    rows = Conversation.objects.in_bulk(seen)
    keys = [(rows[pk].last_message_at, pk) for pk in seen]
    assert keys == sorted(keys, reverse=True)


def test_mine_unassigned_teams_channel_and_search_all_page(client, agent, many, telegram):
    team = make_team("Support", agent)
    for conversation in many[:40]:
        conversation_assign(actor=agent, conversation=conversation, assignee=agent)
    Conversation.objects.filter(pk__in=[c.pk for c in many[:35]]).update(team=team)
    client.force_login(agent)
    inbox = reverse("conversations:inbox")
    assert len(walk(client, inbox + "?box=mine", htmx=True)) == 40
    assert len(walk(client, inbox + "?box=unassigned", htmx=True)) == 35
    assert len(walk(client, inbox + "?box=teams", htmx=True)) == 35
    on_telegram = walk(client, inbox + f"?channel={telegram.pk}", htmx=True)
    assert set(on_telegram) == {c.pk for c in many if c.channel_id == telegram.pk}
    found = walk(client, inbox + "?q=Person", htmx=True)
    assert len(found) == len(set(found)) == 75


def test_the_more_link_keeps_the_tab_and_filters(client, agent, many, telegram):
    client.force_login(agent)
    body = client.get(reverse("conversations:inbox"), {"box": "unassigned", "channel": telegram.pk}).content.decode()
    more = MORE.search(body).group(1)
    assert "box=unassigned" in more and f"channel={telegram.pk}" in more and more.count("cursor=") == 1


def test_conversation_links_do_not_carry_the_page_cursor(client, agent, many):
    client.force_login(agent)
    body = client.get(reverse("conversations:inbox")).content.decode()
    cursor_url = MORE.search(body).group(1).replace("&amp;", "&")
    second = client.get(cursor_url).content.decode()
    assert "cursor=" not in second.split('id="conversation-list"')[1].split('class="more"')[0]


def test_an_agent_never_pages_into_conversations_of_other_channels(client, many, whatsapp):
    agent = UserFactory(username="wa-only", role=Role.AGENT)
    from guardian.shortcuts import assign_perm

    assign_perm("channels.access_channel", agent, whatsapp)
    client.force_login(agent)
    seen = walk(client, reverse("conversations:inbox"), htmx=True)
    assert set(seen) == {c.pk for c in many if c.channel_id == whatsapp.pk}


@pytest.mark.parametrize("garbage", ["abc", "1_", "_1", "1_x", "9" * 30 + "_1", "1.5_2", "1_2_3"])
def test_a_garbled_cursor_is_a_400_not_a_500(client, agent, garbage, many):
    client.force_login(agent)
    assert client.get(reverse("conversations:inbox"), {"cursor": garbage}).status_code == 400
    older = reverse("conversations:older", args=[many[0].pk])
    assert client.get(older, {"before": garbage}).status_code == 400


def test_the_first_page_has_a_page_of_rows(client, agent, many):
    client.force_login(agent)
    body = client.get(reverse("conversations:inbox")).content.decode()
    assert len(ROW.findall(body)) == PAGE
