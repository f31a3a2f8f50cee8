"""Facebook Messenger: Meta webhooks (object "page"), the Send API for replies."""

from datetime import timedelta

from channels.platforms.base import Platform, json_parser, meta_signature
from channels.platforms.meta import client, inbound
from channels.platforms.meta.inbound import SENDER_KEY

PLATFORM = Platform(
    kind="messenger",
    label="Messenger",
    badge="FB",
    authenticate=meta_signature,
    parse=json_parser(inbound.parser_for("page")),
    send_text=client.send_text,
    messaging_window=timedelta(hours=24),
    meta_handshake=True,
    sender_key=SENDER_KEY,
    profile=client.profile,
    download_media=client.download_media,
    media_max_bytes=client.MAX_BYTES,
    send_media=client.send_media,
    sendable_media=frozenset({"image", "audio", "video", "document"}),
)
