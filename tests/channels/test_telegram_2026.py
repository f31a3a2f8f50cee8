"""Telegram Bot API updates the product used to drop or refuse (examples after the Bot API docs),
posted through the real URL with the secret token, processed like the inbound worker does."""

import time

from channels.models import ChannelIdentity, InboundDelivery
from conversations.models import Message
from tests.factories import deliver, tg_text

CHAT = 5123456789


def test_an_inline_button_tap_is_stored_as_the_contacts_choice(client, telegram):
    deliver(client, telegram, tg_text(CHAT, "hi", message_id=1))
    update = {
        "update_id": 900001,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": {"id": CHAT, "is_bot": False, "first_name": "Sheena", "username": "sheena_n"},
            "message": {
                "message_id": 2,
                "from": {"id": 777, "is_bot": True, "first_name": "ShopBot"},
                "chat": {"id": CHAT, "first_name": "Sheena", "type": "private"},
                "date": int(time.time()),
                "text": "Which size?",
                "reply_markup": {
                    "inline_keyboard": [
                        [{"text": "Size M", "callback_data": "size:m"}, {"text": "Size L", "callback_data": "size:l"}]
                    ]
                },
            },
            "chat_instance": "-1234567890",
            "data": "size:l",
        },
    }
    deliver(client, telegram, update)
    tap = Message.objects.get(platform_message_id="callback:4382bfdwdsb323b2d9")
    assert tap.body == "Size L"
    assert tap.attachments == [{"type": "button", "payload": "size:l"}]
    assert tap.conversation_id == Message.objects.get(platform_message_id=f"{CHAT}:1").conversation_id


def test_telegram_business_messages_and_their_edits_are_stored(client, telegram):
    business = tg_text(CHAT, "is it in stock?", message_id=40)
    business["business_message"] = {**business.pop("message"), "business_connection_id": "bc-1"}
    deliver(client, telegram, business)
    edited = {
        "update_id": 900002,
        "edited_business_message": {
            **business["business_message"],
            "text": "is it in stock in red?",
            "edit_date": int(time.time()),
        },
    }
    deliver(client, telegram, edited)
    stored = Message.objects.get()
    assert stored.body == "is it in stock in red?" and stored.edited_at is not None
    assert ChannelIdentity.objects.get().contact.name == "Sheena Nelson"


def test_a_private_message_without_from_takes_the_person_from_the_chat(client, telegram):
    update = tg_text(CHAT, "hello", message_id=41)
    del update["message"]["from"]
    update["message"]["chat"].update(last_name="Nelson", username="sheena_n")
    deliver(client, telegram, update)
    identity = ChannelIdentity.objects.get()
    assert identity.contact.name == "Sheena Nelson" and identity.username == "sheena_n"
    assert InboundDelivery.objects.get().status == "done"


def test_a_shared_contact_with_a_null_first_name_is_not_called_none(client, telegram):
    update = tg_text(CHAT, "", message_id=42)
    del update["message"]["text"]
    update["message"]["contact"] = {"phone_number": "+6281234567890", "first_name": None, "user_id": 77}
    deliver(client, telegram, update)
    stored = Message.objects.get()
    assert "None" not in stored.body and "6281234567890" in stored.body


def test_an_out_of_range_date_is_clamped_and_the_message_kept(client, telegram):
    for date in (10**12, -(10**12)):
        update = tg_text(CHAT, f"date {date}")
        update["message"]["date"] = date
        deliver(client, telegram, update)
    assert Message.objects.count() == 2
    assert all(m.created_at.year >= 2026 for m in Message.objects.all())


def test_unknown_update_kinds_are_accepted_and_ignored(client, telegram):
    deliver(client, telegram, {"update_id": 900003, "poll": {"id": "1", "question": "?", "options": []}})
    assert InboundDelivery.objects.get().status == "done" and Message.objects.count() == 0
