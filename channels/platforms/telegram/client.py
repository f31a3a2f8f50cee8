"""Telegram Bot API: POST /bot<token>/sendMessage; files through sendPhoto/sendVoice/sendAudio/
sendVideo/sendDocument (multipart), and downloads through getFile then /file/bot<token>/<path>."""

from urllib.parse import quote, urlencode

from django.conf import settings

from channels.platforms.base import MB, Outbound, OutboundMedia
from channels.platforms.http import (
    FilePart,
    MediaTooLarge,
    MediaUnavailable,
    SendFailed,
    fetch_bytes,
    get_media_json,
    post_json,
    post_multipart,
)

DOWNLOAD_MAX_BYTES = 20 * MB  # getFile serves files up to 20 MB
UPLOAD_MAX_BYTES = 50 * MB
# method, file field, the types Telegram shows natively, and that method's own size limit.
NATIVE_METHODS = {
    "image": ("sendPhoto", "photo", {"image/jpeg", "image/png", "image/webp"}, 10 * MB),
    "audio": ("sendAudio", "audio", {"audio/mpeg", "audio/mp4"}, UPLOAD_MAX_BYTES),
    "video": ("sendVideo", "video", {"video/mp4"}, UPLOAD_MAX_BYTES),
}
VOICE = ("sendVoice", "voice", {"audio/ogg"}, UPLOAD_MAX_BYTES)


def send_text(message: Outbound) -> str:
    response = post_json(_method_url(message.channel, "sendMessage"), {"chat_id": _chat(message), "text": message.body})
    return _message_id(message, response)


def send_media(message: Outbound) -> str:
    media = message.media
    method, field = _method_for(media)
    fields = {"chat_id": str(_chat(message))}
    if message.body:
        fields["caption"] = message.body[:1024]
    response = post_multipart(
        _method_url(message.channel, method), fields, FilePart(field, media.filename, media.content_type, media.content)
    )
    return _message_id(message, response)


def download_media(channel, item: dict, max_bytes: int) -> bytes:
    token = channel.access_token
    if not item.get("ref") or not token:
        raise MediaUnavailable("no file id or no bot token")
    answer = get_media_json(f"{settings.TELEGRAM_API_BASE}/bot{token}/getFile?{urlencode({'file_id': item['ref']})}")
    result = answer.get("result") if isinstance(answer, dict) and answer.get("ok") else None
    if not isinstance(result, dict) or not result.get("file_path"):
        description = answer.get("description", "") if isinstance(answer, dict) else ""
        raise MediaUnavailable(f"Telegram getFile gave no file path {description}".strip())
    if int(result.get("file_size") or 0) > max_bytes:
        raise MediaTooLarge(f"{result['file_size']} bytes, the limit is {max_bytes}")
    return fetch_bytes(
        f"{settings.TELEGRAM_API_BASE}/file/bot{token}/{quote(result['file_path'])}", max_bytes=max_bytes
    )


def _method_for(media: OutboundMedia) -> tuple[str, str]:
    candidates = [VOICE] if media.content_type == "audio/ogg" else []
    if media.kind in NATIVE_METHODS:
        candidates.append(NATIVE_METHODS[media.kind])
    for method, field, types, limit in candidates:
        if media.content_type in types and len(media.content) <= limit:
            return method, field
    if len(media.content) > UPLOAD_MAX_BYTES:
        raise SendFailed("Telegram bots can send files up to 50 MB.")
    return "sendDocument", "document"


def _method_url(channel, method: str) -> str:
    if not channel.access_token:
        raise SendFailed("This Telegram channel has no bot token.")
    return f"{settings.TELEGRAM_API_BASE}/bot{channel.access_token}/{method}"


def _chat(message: Outbound):
    chat_id = message.recipient
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def _message_id(message: Outbound, response: dict) -> str:
    if not response.get("ok"):
        raise SendFailed(f"Telegram refused the message: {response.get('description', response)}")
    return f"{message.recipient}:{response['result']['message_id']}"
