"""The web chat widget's own JSON: one visitor message.

{"session_id": "...", "message_id": "...", "text": "...",
 "name": "...", "email": "...", "phone": "...", "sent_at": "ISO 8601 (optional)"}
"""

from datetime import UTC, datetime, timedelta

from channels.inbound import (
    EARLIEST,
    InboundMessage,
    ParsedDelivery,
    PayloadError,
    as_dict,
    as_str,
    require,
)
from contacts.normalize import clean_text


def parse(payload) -> ParsedDelivery:
    data = as_dict(payload, "payload")
    session = as_str(data.get("session_id"), "session_id")
    require(0 < len(session) <= 100, "session_id must be 1-100 characters")
    message_id = as_str(data.get("message_id"), "message_id")
    require(0 < len(message_id) <= 100, "message_id must be 1-100 characters")
    text = as_str(data.get("text"), "text")
    require(bool(text.strip()), "text must not be empty")
    sent_at = datetime.now(tz=UTC)
    if data.get("sent_at"):
        try:
            sent_at = datetime.fromisoformat(as_str(data["sent_at"], "sent_at"))
        except ValueError as exc:
            raise PayloadError("sent_at must be ISO 8601") from exc
        sent_at = sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=UTC)
        if not EARLIEST <= sent_at <= datetime.now(tz=UTC) + timedelta(days=1):
            sent_at = datetime.now(tz=UTC)  # a browser clock at year 1 (or 9999): the time we got it
    return ParsedDelivery(
        messages=[
            InboundMessage(
                external_id=session,
                platform_message_id=f"{session}:{message_id}",
                sent_at=sent_at,
                body=clean_text(text),
                display_name=clean_text(as_str(data.get("name", ""), "name"), 255),
                email=as_str(data.get("email") or "", "email").replace("\x00", "")[:320],
                phone=as_str(data.get("phone") or "", "phone").replace("\x00", "")[:64],
                phone_is_international=False,
            )
        ]
    )
