from pathlib import Path

from channels.models import ChannelIdentity, InboundDelivery
from contacts.models import Contact
from conversations.models import Message
from tests.factories import deliver, email_raw, webchat_message

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"


def test_sample_email_creates_contact_named_from_the_display_name(client, email_channel):
    response = deliver(client, email_channel, (PAYLOADS / "email_plain.eml").read_bytes())
    assert response.status_code == 200
    identity = ChannelIdentity.objects.get(channel=email_channel)
    assert identity.external_id == "sheena.nelson@example.com"
    assert identity.contact.name == "Sheena Nelson"
    assert identity.contact.primary_email.value == "sheena.nelson@example.com"
    message = Message.objects.get()
    assert message.body.startswith("Another color?")
    assert "Does it come in another color?" in message.body


def test_encoded_word_headers_are_decoded(client, email_channel):
    raw = email_raw(
        "andre@example.fr",
        "Bonjour",
        name="=?utf-8?q?Andr=C3=A9_B=C3=A9rub=C3=A9?=",
        subject="=?utf-8?b?Q29tbWFuZGUgbsKwNDI=?=",
    )
    deliver(client, email_channel, raw)
    assert Contact.objects.get().name == "André Bérubé"
    assert Message.objects.get().body.startswith("Commande n°42")


def test_html_only_body_is_shown_as_safe_text(client, email_channel):
    raw = (
        b"From: a@example.com\r\nSubject: Hi\r\nMessage-ID: <h1@x>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{}</style></head><body><p>Hello <b>there</b></p>"
        b"<script>alert(1)</script><p>&lt;3 &amp; bye</p></body></html>"
    )
    deliver(client, email_channel, raw)
    body = Message.objects.get().body
    assert "<" not in body.replace("<3", "")
    assert "alert" not in body
    assert "Hello there" in body and "<3 & bye" in body


def test_multipart_prefers_plain_text_and_records_attachments(client, email_channel):
    raw = (
        b"From: a@example.com\r\nSubject: Invoice\r\nMessage-ID: <mp@x>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b'--B\r\nContent-Type: multipart/alternative; boundary="C"\r\n\r\n'
        b"--C\r\nContent-Type: text/plain\r\n\r\nplain version\r\n"
        b"--C\r\nContent-Type: text/html\r\n\r\n<p>html version</p>\r\n--C--\r\n"
        b'--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="inv.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--B--\r\n"
    )
    deliver(client, email_channel, raw)
    message = Message.objects.get()
    assert "plain version" in message.body and "html version" not in message.body
    stored = message.media.get()
    assert (stored.original_name, stored.content_type, stored.size, stored.status) == (
        "inv.pdf",
        "application/pdf",
        9,
        "stored",
    )


def test_reply_is_threaded_by_in_reply_to(client, email_channel):
    deliver(client, email_channel, email_raw("a@example.com", "first", message_id="<first@x>"))
    reply = email_raw(
        "a@example.com",
        "second",
        message_id="<second@x>",
        extra_headers="In-Reply-To: <first@x>\r\nReferences: <first@x>\r\n",
    )
    deliver(client, email_channel, reply)
    second = Message.objects.get(platform_message_id="<second@x>")
    assert second.reply_to.platform_message_id == "<first@x>"
    assert second.conversation_id == second.reply_to.conversation_id


def test_email_without_from_is_kept_as_failed(client, email_channel):
    raw = b"Subject: x\r\nMessage-ID: <n@x>\r\n\r\nbody"
    assert deliver(client, email_channel, raw).status_code == 200
    assert Message.objects.count() == 0
    assert "no From" in InboundDelivery.objects.get(status="failed").error


def test_same_address_in_other_case_is_the_same_identity(client, email_channel):
    deliver(client, email_channel, email_raw("Sheena.Nelson@Example.com", "one"))
    deliver(client, email_channel, email_raw("sheena.nelson@example.com", "two"))
    assert ChannelIdentity.objects.count() == 1


def test_webchat_message_with_prechat_fields_gives_keys(client, webchat):
    payload = webchat_message("sess-1", "hello", name="Rina", email="Rina@Example.com", phone="0812-3456-7890")
    assert deliver(client, webchat, payload).status_code == 200
    contact = Contact.objects.get()
    assert contact.name == "Rina"
    assert contact.primary_email.value == "rina@example.com"
    assert contact.primary_phone.value == "+6281234567890"


def test_webchat_without_text_is_kept_as_failed(client, webchat):
    assert deliver(client, webchat, {"session_id": "s", "message_id": "1", "text": "  "}).status_code == 200
    assert "text must not be empty" in InboundDelivery.objects.get(status="failed").error


def test_webchat_year_one_is_clamped_and_nul_bytes_in_prechat_fields_are_safe(client, webchat):
    payload = webchat_message(
        "sess-2", "hi", sent_at="0001-01-01T00:00:00", email="a\x00@example.com", phone="08\x0012"
    )
    assert deliver(client, webchat, payload).status_code == 200
    stored = Message.objects.get()
    assert stored.created_at.year >= 2026
    assert InboundDelivery.objects.get().status == "done"
