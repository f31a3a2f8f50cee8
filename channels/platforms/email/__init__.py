"""E-mail: raw RFC 5322 messages posted by a mail pipe (bearer token), SMTP for replies."""

from django.utils.translation import gettext_lazy as _

from channels.platforms.base import Platform, bearer_token
from channels.platforms.email import client, inbound

PLATFORM = Platform(
    kind="email",
    label=_("E-mail"),
    badge="✉",
    authenticate=bearer_token,
    parse=inbound.parse,
    send_text=client.send_text,
    external_id_is="email",
    sender_key=inbound.sender_key,
    # Files arrive inside the message (no download); the size limit is settings.EMAIL_MAX_BYTES.
    send_media=client.send_text,
    sendable_media=frozenset({"image", "audio", "video", "document"}),
    large_bodies=True,
)
