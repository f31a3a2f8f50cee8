"""Platform-neutral values that channel adapters produce and the ingest pipeline consumes."""

from dataclasses import dataclass, field
from datetime import datetime

MAX_ID_LENGTH = 255


class PayloadError(ValueError):
    """The delivery is not in the platform's format; answered 400 and nothing is stored."""


@dataclass(frozen=True)
class InboundMessage:
    external_id: str  # the sender's id on the channel (wa_id, Telegram chat id, PSID, address)
    platform_message_id: str
    sent_at: datetime
    body: str = ""
    attachments: list[dict] = field(default_factory=list)
    display_name: str = ""
    username: str = ""
    phone: str = ""
    phone_is_international: bool = True  # platform ids are full numbers without "+"
    email: str = ""
    reply_to_platform_ids: tuple[str, ...] = ()
    is_edit: bool = False

    def __post_init__(self):
        # Every adapter's output passes here: ids must fit the columns that store them.
        require(0 < len(self.external_id) <= MAX_ID_LENGTH, "sender id must be 1-255 characters")
        require(0 < len(self.platform_message_id) <= MAX_ID_LENGTH, "message id must be 1-255 characters")
        require("\x00" not in self.external_id + self.platform_message_id, "ids must not contain NUL")


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery report for one of our outbound messages."""

    platform_message_id: str
    status: str  # sent, delivered, read, failed
    error: str = ""

    def __post_init__(self):
        require(0 < len(self.platform_message_id) <= MAX_ID_LENGTH, "status id must be 1-255 characters")


@dataclass(frozen=True)
class ParsedDelivery:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    ignored: int = 0  # events we accept with 200 but do not store (echoes, group posts, ...)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise PayloadError(message)


def as_dict(value, where: str) -> dict:
    require(isinstance(value, dict), f"{where} must be an object")
    return value


def as_list(value, where: str) -> list:
    require(isinstance(value, list), f"{where} must be a list")
    return value


def as_str(value, where: str, *, allow_int: bool = False) -> str:
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    require(isinstance(value, str), f"{where} must be a string")
    return value


def clean_text(text: str, limit: int = 65_536) -> str:
    """Text as stored: no NUL bytes (PostgreSQL refuses them), bounded in size."""
    return text.replace("\x00", "\ufffd")[:limit]
