"""Serving media: only to users who may see the conversation, never rendered if not a type we
render, with nosniff; the timeline shows each kind; Retry re-downloads a failed file."""

from django.urls import reverse

from conversations.attachments import attachments_store
from conversations.media import thumbnail_make
from conversations.models import Attachment, AttachmentStatus
from tests.conversations.test_media_inbound import HTML, jpeg_bytes
from tests.factories import inbound


def attach(channel, items, contents=None, external_id="6281234567890"):
    message = inbound(channel, external_id, "here you go")
    return message, attachments_store(message=message, items=items, contents=contents or {})


def stored(channel, content: bytes, *, kind="document", name="file.bin", declared=""):
    item = {"kind": kind, "ref": "r", "filename": name, "mime_type": declared}
    message, (attachment,) = attach(channel, [item], {"r": content})
    return message, Attachment.objects.get(pk=attachment.pk)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_an_image_is_served_inline_with_its_sniffed_type(client, agent, whatsapp):
    _, attachment = stored(whatsapp, jpeg_bytes(), kind="image", name="receipt.jpg", declared="image/png")
    client.force_login(agent)
    response = client.get(reverse("conversations:attachment_file", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert body_of(response) == jpeg_bytes()


def test_an_html_file_is_served_as_a_download_never_rendered(client, agent, whatsapp):
    _, attachment = stored(whatsapp, HTML, kind="image", name="photo.jpg", declared="image/jpeg")
    client.force_login(agent)
    response = client.get(reverse("conversations:attachment_file", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_pdf_is_a_download_with_its_name(client, agent, email_channel):
    _, attachment = stored(email_channel, b"%PDF-1.4\n...", name="invoice 7.pdf")
    client.force_login(agent)
    response = client.get(reverse("conversations:attachment_file", args=[attachment.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert "invoice 7.pdf" in response["Content-Disposition"]


def test_agent_without_the_channel_gets_no_file(client, agent_without_access, whatsapp):
    _, attachment = stored(whatsapp, jpeg_bytes(), kind="image")
    client.force_login(agent_without_access)
    for name in ("attachment_file", "attachment_thumbnail", "attachment"):
        assert client.get(reverse(f"conversations:{name}", args=[attachment.pk])).status_code == 404
    assert client.post(reverse("conversations:attachment_retry", args=[attachment.pk])).status_code == 404


def test_anonymous_users_are_sent_to_login(client, whatsapp):
    _, attachment = stored(whatsapp, jpeg_bytes(), kind="image")
    response = client.get(reverse("conversations:attachment_file", args=[attachment.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_file_view_refuses_post(client, agent, whatsapp):
    _, attachment = stored(whatsapp, jpeg_bytes(), kind="image")
    client.force_login(agent)
    assert client.post(reverse("conversations:attachment_file", args=[attachment.pk])).status_code == 405


def test_thumbnail_is_made_once_and_served_as_jpeg(client, agent, whatsapp):
    _, attachment = stored(whatsapp, jpeg_bytes((1600, 1200)), kind="image")
    assert thumbnail_make(attachment=attachment)
    attachment.refresh_from_db()
    first = attachment.thumbnail.name
    thumbnail_make(attachment=attachment)
    attachment.refresh_from_db()
    assert attachment.thumbnail.name == first
    client.force_login(agent)
    response = client.get(reverse("conversations:attachment_thumbnail", args=[attachment.pk]))
    assert response["Content-Type"] == "image/jpeg"
    assert len(body_of(response)) < len(jpeg_bytes((1600, 1200)))


def test_timeline_shows_each_kind_of_media(client, agent, whatsapp, django_assert_max_num_queries):
    message, _ = attach(
        whatsapp,
        [
            {"kind": "image", "ref": "i", "filename": "photo.jpg"},
            {"kind": "audio", "ref": "a"},
            {"kind": "document", "ref": "d", "filename": "invoice.pdf"},
            {"kind": "location", "latitude": -6.2, "longitude": 106.816666, "label": "Monas"},
            {"kind": "video", "ref": "v", "filename": "clip.mp4"},
        ],
        {"i": jpeg_bytes(), "a": b"OggS" + b"\x00" * 100, "d": b"%PDF-1.4 " + b"x" * 2048},
    )
    client.force_login(agent)
    with django_assert_max_num_queries(40):
        page = client.get(reverse("conversations:detail", args=[message.conversation_id])).content.decode()
    image, audio, document, location, video = message.media.order_by("pk")
    assert f'href="/inbox/attachments/{image.pk}/file/"' in page and "<img" in page
    assert f'<audio controls preload="metadata" src="/inbox/attachments/{audio.pk}/file/"' in page
    assert "invoice.pdf</a>" in page and "2.0\xa0KB" in page
    assert "openstreetmap.org/?mlat=-6.200000&amp;mlon=106.816666" in page and "Monas" in page
    assert "Downloading clip.mp4…" in page  # not stored yet: no player, no broken link
    assert f'hx-get="/inbox/attachments/{video.pk}/"' in page


def test_failed_download_shows_could_not_be_downloaded_and_retry_queues_it_again(client, agent, whatsapp):
    _, (attachment,) = attach(whatsapp, [{"kind": "document", "ref": "gone", "filename": "contract.pdf"}])
    Attachment.objects.filter(pk=attachment.pk).update(status=AttachmentStatus.FAILED, attempts=5, error="HTTP 404")
    client.force_login(agent)
    fragment = client.get(reverse("conversations:attachment", args=[attachment.pk])).content.decode()
    assert "contract.pdf could not be downloaded." in fragment and "Retry" in fragment
    response = client.post(
        reverse("conversations:attachment_retry", args=[attachment.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Downloading contract.pdf…" in response.content.decode()
    attachment.refresh_from_db()
    assert (attachment.status, attachment.attempts) == (AttachmentStatus.PENDING, 0)


def test_the_conversation_list_says_attachment_for_a_file_without_text(client, agent, whatsapp):
    message = inbound(whatsapp, "6281234567890", "")
    attachments_store(message=message, items=[{"kind": "image", "ref": "i"}], contents={"i": jpeg_bytes()})
    client.force_login(agent)
    page = client.get(reverse("conversations:inbox")).content.decode()
    assert "<em>Attachment</em>" in page


def test_a_file_without_a_name_downloads_as_its_kind_with_the_right_extension(client, agent, whatsapp):
    _, attachment = stored(whatsapp, jpeg_bytes(), kind="image", name="")
    assert attachment.display_name == "Image.jpg"
