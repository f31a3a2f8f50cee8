"""Messenger (object "page") and Instagram (object "instagram") messaging webhooks.

Echoes of the page's own messages (`is_echo`), delivery and read receipts make no contact and
no message: receipts update the status of our outbound messages.
"""

from datetime import UTC, datetime

from channels.inbound import (
    InboundMessage,
    ParsedDelivery,
    StatusUpdate,
    as_dict,
    as_list,
    as_str,
    clean_text,
    require,
)


def parser_for(expected_object: str):
    def parse(payload) -> ParsedDelivery:
        payload = as_dict(payload, "payload")
        require(payload.get("object") == expected_object, f"object must be {expected_object}")
        messages, statuses, ignored = [], [], 0
        for entry in as_list(payload.get("entry"), "entry"):
            for event in as_list(as_dict(entry, "entry[]").get("messaging", []), "messaging"):
                event = as_dict(event, "messaging[]")
                if "message" in event or "postback" in event:
                    message = _message(event)
                    if message is None:
                        ignored += 1
                    else:
                        messages.append(message)
                elif "delivery" in event:
                    mids = as_list(as_dict(event["delivery"], "delivery").get("mids", []), "mids")
                    statuses += [StatusUpdate(as_str(m, "mid"), "delivered") for m in mids]
                else:
                    ignored += 1  # read watermarks, reactions, referrals, ...
        return ParsedDelivery(messages=messages, statuses=statuses, ignored=ignored)

    return parse


def _message(event: dict) -> InboundMessage | None:
    sender = as_str(as_dict(event.get("sender"), "sender").get("id"), "sender.id")
    timestamp = event.get("timestamp")
    require(isinstance(timestamp, int), "timestamp must be milliseconds")
    sent_at = datetime.fromtimestamp(timestamp / 1000, tz=UTC)
    if "postback" in event:
        postback = as_dict(event["postback"], "postback")
        mid = postback.get("mid") or f"postback:{sender}:{timestamp}"
        return InboundMessage(
            external_id=sender,
            platform_message_id=as_str(mid, "postback.mid"),
            sent_at=sent_at,
            body=clean_text(as_str(postback.get("title", ""), "postback.title")),
            attachments=[{"type": "postback", "payload": str(postback.get("payload", ""))}],
        )
    message = as_dict(event["message"], "message")
    if message.get("is_echo"):
        return None
    attachments = [
        {
            "type": as_str(as_dict(a, "attachments[]").get("type", "file"), "type"),
            "url": str(as_dict(a.get("payload") or {}, "payload").get("url", "")),
        }
        for a in as_list(message.get("attachments", []), "attachments")
    ]
    if isinstance(message.get("quick_reply"), dict):
        attachments.append({"type": "quick_reply", "payload": str(message["quick_reply"].get("payload", ""))})
    body = as_str(message.get("text", ""), "message.text")
    reply = message.get("reply_to")
    reply_to = (str(reply.get("mid")),) if isinstance(reply, dict) and reply.get("mid") else ()
    return InboundMessage(
        external_id=sender,
        platform_message_id=as_str(message.get("mid"), "message.mid"),
        sent_at=sent_at,
        body=clean_text(body or ("" if attachments else "[empty message]")),
        attachments=attachments,
        reply_to_platform_ids=reply_to,
    )


parse_messenger = parser_for("page")
parse_instagram = parser_for("instagram")
