"""The platform registry: every channel kind MergeInbox speaks, one package each.

Adding a channel kind is adding one package that builds a `Platform` and listing it here.
"""

import hmac

from django.conf import settings

from channels.inbound import ParsedDelivery, PayloadError
from channels.platforms import email, instagram, messenger, telegram, webchat, whatsapp
from channels.platforms.base import NotAuthentic, Outbound, OutboundMedia, Platform
from channels.platforms.http import MediaTooLarge, MediaUnavailable, SendFailed

PLATFORMS: dict[str, Platform] = {
    p.PLATFORM.kind: p.PLATFORM for p in (whatsapp, telegram, messenger, instagram, email, webchat)
}

__all__ = [
    "MediaTooLarge",
    "MediaUnavailable",
    "NotAuthentic",
    "Outbound",
    "OutboundMedia",
    "Platform",
    "SendFailed",
    "choices",
    "platform_for",
    "authenticate",
    "parse_stored",
    "sender_key",
]


def choices() -> list[tuple[str, str]]:
    return [(platform.kind, platform.label) for platform in PLATFORMS.values()]


def platform_for(kind: str) -> Platform:
    """The platform of a channel kind; KeyError for a kind no package declares."""
    return PLATFORMS[kind]


def authenticate(channel, body: bytes, headers) -> None:
    """Raises NotAuthentic unless the platform signed this body with the channel's secret."""
    platform = PLATFORMS.get(channel.kind)
    if platform is None:
        raise NotAuthentic(f"{channel.kind} webhooks are not supported")
    platform.authenticate(channel, body, headers)


def parse_stored(kind: str, body: bytes) -> ParsedDelivery:
    """Parse a delivery that was authenticated when it arrived. Raises PayloadError."""
    platform = PLATFORMS.get(kind)
    if platform is None:
        raise PayloadError(f"{kind} webhooks are not supported")
    return platform.parse(body)


def sender_key(kind: str, body: bytes) -> str:
    """Who sent a raw delivery, if the platform can tell cheaply; "" otherwise, and never an error:
    the key only orders processing, and accepting an authentic delivery must not fail on it."""
    platform = PLATFORMS.get(kind)
    try:
        key = platform.sender_key(body) if platform else ""
    except Exception:  # noqa: BLE001 - any parse failure of any platform means "no key"
        return ""
    return key.encode("utf-8", "ignore").decode("utf-8").replace("\x00", "")[:200]


def meta_challenge(channel, params) -> str | None:
    """Meta's GET handshake: echo hub.challenge when the verify token matches."""
    platform = PLATFORMS.get(channel.kind)
    if platform is None or not platform.meta_handshake or not channel.verify_token:
        return None
    if params.get("hub.mode") != "subscribe":
        return None
    if not hmac.compare_digest(params.get("hub.verify_token", "").encode(), channel.verify_token.encode()):
        return None
    return params.get("hub.challenge", "")


def send_text(outbound: Outbound) -> str:
    """Deliver one message (with its file, if any) through its channel's platform; returns the
    platform's message id."""
    platform = platform_for(outbound.channel.kind)
    if outbound.media is None:
        return platform.send_text(outbound)
    if platform.send_media is None or outbound.media.kind not in platform.sendable_media:
        raise SendFailed(f"{platform.label} cannot send this kind of file.")
    return platform.send_media(outbound)


def webhook_max_bytes(channel) -> int:
    platform = PLATFORMS.get(channel.kind)
    return settings.EMAIL_WEBHOOK_MAX_BYTES if platform and platform.large_bodies else settings.WEBHOOK_MAX_BYTES


def media_max_bytes(kind: str) -> int:
    """The largest file this channel kind takes, both ways (settings override the platform)."""
    return settings.MEDIA_MAX_BYTES.get(kind) or platform_for(kind).media_max_bytes


def sendable_media(kind: str) -> frozenset[str]:
    """The attachment kinds an agent can send on this channel kind."""
    platform = platform_for(kind)
    return platform.sendable_media if platform.send_media is not None else frozenset()


def download_media(channel, item: dict) -> bytes:
    """The bytes of one inbound media item, through the platform's own API.

    Raises MediaTooLarge past the channel's limit, MediaUnavailable for anything else.
    """
    platform = platform_for(channel.kind)
    if platform.download_media is None:
        raise MediaUnavailable(f"{platform.label} media arrive inside the message; this one was not there.")
    return platform.download_media(channel, item, media_max_bytes(channel.kind))
