"""Platform-neutral values that channel adapters produce and the ingest pipeline consumes."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from contacts.normalize import clean_text

MAX_ID_LENGTH = 255


class PayloadError(ValueError):
    """The delivery (or one item of it) is not in the platform's format.

    The delivery stays in the inbound log marked failed with this reason, and can be replayed.
    """


class Action:
    """What an inbound item does: most are new messages; some act on a message stored earlier."""

    NEW = ""
    EDIT = "edit"  # target_platform_id's text becomes body (Telegram edits reuse the id: is_edit)
    DELETE = "delete"  # the contact deleted target_platform_id ("delete for everyone", unsend)
    REACT = "react"  # body is the emoji on target_platform_id; "" removes the contact's reaction
    NUMBER_CHANGED = "number_changed"  # the sender's new phone is `phone`; the old one stays secondary
    # The sender's business-scoped id changed from `previous_scoped_id` to `scoped_id` (WhatsApp
    # `user_changed_user_id` system messages and `user_id_update` webhooks).
    SCOPED_ID_CHANGED = "scoped_id_changed"


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
    action: str = Action.NEW
    target_platform_id: str = ""
    # An id valid only on this channel's business account (WhatsApp BSUID): never a contact key.
    scoped_id: str = ""
    # The business-scoped id shared across linked business accounts (WhatsApp parent BSUID).
    parent_scoped_id: str = ""
    previous_scoped_id: str = ""  # SCOPED_ID_CHANGED: the id the sender had until now
    picture_url: str = ""
    # Bytes of media that arrive inside the delivery itself (e-mail MIME parts), by item "ref".
    media_bytes: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        # Every adapter's output passes here: ids must fit the columns that store them.
        require(0 < len(self.external_id) <= MAX_ID_LENGTH, "sender id must be 1-255 characters")
        require(0 < len(self.platform_message_id) <= MAX_ID_LENGTH, "message id must be 1-255 characters")
        for scoped in (self.scoped_id, self.parent_scoped_id, self.previous_scoped_id):
            require(len(scoped) <= MAX_ID_LENGTH and "\x00" not in scoped, "scoped ids must be 0-255 characters")
        require(len(self.target_platform_id) <= MAX_ID_LENGTH, "target id must be at most 255 characters")
        ids = self.external_id + self.platform_message_id + self.scoped_id + self.target_platform_id
        require("\x00" not in ids, "ids must not contain NUL")


def media_item(
    kind: str, *, platform_type: str, ref: str = "", name: str = "", declared_type: str = "", **extra
) -> dict:
    """An attachment as every adapter describes it: `kind` (image, audio, video, document,
    sticker, location) marks it as media the worker stores; `ref` is what the platform needs to
    hand over the bytes (a media id, a file id, a URL, or the key of `media_bytes`)."""
    item = {"type": platform_type, "kind": kind, "ref": ref, **extra}
    if name:
        item["filename"] = clean_text(name, 255)
    if declared_type:
        item["mime_type"] = clean_text(declared_type, 255)
    return item


def kind_for_type(content_type: str) -> str:
    """The attachment kind of a MIME type (for platforms that only say "file")."""
    major = content_type.split("/", 1)[0].lower()
    return major if major in ("image", "audio", "video") else "document"


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
    ignored: int = 0  # events we accept but do not store (echoes, group posts, unknown events...)
    failures: list[str] = field(default_factory=list)  # items that could not be read, with the reason


def each_item(items: list, read, failures: list[str], where: str) -> list:
    """Read every item; one that cannot be read is a failure of its own, not of its neighbours."""
    results = []
    for index, item in enumerate(items):
        try:
            result = read(item)
        except PayloadError as exc:
            failures.append(f"{where}[{index}]: {exc}")
            continue
        if result is not None:
            results.append(result)
    return results


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


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def unix_time(value, where: str, *, milliseconds: bool = False) -> datetime:
    """A platform's Unix timestamp (int or digit string); not a number is this item's failure.

    A time outside 2000..tomorrow (year 1, 10^30, a clock gone wild) is clamped to now: the
    message is kept, at the moment we received it.
    """
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    require(isinstance(value, (int, float)) and not isinstance(value, bool), f"{where} must be a Unix time")
    seconds = value / 1000 if milliseconds else value
    now = datetime.now(tz=UTC)
    try:
        moment = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return now
    return moment if EARLIEST <= moment <= now + timedelta(days=1) else now
