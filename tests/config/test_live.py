"""Live updates: NOTIFY after commit with ids only, scoped per user by the policy; the regions pages fetch."""

import json

import psycopg
import pytest
from django.db import connection, transaction
from django.urls import reverse

from config.live import scoped_event
from config.notify import LIVE_CHANNEL, live_notify
from config.workspace import permissions
from conversations.services import conversation_assign
from tests.factories import inbound
from tests.worker import database_url

HTMX = {"HX-Request": "true"}
SO_FAR = "so far"  # not JSON: never a payload of the app


@pytest.fixture
def listener(transactional_db):
    """A second connection LISTENing, as the stream's hub does."""
    conn = psycopg.connect(database_url().replace("postgres://", "postgresql://"), autocommit=True)
    conn.execute(f"LISTEN {LIVE_CHANNEL}")

    def received() -> list[dict]:
        """What was announced so far: all of it is in once a NOTIFY sent now comes back, since
        PostgreSQL delivers notifications in the order their transactions committed."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [LIVE_CHANNEL, SO_FAR])
        payloads = []
        for notification in conn.notifies(timeout=10):
            if notification.payload == SO_FAR:
                return payloads
            payloads.append(json.loads(notification.payload))
        raise AssertionError("the listener's own notification never came back")

    yield received
    conn.close()


def test_a_stored_message_is_announced_after_commit_with_ids_only(listener, whatsapp):
    message = inbound(whatsapp, "6281234567890", "a secret body", name="Sheena Secret")
    payloads = listener()
    assert any(p["t"] == "message" for p in payloads)
    text = json.dumps(payloads)
    assert "secret" not in text.lower() and "6281234567890" not in text
    items = {(kind, pk) for p in payloads for kind, pk, _ in p["items"]}
    assert ("message", message.pk) in items and ("conversation", message.conversation_id) in items


def test_nothing_is_announced_for_a_rolled_back_write(listener, whatsapp):
    message = inbound(whatsapp, "6281234567890", "hello")
    listener()
    with pytest.raises(RuntimeError), transaction.atomic():
        live_notify("conversation", conversation=message.conversation)
        raise RuntimeError
    assert listener() == []


def test_an_assignment_is_announced_for_the_conversation(listener, whatsapp, manager, agent):
    conversation = inbound(whatsapp, "6281234567890", "hello").conversation
    listener()
    conversation_assign(actor=manager, conversation=conversation, assignee=agent)
    assert any(
        ["conversation", conversation.pk, [whatsapp.pk]] in p["items"] for p in listener() if p["t"] == "conversation"
    )


def test_scoped_event_keeps_only_what_the_user_may_see(agent_without_access, manager, whatsapp, telegram):
    from guardian.shortcuts import assign_perm

    assign_perm("channels.access_channel", agent_without_access, telegram)
    payload = json.dumps({"t": "message", "items": [["message", 1, [whatsapp.pk]], ["conversation", 2, [whatsapp.pk]]]})
    assert scoped_event(permissions.channel_ids(agent_without_access), payload) is None
    assert scoped_event(permissions.channel_ids(manager), payload) == {
        "t": "message",
        "messages": [1],
        "conversations": [2],
    }


def test_a_suggestion_reaches_only_users_who_see_both_contacts(agent_without_access, whatsapp, telegram):
    from guardian.shortcuts import assign_perm

    assign_perm("channels.access_channel", agent_without_access, telegram)
    scope = permissions.channel_ids(agent_without_access)
    both = json.dumps({"t": "suggestion", "items": [["contact", 1, [telegram.pk]], ["contact", 2, [whatsapp.pk]]]})
    assert scoped_event(scope, both) is None
    assert scoped_event(scope, "not json") is None


def test_the_stream_answers_204_under_wsgi_so_the_page_polls(client, agent):
    client.force_login(agent)
    assert client.get(reverse("live_stream")).status_code == 204


def test_the_live_suggestion_count_counts_groups_as_the_dashboard_does(client, manager, webchat):
    for n in range(5):  # five visitors sharing one e-mail: one group (of four suggestions)
        inbound(webchat, f"s{n}", "hi", email="shared@example.com")
    client.force_login(manager)
    assert client.get(reverse("live_counts")).json()["suggestions"] == "1"
    assert 'data-live-count="suggestions">1<' in client.get(reverse("dashboard")).content.decode()


def test_counts_are_the_users_own(client, agent, agent_without_access, whatsapp):
    inbound(whatsapp, "6281234567890", "hello")
    client.force_login(agent)
    data = client.get(reverse("live_counts")).json()
    assert data["open"] == "1" and data["unassigned"] == "1" and data["mine"] == "0"
    assert "1 conversation with unread messages" == data["unread_text"]
    client.force_login(agent_without_access)
    assert client.get(reverse("live_counts")).json()["open"] == "0"


def test_rows_by_id_return_only_rows_still_in_the_tab(client, agent, whatsapp):
    conversation = inbound(whatsapp, "6281234567890", "hello").conversation
    client.force_login(agent)
    url = reverse("conversations:inbox")
    rows = client.get(url, {"ids": str(conversation.pk)}, headers=HTMX).content.decode()
    assert f'id="row-{conversation.pk}"' in rows and "<html" not in rows
    mine = client.get(url, {"box": "mine", "ids": str(conversation.pk)}, headers=HTMX).content.decode()
    assert f'id="row-{conversation.pk}"' not in mine and "No conversations" not in mine


def test_newer_returns_what_arrived_since_and_marks_it_read(client, agent, whatsapp):
    first = inbound(whatsapp, "6281234567890", "first")
    client.force_login(agent)
    since = f"{int(first.created_at.timestamp() * 1_000_000) + 1}_0"
    second = inbound(whatsapp, "6281234567890", "second")
    body = client.get(reverse("conversations:newer", args=[first.conversation_id]), {"since": since}).content.decode()
    assert f'id="message-{second.pk}"' in body and f'id="message-{first.pk}"' not in body
    second.conversation.refresh_from_db()
    assert second.conversation.unread_count == 0
    bad = client.get(reverse("conversations:newer", args=[first.conversation_id]), {"since": "nope"})
    assert bad.status_code == 400


def test_a_message_fragment_is_404_for_an_agent_without_access(client, agent_without_access, whatsapp):
    message = inbound(whatsapp, "6281234567890", "hello")
    client.force_login(agent_without_access)
    assert client.get(reverse("conversations:message", args=[message.pk])).status_code == 404


def test_notify_sends_nothing_on_sqlite(monkeypatch, whatsapp):
    message = inbound(whatsapp, "6281234567890", "hello")
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with transaction.atomic():
        waiting = len(connection.run_on_commit)
        live_notify("message", message=message)
        assert len(connection.run_on_commit) == waiting
