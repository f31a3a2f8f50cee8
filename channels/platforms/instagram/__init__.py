"""Instagram messaging: Meta webhooks (object "instagram"), the Send API for replies."""

from datetime import timedelta

from channels.platforms.base import Platform, json_parser, meta_signature
from channels.platforms.meta import client, inbound
from channels.platforms.meta.inbound import SENDER_KEY

PLATFORM = Platform(
    kind="instagram",
    label="Instagram",
    badge="IG",
    authenticate=meta_signature,
    parse=json_parser(inbound.parser_for("instagram")),
    send_text=client.send_text,
    messaging_window=timedelta(hours=24),
    meta_handshake=True,
    sender_key=SENDER_KEY,
    profile=client.profile,
    download_media=client.download_media,
    media_max_bytes=client.MAX_BYTES,
    # Instagram takes files only by a public URL, and our files are never public: no sending.
)
