"""The catalogs are complete: every string translated, no fuzzy entry, the right number of plural forms,
placeholders kept, and the compiled .mo files up to date."""

import gettext
import os
import re
import shutil

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from merging.services import contact_merge
from tests.factories import contact_of, inbound
from tests.po import LANGUAGES, LOCALE_DIR, catalog, header_fields, nplurals, read_po

ROOT = LOCALE_DIR.parent

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
# The plural rules Django itself uses for these languages (django/conf/locale/*/LC_MESSAGES).
EXPECTED_NPLURALS = {"id": 1, "it": 2, "fr": 3}


def entries(language):
    return [entry for entry in catalog(language) if not entry.is_header]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated(language):
    missing = [entry.msgid for entry in entries(language) if not all(entry.msgstr.values()) or not entry.msgstr]
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_entry_is_fuzzy(language):
    fuzzy = [entry.msgid or "(header)" for entry in catalog(language) if "fuzzy" in entry.flags]
    assert fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_entries_give_every_form_the_header_declares(language):
    forms = nplurals(catalog(language))
    assert forms == EXPECTED_NPLURALS[language]
    wrong = [
        (entry.msgid, sorted(entry.msgstr))
        for entry in entries(language)
        if entry.msgid_plural is not None and sorted(entry.msgstr) != list(range(forms))
    ]
    assert wrong == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_header_names_the_language(language):
    assert header_fields(catalog(language))["Language"] == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    def names(text):
        return {a or b for a, b in PLACEHOLDER.findall(text)}

    one_form = nplurals(catalog(language)) == 1  # Indonesian: msgstr[0] serves every count
    broken = []
    for entry in entries(language):
        for index, text in entry.msgstr.items():
            singular = index == 0 and not one_form
            source = entry.msgid if singular or entry.msgid_plural is None else entry.msgid_plural
            # A singular form may leave out the count ("un canale"), never add or rename a placeholder.
            expected = names(source) | names(entry.msgid)
            if not names(text) <= expected or (entry.msgid_plural is None and names(text) != names(source)):
                broken.append((entry.msgid, text))
    assert broken == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_the_po_file(language):
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for entry in entries(language):
        if entry.msgid_plural is None:
            key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
            if compiled._catalog.get(key) != entry.msgstr[0]:
                stale.append(entry.msgid)
        else:
            for n in (1, 2, 5, 1_000_000):
                if compiled.ngettext(entry.msgid, entry.msgid_plural, n) not in entry.msgstr.values():
                    stale.append(f"{entry.msgid} (n={n})")
    assert stale == []


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [("fr", 1, "1 canal"), ("fr", 2, "2 canaux"), ("fr", 5, "5 canaux"), ("it", 1, "1 canale"), ("it", 3, "3 canali")],
)
def test_counts_read_right_in_french_and_italian(language, count, expected):
    with translation.override(language):
        text = translation.ngettext("%(counter)s channel", "%(counter)s channels", count) % {"counter": count}
    assert text == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "send", "placeholder"),
    [
        ("fr", "Envoyer", "Écrivez un message…"),
        ("it", "Invia", "Scrivi un messaggio…"),
        ("id", "Kirim", "Tulis pesan…"),
    ],
)
def test_the_web_chat_widget_speaks_the_pages_language(webchat, lang, send, placeholder):
    config = Client().get(f"/webchat/{webchat.public_id}/config", {"lang": lang}).json()
    assert config["language"] == lang
    assert config["strings"]["send"] == send
    assert config["strings"]["placeholder"] == placeholder


@pytest.mark.django_db
def test_the_widget_falls_back_to_the_visitors_browser_language(webchat):
    config = Client().get(f"/webchat/{webchat.public_id}/config", headers={"accept-language": "it-IT,it;q=0.9"}).json()
    assert config["language"] == "it"
    assert config["strings"]["start"] != "Start chat"


SOURCES = ("channels", "config", "contacts", "conversations", "merging", "templates")


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="makemessages needs GNU gettext (apt-get install gettext)")
def test_catalogs_hold_every_string_of_the_source(tmp_path, settings):
    """makemessages over the source, into a copy of the catalogs: nothing new and untranslated may appear."""
    for name in SOURCES:
        (tmp_path / name).symlink_to(ROOT / name)
    shutil.copytree(LOCALE_DIR, tmp_path / "locale")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        call_command("makemessages", locale=list(LANGUAGES), symlinks=True, no_obsolete=True, verbosity=0)
    finally:
        os.chdir(cwd)
    untranslated = {
        language: [
            entry.msgid
            for entry in read_po(tmp_path / "locale" / language / "LC_MESSAGES" / "django.po")
            if not entry.is_header and (not all(entry.msgstr.values()) or "fuzzy" in entry.flags)
        ]
        for language in LANGUAGES
    }
    assert untranslated == {language: [] for language in LANGUAGES}


@pytest.mark.django_db
def test_merge_history_names_fields_and_profiles_in_the_readers_language(client, manager, whatsapp, email_channel):
    wa = contact_of(inbound(whatsapp, "6281234567890", "halo", name="Sheena"))
    mail = contact_of(inbound(email_channel, "sheena@example.com", "hi", name="Sheena N."))
    contact_merge(actor=manager, target=wa, source=mail, choices={"name": "source"})
    client.force_login(manager)
    html = client.get(f"/contacts/{wa.pk}/", headers={"accept-language": "fr"}).content.decode()
    assert f"Nom de #{mail.pk}" in html
    assert "name: source" not in html


@pytest.mark.django_db
def test_merge_dialog_counts_what_moves_with_plural_forms(client, manager, whatsapp, email_channel):
    wa = contact_of(inbound(whatsapp, "6281234567890", "halo", name="Sheena"))
    mail = contact_of(inbound(email_channel, "sheena@example.com", "hi", name="Sheena N."))
    client.force_login(manager)
    html = client.get(
        "/merge/", {"target": wa.pk, "source": mail.pk}, headers={"accept-language": "it"}
    ).content.decode()
    assert "1 canale" in html and "1 conversazione" in html and "1 messaggio" in html and "0 note" in html
    assert "canali" not in html.split('class="small moves">')[1].split("</p>")[0].replace("0 note", "")
