import json
from pathlib import Path

import pytest

from channels.delivery_log import delivery_body
from channels.models import ChannelIdentity, ChannelKind, InboundDelivery
from contacts.models import Contact, ContactKey, Event, EventKind
from conversations.models import Conversation, DeliveryStatus, Direction, Message
from tests.factories import deliver, make_channel, meta_delivery, meta_message, tg_text, wa_text

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"


def wa_delivery(*messages, contacts=None, statuses=None):
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "106540352242922"}}
    if contacts is not None:
        value["contacts"] = contacts
    if messages:
        value["messages"] = list(messages)
    if statuses is not None:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }


def wa_message(kind, content, *, sender="6281234567890", mid=None, **extra):
    return {
        "from": sender,
        "id": mid or f"wamid.{kind}.{sender}",
        "timestamp": "1749416383",
        "type": kind,
        kind: content,
        **extra,
    }


def sent_reply(client, whatsapp, platform_message_id: str, status: str) -> Message:
    """A contact writes, and we answered with a message the platform knows by this id."""
    deliver(client, whatsapp, wa_text("6281234567890", "hi"))
    inbound = Message.objects.get()
    return Message.objects.create(
        conversation=inbound.conversation,
        identity=inbound.identity,
        channel=whatsapp,
        direction=Direction.OUTBOUND,
        body="hello",
        status=status,
        platform_message_id=platform_message_id,
    )


