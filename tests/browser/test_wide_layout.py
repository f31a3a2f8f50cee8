"""At 1,400 px: search placeholders are shown whole and the inbox tabs stay on one line."""

import pytest
from playwright.sync_api import expect

from tests.factories import inbound

pytestmark = pytest.mark.django_db(transaction=True)

FITS = """(selector) => {
  const input = document.querySelector(selector);
  const style = getComputedStyle(input);
  const canvas = document.createElement("canvas").getContext("2d");
  canvas.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {text: canvas.measureText(input.placeholder).width, room: room};
}"""


@pytest.mark.parametrize("language", ["en", "fr", "it", "id"])
def test_placeholders_fit_and_tabs_do_not_wrap_at_1400_px(login, live_server, page, manager, whatsapp, language):
    for i in range(3):
        inbound(whatsapp, f"62812000000{i}", "hello", name=f"Person {i}")
    page.set_viewport_size({"width": 1400, "height": 900})
    login(manager)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}/inbox/")
    expect(page.locator("#q")).to_be_visible()
    fit = page.evaluate(FITS, "#q")
    assert fit["text"] <= fit["room"], fit
    tops = page.locator(".filters .tabs label").evaluate_all("labels => labels.map(l => l.getBoundingClientRect().top)")
    assert len(set(round(top) for top in tops)) == 1, tops
    overflow = page.locator(".filters .tabs").evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 0
    page.goto(f"{live_server.url}/contacts/")
    fit = page.evaluate(FITS, "#contact-q")
    assert fit["text"] <= fit["room"], fit
