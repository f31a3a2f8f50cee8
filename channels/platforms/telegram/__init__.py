"""Telegram Bot API: webhooks with a secret token header, sendMessage for replies."""

from channels.platforms.base import Platform, json_parser, json_sender_key, telegram_secret
from channels.platforms.telegram import client, inbound

PLATFORM = Platform(
    kind="telegram",
    label="Telegram",
    badge="TG",
    authenticate=telegram_secret,
    parse=json_parser(inbound.parse),
    send_text=client.send_text,
    sender_key=json_sender_key(
        *((field, "chat", "id") for field in inbound.PRIVATE_MESSAGE_FIELDS),
        ("callback_query", "message", "chat", "id"),
        ("callback_query", "from", "id"),
    ),
    download_media=client.download_media,
    media_max_bytes=client.DOWNLOAD_MAX_BYTES,
    send_media=client.send_media,
    sendable_media=frozenset({"image", "audio", "video", "document"}),
)
