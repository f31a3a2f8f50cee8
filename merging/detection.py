"""Exact duplicate detection: visible contacts sharing a normalised phone or e-mail.

`suggestions_refresh` is the incremental check run whenever a contact's keys change; the
backfill (`merging.backfill`) runs the same rules over every contact at once.

**Groups, not pairs.** The visible contacts sharing one key form one *group*. A group is held
by a star of pair suggestions around its *anchor* (the lowest-id member nobody dismissed from
it): N contacts sharing an e-mail make N−1 suggestions shown as one group, never N·(N−1)/2.
A member that already has an open suggestion with another member is in the group and gets no
second one. The reason of a suggestion is the key it was raised for.

**Dismissed means never again.** Of two members dismissed against each other (any profile of
either, so whichever way they were merged since), the later one (higher id) is out of that key's
group and the rest of the group stays; an open suggestion between two contacts that such a
dismissal now separates retires.

**Unverified keys.** With the workspace's `unverified_keys_suggest` off, only keys a platform
vouches for (`ContactKey.verified`) are compared.
"""

from collections import defaultdict

from django.db.models import Q
from django.utils import timezone

from config.workspace.models import Workspace
from contacts.models import Contact, ContactKey
from merging.models import MergeSuggestion, SuggestionStatus


def matchable_keys():
    """The keys detection compares: valid ones, and only verified ones if the workspace says so."""
    keys = ContactKey.objects.exclude(match_value="")
    if not Workspace.current().unverified_keys_suggest:
        keys = keys.filter(verified=True)
    return keys


def key_groups(contact_id: int) -> dict[tuple[str, str], set[int]]:
    """For each key of this contact that others share: every visible contact holding it."""
    keys = matchable_keys()
    own = set(keys.filter(contact_id=contact_id).values_list("kind", "match_value"))
    return {key: members for key, members in _holders(keys, own).items() if len(members) > 1}


def contacts_with_shared_keys(contact_ids) -> set[int]:
    """Of these visible contacts, those holding a key some other visible contact also holds: the
    only ones `suggestions_refresh` can raise anything for (a batch of new senders asks once)."""
    keys = matchable_keys()
    own = set(keys.filter(contact_id__in=contact_ids).values_list("contact_id", "kind", "match_value"))
    holders = _holders(keys, {(kind, value) for _, kind, value in own})
    return {contact_id for contact_id, kind, value in own if len(holders[(kind, value)]) > 1}


def _holders(keys, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], set[int]]:
    """Every visible contact holding each of the `wanted` (kind, match value) among `keys`."""
    holders: dict[tuple[str, str], set[int]] = defaultdict(set)
    if not wanted:
        return holders
    condition = Q()
    for kind in {kind for kind, _ in wanted}:
        condition |= Q(kind=kind, match_value__in=[v for k, v in wanted if k == kind])
    for other_id, kind, match_value in keys.filter(condition).values_list("contact_id", "kind", "match_value"):
        holders[(kind, match_value)].add(other_id)
    return holders


def shared_keys(contact_id: int) -> dict[int, tuple[str, str]]:
    """Other visible contacts sharing a key with this one, each with the smallest shared key."""
    matches: dict[int, tuple[str, str]] = {}
    for reason, members in sorted(key_groups(contact_id).items()):
        for other in members - {contact_id}:
            matches.setdefault(other, reason)
    return matches


def profile_ids(contact_id: int) -> set[int]:
    """The contact itself and every profile merged into it."""
    return {contact_id, *Contact.objects.filter(root_id=contact_id).values_list("id", flat=True)}


def dismissed_pairs(contact_ids: set[int]) -> set[frozenset[int]]:
    """Pairs of these visible contacts that a dismissal separates (between any of their profiles)."""
    if not contact_ids:
        return set()
    profiles = dict(
        Contact.objects.filter(Q(id__in=contact_ids) | Q(root_id__in=contact_ids)).values_list("id", "root_id")
    )
    dismissed = MergeSuggestion.objects.filter(status=SuggestionStatus.DISMISSED).filter(
        Q(contact_a__in=profiles) | Q(contact_b__in=profiles)
    )
    pairs = set()
    for a, b in dismissed.values_list("contact_a_id", "contact_b_id"):
        if a in profiles and b in profiles:
            root_a, root_b = profiles[a] or a, profiles[b] or b
            if root_a != root_b:
                pairs.add(frozenset((root_a, root_b)))
    return pairs


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
    """Bring the suggestion groups of one visible contact's keys in line with who shares them.

    Retires this contact's open suggestions whose shared key is gone or that a dismissal now
    separates. Then, for each key it shares, if the contact is not yet in that key's group, links
    every member of the group not yet in it to the group's anchor (see the module docstring). A
    contact already in all its groups (the usual case: another message from a known sender) costs
    three small queries, however big the groups are. Returns how many suggestions were raised.
    """
    groups = key_groups(contact_id)
    matches = {other for members in groups.values() for other in members} - {contact_id}
    mine_blocked = dismissed_partners(contact_id) if matches else set()
    existing = list(open_suggestions_of(contact_id))
    stale = [s for s in existing if s.other(contact_id) not in matches or s.other(contact_id) in mine_blocked]
    if stale:
        MergeSuggestion.objects.filter(pk__in=[s.pk for s in stale]).update(
            status=SuggestionStatus.OBSOLETE, resolved_at=timezone.now()
        )
    partners = {s.other(contact_id) for s in existing if s not in stale}
    new = []
    for reason, members in sorted(groups.items()):
        if partners & members:
            continue  # already in this group
        new.extend(_link_group(reason, members))
        partners |= {pk for s in new for pk in (s.contact_a_id, s.contact_b_id)}
    MergeSuggestion.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _link_group(reason: tuple[str, str], members: set[int]) -> list[MergeSuggestion]:
    """Suggestions linking each member of one key's group that is not yet in it to the anchor."""
    blocked = dismissed_pairs(members)
    linked = {
        frozenset(pair)
        for pair in MergeSuggestion.objects.filter(
            status=SuggestionStatus.OPEN, contact_a__in=members, contact_b__in=members
        ).values_list("contact_a_id", "contact_b_id")
    }
    out = {max(pair) for pair in blocked}  # of a dismissed pair, the later contact leaves the group
    eligible = sorted(members - out)
    new = []
    if len(eligible) < 2:
        return new
    in_group = {pk for pair in linked for pk in pair}
    for member in eligible:
        if member in in_group:
            continue
        partner = eligible[0] if member != eligible[0] else eligible[1]
        in_group |= {partner, member}
        new.append(_suggestion(partner, member, reason))
    return new


def _suggestion(first: int, second: int, reason: tuple[str, str]) -> MergeSuggestion:
    low, high = sorted((first, second))
    return MergeSuggestion(contact_a_id=low, contact_b_id=high, reason_kind=reason[0], reason_value=reason[1])
