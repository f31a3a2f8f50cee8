"""End to end in a real Chromium: the flows of the three modules."""

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from contacts.models import Contact
from merging.models import MergeRecord, MergeSuggestion
from merging.services import contact_merge
from tests.factories import contact_of, inbound, signed_headers, wa_text
from tests.worker import inbound_worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_agent_merges_from_the_suggestion_in_the_channels_tab(login, live_server, agent, email_channel, webchat):
    mail = contact_of(inbound(email_channel, "sheena@example.com", "Another color?", name="Sheena Nelson"))
    web = inbound(webchat, "visitor-1", "Hello from the website", name="Sheena N", email="Sheena@Example.com")
    page = login(agent)
    page.goto(f"{live_server.url}/inbox/c/{web.conversation_id}/")
    page.get_by_role("tab", name="Channels").click()
    expect(page.locator(".suggestions")).to_contain_text("Sheena Nelson")
    expect(page.locator(".suggestions")).to_contain_text("sheena@example.com")
    page.get_by_role("button", name="Review & merge").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Another color?")
    expect(dialog).to_contain_text("Unverified claim")
    dialog.get_by_label("I checked that these are the same person.").check()
    dialog.get_by_role("button", name="Merge contact").click()
    expect(dialog).to_contain_text("Contacts merged")
    dialog.get_by_role("link", name="Continue").click()
    expect(page.locator(".timeline")).to_contain_text("Another color?")
    expect(page.locator(".timeline")).to_contain_text("Hello from the website")
    assert Contact.objects.get(pk=mail.pk).root_id == web.conversation.contact_id
    assert MergeSuggestion.objects.get().status == "merged"


def test_manager_ticks_two_contacts_picks_the_second_email_and_merges(login, live_server, manager, webchat):
    first = contact_of(inbound(webchat, "v1", "hi", name="Rina Putri", email="rina@work.example"))
    second = contact_of(inbound(webchat, "v2", "halo", name="Rina P.", email="rina@home.example"))
    page = login(manager)
    page.goto(f"{live_server.url}/contacts/")
    merge_button = page.locator("#merge-picked")
    expect(merge_button).to_be_hidden()
    page.locator(f"#contact-{first.pk} input[name=pick]").check()
    page.locator(f"#contact-{second.pk} input[name=pick]").check()
    expect(merge_button).to_be_visible()
    merge_button.click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_contain_text("rina@home.example")
    dialog.get_by_label("rina@home.example").check()
    dialog.get_by_role("button", name="Merge contact").click()
    dialog.get_by_role("link", name="Continue").click()
    expect(page.locator(f"#contact-{first.pk} .merged-icon")).to_be_visible()
    expect(page.locator(f"#contact-{second.pk}")).to_have_count(0)
    merged = Contact.objects.get(root__isnull=True)
    assert merged.pk == first.pk
    assert merged.primary_email.value == "rina@home.example"
    assert merged.absorbed_count == 1


def test_manager_chooses_the_kept_contact_merges_and_undoes(login, live_server, manager, whatsapp, telegram):
    wa = contact_of(inbound(whatsapp, "6281234567890", "from whatsapp", name="Budi"))
    tg = contact_of(inbound(telegram, "77", "from telegram", name="Budi T", phone="+6281234567890"))
    page = login(manager)
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_role("button", name="Review & merge").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_contain_text("WhatsApp number of Budi")
    dialog.locator(f"input[name=keep][value='{tg.pk}']").check()
    expect(dialog.locator("input[name=target]")).to_have_value(str(tg.pk))
    dialog.get_by_role("button", name="Merge contact").click()
    expect(dialog).to_contain_text("Contacts merged")
    assert Contact.objects.get(pk=wa.pk).root_id == tg.pk
    with page.expect_navigation():  # back to the page the dialog was opened from
        dialog.get_by_role("button", name="Undo").click()
    expect(page.locator("dialog#dialog")).to_be_hidden()
    assert Contact.objects.filter(pk__in=[wa.pk, tg.pk], root__isnull=True).count() == 2
    assert MergeRecord.objects.get(action="merge").undone_by is not None


