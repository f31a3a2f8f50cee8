"""The web chat widget's own JSON: one visitor message.

{"session_id": "...", "message_id": "...", "text": "...",
 "name": "...", "email": "...", "phone": "...", "sent_at": "ISO 8601 (optional)"}
"""

from datetime import UTC, datetime

from channels.inbound import (
    InboundMessage,
    ParsedDelivery,
    PayloadError,
    as_dict,
    as_str,
    clean_text,
    require,
)


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
    return ParsedDelivery(
        messages=[
            InboundMessage(
                external_id=session,
                platform_message_id=f"{session}:{message_id}",
                sent_at=sent_at,
                body=clean_text(text),
                display_name=clean_text(as_str(data.get("name", ""), "name"), 255),
                email=as_str(data.get("email", ""), "email")[:320],
                phone=as_str(data.get("phone", ""), "phone")[:64],
                phone_is_international=False,
            )
        ]
    )
