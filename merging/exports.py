"""Contacts as plain dictionaries, for `export_contacts` (JSON Lines)."""

from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Q

from channels.models import ChannelIdentity
from contacts.models import Contact, ContactKey, KeyKind
from conversations.models import Attachment
from merging.models import MergeSuggestion, SuggestionStatus

BATCH = 2000


def exported_contacts() -> Iterator[dict]:
    """Every visible contact, in id order, fetched in batches with a fixed number of queries each."""
    last_id = 0
    while True:
        batch = list(Contact.objects.filter(root__isnull=True, pk__gt=last_id).order_by("pk")[:BATCH])
        if not batch:
            return
        yield from _export_batch(batch)
        last_id = batch[-1].pk


def _export_batch(batch: list[Contact]) -> Iterator[dict]:
    ids = [c.pk for c in batch]
    keys = defaultdict(list)
    for key in ContactKey.objects.filter(contact_id__in=ids).order_by("created_at", "id"):
        keys[key.contact_id].append(key)
    channels = defaultdict(list)
    for kind, external_id, username, contact_id in (
        ChannelIdentity.objects.filter(contact_id__in=ids)
        .order_by("id")
        .values_list("channel__kind", "external_id", "username", "contact_id")
    ):
        channels[contact_id].append({"kind": kind, "external_id": external_id, "username": username})
    merged_from = defaultdict(list)
    for pk, root_id in Contact.objects.filter(root_id__in=ids).order_by("pk").values_list("pk", "root_id"):
        merged_from[root_id].append(pk)
    suggestions = defaultdict(list)
    reasons_of = defaultdict(set)
    open_pairs = MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN)
    for a, b, kind, value in open_pairs.filter(Q(contact_a_id__in=ids) | Q(contact_b_id__in=ids)).values_list(
        "contact_a_id", "contact_b_id", "reason_kind", "reason_value"
    ):
        for own, other in ((a, b), (b, a)):
            suggestions[own].append(other)
            reasons_of[own].add((kind, value))
    groups = _groups({reason for found in reasons_of.values() for reason in found})
    attachments = _attachments(ids)
    for contact in batch:
        yield {
            "id": contact.pk,
            "name": contact.name,
            "emails": _values(keys[contact.pk], KeyKind.EMAIL, contact.primary_email_id),
            "phones": _values(keys[contact.pk], KeyKind.PHONE, contact.primary_phone_id),
            "channels": channels[contact.pk],
            "merged_from": merged_from[contact.pk],
            "keys": [
                {"kind": k.kind, "value": k.value, "source": k.source, "verified": k.verified} for k in keys[contact.pk]
            ],
            "suggestions": sorted(suggestions[contact.pk]),
            "suggestion_groups": [
                {"kind": kind, "value": value, "members": groups[(kind, value)]}
                for kind, value in sorted(reasons_of[contact.pk])
            ],
            "properties": contact.properties,
            "attachments": attachments[contact.pk],
        }


def _groups(reasons: set[tuple[str, str]]) -> dict[tuple[str, str], list[int]]:
    """The members of each suggestion group (contacts sharing one key with an open suggestion)."""
    members = defaultdict(set)
    if not reasons:
        return {}
    rows = MergeSuggestion.objects.filter(
        status=SuggestionStatus.OPEN, reason_value__in={value for _, value in reasons}
    ).values_list("contact_a_id", "contact_b_id", "reason_kind", "reason_value")
    for a, b, kind, value in rows:
        if (kind, value) in reasons:
            members[(kind, value)].update((a, b))
    return {reason: sorted(found) for reason, found in members.items()}


def _attachments(contact_ids: list[int]) -> dict[int, list[dict]]:
    """Metadata of every media item in the contacts' timelines (the files stay in storage)."""
    found = defaultdict(list)
    rows = (
        Attachment.objects.filter(message__conversation__contact_id__in=contact_ids)
        .order_by("message_id", "pk")
        .values(
            "message__conversation__contact_id",
            "message_id",
            "message__direction",
            "kind",
            "original_name",
            "content_type",
            "size",
            "status",
            "latitude",
            "longitude",
            "created_at",
        )
    )
    for row in rows:
        contact_id = row.pop("message__conversation__contact_id")
        row["direction"] = row.pop("message__direction")
        row["created_at"] = row["created_at"].isoformat()
        found[contact_id].append(row)
    return found


def _values(keys: list[ContactKey], kind: str, primary_id: int | None) -> list[str]:
    of_kind = sorted((k for k in keys if k.kind == kind), key=lambda k: k.pk != primary_id)
    return list(dict.fromkeys(k.value for k in of_kind))
