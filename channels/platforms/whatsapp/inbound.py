"""WhatsApp Cloud API webhooks (object "whatsapp_business_account", field "messages").

Since 2026 a sender carries a business-scoped user id (BSUID: `user_id` in contacts,
`from_user_id` on messages; "CC.<up to 128 characters>") valid only within this business
portfolio, and a user with a username may arrive with no phone (`wa_id`/`from` absent). The
sender's identity is the phone when there is one, else the BSUID; the BSUID is kept on the
identity (never a contact key), and a phone that arrives later joins the same contact.
"""

import json
import re
import time

from channels.inbound import (
    Action,
    InboundMessage,
    ParsedDelivery,
    PayloadError,
    StatusUpdate,
    as_dict,
    as_list,
    as_str,
    each_item,
    media_item,
    require,
    unix_time,
)
from contacts.normalize import clean_text

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
# Statuses we apply; others (e.g. "played" for voice notes, "deleted") are accepted and ignored.
STATUSES = {"sent", "delivered", "read", "failed"}
BSUID = re.compile(r"^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$")


def is_bsuid(value: str) -> bool:
    return bool(BSUID.match(value))


def parse(payload) -> ParsedDelivery:
    payload = as_dict(payload, "payload")
    require(payload.get("object") == "whatsapp_business_account", "object must be whatsapp")
    messages, statuses, failures, ignored = [], [], [], 0
    for entry in as_list(payload.get("entry"), "entry"):
        for change in as_list(as_dict(entry, "entry[]").get("changes", []), "changes"):
            change = as_dict(change, "changes[]")
            if change.get("field") == "user_id_update":
                value = as_dict(change.get("value"), "value")
                updates = as_list(value.get("user_id_update", []), "user_id_update")
                messages += each_item(updates, _user_id_update, failures, "user_id_update")
                continue
            if change.get("field") != "messages":
                ignored += 1  # user_preferences, account updates, ...: nothing for the inbox
                continue
            value = as_dict(change.get("value"), "value")
            people = _people(value.get("contacts", []))
            raw_messages = as_list(value.get("messages", []), "messages")
            messages += each_item(raw_messages, lambda raw, p=people: _message(raw, p), failures, "messages")
            raw_statuses = as_list(value.get("statuses", []), "statuses")
            read = each_item(raw_statuses, _status, failures, "statuses")
            statuses += [s for s in read if s.status in STATUSES]
            ignored += len(read) - len([s for s in read if s.status in STATUSES])
    return ParsedDelivery(messages=messages, statuses=statuses, failures=failures, ignored=ignored)


def _people(contacts) -> dict[str, dict]:
    """Who the senders are, by phone and by BSUID: name, username, phone, BSUID."""
    people = {}
    for contact in as_list(contacts, "contacts"):
        contact = as_dict(contact, "contacts[]")
        profile = as_dict(contact.get("profile") or {}, "contacts[].profile")
        person = {
            "name": as_str(profile.get("name") or "", "profile.name"),
            "username": as_str(profile.get("username") or contact.get("username") or "", "username"),
            "phone": as_str(contact.get("wa_id") or "", "contacts[].wa_id"),
            "bsuid": as_str(contact.get("user_id") or "", "contacts[].user_id"),
            "parent": as_str(contact.get("parent_user_id") or "", "contacts[].parent_user_id"),
        }
        for key in (person["phone"], person["bsuid"]):
            if key:
                people[key] = person
    return people


def _sender(raw: dict, people: dict[str, dict]) -> tuple[str, str, str, dict]:
    """(phone, BSUID, parent BSUID, profile) of a message's sender; a phone or a BSUID is there."""
    sender = as_str(raw.get("from") or "", "messages[].from")
    bsuid = as_str(raw.get("from_user_id") or "", "messages[].from_user_id")
    if is_bsuid(sender):  # some senders' "from" is their BSUID when the phone is withheld
        sender, bsuid = "", bsuid or sender
    person = people.get(sender) or people.get(bsuid) or {}
    phone = sender or person.get("phone", "")
    bsuid = bsuid or person.get("bsuid", "")
    parent = as_str(raw.get("from_parent_user_id") or "", "from_parent_user_id") or person.get("parent", "")
    require(bool(phone or bsuid), "message has neither a phone (from) nor a BSUID (from_user_id)")
    if phone:
        require(phone.isdigit() and 5 <= len(phone) <= 20, "messages[].from must be a wa_id")
    for value in (bsuid, parent):
        require(not value or is_bsuid(value), "BSUIDs are CC.id (parent: CC.ENT.id)")
    return phone, bsuid, parent, person


