"""Exact duplicate detection: visible contacts sharing a normalised phone or e-mail.

`suggestions_refresh` is the incremental check run whenever a contact's keys change; the
backfill (`merging.tasks`) runs the same rules over every contact at once. Both name a pair
by its smallest shared (kind, value), so they agree on the reason too.
"""

from django.db.models import Q
from django.utils import timezone

from contacts.models import Contact, ContactKey
from merging.models import MergeSuggestion, SuggestionStatus


def shared_keys(contact_id: int) -> dict[int, tuple[str, str]]:
    """Other visible contacts sharing a key with this one, each with the pair's reason."""
    own = ContactKey.objects.filter(contact_id=contact_id).exclude(match_value="")
    own_keys = list(own.values_list("kind", "match_value"))
    if not own_keys:
        return {}
    condition = Q()
    for kind in {kind for kind, _ in own_keys}:
        condition |= Q(kind=kind, match_value__in=[v for k, v in own_keys if k == kind])
    matches: dict[int, tuple[str, str]] = {}
    rows = (
        ContactKey.objects.filter(condition)
        .exclude(contact_id=contact_id)
        .values_list("contact_id", "kind", "match_value")
    )
    for other_id, kind, match_value in rows:
        reason = (kind, match_value)
        if other_id not in matches or reason < matches[other_id]:
            matches[other_id] = reason
    return matches


def profile_ids(contact_id: int) -> set[int]:
    """The contact itself and every profile merged into it."""
    return {contact_id, *Contact.objects.filter(root_id=contact_id).values_list("id", flat=True)}


def dismissed_partners(contact_id: int) -> set[int]:
    """Visible contacts that any profile of this contact was dismissed against."""
    members = profile_ids(contact_id)
    pairs = MergeSuggestion.objects.filter(status=SuggestionStatus.DISMISSED).filter(
        Q(contact_a__in=members) | Q(contact_b__in=members)
    )
    others = {b if a in members else a for a, b in pairs.values_list("contact_a", "contact_b")}
    roots = Contact.objects.filter(id__in=others).values_list("id", "root_id")
    return {root_id or pk for pk, root_id in roots}


def open_suggestions_of(contact_id: int):
    return MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN).filter(
        Q(contact_a_id=contact_id) | Q(contact_b_id=contact_id)
    )


def suggestions_refresh(*, contact_id: int) -> int:
    """Bring the open suggestions of one visible contact in line with the keys it shares.

    Raises a suggestion for each contact it newly shares a key with (unless that pair was ever
    dismissed), and retires open ones whose shared key is gone. Returns how many were raised.
    """
    matches = shared_keys(contact_id)
    blocked = dismissed_partners(contact_id) if matches else set()
    existing = {s.other(contact_id): s for s in open_suggestions_of(contact_id)}
    stale = [s.pk for other, s in existing.items() if other not in matches]
    if stale:
        MergeSuggestion.objects.filter(pk__in=stale).update(
            status=SuggestionStatus.OBSOLETE, resolved_at=timezone.now()
        )
    new = [
        _suggestion(contact_id, other, reason)
        for other, reason in sorted(matches.items())
        if other not in existing and other not in blocked
    ]
    MergeSuggestion.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _suggestion(first: int, second: int, reason: tuple[str, str]) -> MergeSuggestion:
    low, high = sorted((first, second))
    return MergeSuggestion(contact_a_id=low, contact_b_id=high, reason_kind=reason[0], reason_value=reason[1])
