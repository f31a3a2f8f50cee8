"""What a platform declares about itself, and the ways platforms authenticate their webhooks.

Each platform package (`channels/platforms/<kind>/`) builds one `Platform`; the registry
(`channels.platforms`) lists them. Nothing outside the registry branches on a channel's kind.
"""

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from channels.inbound import ParsedDelivery, PayloadError

MAX_JSON_DEPTH = 64


class NotAuthentic(Exception):
    """The delivery is not signed by the platform with this channel's secret."""


@dataclass(frozen=True)
class Outbound:
    """One message to send, as the platform clients need it (no database rows)."""

    channel: object  # channels.models.Channel: its access token and settings
    recipient: str  # the contact's id on the channel (phone, chat id, PSID, address...)
    body: str
    local_id: int  # our message id, for platforms without their own ids (web chat)
    in_reply_to: str = ""  # the platform id of the contact's last message (e-mail threading)
    subject: str = ""
    media: "OutboundMedia | None" = None  # a file to send, with `body` as its caption


@dataclass(frozen=True)
class OutboundMedia:
    kind: str  # image, audio, video, document (see conversations.models.AttachmentKind)
    filename: str
    content_type: str  # sniffed from the bytes
    content: bytes
    url: str = ""  # where the recipient can fetch it (web chat), if the platform needs one


MB = 1024 * 1024


@dataclass(frozen=True)
class Platform:
    kind: str
    label: str
    badge: str  # the short text of the channel badge in lists ("WA")
    authenticate: Callable[[object, bytes, object], None]  # (channel, body, headers); raises NotAuthentic
    parse: Callable[[bytes], ParsedDelivery]  # raises PayloadError
    send_text: Callable[[Outbound], str]  # returns the platform's message id; raises SendFailed
    # Free-form business messages are allowed only this long after the contact's last message.
    messaging_window: timedelta | None = None
    # The sender's id on this platform is itself a key property ("phone" or "email"), or None.
    external_id_is: str | None = None
    # Meta's GET subscription handshake (hub.challenge) is answered for this platform.
    meta_handshake: bool = False
    # The sender of a raw delivery, read cheaply at acceptance so a sender's deliveries are
    # processed in order ("" when it cannot be told: such deliveries are ordered by nobody).
    sender_key: Callable[[bytes], str] = lambda body: ""
    # (channel, sender id) -> {"name", "username", "picture_url"} for platforms whose webhooks carry
    # no names (Messenger, Instagram): looked up once when a sender first writes.
    profile: Callable[[object, str], dict] | None = None
    # Media: (channel, attachment item, max bytes) -> the file's bytes; raises MediaUnavailable.
    # None where media arrive inside the delivery itself (e-mail) or not at all.
    download_media: Callable[[object, dict, int], bytes] | None = None
    media_max_bytes: int = 25 * MB  # the platform's own limit (settings.MEDIA_MAX_BYTES overrides)
    # Sending files: the attachment kinds the platform accepts, and how (raises SendFailed).
    send_media: Callable[[Outbound], str] | None = None
    sendable_media: frozenset[str] = frozenset()
    # Whole files travel inside the webhook body (e-mail), so it may be larger than usual.
    large_bodies: bool = False
    # Deliveries come from visitors' browsers, not a platform's servers: the webhook is rate-limited
    # per visitor address and per channel (`channels.rate_limits`).
    public_senders: bool = False


def json_sender_key(*paths: tuple) -> Callable[[bytes], str]:
    """A sender key read from the first of these paths (keys and list indexes) that holds a value."""

    def sender_key(body: bytes) -> str:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return ""
        for path in paths:
            value = data
            for step in path:
                try:
                    value = value[step]
                except (KeyError, IndexError, TypeError):
                    value = None
                    break
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
                return str(value).replace("\x00", "")[:255]
        return ""

    return sender_key


def meta_signature(channel, body: bytes, headers) -> None:
    header = headers.get("X-Hub-Signature-256", "")
    expected = "sha256=" + hmac.new(channel.secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(header.encode(), expected.encode()):
        raise NotAuthentic("X-Hub-Signature-256 does not match")


def telegram_secret(channel, body: bytes, headers) -> None:
    header = headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not hmac.compare_digest(header.encode(), channel.secret.encode()):
        raise NotAuthentic("X-Telegram-Bot-Api-Secret-Token does not match")


def bearer_token(channel, body: bytes, headers) -> None:
    header = headers.get("Authorization", "")
    if not hmac.compare_digest(header.encode(), f"Bearer {channel.secret}".encode()):
        raise NotAuthentic("Authorization bearer token does not match")


def json_body(body: bytes):
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise PayloadError(f"body is not JSON: {exc.__class__.__name__}") from exc
    if _depth(data) > MAX_JSON_DEPTH:
        raise PayloadError("JSON is nested too deeply")
    return data


def json_parser(parse_payload: Callable[[object], ParsedDelivery]) -> Callable[[bytes], ParsedDelivery]:
    return lambda body: parse_payload(json_body(body))


def _depth(value, level: int = 0) -> int:
    stack = [(value, level)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest
