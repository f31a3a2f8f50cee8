"""Layout in a real Chromium: a phone (390×844) and a desktop (1,400 px), where search placeholders
are shown whole and the inbox tabs stay on one line."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.main_pages import build_workspace, main_pages, visit

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}

# What sticks out past the right edge of the window (for a readable failure).
OVERFLOWING = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > innerWidth + 1 && e.getClientRects().length)
  .slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)"""


@pytest.fixture
def workspace(manager, agent, whatsapp, email_channel, webchat):
    return build_workspace(manager, agent, whatsapp, email_channel, webchat)


def test_no_main_page_is_wider_than_a_phone(login, live_server, page, manager, workspace):
    page.set_viewport_size(PHONE)
    login(manager)
    for name, path in main_pages(workspace):
        visit(page, live_server.url, path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} is {width}px wide: {page.evaluate(OVERFLOWING)}"


def test_merge_dialog_fits_a_phone_with_nothing_cut_off(login, live_server, page, manager, workspace):
    page.set_viewport_size(PHONE)
    login(manager)
    visit(page, live_server.url, None)
    box = page.locator("dialog#dialog").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("(d => d.scrollWidth <= d.clientWidth)(document.querySelector('dialog'))")
    expect(page.get_by_role("button", name="Merge contact")).to_be_in_viewport()


def test_on_a_phone_the_list_and_the_conversation_are_two_screens(login, live_server, page, manager, workspace):
    page.set_viewport_size(PHONE)
    login(manager)
    page.goto(f"{live_server.url}/inbox/")
    list_pane = page.locator(".list-pane")
    expect(list_pane).to_be_visible()
    expect(page.get_by_text("Pick a conversation on the left.")).to_be_hidden()
    page.locator(".conversation-list a", has_text="Sheena Nelson").click()
    expect(page.locator(".chat-head h1")).to_contain_text("Sheena Nelson")
    expect(list_pane).to_be_hidden()
    back = page.get_by_role("link", name="All conversations")
    expect(back).to_be_in_viewport()
    back.click()
    expect(list_pane).to_be_visible()
    expect(page.locator(".conversation-list")).to_contain_text("Sheena Nelson")


def test_on_a_desktop_the_list_and_the_conversation_show_side_by_side(login, live_server, page, manager, workspace):
    page.set_viewport_size(DESKTOP)
    login(manager)
    page.goto(f"{live_server.url}/inbox/c/{workspace.conversation_id}/")
    expect(page.locator(".list-pane")).to_be_visible()
    expect(page.locator(".chat-pane")).to_be_visible()
    expect(page.get_by_role("link", name="All conversations")).to_be_hidden()


def test_every_module_stays_reachable_in_the_phone_menu(login, live_server, page, manager, workspace):
    page.set_viewport_size(PHONE)
    login(manager)
    page.goto(f"{live_server.url}/inbox/")
    menu = page.get_by_role("navigation", name="Modules")
    for module in ("Messages", "Dashboard", "Contacts", "Channels", "Workflows"):
        expect(menu.get_by_role("link", name=module)).to_be_in_viewport()
    menu.get_by_role("link", name="Workflows").click()
    expect(page.get_by_role("heading", name="Workflows")).to_be_visible()


# The placeholder's rendered width against the room the input gives it.
PLACEHOLDER_FITS = """input => {
  const style = getComputedStyle(input);
  const canvas = document.createElement('canvas').getContext('2d');
  canvas.font = style.font;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [canvas.measureText(input.placeholder).width, room];
}"""


def placeholders_that_do_not_fit(page, base_url: str, workspace) -> list[str]:
    """The three search boxes, each on its page: the placeholder's width against the input's room."""
    cut = []
    for path, selector in (
        ("/inbox/", "#q"),
        ("/contacts/", "#contact-q"),
        (f"/inbox/c/{workspace.conversation_id}/", "#merge-search"),
    ):
        page.goto(base_url + path)
        if selector == "#merge-search":
            page.locator("#tab-channels").click()
        expect(page.locator(selector)).to_be_visible()
        text_width, room = page.locator(selector).evaluate(PLACEHOLDER_FITS)
        if text_width > room:
            cut.append(f"{path} {selector}: placeholder {text_width:.0f}px in {room:.0f}px")
    return cut


@pytest.mark.parametrize("language", ["en", "it", "fr"])
def test_search_placeholders_are_not_truncated_on_a_phone(login, live_server, page, manager, workspace, language):
    page.set_viewport_size(PHONE)
    login(manager)
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    assert placeholders_that_do_not_fit(page, live_server.url, workspace) == []


@pytest.mark.parametrize("language", ["en", "fr", "it", "id"])
def test_on_a_desktop_the_inbox_tabs_stay_on_one_line_and_no_placeholder_is_truncated_in_every_language(
    login, live_server, page, manager, workspace, language
):
    page.set_viewport_size(DESKTOP)
    login(manager)
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}/inbox/")
    tops = page.locator(".filters .tabs label").evaluate_all("labels => labels.map(l => l.getBoundingClientRect().top)")
    assert len(tops) == 4 and len(set(tops)) == 1, tops
    assert page.locator(".filters .tabs").evaluate("tabs => tabs.scrollWidth <= tabs.clientWidth")
    assert placeholders_that_do_not_fit(page, live_server.url, workspace) == []
