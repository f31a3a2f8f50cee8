"""Web chat: our own widget posts the visitor's messages; the widget fetches our replies."""

from django.utils.translation import gettext_lazy as _

from channels.platforms.base import MB, Outbound, Platform, bearer_token, json_parser, json_sender_key
from channels.platforms.webchat import inbound


def send_text(message: Outbound) -> str:
    # The visitor's widget fetches new messages from us; there is no platform to call.
    return f"webchat:{message.local_id}"


PLATFORM = Platform(
    kind="webchat",
    label=_("Web chat"),
    badge="Web",
    authenticate=bearer_token,
    parse=json_parser(inbound.parse),
    send_text=send_text,
    sender_key=json_sender_key(("session_id",)),
    # The widget shows our file as a download link (a signed URL per visitor).
    send_media=send_text,
    sendable_media=frozenset({"image", "audio", "video", "document"}),
    media_max_bytes=25 * MB,
    public_senders=True,
)