def test_manager_unmerges_one_profile(login, live_server, manager, whatsapp, email_channel):
    wa = contact_of(inbound(whatsapp, "6281234567890", "halo", name="Sheena"))
    mail = contact_of(inbound(email_channel, "sheena@example.com", "hi", name="Sheena by mail"))
    contact_merge(actor=manager, target=wa, source=mail)
    page = login(manager)
    page.goto(f"{live_server.url}/contacts/")
    row = page.locator(f"#contact-{wa.pk}")
    expect(row.locator(".merged-icon")).to_be_visible()
    row.locator("summary").click()
    row.get_by_role("button", name="Unmerge contact").click()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_contain_text(f"ID {mail.pk}")
    dialog.get_by_label("Sheena by mail").check()
    dialog.get_by_role("button", name="Unmerge").click()
    expect(page.locator(f"#contact-{mail.pk}")).to_be_visible()
    assert Contact.objects.get(pk=mail.pk).root_id is None
    assert MergeRecord.objects.filter(action="unmerge").count() == 1


def test_agent_gets_no_contacts_module_even_by_url(login_through_the_form, live_server, agent):
    page = login_through_the_form(agent)
    expect(page.get_by_role("navigation", name="Modules")).not_to_contain_text("Contacts")
    response = page.goto(f"{live_server.url}/contacts/")
    assert response.status == 403
    response = page.goto(f"{live_server.url}/dashboard/")
    assert response.status == 403


def test_a_message_posted_to_a_webhook_appears_in_an_open_inbox_without_a_reload(login, live_server, agent, whatsapp):
    inbound(whatsapp, "6281111111111", "first customer", name="Ani")
    page = login(agent)
    page.goto(f"{live_server.url}/inbox/")
    expect(page.locator("#conversation-list")).to_contain_text("Ani")
    body = json.dumps(wa_text("6282222222222", "Is the promo still on?", name="Budi Baru")).encode()
    request = urllib.request.Request(
        f"{live_server.url}{whatsapp.webhook_path}",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", **signed_headers(whatsapp, body)},
    )
    with inbound_worker():
        assert urllib.request.urlopen(request).status == 200
        expect(page.locator("#conversation-list")).to_contain_text("Budi Baru", timeout=2500)
        expect(page.locator("#conversation-list")).to_contain_text("Is the promo still on?")


def test_the_ui_in_indonesian(login, live_server, manager, email_channel, webchat):
    inbound(email_channel, "sheena@example.com", "Halo kak", name="Sheena Nelson")
    inbound(webchat, "v1", "Masih ada?", name="Sheena N", email="sheena@example.com")
    page = login(manager)
    page.goto(f"{live_server.url}/")
    page.select_option("#language", "id")
    with page.expect_navigation():
        page.get_by_role("button", name="Change").click()
    navigation = page.get_by_role("navigation", name="Modul")
    expect(navigation).to_contain_text("Pesan")
    expect(navigation).to_contain_text("Kontak")
    expect(navigation).to_contain_text("Dasbor")
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("#dashboard-suggestions")).to_contain_text("Saran penggabungan")
    expect(page.locator("#dashboard-suggestions")).to_contain_text("E-mail sama")
    page.get_by_role("button", name="Tinjau & gabungkan").click()
    expect(page.locator("dialog#dialog")).to_contain_text("Gabungkan kontak")
    assert page.locator("html").get_attribute("lang") == "id"


def test_clicking_a_conversation_opens_it_and_earlier_messages_load(login, live_server, agent, whatsapp):
    inbound(whatsapp, "6281111111111", "the very first message", name="Ani")
    for i in range(55):
        inbound(whatsapp, "6281111111111", f"later message {i}")
    page = login(agent)
    page.goto(f"{live_server.url}/inbox/")
    page.locator("#conversation-list a").first.click()
    expect(page.locator("#timeline")).to_contain_text("later message 54")
    expect(page.locator("#timeline")).not_to_contain_text("the very first message")
    page.get_by_role("button", name="Load earlier messages").click()
    expect(page.locator("#timeline")).to_contain_text("the very first message")