class TestWhatsApp:
    def test_sample_payload_creates_contact_identity_conversation_and_message(self, client, whatsapp):
        payload = json.loads((PAYLOADS / "whatsapp_text.json").read_text())
        response = deliver(client, whatsapp, payload)
        assert response.status_code == 200
        identity = ChannelIdentity.objects.get(channel=whatsapp, external_id="16505551234")
        contact = identity.contact
        assert contact.name == "Sheena Nelson"
        assert contact.primary_phone.value == "+16505551234"
        message = Message.objects.get()
        assert message.body == "Does it come in another color?"
        assert message.direction == Direction.INBOUND
        assert message.conversation.contact == contact
        opened = Event.objects.get(kind=EventKind.CONVERSATION_OPENED)
        assert opened.data["source"] == "contact"

    def test_redelivered_message_is_stored_once_and_answered_200_both_times(self, client, whatsapp):
        payload = wa_text("6281234567890", "halo", message_id="wamid.same")
        assert deliver(client, whatsapp, payload).status_code == 200
        assert deliver(client, whatsapp, payload).status_code == 200
        assert Message.objects.count() == 1
        assert Contact.objects.count() == 1

    def test_second_message_joins_the_open_conversation(self, client, whatsapp):
        deliver(client, whatsapp, wa_text("6281234567890", "one"))
        deliver(client, whatsapp, wa_text("6281234567890", "two"))
        assert Conversation.objects.count() == 1
        assert Message.objects.count() == 2
        assert Event.objects.filter(kind=EventKind.CONVERSATION_OPENED).count() == 1

    def test_message_after_close_opens_a_new_conversation(self, client, whatsapp, agent):
        from conversations.services import conversation_close

        deliver(client, whatsapp, wa_text("6281234567890", "one"))
        conversation_close(actor=agent, conversation=Conversation.objects.get())
        deliver(client, whatsapp, wa_text("6281234567890", "two"))
        assert Conversation.objects.count() == 2
        assert Conversation.objects.filter(status="open").count() == 1

    @pytest.mark.parametrize(
        "kind,content,body,attachment_type",
        [
            (
                "image",
                {"caption": "this one", "mime_type": "image/jpeg", "sha256": "x", "id": "m1"},
                "this one",
                "image",
            ),
            (
                "document",
                {"caption": "invoice", "filename": "inv.pdf", "mime_type": "application/pdf", "id": "m2"},
                "invoice",
                "document",
            ),
            ("audio", {"mime_type": "audio/ogg", "id": "m3", "voice": True}, "", "audio"),
            ("video", {"caption": "look", "mime_type": "video/mp4", "id": "m4"}, "look", "video"),
            ("sticker", {"mime_type": "image/webp", "id": "m5", "animated": False}, "", "sticker"),
            (
                "location",
                {"latitude": -6.2, "longitude": 106.8, "name": "Toko", "address": "Jl. Sudirman"},
                "Toko — Jl. Sudirman",
                "location",
            ),
            ("button", {"payload": "YES", "text": "Yes please"}, "Yes please", "button"),
            (
                "interactive",
                {"type": "button_reply", "button_reply": {"id": "b1", "title": "Sales"}},
                "Sales",
                "button_reply",
            ),
            (
                "interactive",
                {"type": "list_reply", "list_reply": {"id": "l1", "title": "Billing", "description": "x"}},
                "Billing",
                "list_reply",
            ),
        ],
    )
    def test_message_types_are_stored_with_body_and_attachment(
        self, client, whatsapp, kind, content, body, attachment_type
    ):
        payload = wa_delivery(wa_message(kind, content, mid=f"wamid.{attachment_type}"))
        assert deliver(client, whatsapp, payload).status_code == 200
        message = Message.objects.get()
        assert message.body == body
        assert message.attachments[0]["type"] == attachment_type

    def test_shared_contacts_are_kept_on_the_message(self, client, whatsapp):
        shared = [
            {
                "name": {"formatted_name": "Budi"},
                "phones": [{"phone": "+62 811 111 111", "wa_id": "62811111111", "type": "CELL"}],
            }
        ]
        deliver(client, whatsapp, wa_delivery(wa_message("contacts", shared)))
        message = Message.objects.get()
        assert "Budi" in message.body
        assert message.attachments[0]["phones"] == ["+62 811 111 111"]

    def test_unknown_message_type_is_kept_labelled_not_dropped(self, client, whatsapp):
        deliver(client, whatsapp, wa_delivery(wa_message("hologram", {}, mid="wamid.u")))
        assert Message.objects.get().body == "[hologram message]"

    def test_several_senders_in_one_delivery_make_several_contacts(self, client, whatsapp):
        payload = wa_delivery(
            wa_message("text", {"body": "a"}, sender="6281111111111", mid="w1"),
            wa_message("text", {"body": "b"}, sender="6282222222222", mid="w2"),
            wa_message("text", {"body": "c"}, sender="6281111111111", mid="w3"),
            contacts=[
                {"wa_id": "6281111111111", "profile": {"name": "Ani"}},
                {"wa_id": "6282222222222", "profile": {"name": "Budi"}},
            ],
        )
        deliver(client, whatsapp, payload)
        assert sorted(Contact.objects.values_list("name", flat=True)) == ["Ani", "Budi"]
        assert Message.objects.count() == 3

    def test_status_callbacks_update_outbound_messages_and_create_no_contact(self, client, whatsapp):
        outbound = sent_reply(client, whatsapp, "wamid.out", DeliveryStatus.SENT)
        status = {"id": "wamid.out", "status": "delivered", "timestamp": "1749416400", "recipient_id": "6289999999999"}
        assert deliver(client, whatsapp, wa_delivery(statuses=[status])).status_code == 200
        outbound.refresh_from_db()
        assert outbound.status == DeliveryStatus.DELIVERED
        assert Contact.objects.count() == 1

    def test_failed_status_shows_the_platform_error(self, client, whatsapp):
        outbound = sent_reply(client, whatsapp, "wamid.f", DeliveryStatus.SENT)
        status = {
            "id": "wamid.f",
            "status": "failed",
            "timestamp": "1",
            "recipient_id": "1",
            "errors": [{"code": 131047, "title": "Re-engagement message"}],
        }
        deliver(client, whatsapp, wa_delivery(statuses=[status]))
        outbound.refresh_from_db()
        assert outbound.status == DeliveryStatus.FAILED
        assert "131047" in outbound.error

    def test_status_never_goes_backwards(self, client, whatsapp):
        outbound = sent_reply(client, whatsapp, "wamid.r", DeliveryStatus.READ)
        deliver(
            client,
            whatsapp,
            wa_delivery(statuses=[{"id": "wamid.r", "status": "delivered", "timestamp": "1", "recipient_id": "1"}]),
        )
        outbound.refresh_from_db()
        assert outbound.status == DeliveryStatus.READ


