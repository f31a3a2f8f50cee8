"""WhatsApp Cloud API: POST /{phone_number_id}/messages with a Bearer access token; media are
uploaded to /{phone_number_id}/media first and downloaded as media id -> URL -> bytes."""

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
from channels.platforms.whatsapp.inbound import is_bsuid

# What WhatsApp plays or shows as such (anything else goes as a document), with its size limits.
NATIVE_TYPES = {
    "image": ({"image/jpeg", "image/png"}, 5 * MB),
    "audio": ({"audio/aac", "audio/mp4", "audio/mpeg", "audio/amr", "audio/ogg"}, 16 * MB),
    "video": ({"video/mp4", "video/3gpp"}, 16 * MB),
}
DOCUMENT_MAX_BYTES = 100 * MB


def send_text(message: Outbound) -> str:
    return _send(message, {"type": "text", "text": {"preview_url": False, "body": message.body}})


def send_media(message: Outbound) -> str:
    media = message.media
    wa_type = _whatsapp_type(media)
    media_id = _upload(message.channel, media)
    content = {"id": media_id}
    if wa_type != "audio" and message.body:
        content["caption"] = message.body
    if wa_type == "document":
        content["filename"] = media.filename
    return _send(message, {"type": wa_type, wa_type: content})


def download_media(channel, item: dict, max_bytes: int) -> bytes:
    """GET /{media-id} answers a short-lived URL; that URL also needs the access token."""
    if not item.get("ref") or not channel.access_token:
        raise MediaUnavailable("no media id or no access token")
    auth = {"Authorization": f"Bearer {channel.access_token}"}
    described = get_media_json(f"{settings.WHATSAPP_API_BASE}/{item['ref']}", headers=auth)
    if not isinstance(described, dict) or not described.get("url"):
        raise MediaUnavailable(f"WhatsApp gave no URL for media {item['ref']}")
    if int(described.get("file_size") or 0) > max_bytes:
        raise MediaTooLarge(f"{described['file_size']} bytes, the limit is {max_bytes}")
    return fetch_bytes(described["url"], max_bytes=max_bytes, headers=auth)


def _whatsapp_type(media: OutboundMedia) -> str:
    native = NATIVE_TYPES.get(media.kind)
    if native and media.content_type in native[0] and len(media.content) <= native[1]:
        return media.kind
    if len(media.content) > DOCUMENT_MAX_BYTES:
        raise SendFailed("WhatsApp accepts files up to 100 MB.")
    return "document"


def _upload(channel, media: OutboundMedia) -> str:
    phone_number_id = _phone_number_id(channel)
    response = post_multipart(
        f"{settings.WHATSAPP_API_BASE}/{phone_number_id}/media",
        {"messaging_product": "whatsapp", "type": media.content_type},
        FilePart("file", media.filename, media.content_type, media.content),
        headers={"Authorization": f"Bearer {channel.access_token}"},
    )
    if not response.get("id"):
        raise SendFailed(f"WhatsApp answered the upload without a media id: {response}")
    return str(response["id"])


def _phone_number_id(channel) -> str:
    phone_number_id = channel.settings.get("phone_number_id")
    if not phone_number_id or not channel.access_token:
        raise SendFailed("This WhatsApp channel has no phone_number_id or access token.")
    return phone_number_id


def _send(message: Outbound, content: dict) -> str:
    channel = message.channel
    response = post_json(
        f"{settings.WHATSAPP_API_BASE}/{_phone_number_id(channel)}/messages",
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            # A contact known only by their business-scoped id (a username user) is addressed by it.
            ("recipient" if is_bsuid(message.recipient) else "to"): message.recipient,
            **content,
        },
        headers={"Authorization": f"Bearer {channel.access_token}"},
    )
    try:
        return response["messages"][0]["id"]
    except (KeyError, IndexError, TypeError) as exc:
        raise SendFailed(f"WhatsApp answered without a message id: {response}") from exc
