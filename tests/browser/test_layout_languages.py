"""The main pages in Indonesian, Italian and French with no English left in what the user reads."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.main_pages import build_workspace, main_pages, visit
from tests.po import LANGUAGES, catalog

pytestmark = pytest.mark.django_db(transaction=True)


def english_giveaways(language: str) -> list[tuple[str, re.Pattern]]:
    """Catalog texts whose translation differs from the English, as whole-word patterns; a text the
    language itself uses in some translation ("Chat" in French "Chat web") gives nothing away."""
    entries = [entry for entry in catalog(language) if not entry.is_header]
    all_translations = "\n".join(text for entry in entries for text in entry.msgstr.values())
    found = []
    for entry in entries:
        if "%" in entry.msgid or len(entry.msgid) < 4:
            continue
        pattern = re.compile(rf"(?<![\w-]){re.escape(entry.msgid)}(?![\w-])")
        if not pattern.search(all_translations):
            found.append((entry.msgid, pattern))
    return found


@pytest.fixture
def workspace(manager, agent, whatsapp, email_channel, webchat):
    return build_workspace(manager, agent, whatsapp, email_channel, webchat)


@pytest.mark.parametrize("language", LANGUAGES)
def test_main_pages_show_no_english(login, live_server, page, manager, workspace, language):
    login(manager)
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    giveaways = english_giveaways(language)
    english = {}
    for name, path in main_pages(workspace):
        visit(page, live_server.url, path)
        assert page.locator("html").get_attribute("lang") == language
        text = page.evaluate("document.body.innerText")
        placeholders = page.eval_on_selector_all("[placeholder]", "els => els.map(e => e.placeholder).join('\\n')")
        left = [msgid for msgid, pattern in giveaways if pattern.search(text + "\n" + placeholders)]
        if left:
            english[name] = left
    assert english == {}


@pytest.mark.parametrize(
    ("locale", "open_chat", "start", "required", "invalid_email"),
    [
        (
            "fr-FR",
            "Discutez avec nous",
            "Commencer la discussion",
            "Ce champ est obligatoire.",
            "Saisissez une adresse e-mail valide.",
        ),
        (
            "it-IT",
            "Chatta con noi",
            "Inizia la chat",
            "Questo campo è obbligatorio.",
            "Inserisci un indirizzo e-mail valido.",
        ),
        ("id-ID", "Chat dengan kami", "Mulai chat", "Kolom ini wajib diisi.", "Masukkan alamat e-mail yang valid."),
    ],
)
def test_the_widget_speaks_the_shop_pages_language(
    new_context, live_server, webchat, locale, open_chat, start, required, invalid_email
):
    webchat.settings = {"prechat": {"enabled": True, "fields": ["name", "email"], "required": ["email"]}}
    webchat.save()
    visitor = new_context(locale=locale).new_page()
    visitor.goto(f"{live_server.url}/widget-demo/")
    assert visitor.locator("html").get_attribute("lang") == locale[:2]
    widget = visitor.locator("#mergeinbox-widget")
    widget.get_by_role("button", name=open_chat).click()
    widget.get_by_role("button", name=start).click()
    expect(widget.locator("[data-for=email]")).to_have_text(required)
    widget.locator("input[name=email]").fill("not-an-address@")
    widget.locator("input[name=email]").evaluate("input => { input.type = 'text'; }")  # the server judges it
    widget.get_by_role("button", name=start).click()
    expect(widget.locator("[data-for=email]")).to_have_text(invalid_email)  # the server's check, translated
