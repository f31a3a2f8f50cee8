"""E-mail: a raw RFC 5322 message posted as message/rfc822 (by an MTA pipe or a mail relay).

The sender is the address in angle brackets, never the display name (`From: alice@example.com
<bob@example.com>` is bob). A message without Message-ID gets a stable one from a hash of the raw
message, so a redelivery is still stored once. Bounces (multipart/report) mark the message they
answer failed; auto-replies create no contact. Every header we keep or reuse is one line.
"""

import hashlib
import re
from datetime import UTC, datetime
from email import policy
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from channels.inbound import (
    InboundMessage,
    ParsedDelivery,
    PayloadError,
    StatusUpdate,
    kind_for_type,
    media_item,
    require,
)
from contacts.normalize import clean_text

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s@]+@[^<>\s@]+)\s*>")
_AUTO_REPLY_PRECEDENCE = {"auto_reply", "auto-reply"}
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}


def parse(raw: bytes) -> ParsedDelivery:
    require(bool(raw.strip()), "empty e-mail")
    try:
        return _read(raw)
    except PayloadError:
        raise
    except RecursionError as exc:
        raise PayloadError("e-mail MIME structure is nested too deeply") from exc
    except (ValueError, TypeError, LookupError, IndexError, AttributeError, MessageError) as exc:
        raise PayloadError(f"unreadable e-mail: {exc}") from exc


def _read(raw: bytes) -> ParsedDelivery:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if message.get_content_type() == "multipart/report":
        return _bounce(message)
    if _is_auto_reply(message):
        return ParsedDelivery(ignored=1)  # out-of-office and other robots are not customers
    sender_name, sender_address = _sender(message)
    subject = one_line(str(message.get("Subject", "") or ""))
    message_id = _own_message_id(message, raw)
    references = _message_ids(message.get("References")) + _message_ids(message.get("In-Reply-To"))
    body = _body_text(message)
    attachments, media_bytes = _attachments(message)
    text = f"{subject}\n\n{body}".strip() if subject else body
    return ParsedDelivery(
        messages=[
            InboundMessage(
                external_id=sender_address.lower(),
                platform_message_id=message_id,
                sent_at=_date(message.get("Date")),
                body=clean_text(text),
                attachments=attachments,
                media_bytes=media_bytes,
                display_name=clean_text(sender_name, 255),
                email=sender_address,
                reply_to_platform_ids=tuple(dict.fromkeys(reversed(references))),
            )
        ]
    )


def one_line(value: str) -> str:
    """A header value as we store and reuse it: no CR, LF or NUL, whatever its encoding hid."""
    return " ".join(value.replace("\x00", "").split())


def _own_message_id(message: EmailMessage, raw: bytes) -> str:
    found = _message_ids(message.get("Message-ID"))
    if found:
        return clean_text(found[0], 255)
    # No Message-ID (a SHOULD, often missing): the same raw message always gets the same id.
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid>"


def _is_auto_reply(message: EmailMessage) -> bool:
    auto_submitted = one_line(str(message.get("Auto-Submitted", "") or "")).lower()
    precedence = one_line(str(message.get("Precedence", "") or "")).lower()
    return (
        (auto_submitted != "" and auto_submitted != "no")
        or message.get("X-Autoreply") is not None
        or message.get("X-Autorespond") is not None
        or precedence in _AUTO_REPLY_PRECEDENCE
    )


def _bounce(report: EmailMessage) -> ParsedDelivery:
    """A delivery status notification: the message it answers failed, with the server's reason."""
    original_ids, reason = [], ""
    for part in report.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            reason = reason or _bounce_reason(part)
        elif content_type in ("message/rfc822", "text/rfc822-headers"):
            original_ids += _original_ids(part)
    original_ids += _message_ids(report.get("In-Reply-To")) + _message_ids(report.get("References"))
    updates = [
        StatusUpdate(clean_text(mid, 255), "failed", f"Bounced: {reason or 'undeliverable'}")
        for mid in dict.fromkeys(original_ids)
    ]
    return ParsedDelivery(statuses=updates, ignored=0 if updates else 1)


