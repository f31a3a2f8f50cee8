"""Telegram Bot API updates delivered to a webhook.

Only private chats make contacts. Group, supergroup and channel posts (`channel_post`,
messages whose chat is not private) are accepted with 200 and ignored: a group is not a person,
and its members never asked the business for a one-to-one conversation.
"""

from datetime import UTC, datetime

from channels.inbound import (
    InboundMessage,
    ParsedDelivery,
    as_dict,
    as_list,
    as_str,
    clean_text,
    require,
)

MEDIA_FIELDS = ("document", "audio", "video", "voice", "sticker", "animation", "video_note")


def parse(payload) -> ParsedDelivery:
    update = as_dict(payload, "update")
    require(isinstance(update.get("update_id"), int), "update_id must be an integer")
    for field, is_edit in (("message", False), ("edited_message", True)):
        if field in update:
            message = as_dict(update[field], field)
            chat = as_dict(message.get("chat"), "chat")
            if chat.get("type") != "private":
                return ParsedDelivery(ignored=1)
            return ParsedDelivery(messages=[_message(message, is_edit)])
    return ParsedDelivery(ignored=1)


def _message(message: dict, is_edit: bool) -> InboundMessage:
    sender = as_dict(message.get("from"), "from")
    chat = as_dict(message.get("chat"), "chat")
    chat_id = as_str(chat.get("id"), "chat.id", allow_int=True)
    message_id = as_str(message.get("message_id"), "message_id", allow_int=True)
    date = message.get("edit_date") if is_edit else message.get("date")
    require(isinstance(date, int), "date must be Unix seconds")
    body, attachments, phone = _content(message, sender)
    name = " ".join(as_str(sender.get(k, ""), k) for k in ("first_name", "last_name") if sender.get(k))
    reply = message.get("reply_to_message")
    reply_to = (f"{chat_id}:{as_dict(reply, 'reply').get('message_id')}",) if reply else ()
    return InboundMessage(
        external_id=chat_id,
        # message_id is unique only within a chat.
        platform_message_id=f"{chat_id}:{message_id}",
        sent_at=datetime.fromtimestamp(date, tz=UTC),
        body=clean_text(body),
        attachments=attachments,
        display_name=clean_text(name, 255),
        username=clean_text(as_str(sender.get("username", ""), "username"), 255),
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
        attachments.append({"type": "photo", "file_id": as_str(largest.get("file_id"), "file_id")})
    for field in MEDIA_FIELDS:
        if field in message:
            media = as_dict(message[field], field)
            attachment = {"type": field, "file_id": as_str(media.get("file_id"), "file_id")}
            for key in ("file_name", "mime_type"):
                if media.get(key):
                    attachment[key] = as_str(media[key], key)
            attachments.append(attachment)
    if "location" in message:
        loc = as_dict(message["location"], "location")
        attachments.append({"type": "location", "latitude": loc.get("latitude"), "longitude": loc.get("longitude")})
        text = text or f"📍 {loc.get('latitude')}, {loc.get('longitude')}"
    if "contact" in message:
        shared = as_dict(message["contact"], "contact")
        number = as_str(shared.get("phone_number"), "contact.phone_number")
        attachments.append({"type": "contact", "phone_number": number})
        text = text or f"👤 {shared.get('first_name', '')} {number}".strip()
        # Only a contact the sender shared of themselves (their own user_id) is their phone.
        if shared.get("user_id") == sender.get("id"):
            phone = number.lstrip("+")
    if not text and not attachments:
        known = [k for k in message if k not in ("message_id", "from", "chat", "date")]
        text = f"[{known[0] if known else 'empty'} message]"
    return text, attachments, phone