def _message(raw, people: dict[str, dict]) -> InboundMessage:
    raw = as_dict(raw, "message")
    kind = as_str(raw.get("type"), "messages[].type")
    system = raw.get("system") if kind == "system" and isinstance(raw.get("system"), dict) else {}
    if system.get("type") == "user_changed_user_id":
        return _user_changed_user_id(raw, system)
    phone, bsuid, parent, person = _sender(raw, people)
    context = raw.get("context") if isinstance(raw.get("context"), dict) else {}
    reply_to = (as_str(context["id"], "context.id"),) if context.get("id") else ()
    common = {
        "external_id": phone or bsuid,
        "platform_message_id": as_str(raw.get("id"), "messages[].id"),
        "sent_at": unix_time(raw.get("timestamp"), "timestamp"),
        "display_name": clean_text(person.get("name", ""), 255),
        "username": clean_text(person.get("username", ""), 255),
        "phone": phone,
        "scoped_id": bsuid,
        "parent_scoped_id": parent,
        "reply_to_platform_ids": reply_to,
    }
    if kind in ("reaction", "revoke", "edit", "system"):
        return _action(kind, raw, common)
    body, attachments = _content(kind, raw)
    return InboundMessage(**common, body=clean_text(body), attachments=attachments)


def _action(kind: str, raw: dict, common: dict) -> InboundMessage:
    """Items that act on a message stored earlier, or on the sender (a number change)."""
    if kind == "reaction":
        reaction = as_dict(raw.get("reaction"), "reaction")
        target = as_str(reaction.get("message_id"), "reaction.message_id")
        emoji = as_str(reaction.get("emoji") or "", "reaction.emoji")  # absent or "": removed
        return InboundMessage(**common, action=Action.REACT, target_platform_id=target, body=clean_text(emoji, 32))
    if kind == "revoke":
        target = as_str(as_dict(raw.get("revoke"), "revoke").get("original_message_id"), "original_message_id")
        return InboundMessage(**common, action=Action.DELETE, target_platform_id=target)
    if kind == "edit":
        edit = as_dict(raw.get("edit"), "edit")
        target = as_str(edit.get("original_message_id"), "edit.original_message_id")
        new = as_dict(edit.get("message"), "edit.message")
        body, attachments = _content(as_str(new.get("type") or "text", "edit.message.type"), new)
        return InboundMessage(
            **common, action=Action.EDIT, target_platform_id=target, body=clean_text(body), attachments=attachments
        )
    system = as_dict(raw.get("system"), "system")
    text = as_str(system.get("body") or "", "system.body")
    if system.get("type") == "user_changed_number" and system.get("wa_id"):
        new_phone = as_str(system["wa_id"], "system.wa_id")
        require(new_phone.isdigit() and 5 <= len(new_phone) <= 20, "system.wa_id must be a phone")
        # A new number comes with a new BSUID (and parent BSUID) when WhatsApp sends them.
        new_bsuid, new_parent = _bsuid(system, "user_id"), _bsuid(system, "parent_user_id")
        return InboundMessage(
            **{
                **common,
                "phone": new_phone,
                "previous_scoped_id": common["scoped_id"] if new_bsuid else "",
                "scoped_id": new_bsuid or common["scoped_id"],
                "parent_scoped_id": new_parent or common["parent_scoped_id"],
            },
            action=Action.NUMBER_CHANGED,
            body=clean_text(text),
        )
    return InboundMessage(**common, body=clean_text(text or "[system message]"), attachments=[{"type": "system"}])


def _bsuid(container: dict, field: str) -> str:
    value = as_str(container.get(field) or "", field)
    require(not value or is_bsuid(value), f"{field} must be a BSUID (CC.id)")
    return value


CHANGED_FROM = re.compile(r"changed from ([A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}) to ")