def _bounce_reason(part: EmailMessage) -> str:
    """The per-recipient fields of a delivery-status part (parsed as blocks of headers)."""
    blocks = part.get_payload() if isinstance(part.get_payload(), list) else []
    for field in ("Diagnostic-Code", "Status", "Action"):
        for block in blocks:
            value = block.get(field) if hasattr(block, "get") else None
            if value:
                return clean_text(one_line(str(value)), 500)
    return ""


def _original_ids(part: EmailMessage) -> list[str]:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        return _message_ids(inner.get("Message-ID")) if isinstance(inner, EmailMessage) else []
    headers = BytesHeaderParser(policy=policy.default).parsebytes(part.get_payload(decode=True) or b"")
    return _message_ids(headers.get("Message-ID"))


def sender_key(raw: bytes) -> str:
    """The From address, read from the headers alone (the body may be megabytes)."""
    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:65_536])
        return _sender(headers)[1].lower()[:255]
    except (PayloadError, ValueError, TypeError, LookupError, IndexError, AttributeError, MessageError):
        return ""


def _sender(message) -> tuple[str, str]:
    """(display name, address): the address is the one in angle brackets, never the display name."""
    text = _raw_header(message, "From")
    require(text is not None, "e-mail has no From")
    bracketed = _ANGLE_ADDRESS.findall(text)
    if bracketed:
        address = bracketed[-1]
        name = one_line(text[: text.rfind("<")]).strip().strip('"').strip()
    else:
        addresses = getaddresses([text])
        require(bool(addresses) and "@" in addresses[0][1], "From has no address")
        name, address = addresses[0]
    require("\n" not in address and "\r" not in address and 3 <= len(address) <= 320, "bad From")
    require("@" in address, "From has no address")
    # A display name that is itself an address ("alice@example.com <bob@...>") names nobody.
    return ("" if "@" in name else one_line(name)), address


def _raw_header(message, name: str) -> str | None:
    """A header as the sender wrote it (encoded words decoded), before any address parser "fixes" it."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            try:
                return one_line(str(make_header(decode_header(str(value)))))
            except (ValueError, LookupError, UnicodeError, MessageError):
                return one_line(str(value))
    return None


def _message_ids(header) -> list[str]:
    return _MESSAGE_ID.findall(str(header or ""))


def _date(header) -> datetime:
    try:
        parsed = parsedate_to_datetime(str(header)) if header else None
    except (TypeError, ValueError):
        parsed = None
    if parsed is None:
        return datetime.now(tz=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_subtype() == "html":
        return html_to_text(content)
    return content.strip()


def _attachments(message: EmailMessage) -> tuple[list[dict], dict[str, bytes]]:
    """Every file part, inline images included; the bytes travel beside the metadata."""
    body_parts = {
        id(part)
        for part in (message.get_body(preferencelist=("plain",)), message.get_body(preferencelist=("html",)))
        if part is not None
    }
    found, contents = [], {}
    for index, part in enumerate(message.walk()):
        if part.is_multipart() or id(part) in body_parts or _is_alternative_text(part):
            continue
        payload = part.get_payload(decode=True) or b""
        ref = f"part-{index}"
        declared = part.get_content_type()
        found.append(
            media_item(
                kind_for_type(declared),
                platform_type="inline" if part.get_content_disposition() == "inline" else "file",
                ref=ref,
                name=part.get_filename() or "attachment",
                declared_type=declared,
                size=len(payload),
            )
        )
        contents[ref] = payload
    return found, contents


def _is_alternative_text(part) -> bool:
    """A text part with no file name that is not an attachment is more body, not a file."""
    return (
        part.get_content_maintype() == "text"
        and not part.get_filename()
        and part.get_content_disposition() != "attachment"
    )


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML body; markup never reaches our pages as markup."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    text = "".join(extractor.parts)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
