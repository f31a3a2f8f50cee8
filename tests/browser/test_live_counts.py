"""Counters follow the user's own actions at once, even when the page only polls (live_server is WSGI)."""

import pytest
from playwright.sync_api import expect

from tests.factories import inbound

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def duplicate(whatsapp, webchat):
    first = inbound(whatsapp, "6281234567890", "halo", name="Sheena")
    inbound(webchat, "w1", "hi", name="Sheena Web", phone="081234567890")
    return first.conversation


def test_the_dashboard_header_follows_a_dismiss(login, live_server, manager, duplicate):
    page = login(manager)
    page.goto(f"{live_server.url}/dashboard/")
    figure = page.locator(".figures [data-live-count=suggestions]")
    expect(figure).to_have_text("1")
    page.get_by_role("button", name="Not the same person").first.click()
    expect(figure).to_have_text("0", timeout=2_000)


def test_the_channels_badge_and_unread_badge_follow_in_the_inbox(login, live_server, manager, duplicate):
    page = login(manager)
    page.goto(f"{live_server.url}/inbox/")
    row = page.locator(f"#row-{duplicate.pk}")
    expect(row.locator(".unread-count")).to_be_visible()
    row.locator("a").click()
    expect(page.locator("#timeline")).to_be_visible()
    expect(row.locator(".unread-count")).to_have_count(0, timeout=2_000)
    badge = page.locator("#tab-channels [data-live-count=contact_suggestions]")
    expect(badge).to_have_text("1")
    page.locator("#tab-channels").click()
    page.get_by_role("button", name="Not the same person").first.click()
    expect(badge).to_be_hidden(timeout=2_000)