def _user_changed_user_id(raw: dict, system: dict) -> InboundMessage:
    """A system message: the sender's BSUID changed (Meta sends no contacts array with it, and
    may send no phone: the previous BSUID is `from_user_id`, `system.previous_user_id`, or named
    in the body "User <name> changed from <old BSUID> to <new BSUID>")."""
    body = clean_text(as_str(system.get("body") or "", "system.body"))
    found = CHANGED_FROM.search(body)
    previous = _bsuid(raw, "from_user_id") or _bsuid(system, "previous_user_id") or (found.group(1) if found else "")
    phone = as_str(raw.get("from") or "", "messages[].from")
    if is_bsuid(phone):
        phone, previous = "", previous or phone
    require(bool(previous or phone), "user_changed_user_id names neither the previous BSUID nor a phone")
    return InboundMessage(
        external_id=phone or previous,
        platform_message_id=as_str(raw.get("id"), "messages[].id"),
        sent_at=unix_time(raw.get("timestamp"), "timestamp"),
        phone=phone,
        previous_scoped_id=previous,
        scoped_id=_bsuid(system, "user_id"),
        parent_scoped_id=_bsuid(system, "parent_user_id"),
        action=Action.SCOPED_ID_CHANGED,
        body=body,
    )


def _user_id_update(raw) -> InboundMessage:
    """One item of a `user_id_update` webhook: {wa_id?, detail, user_id: {previous, current},
    parent_user_id?: {previous, current}, timestamp}."""
    raw = as_dict(raw, "user_id_update[]")
    ids = as_dict(raw.get("user_id"), "user_id_update[].user_id")
    previous, current = _bsuid(ids, "previous"), _bsuid(ids, "current")
    require(bool(current), "user_id_update without the current BSUID")
    parents = raw.get("parent_user_id") if isinstance(raw.get("parent_user_id"), dict) else {}
    phone = as_str(raw.get("wa_id") or "", "user_id_update[].wa_id")
    if phone:
        require(phone.isdigit() and 5 <= len(phone) <= 20, "user_id_update[].wa_id must be a phone")
    require(bool(previous or phone), "user_id_update names neither the previous BSUID nor a phone")
    return InboundMessage(
        external_id=phone or previous,
        platform_message_id=f"user_id_update:{previous or phone}:{current}"[:255],
        sent_at=unix_time(raw.get("timestamp") or int(time.time()), "timestamp"),
        phone=phone,
        previous_scoped_id=previous,
        scoped_id=current,
        parent_scoped_id=_bsuid(parents, "current"),
        action=Action.SCOPED_ID_CHANGED,
        body=clean_text(as_str(raw.get("detail") or "", "detail"), 500),
    )


def _content(kind: str, raw: dict) -> tuple[str, list[dict]]:
    if kind == "text":
        return as_str(as_dict(raw.get("text"), "text").get("body"), "text.body"), []
    if kind in MEDIA_TYPES:
        media = as_dict(raw.get(kind), kind)
        attachment = media_item(
            kind,
            platform_type=kind,
            ref=as_str(media.get("id", ""), f"{kind}.id"),
            name=as_str(media.get("filename", ""), f"{kind}.filename"),
            declared_type=as_str(media.get("mime_type", ""), f"{kind}.mime_type"),
        )
        if media.get("voice") is True:
            attachment["voice"] = True
        return as_str(media.get("caption", ""), f"{kind}.caption"), [attachment]
    if kind == "location":
        loc = as_dict(raw.get("location"), "location")
        lat, lng = loc.get("latitude"), loc.get("longitude")
        require(isinstance(lat, (int, float)) and isinstance(lng, (int, float)), "bad location")
        label = clean_text(" — ".join(str(loc[k]) for k in ("name", "address") if loc.get(k)), 500)
        attachment = media_item("location", platform_type="location", latitude=lat, longitude=lng, label=label)
        return label or f"📍 {lat}, {lng}", [attachment]
    if kind == "contacts":
        shared = [_shared_contact(as_dict(c, "contacts[]")) for c in as_list(raw.get("contacts"), kind)]
        body = "\n".join(f"👤 {c['name']} {' '.join(c['phones'] + c['emails'])}".strip() for c in shared)
        return body, [{"type": "contact", **c} for c in shared]
    if kind == "button":
        button = as_dict(raw.get("button"), "button")
        return as_str(button.get("text", ""), "button.text"), [
            {"type": "button", "payload": clean_text(str(button.get("payload", "")), 1000)}
        ]
    if kind == "interactive":
        return _interactive(as_dict(raw.get("interactive"), "interactive"))
    if kind == "order":
        return _order(as_dict(raw.get("order"), "order"))
    if kind == "unsupported":
        errors = [e for e in as_list(raw.get("errors") or [], "errors") if isinstance(e, dict)]
        reason = "; ".join(
            clean_text(str(e.get("title") or e.get("message") or e.get("code") or ""), 200) for e in errors
        )
        body = f"[A message WhatsApp could not show here{': ' + reason if reason else ''}]"
        return body, [{"type": "unsupported", "errors": [str(e.get("code", "")) for e in errors]}]
    # Types WhatsApp adds later are kept, labelled, never dropped.
    return f"[{clean_text(kind, 40)} message]", [{"type": clean_text(kind, 40)}]


