"""Authenticating and reading a webhook delivery, per channel kind.

The ingest pipeline never sees a platform: each kind names how its deliveries are signed and
which adapter turns the body into `ParsedDelivery`.
"""

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass

from channels.adapters import email, meta, telegram, webchat, whatsapp
from channels.inbound import ParsedDelivery, PayloadError
from channels.models import Channel, ChannelKind

MAX_JSON_DEPTH = 64


class NotAuthentic(Exception):
    """The delivery is not signed by the platform with this channel's secret."""


def _meta_signature(channel: Channel, body: bytes, headers) -> None:
    header = headers.get("X-Hub-Signature-256", "")
    expected = "sha256=" + hmac.new(channel.secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(header.encode(), expected.encode()):
        raise NotAuthentic("X-Hub-Signature-256 does not match")


def _telegram_secret(channel: Channel, body: bytes, headers) -> None:
    header = headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not hmac.compare_digest(header.encode(), channel.secret.encode()):
        raise NotAuthentic("X-Telegram-Bot-Api-Secret-Token does not match")


def _bearer(channel: Channel, body: bytes, headers) -> None:
    header = headers.get("Authorization", "")
    if not hmac.compare_digest(header.encode(), f"Bearer {channel.secret}".encode()):
        raise NotAuthentic("Authorization bearer token does not match")


def _json(body: bytes):
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise PayloadError(f"body is not JSON: {exc.__class__.__name__}") from exc
    if _depth(data) > MAX_JSON_DEPTH:
        raise PayloadError("JSON is nested too deeply")
    return data


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


@dataclass(frozen=True)
class WebhookSpec:
    authenticate: Callable
    parse: Callable[[bytes], ParsedDelivery]
    meta_handshake: bool = False


SPECS: dict[str, WebhookSpec] = {
    ChannelKind.WHATSAPP: WebhookSpec(_meta_signature, lambda b: whatsapp.parse(_json(b)), True),
    ChannelKind.MESSENGER: WebhookSpec(_meta_signature, lambda b: meta.parse_messenger(_json(b)), True),
    ChannelKind.INSTAGRAM: WebhookSpec(_meta_signature, lambda b: meta.parse_instagram(_json(b)), True),
    ChannelKind.TELEGRAM: WebhookSpec(_telegram_secret, lambda b: telegram.parse(_json(b))),
    ChannelKind.EMAIL: WebhookSpec(_bearer, email.parse),
    ChannelKind.WEBCHAT: WebhookSpec(_bearer, lambda b: webchat.parse(_json(b))),
}


def spec_for(channel: Channel) -> WebhookSpec | None:
    return SPECS.get(channel.kind)


def read_delivery(channel: Channel, body: bytes, headers) -> ParsedDelivery:
    """Authenticate, then parse. Raises NotAuthentic or PayloadError; stores nothing."""
    spec = spec_for(channel)
    if spec is None:
        raise PayloadError(f"{channel.get_kind_display()} webhooks are not supported yet")
    spec.authenticate(channel, body, headers)
    return spec.parse(body)


def meta_challenge(channel: Channel, params) -> str | None:
    """Meta's GET handshake: echo hub.challenge when the verify token matches."""
    spec = spec_for(channel)
    if spec is None or not spec.meta_handshake or not channel.verify_token:
        return None
    token = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe":
        return None
    if not hmac.compare_digest(token.encode(), channel.verify_token.encode()):
        return None
    return params.get("hub.challenge", "")
