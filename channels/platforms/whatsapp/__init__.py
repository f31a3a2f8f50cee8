"""WhatsApp Cloud API: signed webhooks (X-Hub-Signature-256), the Graph API for sending."""

from datetime import timedelta

from channels.platforms.base import Platform, json_parser, json_sender_key, meta_signature
from channels.platforms.whatsapp import client, inbound

PLATFORM = Platform(
    kind="whatsapp",
    label="WhatsApp",
    badge="WA",
    authenticate=meta_signature,
    parse=json_parser(inbound.parse),
    send_text=client.send_text,
    messaging_window=timedelta(hours=24),
    external_id_is="phone",
    meta_handshake=True,
    sender_key=json_sender_key(
        *(("entry", 0, "changes", 0, "value", "messages", 0, field) for field in ("from", "from_user_id")),
        *(("entry", 0, "changes", 0, "value", "contacts", 0, field) for field in ("wa_id", "user_id")),
        *(("entry", 0, "changes", 0, "value", "statuses", 0, field) for field in ("recipient_id", "recipient_user_id")),
    ),
    download_media=client.download_media,
    media_max_bytes=client.DOCUMENT_MAX_BYTES,
    send_media=client.send_media,
    sendable_media=frozenset({"image", "audio", "video", "document"}),
)
