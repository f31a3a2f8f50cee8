"""Accessibility in a real Chromium: axe-core on every main page, tabs, selects, dialogs, the live region."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from conversations.models import Conversation
from tests.browser.main_pages import build_workspace, main_pages, visit
from tests.browser.test_layout import DESKTOP, PHONE

pytestmark = pytest.mark.django_db(transaction=True)

# axe-core 4.14.1 from npm (MPL-2.0), vendored as its one distributed file.
AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text()


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """axe-core goes in as an inline script, which the app's CSP refuses (test_csp.py checks the CSP)."""
    return {**browser_context_args, "bypass_csp": True}


@pytest.fixture
def workspace(manager, agent, whatsapp, email_channel, webchat):
    return build_workspace(manager, agent, whatsapp, email_channel, webchat)


def serious_violations(page) -> list[str]:
    if not page.evaluate("'axe' in window"):
        page.add_script_tag(content=AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def check_on_a_desktop_and_a_phone(page, name: str, found: dict) -> None:
    """axe at both widths on the page as it is: no script of the app reads the window's size, so a
    resize shows what a load at that size shows (CSS media queries), without loading it twice."""
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        found[f"{name} ({width})"] = serious_violations(page)


def test_axe_finds_nothing_serious_on_any_main_page_on_a_desktop_or_a_phone(
    login_through_the_form, live_server, page, manager, workspace
):
    found = {}
    page.goto(f"{live_server.url}/login/")
    check_on_a_desktop_and_a_phone(page, "login", found)
    login_through_the_form(manager)
    for name, path in main_pages(workspace):
        visit(page, live_server.url, path)
        check_on_a_desktop_and_a_phone(page, name, found)
    page.goto(f"{live_server.url}/inbox/c/{workspace.conversation_id}/")
    page.get_by_role("tab", name="Channels").click()
    check_on_a_desktop_and_a_phone(page, "channels tab", found)
    assert {name: problems for name, problems in found.items() if problems} == {}


def test_axe_finds_nothing_serious_on_an_agents_inbox_and_forbidden_page(
    login, live_server, page, manager, agent, workspace
):
    login(agent)
    page.goto(f"{live_server.url}/inbox/c/{workspace.conversation_id}/")
    assert serious_violations(page) == []
    page.goto(f"{live_server.url}/dashboard/")  # the 403 page, in the layout
    expect(page.get_by_role("heading", name="You cannot open this page")).to_be_visible()
    assert serious_violations(page) == []


def test_contact_tabs_are_real_tabs_worked_by_keyboard(login, live_server, page, manager, workspace):
    login(manager)
    page.goto(f"{live_server.url}/inbox/c/{workspace.conversation_id}/")
    profile_tab = page.get_by_role("tab", name="Profile")
    channels_tab = page.get_by_role("tab", name="Channels")
    profile_panel = page.get_by_role("tabpanel", name="Profile")
    expect(profile_tab).to_have_attribute("aria-selected", "true")
    expect(profile_panel).to_be_visible()
    expect(page.locator("#panel-channels")).to_be_hidden()
    profile_tab.focus()
    page.keyboard.press("ArrowRight")
    expect(channels_tab).to_be_focused()
    expect(channels_tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel", name="Channels")).to_contain_text("Connected channels")
    expect(profile_panel).to_be_hidden()
    page.keyboard.press("Home")
    expect(profile_tab).to_be_focused()
    expect(profile_panel).to_be_visible()
    page.keyboard.press("ArrowLeft")  # wraps around to the last tab
    expect(channels_tab).to_have_attribute("aria-selected", "true")
    # Only the selected tab is in the Tab order.
    expect(profile_tab).to_have_attribute("tabindex", "-1")


def test_a_link_to_channels_opens_the_channels_tab(login, live_server, page, manager, workspace):
    login(manager)
    page.goto(f"{live_server.url}/inbox/c/{workspace.conversation_id}/#channels")
    expect(page.get_by_role("tab", name="Channels")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel", name="Channels")).to_be_visible()


def test_choosing_a_language_or_an_assignee_submits_nothing_until_the_button(
    login, live_server, page, manager, agent, workspace
):
    login(manager)
    url = f"{live_server.url}/inbox/c/{workspace.conversation_id}/"
    page.goto(url)
    page.get_by_label("Language").select_option("fr")
    page.get_by_label("Assign to").select_option(label=agent.username)
    page.wait_for_timeout(500)
    assert page.url == url
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert Conversation.objects.get(pk=workspace.conversation_id).assignee_id is None
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator(".chat-head p")).to_contain_text(f"assigned to {agent.username}")
    assert Conversation.objects.get(pk=workspace.conversation_id).assignee_id == agent.pk
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_focus_returns_to_the_opener_when_a_dialog_closes(login, live_server, page, manager, workspace):
    login(manager)
    visit(page, live_server.url, None)  # the merge dialog, opened from the contacts' Merge button
    dialog = page.locator("dialog#dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#merge-picked")).to_be_focused()
    page.locator("#merge-picked").click()
    expect(dialog).to_be_visible()
    expect(dialog.locator(":focus")).to_have_count(1)  # focus moved into the dialog
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator("#merge-picked")).to_be_focused()


def test_the_page_has_one_live_region_and_it_announces_search_results(login, live_server, page, manager, workspace):
    login(manager)
    page.goto(f"{live_server.url}/inbox/c/{workspace.conversation_id}/")
    live = page.locator("[aria-live], [role=status], [role=log], [role=alert]")
    expect(live).to_have_count(1)
    page.get_by_role("tab", name="Channels").click()
    page.get_by_label("Search contacts to merge with").press_sequentially("Rina")
    expect(live).to_have_text("2 contacts found")
