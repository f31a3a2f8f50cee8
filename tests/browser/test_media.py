"""Media end to end in Chromium: a WhatsApp image, a Telegram voice note, a 2 MB PDF by e-mail and
a Messenger photo show in one (merged) timeline; the agent replies on WhatsApp with a PDF and the
local platform server receives the upload and the message in WhatsApp's format."""

import os

import pytest
from guardian.shortcuts import assign_perm
from playwright.sync_api import expect

from channels.models import ChannelIdentity, ChannelKind
from config.workspace.models import Role
from contacts.models import Contact
from merging.services import contact_merge
from tests.conversations.test_media_inbound import OGG_VOICE, PDF, jpeg_bytes
from tests.factories import (
    UserFactory,
    deliver,
    email_with_files,
    make_channel,
    meta_delivery,
    meta_media,
    meta_message,
    tg_media,
    wa_media,
)
from tests.worker import run_tasks

pytestmark = pytest.mark.django_db(transaction=True)

# MEDIA_SCREENSHOT=docs/screenshots/inbox-media.png keeps a picture of the timeline.
SCREENSHOT = os.environ.get("MEDIA_SCREENSHOT", "")


def test_media_from_four_platforms_show_in_the_timeline_and_a_pdf_reply_reaches_whatsapp(
    client, login, live_server, whatsapp, telegram, email_channel, platform, worker_env, manager, tmp_path
):
    messenger = make_channel(ChannelKind.MESSENGER)
    agent = UserFactory(username="ayu", role=Role.AGENT)
    for channel in (whatsapp, telegram, email_channel, messenger):
        assign_perm("channels.access_channel", agent, channel)

    platform.serve_media("wa-photo-1", jpeg_bytes((1200, 900), (30, 120, 200)))
    deliver(
        client, whatsapp, wa_media("6281234567890", "image", "wa-photo-1", mime_type="image/jpeg", caption="My receipt")
    )
    platform.serve_media("tg-voice-1", OGG_VOICE)
    deliver(client, telegram, tg_media(5123456789, "voice", "tg-voice-1", mime_type="audio/ogg", duration=4))
    deliver(
        client,
        email_channel,
        email_with_files("sheena@example.com", "Invoice attached", [("invoice-2026-11.pdf", "application/pdf", PDF)]),
    )
    url = platform.serve_media("fb_photo.jpg", jpeg_bytes((640, 480), (40, 160, 90)))
    deliver(client, messenger, meta_delivery(meta_media("24", "m_photo", url)))
    # The downloads and the send, by the worker's loop in this process: the real worker process
    # downloads and sends in tests/conversations/test_media_inbound.py and test_outbound.py.
    run_tasks(worker_env)

    contacts = list(Contact.objects.order_by("pk"))
    for other in contacts[1:]:
        contact_merge(actor=manager, target=contacts[0], source=other)

    page = login(agent)
    page.goto(f"{live_server.url}/inbox/contact/{contacts[0].pk}/")
    timeline = page.locator("#timeline")
    expect(timeline.locator(".attachment-image img")).to_have_count(2)
    for image in timeline.locator(".attachment-image img").all():
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    expect(timeline.locator(".attachment-audio audio[controls]")).to_have_count(1)
    expect(timeline.locator(".attachment-file")).to_contain_text("invoice-2026-11.pdf")
    expect(timeline.locator(".attachment-file")).to_contain_text("1.9 MB")
    expect(timeline).to_contain_text("My receipt")
    if SCREENSHOT:
        page.set_viewport_size({"width": 1280, "height": 1500})
        page.screenshot(path=SCREENSHOT)

    reply = tmp_path / "quote.pdf"
    reply.write_bytes(b"%PDF-1.7\n" + b"1" * 50_000)
    wa_identity = ChannelIdentity.objects.get(channel=whatsapp)
    page.select_option("#identity", str(wa_identity.pk))
    page.fill("#body", "Here is your quote")
    page.set_input_files("#file", str(reply))
    expect(page.locator("#attach-warning")).to_be_hidden()
    page.click("form[data-composer] button[type=submit]")
    expect(timeline.locator(".message.out .attachment-file")).to_contain_text("quote.pdf")
    run_tasks(worker_env)

    upload, sent = platform.requests[-2:]
    assert upload.path == "/v21.0/106540352242922/media"
    assert upload.body == {"messaging_product": "whatsapp", "type": "application/pdf"}
    assert upload.files["file"] == ("quote.pdf", "application/pdf", reply.read_bytes())
    assert sent.body["to"] == "6281234567890"
    assert sent.body["type"] == "document"
    assert sent.body["document"]["filename"] == "quote.pdf"
    assert sent.body["document"]["caption"] == "Here is your quote"


def test_composer_warns_before_sending_a_file_the_channel_cannot_send(
    client, login, live_server, platform, worker_env, tmp_path
):
    instagram = make_channel(ChannelKind.INSTAGRAM)
    agent = UserFactory(username="ayu", role=Role.AGENT)
    assign_perm("channels.access_channel", agent, instagram)
    deliver(client, instagram, meta_delivery(meta_message("77", "hi", "ig1"), object_type="instagram"))
    photo = tmp_path / "shirt.jpg"
    photo.write_bytes(jpeg_bytes())
    page = login(agent)
    page.goto(f"{live_server.url}/inbox/contact/{Contact.objects.get().pk}/")
    page.set_input_files("#file", str(photo))
    expect(page.locator("#attach-warning")).to_have_text("Instagram cannot send this kind of file (image).")
    expect(page.locator("form[data-composer] button[type=submit]")).to_be_disabled()


def test_the_message_shows_at_once_and_its_photo_appears_when_downloaded(
    client, login, live_server, whatsapp, platform, worker_env
):
    agent = UserFactory(username="ayu", role=Role.AGENT)
    assign_perm("channels.access_channel", agent, whatsapp)
    platform.serve_media("late-photo", jpeg_bytes((500, 500), (200, 150, 30)))
    deliver(
        client,
        whatsapp,
        wa_media("6281234567890", "image", "late-photo", mime_type="image/jpeg", caption="Is this the right one?"),
    )
    page = login(agent)
    page.goto(f"{live_server.url}/inbox/contact/{Contact.objects.get().pk}/")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Is this the right one?")
    expect(timeline.locator(".attachment-missing")).to_contain_text("Downloading")
    run_tasks(worker_env)
    expect(timeline.locator(".attachment-image img")).to_be_visible(timeout=10_000)
