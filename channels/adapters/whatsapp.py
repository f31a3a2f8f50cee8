"""WhatsApp Cloud API webhooks (object "whatsapp_business_account", field "messages")."""

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

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
STATUSES = {"sent", "delivered", "read", "failed"}


def parse(payload) -> ParsedDelivery:
    payload = as_dict(payload, "payload")
    require(payload.get("object") == "whatsapp_business_account", "object must be whatsapp")
    messages, statuses, ignored = [], [], 0
    for entry in as_list(payload.get("entry"), "entry"):
        for change in as_list(as_dict(entry, "entry[]").get("changes", []), "changes"):
            change = as_dict(change, "changes[]")
            if change.get("field") != "messages":
                ignored += 1
                continue
            value = as_dict(change.get("value"), "value")
            names = _profile_names(value.get("contacts", []))
            for raw in as_list(value.get("messages", []), "messages"):
                messages.append(_message(as_dict(raw, "messages[]"), names))
            for raw in as_list(value.get("statuses", []), "statuses"):
                statuses.append(_status(as_dict(raw, "statuses[]")))
    return ParsedDelivery(messages=messages, statuses=statuses, ignored=ignored)


def _profile_names(contacts) -> dict[str, str]:
    names = {}
    for contact in as_list(contacts, "contacts"):
        contact = as_dict(contact, "contacts[]")
        wa_id = as_str(contact.get("wa_id"), "contacts[].wa_id")
        profile = as_dict(contact.get("profile", {}), "contacts[].profile")
        names[wa_id] = as_str(profile.get("name", ""), "profile.name")
    return names


def _message(raw: dict, names: dict[str, str]) -> InboundMessage:
    sender = as_str(raw.get("from"), "messages[].from")
    require(sender.isdigit() and 5 <= len(sender) <= 20, "messages[].from must be a wa_id")
    kind = as_str(raw.get("type"), "messages[].type")
    body, attachments = _content(kind, raw)
    context = raw.get("context") or {}
    reply_to = (as_str(context.get("id"), "context.id"),) if context.get("id") else ()
    return InboundMessage(
        external_id=sender,
        platform_message_id=as_str(raw.get("id"), "messages[].id"),
        sent_at=_timestamp(raw.get("timestamp")),
        body=clean_text(body),
        attachments=attachments,
        display_name=clean_text(names.get(sender, ""), 255),
        phone=sender,
        reply_to_platform_ids=reply_to,
    )


def _content(kind: str, raw: dict) -> tuple[str, list[dict]]:
    if kind == "text":
        return as_str(as_dict(raw.get("text"), "text").get("body"), "text.body"), []
    if kind in MEDIA_TYPES:
        media = as_dict(raw.get(kind), kind)
        attachment = {
            "type": kind,
            "media_id": as_str(media.get("id", ""), f"{kind}.id"),
            "mime_type": as_str(media.get("mime_type", ""), f"{kind}.mime_type"),
        }
        if media.get("filename"):
            attachment["filename"] = as_str(media["filename"], f"{kind}.filename")
        return as_str(media.get("caption", ""), f"{kind}.caption"), [attachment]
    if kind == "location":
        loc = as_dict(raw.get("location"), "location")
        lat, lng = loc.get("latitude"), loc.get("longitude")
        require(isinstance(lat, (int, float)) and isinstance(lng, (int, float)), "bad location")
        label = " — ".join(str(loc[k]) for k in ("name", "address") if loc.get(k))
        attachment = {"type": "location", "latitude": lat, "longitude": lng, "label": label}
        return label or f"📍 {lat}, {lng}", [attachment]
    if kind == "contacts":
        shared = [_shared_contact(as_dict(c, "contacts[]")) for c in as_list(raw.get("contacts"), kind)]
        body = "\n".join(f"👤 {c['name']} {' '.join(c['phones'] + c['emails'])}".strip() for c in shared)
        return body, [{"type": "contact", **c} for c in shared]
    if kind == "button":
        button = as_dict(raw.get("button"), "button")
        return as_str(button.get("text", ""), "button.text"), [
            {"type": "button", "payload": str(button.get("payload", ""))}
        ]
    if kind == "interactive":
        interactive = as_dict(raw.get("interactive"), "interactive")
        reply_kind = as_str(interactive.get("type"), "interactive.type")
        reply = as_dict(interactive.get(reply_kind), f"interactive.{reply_kind}")
        return as_str(reply.get("title", ""), "title"), [{"type": reply_kind, "id": str(reply.get("id", ""))}]
    if kind == "reaction":
        reaction = as_dict(raw.get("reaction"), "reaction")
        return as_str(reaction.get("emoji", ""), "reaction.emoji"), [
            {"type": "reaction", "message_id": str(reaction.get("message_id", ""))}
        ]
    # Types WhatsApp adds later (or "unsupported") are kept, labelled, never dropped.
    return f"[{kind} message]", [{"type": kind}]


def _shared_contact(raw: dict) -> dict:
    name = as_dict(raw.get("name", {}), "contacts[].name")
    phones = [
        as_str(as_dict(p, "phones[]").get("phone", ""), "phone") for p in as_list(raw.get("phones", []), "phones")
    ]
    emails = [
        as_str(as_dict(e, "emails[]").get("email", ""), "email") for e in as_list(raw.get("emails", []), "emails")
    ]
    return {"name": as_str(name.get("formatted_name", ""), "formatted_name"), "phones": phones, "emails": emails}


def _status(raw: dict) -> StatusUpdate:
    status = as_str(raw.get("status"), "statuses[].status")
    require(status in STATUSES, f"unknown status {status!r}")
    errors = as_list(raw.get("errors", []), "statuses[].errors")
    error = "; ".join(f"{e.get('code', '')} {e.get('title', '')}".strip() for e in errors if isinstance(e, dict))
    return StatusUpdate(as_str(raw.get("id"), "statuses[].id"), status, error)


def _timestamp(value) -> datetime:
    text = as_str(value, "timestamp", allow_int=True)
    require(text.isdigit() and len(text) <= 12, "timestamp must be Unix seconds")
    return datetime.fromtimestamp(int(text), tz=UTC)
