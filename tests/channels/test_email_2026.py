"""E-mail the product used to refuse or mis-file, posted through the mail pipe URL (bearer token)
and processed like the inbound worker does."""

import base64
import json

from django.db import connection

from channels.models import ChannelIdentity, InboundDelivery
from channels.platforms.base import Outbound
from channels.platforms.email import client as email_client
from contacts.models import Contact
from conversations.models import Attachment, DeliveryStatus, Direction, Message
from tests.factories import deliver, email_raw, process_inbound


def test_mail_without_message_id_is_stored_once_under_a_stable_key(client, email_channel):
    raw = b"From: Sheena <sheena@example.com>\r\nSubject: hi\r\n\r\nno id here\r\n"
    deliver(client, email_channel, raw)
    deliver(client, email_channel, raw)
    stored = Message.objects.get()
    assert stored.platform_message_id.endswith("@no-message-id.invalid>")
    assert "no id here" in stored.body


def test_the_address_in_angle_brackets_is_the_sender_never_the_display_name(client, email_channel):
    raw = email_raw("bob@example.com", "it is me, honest", name="alice@example.com")
    deliver(client, email_channel, raw)
    identity = ChannelIdentity.objects.get()
    assert identity.external_id == "bob@example.com"
    assert identity.contact.primary_email.value == "bob@example.com"
    assert "alice" not in identity.contact.name


def test_a_25_mb_limit_accepts_mail_with_a_large_attachment(client, email_channel):
    pdf = b"JVBERi0xLjQK" * 200_000  # 2.4 MB of base64
    raw = (
        b"From: Sheena <sheena@example.com>\r\nMessage-ID: <big@x>\r\nSubject: invoice\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n'
        b'--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="inv.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + pdf + b"\r\n--B--\r\n"
    )
    assert deliver(client, email_channel, raw).status_code == 200
    stored = Message.objects.get()
    assert "see attached" in stored.body and stored.attachments[0]["filename"] == "inv.pdf"
    assert InboundDelivery.objects.get().body_file  # kept in file storage, not in the row


