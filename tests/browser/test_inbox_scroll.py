"""Lists of any length in Chromium: scrolling the inbox (and the contacts list) reaches every row."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import inbound

pytestmark = pytest.mark.django_db(transaction=True)


# The "More" row that scrolled into view has been replaced by the next page: more rows than `shown`
# (or no "More" row left, if that page came in before `shown` was counted).
NEXT_PAGE_IN = """([container, rows, shown]) =>
  document.querySelectorAll(rows).length > shown || !document.querySelector(container + " .more")"""


def scroll_to_the_end(page, container: str, rows: str) -> int:
    """Scroll the container down until it has no "More" row left; returns the number of rows."""
    for _ in range(30):
        if page.locator(f"{container} .more").count() == 0:
            break
        shown = page.locator(rows).count()
        page.locator(container).evaluate("el => el.scrollTo(0, el.scrollHeight)")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_function(NEXT_PAGE_IN, arg=[container, rows, shown], timeout=5_000)
    expect(page.locator(f"{container} .more")).to_have_count(0)
    return page.locator(rows).count()


def test_an_agent_reaches_all_100_open_conversations_by_scrolling(login, live_server, agent, whatsapp):
    start = timezone.now() - timedelta(days=1)
    for i in range(100):
        inbound(whatsapp, f"6281200{i:05d}", f"hello {i}", name=f"Person {i:03d}", at=start + timedelta(minutes=i))
    page = login(agent)
    page.goto(f"{live_server.url}/inbox/")
    expect(page.locator("#conversation-list li[id^=row-]")).to_have_count(30)
    assert scroll_to_the_end(page, "#conversation-list", "#conversation-list li[id^=row-]") == 100
    names = page.locator("#conversation-list .name").all_inner_texts()
    assert len(set(names)) == 100
    assert names[0] == "Person 099" and names[-1] == "Person 000"


def test_a_manager_scrolls_the_contacts_list_to_the_end(login, live_server, manager, whatsapp):
    for i in range(60):
        inbound(whatsapp, f"6281300{i:05d}", "hi", name=f"Client {i:03d}")
    page = login(manager)
    page.goto(f"{live_server.url}/contacts/")
    assert scroll_to_the_end(page, "#contact-table", "#contact-table input[name=pick]") == 60
