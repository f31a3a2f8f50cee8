"""E-mail: a raw RFC 5322 message posted as message/rfc822 (by an MTA pipe or a mail relay)."""

import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from channels.inbound import InboundMessage, ParsedDelivery, PayloadError, clean_text, require

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}


def parse(raw: bytes) -> ParsedDelivery:
    require(bool(raw.strip()), "empty e-mail")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        sender_name, sender_address = _sender(message)
        subject = str(message.get("Subject", "") or "")
        message_id = str(message.get("Message-ID", "") or "").strip()
        references = _message_ids(message.get("References")) + _message_ids(message.get("In-Reply-To"))
        body = _body_text(message)
        attachments = _attachments(message)
        sent_at = _date(message.get("Date"))
    except PayloadError:
        raise
    except (ValueError, TypeError, LookupError, IndexError, AttributeError) as exc:
        raise PayloadError(f"unreadable e-mail: {exc}") from exc
    require(bool(message_id), "e-mail has no Message-ID")
    text = f"{subject}\n\n{body}".strip() if subject else body
    return ParsedDelivery(
        messages=[
            InboundMessage(
                external_id=sender_address.lower(),
                platform_message_id=clean_text(message_id, 255),
                sent_at=sent_at,
                body=clean_text(text),
                attachments=attachments,
                display_name=clean_text(sender_name, 255),
                email=sender_address,
                reply_to_platform_ids=tuple(dict.fromkeys(reversed(references))),
            )
        ]
    )


def _sender(message: EmailMessage) -> tuple[str, str]:
    from_header = message.get("From")
    require(from_header is not None, "e-mail has no From")
    addresses = getaddresses([str(from_header)])
    require(bool(addresses) and "@" in addresses[0][1], "From has no address")
    name, address = addresses[0]
    require("\n" not in address and "\r" not in address and len(address) <= 320, "bad From")
    return name, address


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


def _attachments(message: EmailMessage) -> list[dict]:
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True) or b""
        found.append(
            {
                "type": "file",
                "filename": clean_text(part.get_filename() or "attachment", 255),
                "mime_type": part.get_content_type(),
                "size": len(payload),
            }
        )
    return found


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
