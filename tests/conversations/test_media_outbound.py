"""Agents send files: each platform's real media API at the local platform server (WhatsApp
upload then message, Telegram sendPhoto/sendVoice/sendDocument, Messenger attachment upload,
SMTP attachment, web chat download link); a channel that cannot send a file says so first."""

import json
from email import message_from_bytes, policy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from guardian.shortcuts import assign_perm

from channels.models import ChannelIdentity, ChannelKind
from conversations.attachments import Upload
from conversations.models import Attachment, Conversation, DeliveryStatus, Message
from conversations.services import SendRefused, message_send
from tests.conversations.test_media_inbound import HTML, OGG_VOICE, PDF, jpeg_bytes
from tests.conversations.test_outbound import smtp_server  # noqa: F401 (a fixture)
from tests.factories import deliver, email_raw, make_channel, meta_delivery, meta_message, tg_text, wa_text
from tests.worker import run_tasks

pytestmark = pytest.mark.django_db(transaction=True)


def send_file(agent, channel, name, content, body="", declared="application/octet-stream"):
    conversation = Conversation.objects.get()
    identity = ChannelIdentity.objects.get(channel=channel)
    upload = Upload(name=name, declared_type=declared, content=content)
    return message_send(actor=agent, conversation=conversation, identity=identity, body=body, upload=upload)


def test_whatsapp_pdf_is_uploaded_then_sent_as_a_document(client, whatsapp, agent, platform, worker_env):
    deliver(client, whatsapp, wa_text("6281234567890", "invoice please"))
    message = send_file(agent, whatsapp, "invoice-7.pdf", PDF, body="Your invoice")
    run_tasks(worker_env)
    upload, sent = platform.requests[-2:]
    assert upload.path == "/v21.0/106540352242922/media"
    assert upload.headers["Authorization"] == "Bearer wa-token"
    assert upload.body == {"messaging_product": "whatsapp", "type": "application/pdf"}
    assert upload.files["file"] == ("invoice-7.pdf", "application/pdf", PDF)
    assert sent.path == "/v21.0/106540352242922/messages"
    assert sent.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "document",
        "document": {"id": upload_id(platform, upload), "caption": "Your invoice", "filename": "invoice-7.pdf"},
    }
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT


def upload_id(platform, upload) -> str:
    return f"wa-upload-{platform.requests.index(upload) + 1}"


def test_whatsapp_photo_goes_as_an_image(client, whatsapp, agent, platform, worker_env):
    deliver(client, whatsapp, wa_text("6281234567890", "photo?"))
    send_file(agent, whatsapp, "shirt.jpg", jpeg_bytes())
    run_tasks(worker_env)
    sent = platform.requests[-1].body
    assert sent["type"] == "image" and set(sent["image"]) == {"id"}


def test_a_file_that_lies_about_its_type_is_sent_as_a_document(client, whatsapp, agent, platform, worker_env):
    deliver(client, whatsapp, wa_text("6281234567890", "hi"))
    message = send_file(agent, whatsapp, "cat.png", HTML, declared="image/png")
    assert message.media.get().kind == "document"
    run_tasks(worker_env)
    upload = next(r for r in platform.requests if r.path.endswith("/media"))
    assert upload.body["type"] == "text/html"
    assert platform.requests[-1].body["type"] == "document"


def test_telegram_photo_uses_send_photo_and_a_voice_note_send_voice(client, telegram, agent, platform, worker_env):
    deliver(client, telegram, tg_text(5123456789, "hi"))
    send_file(agent, telegram, "shirt.jpg", jpeg_bytes(), body="In blue")
    send_file(agent, telegram, "note.ogg", OGG_VOICE)
    send_file(agent, telegram, "terms.pdf", b"%PDF-1.4 terms")
    run_tasks(worker_env)
    by_method = {r.path.rsplit("/", 1)[-1]: r for r in platform.requests}
    assert by_method["sendPhoto"].body == {"chat_id": "5123456789", "caption": "In blue"}
    assert by_method["sendPhoto"].files["photo"][0] == "shirt.jpg"
    assert by_method["sendVoice"].files["voice"] == ("note.ogg", "audio/ogg", OGG_VOICE)
    assert by_method["sendDocument"].files["document"][:2] == ("terms.pdf", "application/pdf")
    assert set(Message.objects.filter(direction="out").values_list("status", flat=True)) == {"sent"}


def test_messenger_file_is_uploaded_as_an_attachment_then_sent(client, agent, platform, worker_env):
    channel = make_channel(ChannelKind.MESSENGER)
    assign_perm("channels.access_channel", agent, channel)
    deliver(client, channel, meta_delivery(meta_message("6543", "hi", "m1")))
    Message.objects.update(created_at="2099-01-01T00:00:00Z")
    ChannelIdentity.objects.update(last_inbound_at="2099-01-01T00:00:00Z")
    send_file(agent, channel, "shirt.jpg", jpeg_bytes())
    run_tasks(worker_env)
    upload, sent = platform.requests[-2:]
    assert upload.path == "/me/message_attachments?access_token=page-token"
    assert json.loads(upload.body["message"]) == {"attachment": {"type": "image", "payload": {"is_reusable": True}}}
    assert upload.files["filedata"][:2] == ("shirt.jpg", "image/jpeg")
    assert sent.body["message"] == {
        "attachment": {"type": "image", "payload": {"attachment_id": f"fb-attachment-{len(platform.requests) - 1}"}}
    }