def _mail_with_attachment(size: int) -> bytes:
    """A real mail: a PDF of `size` bytes, base64 in 76-character lines as mail clients send it."""
    content = (b"%PDF-1.4\n" + bytes(range(256)) * (size // 256 + 1))[:size]
    encoded = base64.encodebytes(content).replace(b"\n", b"\r\n")
    return (
        b"From: Sheena <sheena@example.com>\r\nMessage-ID: <huge@x>\r\nSubject: scans\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nall pages\r\n'
        b'--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="scans.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded + b"\r\n--B--\r\n"
    )


def test_a_mail_of_25_mb_is_accepted_whole_with_its_attachment(client, email_channel, settings):
    size = settings.EMAIL_MAX_BYTES - 512 * 1024  # just under the 25 MB attachment limit
    raw = _mail_with_attachment(size)
    assert len(raw) > 32 * 1024 * 1024  # base64 and line breaks: the message itself is about 33 MB
    assert deliver(client, email_channel, raw).status_code == 200
    assert InboundDelivery.objects.get().status == InboundDelivery.Status.DONE
    stored = Message.objects.get()
    assert "all pages" in stored.body
    attachment = Attachment.objects.get(message=stored)
    assert attachment.size == size and attachment.file.size == size


def test_a_mail_over_the_hard_limit_gets_413_and_nothing_is_kept(client, email_channel, settings):
    raw = _mail_with_attachment(settings.EMAIL_WEBHOOK_MAX_BYTES * 3 // 4 + 1024)
    assert len(raw) > settings.EMAIL_WEBHOOK_MAX_BYTES
    assert deliver(client, email_channel, raw).status_code == 413
    assert InboundDelivery.objects.count() == 0 and Message.objects.count() == 0


def test_a_webhook_over_the_default_hard_limit_gets_413(client, whatsapp, settings):
    body = json.dumps({"object": "whatsapp_business_account", "entry": [], "pad": "x" * settings.WEBHOOK_MAX_BYTES})
    assert settings.WEBHOOK_MAX_BYTES == 25 * 1024 * 1024  # the documented default, not a test override
    assert deliver(client, whatsapp, body).status_code == 413
    assert InboundDelivery.objects.count() == 0


def test_a_bounce_marks_the_message_it_answers_failed(client, email_channel):
    deliver(client, email_channel, email_raw("sheena@example.com", "hello"))
    inbound = Message.objects.get()
    sent = Message.objects.create(
        conversation=inbound.conversation,
        identity=inbound.identity,
        channel=email_channel,
        direction=Direction.OUTBOUND,
        body="our answer",
        status=DeliveryStatus.SENT,
        platform_message_id="<answer-1@shop.example>",
    )
    bounce = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.shop.example>\r\nTo: support@shop.example\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce-1@mx>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
        b"--R\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n"
        b"--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.shop.example\r\n\r\n"
        b"Final-Recipient: rfc822; sheena@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        b"--R\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@shop.example\r\n"
        b"Message-ID: <answer-1@shop.example>\r\nSubject: Re: hello\r\n"
        b"--R--\r\n"
    )
    deliver(client, email_channel, bounce)
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.FAILED and "550 5.1.1 user unknown" in sent.error
    assert Contact.objects.count() == 1  # the mailer daemon is nobody's contact


def test_auto_replies_create_no_contact(client, email_channel):
    for header in ("Auto-Submitted: auto-replied", "X-Autoreply: yes", "Precedence: auto_reply"):
        deliver(
            client,
            email_channel,
            email_raw(f"ooo{len(header)}@example.com", "I am away", extra_headers=f"{header}\r\n"),
        )
    assert Contact.objects.count() == 0 and Message.objects.count() == 0
    assert set(InboundDelivery.objects.values_list("status", flat=True)) == {"done"}


def test_cr_and_lf_hidden_in_encoded_headers_are_never_stored_or_reused(client, email_channel):
    raw = (
        b"From: Sheena <sheena@example.com>\r\n"
        b"Subject: =?utf-8?b?SGVsbG8NCkJjYzogZXZpbEBleGFtcGxlLmNvbQ==?=\r\n"  # "Hello\r\nBcc: evil@example.com"
        b"Message-ID: <clean@x>\r\n\r\nbody\r\n"
    )
    deliver(client, email_channel, raw)
    stored = Message.objects.get()
    first_line = stored.body.split("\n", 1)[0]
    assert first_line == "Hello Bcc: evil@example.com"
    email_client.send_text(
        Outbound(
            channel=email_channel,
            recipient="sheena@example.com",
            body="answer",
            local_id=1,
            in_reply_to="<clean@x>\r\nBcc: evil@example.com",
            subject="Re: Hello\r\nBcc: evil@example.com",
        )
    )
    from django.core import mail

    sent = mail.outbox[-1]
    assert "\n" not in sent.subject and "\n" not in sent.extra_headers["In-Reply-To"]
    assert sent.recipients() == ["sheena@example.com"]


def test_mime_nested_1200_deep_fails_that_delivery_cleanly(client, email_channel):
    depth = 1200
    head = b"From: a@example.com\r\nMessage-ID: <deep@x>\r\nMIME-Version: 1.0\r\n"
    parts = b"".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode() for i in range(depth))
    raw = head + parts + b"Content-Type: text/plain\r\n\r\ndeep\r\n"
    assert deliver(client, email_channel, raw).status_code == 200
    delivery = InboundDelivery.objects.get()
    assert delivery.status == "failed" and "nested too deeply" in delivery.error
    assert connection.is_usable()
    assert "0 deliveries processed" in process_inbound()


def test_a_send_that_raises_anything_ends_failed_with_the_reason_and_can_be_retried(
    client, email_channel, agent, monkeypatch
):
    from conversations.delivery import message_deliver
    from conversations.services import message_retry, message_send

    deliver(client, email_channel, email_raw("sheena@example.com", "hello"))
    inbound = Message.objects.get()
    reply = message_send(actor=agent, conversation=inbound.conversation, identity=inbound.identity, body="answer")

    def broken(*args, **kwargs):  # what Django's mail raises on a header with a line break
        raise ValueError("Header values may not contain linefeed or carriage return characters")

    monkeypatch.setattr("django.core.mail.message.EmailMessage.send", broken)
    assert message_deliver(message_id=reply.pk) == DeliveryStatus.FAILED  # never stuck "pending"
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.FAILED and "linefeed" in reply.error
    monkeypatch.undo()
    message_retry(actor=agent, message=reply)
    assert message_deliver(message_id=reply.pk) == DeliveryStatus.SENT
