"""Messenger (object "page") and Instagram (object "instagram") messaging webhooks.

Echoes of the page's own messages (`is_echo`), delivery and read receipts make no contact and
no message: receipts update the status of our outbound messages. Events on the `standby` channel
(another app holds the thread) are the customer's messages all the same. Chat-plugin visitors
arrive as `sender.user_ref` instead of a PSID. Webhooks carry no names: the platform's client
looks the profile up (`client.profile`).
"""

from urllib.parse import unquote, urlsplit

from channels.inbound import (
    Action,
    InboundMessage,
    ParsedDelivery,
    StatusUpdate,
    as_dict,
    as_list,
    as_str,
    each_item,
    media_item,
    require,
    unix_time,
)
from channels.platforms.base import json_sender_key
from contacts.normalize import clean_text

SENDER_KEY = json_sender_key(
    *(("entry", 0, events, 0, "sender", field) for events in ("messaging", "standby") for field in ("id", "user_ref"))
)
EVENT_LISTS = ("messaging", "standby")
MEDIA_KINDS = {"image": "image", "audio": "audio", "video": "video", "file": "document"}


def parser_for(expected_object: str):
    def parse(payload) -> ParsedDelivery:
        payload = as_dict(payload, "payload")
        require(payload.get("object") == expected_object, f"object must be {expected_object}")
        messages, statuses, failures, ignored = [], [], [], 0
        for entry in as_list(payload.get("entry"), "entry"):
            entry = as_dict(entry, "entry[]")
            for events in EVENT_LISTS:
                read = each_item(as_list(entry.get(events, []), events), _event, failures, events)
                for item in read:
                    if isinstance(item, InboundMessage):
                        messages.append(item)
                    elif isinstance(item, list):
                        statuses += item
                    else:
                        ignored += 1
        return ParsedDelivery(messages=messages, statuses=statuses, failures=failures, ignored=ignored)

    return parse


def _event(event):
    """An InboundMessage, a list of StatusUpdates, or "ignored"."""
    event = as_dict(event, "event")
    if "delivery" in event:
        mids = as_list(as_dict(event["delivery"], "delivery").get("mids") or [], "mids")
        return [StatusUpdate(as_str(m, "mid"), "delivered") for m in mids]
    if "message" in event and as_dict(event["message"], "message").get("is_echo"):
        return "ignored"
    for kind, read in (
        ("message", _message),
        ("postback", _postback),
        ("message_edit", _edit),
        ("reaction", _reaction),
        ("referral", _referral),
    ):
        if kind in event:
            return read(event, as_dict(event[kind], kind), _common(event))
    return "ignored"  # read watermarks, optins, handovers, ...


def _common(event: dict) -> dict:
    sender = as_dict(event.get("sender"), "sender")
    sender_id = sender.get("id") or sender.get("user_ref")
    return {
        "external_id": as_str(sender_id, "sender.id", allow_int=True),
        "sent_at": unix_time(event.get("timestamp"), "timestamp", milliseconds=True),
    }


def _message(event: dict, message: dict, common: dict) -> InboundMessage:
    mid = as_str(message.get("mid"), "message.mid")
    if message.get("is_deleted"):  # Instagram "unsend"
        return InboundMessage(
            **common, platform_message_id=f"unsend:{mid}", action=Action.DELETE, target_platform_id=mid
        )
    attachments = [
        _attachment(as_dict(a, "attachments[]")) for a in as_list(message.get("attachments") or [], "attachments")
    ]
    if isinstance(message.get("quick_reply"), dict):
        attachments.append(
            {"type": "quick_reply", "payload": clean_text(str(message["quick_reply"].get("payload", "")), 1000)}
        )
    body = as_str(message.get("text") or "", "message.text")
    reply = message.get("reply_to")
    reply_to = (clean_text(str(reply.get("mid")), 255),) if isinstance(reply, dict) and reply.get("mid") else ()
    return InboundMessage(
        **common,
        platform_message_id=mid,
        body=clean_text(body or ("" if attachments else "[empty message]")),
        attachments=attachments,
        reply_to_platform_ids=reply_to,
    )


def _attachment(raw: dict) -> dict:
    payload = raw.get("payload") if isinstance(raw.get("payload"), dict) else {}
    platform_type = clean_text(str(raw.get("type") or "file"), 40)
    url = clean_text(str(payload.get("url") or ""), 2000)
    kind = MEDIA_KINDS.get(platform_type)
    if kind is None or not url:
        return {"type": platform_type, "url": url}  # shares, templates, reels...: kept as a link
    if kind == "image" and payload.get("sticker_id"):
        kind = "sticker"
    return media_item(kind, platform_type=platform_type, ref=url, name=_name_from_url(url))


def _name_from_url(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])[:255]


def _postback(event: dict, postback: dict, common: dict) -> InboundMessage:
    mid = postback.get("mid") or f"postback:{common['external_id']}:{event.get('timestamp')}"
    return InboundMessage(
        **common,
        platform_message_id=as_str(mid, "postback.mid"),
        body=clean_text(as_str(postback.get("title") or "", "postback.title")),
        attachments=[{"type": "postback", "payload": clean_text(str(postback.get("payload", "")), 1000)}],
    )


def _edit(event: dict, edit: dict, common: dict) -> InboundMessage:
    mid = as_str(edit.get("mid"), "message_edit.mid")
    edits = edit.get("num_edit") if isinstance(edit.get("num_edit"), int) else 0
    return InboundMessage(
        **common,
        platform_message_id=f"edit:{mid}:{edits}",
        action=Action.EDIT,
        target_platform_id=mid,
        body=clean_text(as_str(edit.get("text") or "", "message_edit.text")),
    )


def _reaction(event: dict, reaction: dict, common: dict) -> InboundMessage:
    mid = as_str(reaction.get("mid"), "reaction.mid")
    removed = reaction.get("action") == "unreact"
    emoji = "" if removed else as_str(reaction.get("emoji") or reaction.get("reaction") or "", "reaction.emoji")
    return InboundMessage(
        **common,
        platform_message_id=f"reaction:{mid}:{event.get('timestamp')}",
        action=Action.REACT,
        target_platform_id=mid,
        body=clean_text(emoji, 32),
    )


def _referral(event: dict, referral: dict, common: dict) -> InboundMessage:
    """The person opened the conversation from an ad, a link or a QR code: where from is worth keeping."""
    source = clean_text(str(referral.get("source") or "link"), 100)
    ref = clean_text(str(referral.get("ref") or referral.get("ad_id") or ""), 500)
    return InboundMessage(
        **common,
        platform_message_id=f"referral:{common['external_id']}:{event.get('timestamp')}",
        body=f"[Opened the conversation from {source.lower()}{': ' + ref if ref else ''}]",
        attachments=[{"type": "referral", "source": source, "ref": ref}],
    )


parse_messenger = parser_for("page")
parse_instagram = parser_for("instagram")