def test_email_reply_carries_the_file_as_an_smtp_attachment(client, email_channel, agent, smtp_server, worker_env):  # noqa: F811
    deliver(client, email_channel, email_raw("sheena@example.com", "Send the form", subject="Form"))
    send_file(agent, email_channel, "form.pdf", b"%PDF-1.4 form", body="Here it is")
    run_tasks(worker_env)
    _, content = smtp_server.messages[-1]
    sent = message_from_bytes(content, policy=policy.default)
    (attached,) = list(sent.iter_attachments())
    assert (attached.get_filename(), attached.get_content_type()) == ("form.pdf", "application/pdf")
    assert attached.get_content() == b"%PDF-1.4 form"


def test_web_chat_visitor_gets_a_download_link(client, webchat, agent, worker_env):
    response = client.post(
        reverse("inbound:widget_sessions", args=[webchat.public_id]), data={}, content_type="application/json"
    )
    token = response.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    client.post(
        reverse("inbound:widget_messages", args=[webchat.public_id]),
        data={"text": "menu?", "client_id": "c1"},
        content_type="application/json",
        headers=auth,
    )
    send_file(agent, webchat, "menu.pdf", b"%PDF-1.4 menu")
    run_tasks(worker_env)
    messages = client.get(reverse("inbound:widget_messages", args=[webchat.public_id]), headers=auth).json()
    (link,) = messages["messages"][-1]["files"]
    assert (link["name"], link["size"]) == ("menu.pdf", 13)
    download = client.get(link["url"])
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 menu"
    assert client.get(link["url"][:-3] + "xyz").status_code == 404


def test_instagram_refuses_a_file_before_sending(client, agent, platform):
    channel = make_channel(ChannelKind.INSTAGRAM)
    assign_perm("channels.access_channel", agent, channel)
    deliver(client, channel, meta_delivery(meta_message("77", "hi", "ig1"), object_type="instagram"))
    Message.objects.update(created_at="2099-01-01T00:00:00Z")
    ChannelIdentity.objects.update(last_inbound_at="2099-01-01T00:00:00Z")
    with pytest.raises(SendRefused, match="Instagram cannot send"):
        send_file(agent, channel, "shirt.jpg", jpeg_bytes())
    assert not Message.objects.filter(direction="out").exists()
    assert not Attachment.objects.exists()


def test_a_file_over_the_channel_limit_is_refused_before_sending(client, telegram, agent, settings):
    settings.MEDIA_MAX_BYTES = {"telegram": 1000}
    deliver(client, telegram, tg_text(5123456789, "hi"))
    with pytest.raises(SendRefused, match="up to 1000"):
        send_file(agent, telegram, "big.pdf", PDF)


def test_composer_sends_an_uploaded_file(client, whatsapp, agent):
    deliver(client, whatsapp, wa_text("6281234567890", "hi"))
    conversation = Conversation.objects.get()
    identity = ChannelIdentity.objects.get()
    client.force_login(agent)
    response = client.post(
        reverse("conversations:send", args=[conversation.pk]),
        {"identity": identity.pk, "body": "", "file": SimpleUploadedFile("scan.pdf", b"%PDF-1.4 s", "application/pdf")},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    attachment = Attachment.objects.get(message__direction="out")
    assert (attachment.original_name, attachment.content_type, attachment.status) == (
        "scan.pdf",
        "application/pdf",
        "stored",
    )
    assert "scan.pdf</a>" in response.content.decode()


def test_composer_says_why_a_channel_cannot_send_the_file(client, agent):
    channel = make_channel(ChannelKind.INSTAGRAM)
    assign_perm("channels.access_channel", agent, channel)
    deliver(client, channel, meta_delivery(meta_message("77", "hi", "ig1"), object_type="instagram"))
    Message.objects.update(created_at="2099-01-01T00:00:00Z")
    ChannelIdentity.objects.update(last_inbound_at="2099-01-01T00:00:00Z")
    client.force_login(agent)
    conversation = Conversation.objects.get()
    page = client.get(reverse("conversations:detail", args=[conversation.pk])).content.decode()
    assert 'data-media=""' in page  # the composer's script warns before sending
    response = client.post(
        reverse("conversations:send", args=[conversation.pk]),
        {"identity": ChannelIdentity.objects.get().pk, "file": SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg")},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Instagram cannot send a file of this kind (image)." in response.content.decode()


def test_composer_refuses_a_message_with_neither_text_nor_file(client, whatsapp, agent):
    deliver(client, whatsapp, wa_text("6281234567890", "hi"))
    client.force_login(agent)
    conversation = Conversation.objects.get()
    response = client.post(
        reverse("conversations:send", args=[conversation.pk]),
        {"identity": ChannelIdentity.objects.get().pk, "body": "  "},
        headers={"HX-Request": "true"},
    )
    assert "Write a message or attach a file." in response.content.decode()
    assert not Message.objects.filter(direction="out").exists()


def test_an_uploaded_file_keeps_its_name_without_any_path(client, whatsapp, agent):
    deliver(client, whatsapp, wa_text("6281234567890", "hi"))
    message = send_file(agent, whatsapp, "..\\..\\tmp/../My invoice (1).pdf", b"%PDF-1.4 x")
    assert message.media.get().original_name == "My invoice (1).pdf"


def test_composer_refuses_a_file_over_the_upload_limit_before_reading_it(client, whatsapp, agent, settings):
    settings.MEDIA_UPLOAD_MAX_BYTES = 1024
    deliver(client, whatsapp, wa_text("6281234567890", "hi"))
    client.force_login(agent)
    response = client.post(
        reverse("conversations:send", args=[Conversation.objects.get().pk]),
        {"identity": ChannelIdentity.objects.get().pk, "file": SimpleUploadedFile("big.pdf", PDF, "application/pdf")},
        headers={"HX-Request": "true"},
    )
    assert "Files can be up to 1.0\xa0KB." in response.content.decode()
    assert not Message.objects.filter(direction="out").exists()