class TestAuthenticity:
    def test_bad_signature_is_refused_and_nothing_is_stored(self, client, whatsapp):
        response = deliver(
            client, whatsapp, wa_text("6281234567890", "hi"), headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}
        )
        assert response.status_code == 403
        assert Message.objects.count() == 0 and Contact.objects.count() == 0
        assert InboundDelivery.objects.count() == 0

    def test_missing_signature_is_refused(self, client, whatsapp):
        assert deliver(client, whatsapp, wa_text("6281234567890", "hi"), headers={}).status_code == 403

    def test_signature_of_another_body_is_refused(self, client, whatsapp):
        from tests.factories import signed_headers

        headers = signed_headers(whatsapp, b"{}")
        assert deliver(client, whatsapp, wa_text("6281234567890", "hi"), headers=headers).status_code == 403

    def test_meta_verification_handshake_echoes_the_challenge(self, client, whatsapp):
        response = client.get(
            whatsapp.webhook_path,
            {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"},
        )
        assert response.status_code == 200
        assert response.content == b"1158201444"

    def test_meta_verification_with_wrong_token_is_refused(self, client, whatsapp):
        response = client.get(
            whatsapp.webhook_path, {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}
        )
        assert response.status_code == 403

    def test_telegram_secret_token_is_required(self, client, telegram):
        response = deliver(
            client, telegram, tg_text(5123456789, "hi"), headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
        )
        assert response.status_code == 403
        assert Message.objects.count() == 0

    def test_email_requires_the_bearer_secret(self, client, email_channel):
        from tests.factories import email_raw

        response = deliver(
            client, email_channel, email_raw("a@example.com", "hi"), headers={"Authorization": "Bearer nope"}
        )
        assert response.status_code == 403

    def test_unknown_channel_is_404(self, client):
        assert (
            client.post(
                "/webhooks/00000000-0000-0000-0000-000000000000/", data=b"{}", content_type="application/json"
            ).status_code
            == 404
        )

    def test_inactive_channel_is_404(self, client, whatsapp):
        whatsapp.is_active = False
        whatsapp.save()
        assert deliver(client, whatsapp, wa_text("6281234567890", "hi")).status_code == 404


class TestBadInput:
    @pytest.mark.parametrize(
        "body",
        [
            b"not json",
            b"[]",
            b'{"object": "page"}',
            b'{"object": "whatsapp_business_account", "entry": "x"}',
            json.dumps(wa_delivery({"from": 5, "id": "x", "type": "text"})).encode(),
            b"\xff\xfe\x00",
            b"[" * 5000 + b"]" * 5000,
        ],
    )
    def test_malformed_deliveries_are_accepted_and_kept_as_failed_with_the_reason(self, client, whatsapp, body):
        response = deliver(client, whatsapp, body)
        assert response.status_code == 200
        delivery = InboundDelivery.objects.get()
        assert delivery.status == InboundDelivery.Status.FAILED
        assert delivery.error
        assert delivery_body(delivery) == body
        assert Message.objects.count() == 0 and Contact.objects.count() == 0

    def test_one_bad_message_in_a_delivery_fails_alone_and_its_neighbour_is_stored(self, client, whatsapp):
        payload = wa_delivery(
            wa_message("text", {"body": "fine"}, mid="ok"),
            {"from": "6281234567890", "id": "bad", "timestamp": "nope", "type": "text", "text": {"body": "x"}},
        )
        assert deliver(client, whatsapp, payload).status_code == 200
        assert Message.objects.get().body == "fine"
        delivery = InboundDelivery.objects.get()
        assert delivery.status == InboundDelivery.Status.FAILED
        assert "messages[1]" in delivery.error and "timestamp" in delivery.error

    def test_oversized_body_gets_413(self, client, whatsapp, settings):
        settings.WEBHOOK_MAX_BYTES = 1000
        response = deliver(client, whatsapp, wa_text("6281234567890", "x" * 2000))
        assert response.status_code == 413
        assert Message.objects.count() == 0 and InboundDelivery.objects.count() == 0

    def test_nul_bytes_in_text_are_stored_safely(self, client, whatsapp):
        assert deliver(client, whatsapp, wa_text("6281234567890", "a\x00b")).status_code == 200
        assert Message.objects.get().body == "a\ufffdb"

    def test_wrong_method_is_405(self, client, whatsapp):
        assert client.put(whatsapp.webhook_path).status_code == 405


class TestTelegram:
    def test_sample_update_creates_contact_named_from_first_and_last_name(self, client, telegram):
        payload = json.loads((PAYLOADS / "telegram_text.json").read_text())
        assert deliver(client, telegram, payload).status_code == 200
        identity = ChannelIdentity.objects.get(channel=telegram, external_id="5123456789")
        assert identity.contact.name == "Sheena Nelson"
        assert identity.username == "sheena_n"
        assert Message.objects.get().body.startswith("Hi, I asked on WhatsApp")

    def test_edited_message_updates_the_stored_body(self, client, telegram):
        deliver(client, telegram, tg_text(51, "helo", message_id=7))
        edited = {
            "update_id": 999,
            "edited_message": {**tg_text(51, "hello", message_id=7)["message"], "edit_date": 1749416600},
        }
        assert deliver(client, telegram, edited).status_code == 200
        message = Message.objects.get()
        assert message.body == "hello"
        assert message.edited_at is not None

    @pytest.mark.parametrize("number", ["+6281234567890", "6281234567890"])
    def test_shared_own_contact_gives_the_contact_a_phone(self, client, telegram, number):
        update = tg_text(51, "", message_id=8)
        del update["message"]["text"]
        update["message"]["contact"] = {"phone_number": number, "first_name": "Sheena", "user_id": 51}
        deliver(client, telegram, update)
        contact = ChannelIdentity.objects.get(external_id="51").contact
        assert contact.primary_phone.value == "+6281234567890"

    def test_a_contact_of_someone_else_is_not_the_senders_phone(self, client, telegram):
        update = tg_text(51, "", message_id=9)
        del update["message"]["text"]
        update["message"]["contact"] = {"phone_number": "+6281234567890", "first_name": "Friend", "user_id": 77}
        deliver(client, telegram, update)
        assert ContactKey.objects.count() == 0
        assert "6281234567890" in Message.objects.get().body

    def test_photo_with_caption_keeps_the_caption_and_file(self, client, telegram):
        update = tg_text(51, "", message_id=10)
        del update["message"]["text"]
        update["message"]["caption"] = "this colour"
        update["message"]["photo"] = [{"file_id": "small", "width": 90}, {"file_id": "big", "width": 800}]
        deliver(client, telegram, update)
        message = Message.objects.get()
        assert message.body == "this colour"
        assert list(message.media.values_list("kind", "platform_ref", "status")) == [("image", "big", "pending")]

    def test_group_messages_and_channel_posts_are_ignored(self, client, telegram):
        group = tg_text(-100123, "hi all")
        group["message"]["chat"]["type"] = "supergroup"
        channel_post = {
            "update_id": 5,
            "channel_post": {"message_id": 1, "chat": {"id": -100, "type": "channel"}, "date": 1, "text": "news"},
        }
        for update in (group, channel_post):
            response = deliver(client, telegram, update)
            assert response.status_code == 200
        assert Contact.objects.count() == 0
        assert set(InboundDelivery.objects.values_list("status", flat=True)) == {InboundDelivery.Status.DONE}


class TestMessengerAndInstagram:
    @pytest.mark.parametrize(
        "kind,sample", [(ChannelKind.MESSENGER, "messenger_text.json"), (ChannelKind.INSTAGRAM, "instagram_text.json")]
    )
    def test_sample_message_creates_a_contact(self, client, kind, sample):
        channel = make_channel(kind)
        payload = json.loads((PAYLOADS / sample).read_text())
        assert deliver(client, channel, payload).status_code == 200
        message = Message.objects.get()
        assert message.identity.external_id == payload["entry"][0]["messaging"][0]["sender"]["id"]
        assert message.body == payload["entry"][0]["messaging"][0]["message"]["text"]

    def test_postback_is_stored_as_the_button_title(self, client):
        channel = make_channel(ChannelKind.MESSENGER)
        payload = meta_delivery(
            {
                "sender": {"id": "99"},
                "recipient": {"id": "1"},
                "timestamp": 1749416600001,
                "postback": {"title": "Get Started", "payload": "GET_STARTED", "mid": "m_pb"},
            }
        )
        deliver(client, channel, payload)
        message = Message.objects.get()
        assert message.body == "Get Started"
        assert message.attachments[0]["payload"] == "GET_STARTED"

    def test_echoes_and_read_receipts_create_no_contact(self, client):
        channel = make_channel(ChannelKind.MESSENGER)
        payload = meta_delivery(
            meta_message("1", "from page", "m_echo", is_echo=True),
            {"sender": {"id": "99"}, "recipient": {"id": "1"}, "timestamp": 2, "read": {"watermark": 1}},
            {
                "sender": {"id": "99"},
                "recipient": {"id": "1"},
                "timestamp": 3,
                "delivery": {"mids": ["m_unknown"], "watermark": 1},
            },
        )
        response = deliver(client, channel, payload)
        assert response.status_code == 200
        assert Contact.objects.count() == 0 and Message.objects.count() == 0

    def test_instagram_payload_on_a_messenger_channel_is_kept_as_failed(self, client):
        channel = make_channel(ChannelKind.MESSENGER)
        payload = json.loads((PAYLOADS / "instagram_text.json").read_text())
        assert deliver(client, channel, payload).status_code == 200
        assert Message.objects.count() == 0
        assert "object must be page" in InboundDelivery.objects.get(status="failed").error
