"""Telegram Bot API updates delivered to a webhook.

Only private chats make contacts. Telegram Business messages (`business_message`, written to
the business owner's account and passed to the bot) are the customer's messages like any other;
inline-button taps (`callback_query`) are stored as the contact's choice. Group, supergroup and
channel posts (`channel_post`, messages whose chat is not private) are accepted and ignored: a
group is not a person, and its members never asked the business for a one-to-one conversation.
"""

from datetime import UTC, datetime

from channels.inbound import (
    InboundMessage,
    ParsedDelivery,
    as_dict,
    as_list,
    as_str,
    media_item,
    require,
    unix_time,
)
from contacts.normalize import clean_text

# Updates that carry a message in a chat; business_* come from Telegram Business accounts.
PRIVATE_MESSAGE_FIELDS = ("message", "edited_message", "business_message", "edited_business_message")
MEDIA_FIELDS = {
    "document": "document",
    "audio": "audio",
    "voice": "audio",
    "video": "video",
    "video_note": "video",
    "animation": "video",
    "sticker": "sticker",
}
EDITS = {"edited_message", "edited_business_message"}


def parse(payload) -> ParsedDelivery:
    update = as_dict(payload, "update")
    require(isinstance(update.get("update_id"), int), "update_id must be an integer")
    for field in PRIVATE_MESSAGE_FIELDS:
        if field in update:
            message = as_dict(update[field], field)
            chat = as_dict(message.get("chat"), "chat")
            if chat.get("type") != "private":
                return ParsedDelivery(ignored=1)
            return ParsedDelivery(messages=[_message(message, field in EDITS)])
    if "callback_query" in update:
        tap = _button_tap(as_dict(update["callback_query"], "callback_query"))
        return ParsedDelivery(messages=[tap]) if tap else ParsedDelivery(ignored=1)
    return ParsedDelivery(ignored=1)  # polls, chat member changes, ...: nothing for the inbox


def _button_tap(query: dict) -> InboundMessage | None:
    """An inline-button tap: the contact's choice, shown with the button's own text."""
    sender = as_dict(query.get("from"), "callback_query.from")
    message = query.get("message") if isinstance(query.get("message"), dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    if chat and chat.get("type") != "private":
        return None
    chat_id = as_str(chat.get("id", sender.get("id")), "chat.id", allow_int=True)
    data = clean_text(as_str(query.get("data") or query.get("game_short_name") or "", "callback_query.data"), 1000)
    label = _button_text(message, data) or data or "[button]"
    reply_to = (f"{chat_id}:{message['message_id']}",) if message.get("message_id") else ()
    return InboundMessage(
        external_id=chat_id,
        platform_message_id=f"callback:{as_str(query.get('id'), 'callback_query.id', allow_int=True)}",
        sent_at=datetime.now(tz=UTC),  # a tap carries no time: it is now
        body=clean_text(label),
        attachments=[{"type": "button", "payload": data}],
        display_name=clean_text(_name(sender), 255),
        username=clean_text(as_str(sender.get("username") or "", "username"), 255),
        reply_to_platform_ids=reply_to,
    )


def _button_text(message: dict, data: str) -> str:
    markup = message.get("reply_markup") if isinstance(message.get("reply_markup"), dict) else {}
    rows = markup.get("inline_keyboard") if isinstance(markup.get("inline_keyboard"), list) else []
    for row in rows:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data and isinstance(button.get("text"), str):
                return button["text"]
    return ""


def _name(person: dict) -> str:
    return " ".join(str(person[k]) for k in ("first_name", "last_name") if isinstance(person.get(k), str) and person[k])


def _message(message: dict, is_edit: bool) -> InboundMessage:
    chat = as_dict(message.get("chat"), "chat")
    # A private message may come without "from" (Telegram Business, forwarded, anonymous): the chat is the person.
    sender = message.get("from") if isinstance(message.get("from"), dict) else chat
    chat_id = as_str(chat.get("id"), "chat.id", allow_int=True)
    message_id = as_str(message.get("message_id"), "message_id", allow_int=True)
    date = message.get("edit_date") if is_edit and message.get("edit_date") else message.get("date")
    body, attachments, phone = _content(message, sender)
    name = _name(sender)
    reply = message.get("reply_to_message")
    reply_to = (f"{chat_id}:{as_dict(reply, 'reply').get('message_id')}",) if reply else ()
    return InboundMessage(
        external_id=chat_id,
        # message_id is unique only within a chat.
        platform_message_id=f"{chat_id}:{message_id}",
        sent_at=unix_time(date, "date"),
        body=clean_text(body),
        attachments=attachments,
        display_name=clean_text(name, 255),
        username=clean_text(as_str(sender.get("username") or "", "username"), 255),
        phone=phone,
        reply_to_platform_ids=reply_to,
        is_edit=is_edit,
    )


def _content(message: dict, sender: dict) -> tuple[str, list[dict], str]:
    text = as_str(message.get("text") or message.get("caption") or "", "text")
    attachments: list[dict] = []
    phone = ""
    if "photo" in message:
        sizes = as_list(message["photo"], "photo")
        require(bool(sizes), "photo must list sizes")
        largest = as_dict(sizes[-1], "photo[]")
        attachments.append(media_item("image", platform_type="photo", ref=as_str(largest.get("file_id"), "file_id")))
    for field, kind in MEDIA_FIELDS.items():
        if field in message:
            media = as_dict(message[field], field)
            attachments.append(
                media_item(
                    kind,
                    platform_type=field,
                    ref=as_str(media.get("file_id"), "file_id"),
                    name=as_str(media.get("file_name", ""), "file_name"),
                    declared_type=as_str(media.get("mime_type", ""), "mime_type"),
                )
            )
    if "location" in message:
        loc = as_dict(message["location"], "location")
        lat, lng = loc.get("latitude"), loc.get("longitude")
        require(isinstance(lat, (int, float)) and isinstance(lng, (int, float)), "bad location")
        attachments.append(media_item("location", platform_type="location", latitude=lat, longitude=lng))
        text = text or f"📍 {lat}, {lng}"
    if "contact" in message:
        shared = as_dict(message["contact"], "contact")
        number = clean_text(as_str(shared.get("phone_number"), "contact.phone_number"), 64)
        shared_name = _name(shared)
        attachments.append({"type": "contact", "phone_number": number, "name": shared_name})
        text = text or f"👤 {shared_name} {number}".strip()
        # Only a contact the sender shared of themselves (their own user_id) is their phone.
        if shared.get("user_id") is not None and shared.get("user_id") == sender.get("id"):
            phone = number.lstrip("+")
    if not text and not attachments:
        known = [k for k in message if k not in ("message_id", "from", "chat", "date")]
        text = f"[{known[0] if known else 'empty'} message]"
    return text, attachments, phone