def _interactive(interactive: dict) -> tuple[str, list[dict]]:
    reply_kind = as_str(interactive.get("type"), "interactive.type")
    reply = as_dict(interactive.get(reply_kind), f"interactive.{reply_kind}")
    if reply_kind == "nfm_reply":
        return _flow_reply(reply)
    return as_str(reply.get("title", ""), "title"), [
        {"type": reply_kind, "id": clean_text(str(reply.get("id", "")), 255)}
    ]


def _flow_reply(reply: dict) -> tuple[str, list[dict]]:
    """A WhatsApp Flows answer: its fields, shown one per line (the flow token is not an answer)."""
    try:
        answers = json.loads(as_str(reply.get("response_json") or "{}", "nfm_reply.response_json"))
    except (ValueError, RecursionError) as exc:
        raise PayloadError("nfm_reply.response_json is not JSON") from exc
    answers = as_dict(answers, "nfm_reply.response_json")
    fields = {
        clean_text(str(name), 100): clean_text(
            ", ".join(map(str, value)) if isinstance(value, list) else str(value), 2000
        )
        for name, value in answers.items()
        if name != "flow_token"
    }
    title = as_str(reply.get("body") or "Form answered", "nfm_reply.body")
    lines = [f"{_label(name)}: {value}" for name, value in fields.items()]
    return "\n".join([clean_text(title, 200), *lines]), [{"type": "flow_reply", "fields": fields}]


def _label(field_name: str) -> str:
    words = re.sub(r"^screen_\d+_", "", field_name).replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else field_name


def _order(order: dict) -> tuple[str, list[dict]]:
    items = []
    for raw in as_list(order.get("product_items", []), "order.product_items"):
        item = as_dict(raw, "product_items[]")
        items.append(
            {
                "product_retailer_id": clean_text(str(item.get("product_retailer_id", "")), 255),
                "quantity": item.get("quantity") if isinstance(item.get("quantity"), (int, float)) else 0,
                "item_price": item.get("item_price") if isinstance(item.get("item_price"), (int, float)) else 0,
                "currency": clean_text(str(item.get("currency", "")), 8),
            }
        )
    lines = [f"{i['quantity']} × {i['product_retailer_id']} @ {i['item_price']} {i['currency']}".strip() for i in items]
    note = clean_text(as_str(order.get("text") or "", "order.text"), 2000)
    body = "\n".join(["🛒 Order", *lines, *([note] if note else [])])
    return body, [{"type": "order", "catalog_id": clean_text(str(order.get("catalog_id", "")), 100), "items": items}]


def _shared_contact(raw: dict) -> dict:
    name = as_dict(raw.get("name", {}), "contacts[].name")
    phones = [
        as_str(as_dict(p, "phones[]").get("phone", ""), "phone") for p in as_list(raw.get("phones", []), "phones")
    ]
    emails = [
        as_str(as_dict(e, "emails[]").get("email", ""), "email") for e in as_list(raw.get("emails", []), "emails")
    ]
    return {
        "name": clean_text(as_str(name.get("formatted_name") or "", "formatted_name"), 255),
        "phones": [clean_text(p, 64) for p in phones],
        "emails": [clean_text(e, 320) for e in emails],
    }


def _status(raw) -> StatusUpdate:
    raw = as_dict(raw, "status")
    status = as_str(raw.get("status"), "statuses[].status")
    errors = as_list(raw.get("errors", []), "statuses[].errors")
    error = "; ".join(f"{e.get('code', '')} {e.get('title', '')}".strip() for e in errors if isinstance(e, dict))
    return StatusUpdate(as_str(raw.get("id"), "statuses[].id"), status, clean_text(error, 2000))
