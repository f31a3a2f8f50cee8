"""Live updates by Server-Sent Events across processes, in Chromium.

Pages come from gunicorn (WSGI), the stream from uvicorn (ASGI), and messages are written by yet
other processes (this test process, as the inbound worker would; and the uvicorn process serving a
second agent's reply): each must reach the open page within 2 seconds, without a reload.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from guardian.shortcuts import assign_perm
from playwright.sync_api import expect

from config.workspace.models import Role
from tests.factories import UserFactory, inbound
from tests.servers import pages_and_stream

pytestmark = pytest.mark.django_db(transaction=True)

LIVE = 2_000  # ms: the budget for a change to show on an open page


@pytest.fixture
def servers(transactional_db):
    with pages_and_stream() as urls:
        yield urls


@pytest.fixture
def logged_in_page(servers, new_context):
    """Opens a page with the user's session (made here: the servers' processes share the database).
    Its browser context closes after the test, before the servers stop (no stream left open)."""

    def open_page(base_url, user):
        client = Client()
        client.force_login(user)
        context = new_context()
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}])
        return context.new_page()

    return open_page


def test_a_new_message_is_appended_live_and_counts_follow_across_processes(
    servers, logged_in_page, agent, manager, whatsapp
):
    pages_url, stream_url = servers
    start = timezone.now() - timedelta(hours=2)
    first = inbound(whatsapp, "6281234567890", "the very first message", name="Sheena", at=start)
    for i in range(40):
        inbound(whatsapp, "6281234567890", f"message number {i}", at=start + timedelta(minutes=i + 1))
    conversation = first.conversation

    page = logged_in_page(pages_url, agent)
    page.goto(f"{pages_url}/inbox/c/{conversation.pk}/")
    expect(page.locator("body")).to_have_attribute("data-live", "stream", timeout=5_000)
    # Older messages loaded by hand must survive the live update.
    page.get_by_role("button", name="Load earlier messages").click()
    expect(page.locator("#timeline")).to_contain_text("the very first message")
    all_count = page.locator("[data-live-count=open]")
    expect(all_count).to_have_text("1")

    # Written by another process (as the inbound worker does): appended to the open timeline.
    inbound(whatsapp, "6281234567890", "are you still there?")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("are you still there?", timeout=LIVE)
    expect(timeline).to_contain_text("the very first message")
    assert page.locator("#timeline .message").count() == 42

    # A new conversation: the row appears at the top and the counts follow.
    inbound(whatsapp, "6289876543210", "new customer here", name="Rina")
    expect(page.locator("#conversation-list li[id^=row-]").first).to_contain_text("Rina", timeout=LIVE)
    expect(all_count).to_have_text("2", timeout=LIVE)
    expect(page.locator("[data-live-count=unassigned]")).to_have_text("2", timeout=LIVE)

    # A reply typed by a manager on a page of the other server process (uvicorn serves pages too).
    other = logged_in_page(stream_url, manager)
    other.goto(f"{stream_url}/inbox/c/{conversation.pk}/")
    other.fill("#body", "yes, how can I help?")
    other.get_by_role("button", name="Send").click()
    expect(timeline).to_contain_text("yes, how can I help?", timeout=LIVE)
    expect(page.locator("#conversation-list li[id^=row-]").first).to_contain_text("Sheena", timeout=LIVE)

    # The manager assigns the conversation: the agent's "Mine" count follows.
    other.select_option("#assignee", label=agent.username)
    other.get_by_role("button", name="Assign").click()
    expect(page.locator("[data-live-count=mine]")).to_have_text("1", timeout=LIVE)
    expect(page.locator(f"#row-{conversation.pk}")).to_contain_text(agent.username, timeout=LIVE)
    assert "the very first message" in timeline.inner_text()


def test_an_agent_learns_nothing_about_channels_they_cannot_access(servers, logged_in_page, whatsapp, telegram):
    pages_url, _ = servers
    agent = UserFactory(username="tg-only", role=Role.AGENT)
    assign_perm("channels.access_channel", agent, telegram)
    mine = inbound(telegram, "777001", "hello on telegram", name="Tina")
    page = logged_in_page(pages_url, agent)
    page.goto(f"{pages_url}/inbox/c/{mine.conversation_id}/")
    expect(page.locator("body")).to_have_attribute("data-live", "stream", timeout=5_000)
    # What the stream sends this user, read with a second EventSource in the page.
    page.evaluate(
        """(url) => { window.streamed = [];
        const source = new EventSource(url, {withCredentials: true});
        source.addEventListener("ready", () => { window.streamReady = true; });
        source.addEventListener("change", (e) => window.streamed.push(JSON.parse(e.data))); }""",
        page.locator("body").get_attribute("data-stream-url"),
    )
    page.wait_for_function("() => window.streamReady")  # the server sends "ready" once it listens
    inbound(whatsapp, "6281234567890", "secret on whatsapp", name="Hidden")
    inbound(telegram, "777001", "second on telegram")
    expect(page.locator("#timeline")).to_contain_text("second on telegram", timeout=LIVE)
    streamed = page.evaluate("window.streamed")
    assert streamed and all(event.get("conversations") == [mine.conversation_id] for event in streamed)
    assert "Hidden" not in page.content()
