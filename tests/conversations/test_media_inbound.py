"""Inbound media: the worker fetches each file through the platform's own API (at the local
platform server), sniffs its type, stores it and makes a thumbnail; failures are retried."""

import io

import pytest
from PIL import Image

from channels.models import ChannelKind
from conversations.models import Attachment, AttachmentStatus, Message
from tests.factories import (
    deliver,
    email_with_files,
    make_channel,
    meta_delivery,
    meta_media,
    tg_media,
    wa_media,
)
from tests.worker import run_tasks, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def jpeg_bytes(size=(800, 600), color=(200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


OGG_VOICE = b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead" + b"\x01" * 200
PDF = b"%PDF-1.7\n" + b"0" * 2_000_000 + b"\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def stored_file(attachment: Attachment) -> bytes:
    with attachment.file.open("rb") as handle:
        return handle.read()


def test_whatsapp_image_is_downloaded_with_the_access_token_and_thumbnailed(client, whatsapp, platform, worker_env):
    photo = jpeg_bytes()
    platform.serve_media("1037543291543636", photo)
    deliver(
        client,
        whatsapp,
        wa_media("6281234567890", "image", "1037543291543636", mime_type="image/jpeg", caption="receipt"),
    )
    attachment = Attachment.objects.get()
    assert attachment.status == AttachmentStatus.PENDING
    assert Message.objects.get().body == "receipt"  # the message is there before its media

    run_worker(worker_env)  # the one end-to-end download through the real worker process

    attachment.refresh_from_db()
    assert attachment.status == AttachmentStatus.STORED
    assert (attachment.kind, attachment.content_type, attachment.size) == ("image", "image/jpeg", len(photo))
    assert stored_file(attachment) == photo
    assert platform.downloads == ["/v21.0/1037543291543636", "/wa-media/1037543291543636"]
    with attachment.thumbnail.open("rb") as handle, Image.open(handle) as thumbnail:
        assert max(thumbnail.size) == 320


def test_telegram_voice_note_is_fetched_through_get_file(client, telegram, platform, worker_env):
    platform.serve_media("AwACAgIAAxkBAAIB", OGG_VOICE)
    deliver(client, telegram, tg_media(5123456789, "voice", "AwACAgIAAxkBAAIB", mime_type="audio/ogg", duration=3))
    run_tasks(worker_env)
    attachment = Attachment.objects.get()
    assert (attachment.status, attachment.kind, attachment.content_type) == ("stored", "audio", "audio/ogg")
    assert attachment.renders_as == "audio"
    assert platform.downloads == [
        "/bot123456:bot-token/getFile?file_id=AwACAgIAAxkBAAIB",
        "/file/bot123456:bot-token/documents/AwACAgIAAxkBAAIB.bin",
    ]


def test_messenger_photo_is_fetched_from_its_attachment_url(client, platform, worker_env):
    channel = make_channel(ChannelKind.MESSENGER)
    photo = jpeg_bytes()
    url = platform.serve_media("photo_123.jpg", photo)
    deliver(client, channel, meta_delivery(meta_media("24", "m_photo", url)))
    run_tasks(worker_env)
    attachment = Attachment.objects.get()
    assert (attachment.status, attachment.original_name, attachment.content_type) == (
        "stored",
        "photo_123.jpg",
        "image/jpeg",
    )
    assert stored_file(attachment) == photo


def test_instagram_video_is_fetched_from_its_attachment_url(client, platform, worker_env):
    channel = make_channel(ChannelKind.INSTAGRAM)
    clip = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 4000
    url = platform.serve_media("reel-clip.mp4", clip)
    deliver(client, channel, meta_delivery(meta_media("77", "ig_video", url, kind="video"), object_type="instagram"))
    run_tasks(worker_env)
    attachment = Attachment.objects.get()
    assert (attachment.kind, attachment.status, attachment.content_type) == ("video", "stored", "video/mp4")
    assert attachment.renders_as == "video"


def test_email_attachments_and_inline_images_are_stored_from_the_message(client, email_channel, worker_env):
    logo = jpeg_bytes((64, 64))
    raw = email_with_files(
        "sheena@example.com",
        "Invoice attached",
        [("invoice.pdf", "application/pdf", PDF)],
        inline=("logo@x", "logo.jpg", "image/jpeg", logo),
    )
    assert len(raw) > 2_000_000  # more than the 1 MB refused before
    response = deliver(client, email_channel, raw)
    assert response.status_code == 200
    by_name = {a.original_name: a for a in Attachment.objects.all()}
    assert set(by_name) == {"invoice.pdf", "logo.jpg"}
    assert (by_name["invoice.pdf"].status, by_name["invoice.pdf"].content_type) == ("stored", "application/pdf")
    assert stored_file(by_name["invoice.pdf"]) == PDF
    assert by_name["logo.jpg"].renders_as == "image"
    run_tasks(worker_env)  # thumbnails
    by_name["logo.jpg"].refresh_from_db()
    assert by_name["logo.jpg"].thumbnail


def test_file_over_the_channel_limit_is_marked_too_large(client, whatsapp, platform, worker_env):
    platform.serve_media("big-video", b"\x00\x00\x00\x18ftypmp42" + b"0" * 5000)
    deliver(client, whatsapp, wa_media("6281234567890", "video", "big-video", mime_type="video/mp4"))
    run_tasks({**worker_env, "MEDIA_MAX_BYTES_WHATSAPP": "4096"})
    attachment = Attachment.objects.get()
    assert attachment.status == AttachmentStatus.TOO_LARGE
    assert not attachment.file
    assert "4096" in attachment.error


def test_email_attachment_over_the_limit_is_too_large_and_the_message_kept(client, email_channel, settings):
    settings.MEDIA_MAX_BYTES = {"email": 1000}
    deliver(client, email_channel, email_with_files("a@example.com", "see file", [("x.pdf", "application/pdf", PDF)]))
    attachment = Attachment.objects.get()
    assert attachment.status == AttachmentStatus.TOO_LARGE
    assert "see file" in Message.objects.get().body


def test_a_declared_image_that_is_html_is_stored_as_html(client, whatsapp, platform, worker_env):
    platform.serve_media("liar", HTML)
    deliver(client, whatsapp, wa_media("6281234567890", "image", "liar", mime_type="image/jpeg"))
    run_tasks(worker_env)
    attachment = Attachment.objects.get()
    assert (attachment.declared_type, attachment.content_type) == ("image/jpeg", "text/html")
    assert attachment.renders_as == "file"
    assert not attachment.thumbnail


def test_failed_download_is_retried_until_it_succeeds(client, whatsapp, platform, worker_env):
    platform.serve_media("flaky", jpeg_bytes())
    platform.failing_downloads = 2
    deliver(client, whatsapp, wa_media("6281234567890", "image", "flaky", mime_type="image/jpeg"))
    run_tasks({**worker_env, "MEDIA_RETRY_BACKOFF_SECONDS": "0"})
    attachment = Attachment.objects.get()
    assert attachment.status == AttachmentStatus.STORED
    assert attachment.attempts == 2


def test_download_that_keeps_failing_is_marked_failed_after_the_last_attempt(client, whatsapp, platform, worker_env):
    deliver(client, whatsapp, wa_media("6281234567890", "document", "expired", mime_type="application/pdf"))
    run_tasks({**worker_env, "MEDIA_RETRY_BACKOFF_SECONDS": "0", "MEDIA_DOWNLOAD_ATTEMPTS": "3"})
    attachment = Attachment.objects.get()
    assert (attachment.status, attachment.attempts) == (AttachmentStatus.FAILED, 3)
    assert "does not exist" in attachment.error  # the Graph API answer, kept for the agent


def test_only_e_mail_webhooks_take_bodies_larger_than_the_webhook_limit(client, whatsapp, email_channel, settings):
    settings.WEBHOOK_MAX_BYTES = 10_000
    settings.EMAIL_WEBHOOK_MAX_BYTES = 3_000_000
    big_email = email_with_files("a@example.com", "scan", [("scan.pdf", "application/pdf", PDF)])
    assert deliver(client, email_channel, big_email).status_code == 200
    assert (
        deliver(client, whatsapp, wa_media("6281234567890", "image", "x" * 20_000, mime_type="image/jpeg")).status_code
        == 413
    )
