"""Reads for merge suggestions, merge dialogs and merge history."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels.models import ChannelIdentity
from config.workspace.permissions import sees_all_channels
from contacts.models import Contact, ContactKey, KeyKind, KeySource
from contacts.selectors import contact_profiles, visible_contacts
from conversations.selectors import COUNT_CAP, capped_count
from merging.models import MergeRecord, MergeSuggestion, SuggestionStatus


def _with_contacts(suggestions: QuerySet[MergeSuggestion]) -> QuerySet[MergeSuggestion]:
    identities = Prefetch("identities", queryset=ChannelIdentity.objects.select_related("channel").order_by("id"))
    contacts = Contact.objects.select_related("primary_email", "primary_phone").prefetch_related(identities)
    return suggestions.prefetch_related(
        Prefetch("contact_a", queryset=contacts), Prefetch("contact_b", queryset=contacts)
    )


def open_suggestions_for(user, contact: Contact) -> list[MergeSuggestion]:
    """Open suggestions of one contact whose other side the user may also see."""
    suggestions = visible_suggestions(user).filter(Q(contact_a=contact) | Q(contact_b=contact))
    return list(_with_contacts(suggestions).order_by("-created_at"))


def dashboard_suggestions(user, limit: int = 20) -> QuerySet[MergeSuggestion]:
    return _with_contacts(visible_suggestions(user)).order_by("-created_at", "-id")[:limit]


def open_suggestion_count(user) -> int:
    return capped_count(visible_suggestions(user))


def visible_suggestions(user) -> QuerySet[MergeSuggestion]:
    """Open suggestions whose two contacts the user may both see."""
    suggestions = MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN)
    if sees_all_channels(user):
        return suggestions
    visible = visible_contacts(user)
    return suggestions.filter(contact_a__in=visible, contact_b__in=visible)


def merge_history(contact: Contact) -> QuerySet[MergeRecord]:
    """Merges and unmerges that involved the contact or any of its profiles."""
    profiles = [contact.pk, *Contact.objects.filter(root=contact).values_list("pk", flat=True)]
    return (
        MergeRecord.objects.filter(Q(target_id__in=profiles) | Q(source_id__in=profiles))
        .select_related("actor", "source", "target")
        .order_by("-created_at")
    )


def profile_tree(contact: Contact) -> list[tuple[Contact, int, list[Contact]]]:
    """The merged profiles of a contact in merge-tree order: each with its depth (1: merged into
    the contact itself) and the profiles merged into it, which an unmerge of it takes along."""
    profiles = contact_profiles(contact)
    children: dict[int, list[Contact]] = {}
    for profile in profiles:
        children.setdefault(profile.merged_into_id, []).append(profile)

    def below(pk: int) -> list[Contact]:
        return [p for child in children.get(pk, []) for p in (child, *below(child.pk))]

    ordered = []

    def walk(pk: int, depth: int) -> None:
        for child in children.get(pk, []):
            ordered.append((child, depth, below(child.pk)))
            walk(child.pk, depth + 1)

    walk(contact.pk, 1)
    return ordered


# --- Why a suggestion was raised, and suggestion groups ------------------------------------------

_KEY_WORD = {KeyKind.PHONE: gettext_lazy("number"), KeyKind.EMAIL: gettext_lazy("address")}


def key_origin(key: ContactKey | None, contact: Contact) -> str:
    """Where one side's value came from, in words ("WhatsApp number of Sheena", "number typed in the
    Web chat form by Budi")."""
    name = contact.name or _("contact #%(id)s") % {"id": contact.pk}
    if key is None:
        return name
    word = _KEY_WORD.get(key.kind, "")
    channel = key.identity.channel.platform.label if key.identity_id else ""
    values = {"word": word, "name": name, "channel": channel}
    if key.source == KeySource.CHANNEL:
        return (_("%(channel)s %(word)s of %(name)s") if channel else _("%(word)s of %(name)s")) % values
    if key.source == KeySource.PRECHAT:
        if channel:
            return _("%(word)s typed in the %(channel)s form by %(name)s") % values
        return _("%(word)s typed in a form by %(name)s") % values
    if key.source == KeySource.WORKFLOW:
        return _("%(word)s given in a workflow answer by %(name)s") % values
    if key.source == KeySource.IMPORT:
        return _("%(word)s imported for %(name)s") % values
    return _("%(word)s entered by a user for %(name)s") % values


@dataclass
class GroupMember:
    contact: Contact
    key: ContactKey | None
    link: MergeSuggestion | None = None  # the open suggestion this row's buttons act on

    @property
    def origin(self) -> str:
        return key_origin(self.key, self.contact)

    @property
    def verified(self) -> bool:
        return bool(self.key and self.key.verified)


@dataclass
class SuggestionGroup:
    """Visible contacts sharing one key, held by a star of open suggestions around `anchor`."""

    kind: str
    value: str
    anchor: GroupMember
    members: list[GroupMember] = field(default_factory=list)  # everyone but the anchor
    newest: object = None

    @property
    def size(self) -> int:
        return len(self.members) + 1

    @property
    def verified(self) -> bool:
        return self.anchor.verified and all(m.verified for m in self.members)

    @property
    def dom_id(self) -> str:
        return f"group-{self.kind}-{min(m.contact.pk for m in [self.anchor, *self.members])}"

    @property
    def reason(self) -> str:
        """ "Same phone: WhatsApp number of A = number typed in the Web chat form by B, unverified"."""
        label = _("Same phone") if self.kind == KeyKind.PHONE else _("Same e-mail")
        # A pair names both origins; a larger group names them on each member's row.
        text = f"{label}: " + " = ".join(m.origin for m in [self.anchor, *self.members]) if self.size == 2 else label
        return text if self.verified else f"{text}, {_('unverified')}"


def _evidence(groups: dict[tuple[str, str], set[int]]) -> dict[tuple[int, str, str], ContactKey]:
    """The key each member holds for its group's value (a verified one first), in one query."""
    if not groups:
        return {}
    condition = Q()
    for (kind, value), members in groups.items():
        condition |= Q(kind=kind, match_value=value, contact_id__in=members)
    found = {}
    keys = ContactKey.objects.filter(condition).select_related("identity__channel").order_by("-verified", "pk")
    for key in keys:
        found.setdefault((key.contact_id, key.kind, key.match_value), key)
    return found


def group_suggestions(suggestions, perspective: Contact | None = None) -> list[SuggestionGroup]:
    """Open suggestions (with their contacts fetched) as groups, one per shared key, newest first.

    From a contact's `perspective` the anchor row is that contact, and each other member's buttons
    act on the suggestion between the two (members linked only through another one have none)."""
    by_key: dict[tuple[str, str], list[MergeSuggestion]] = defaultdict(list)
    for suggestion in suggestions:
        by_key[(suggestion.reason_kind, suggestion.reason_value)].append(suggestion)
    member_ids = {key: {pk for s in found for pk in (s.contact_a_id, s.contact_b_id)} for key, found in by_key.items()}
    evidence = _evidence(member_ids)
    groups = []
    for (kind, value), found in by_key.items():
        contacts = {c.pk: c for s in found for c in (s.contact_a, s.contact_b)}
        degree = defaultdict(int)
        for s in found:
            degree[s.contact_a_id] += 1
            degree[s.contact_b_id] += 1
        if perspective is not None and perspective.pk in contacts:
            anchor_id = perspective.pk
        else:
            anchor_id = max(contacts, key=lambda pk: (degree[pk], -pk))
        pair_of = {}
        for s in found:
            if anchor_id in (s.contact_a_id, s.contact_b_id):
                pair_of[s.other(anchor_id)] = s
            elif perspective is None:
                pair_of.setdefault(s.contact_b_id, s)  # linked through another member
        group = SuggestionGroup(
            kind=kind,
            value=value,
            anchor=GroupMember(contacts[anchor_id], evidence.get((anchor_id, kind, value))),
            newest=max(s.created_at for s in found),
        )
        for pk in sorted(contacts.keys() - {anchor_id}):
            group.members.append(GroupMember(contacts[pk], evidence.get((pk, kind, value)), pair_of.get(pk)))
        groups.append(group)
    return sorted(groups, key=lambda g: g.newest, reverse=True)


DASHBOARD_SCAN = 500  # open suggestions read to build the dashboard's groups


def dashboard_groups(user, limit: int = 20) -> list[SuggestionGroup]:
    """The newest suggestion groups the user may see, each shown once."""
    suggestions = _with_contacts(visible_suggestions(user)).order_by("-created_at", "-id")[:DASHBOARD_SCAN]
    return group_suggestions(list(suggestions))[:limit]


def open_group_count(user) -> int:
    """How many shared keys have open suggestions (a group counts once)."""
    return visible_suggestions(user).values("reason_kind", "reason_value").distinct()[:COUNT_CAP].count()


def contact_groups(user, contact: Contact) -> list[SuggestionGroup]:
    """The suggestion groups one contact is in, seen from that contact."""
    own = visible_suggestions(user).filter(Q(contact_a=contact) | Q(contact_b=contact))
    reasons = set(own.values_list("reason_kind", "reason_value"))
    if not reasons:
        return []
    condition = Q()
    for kind, value in reasons:
        condition |= Q(reason_kind=kind, reason_value=value)
    suggestions = _with_contacts(visible_suggestions(user).filter(condition)).order_by("-created_at")
    return group_suggestions(list(suggestions), perspective=contact)


def suggestion_evidence(suggestion: MergeSuggestion) -> SuggestionGroup:
    """Why one suggestion was raised: the two keys behind it, for the merge dialog."""
    suggestion = _with_contacts(MergeSuggestion.objects.filter(pk=suggestion.pk)).get()
    return group_suggestions([suggestion])[0]


def next_in_group(user, record: MergeRecord) -> MergeSuggestion | None:
    """After a merge from a suggestion: the next open suggestion of the kept contact in the same
    group, so the group is walked through two profiles at a time."""
    if record.suggestion_id is None:
        return None
    done = record.suggestion
    kept = record.target.root_id or record.target_id
    return (
        visible_suggestions(user)
        .filter(reason_kind=done.reason_kind, reason_value=done.reason_value)
        .filter(Q(contact_a_id=kept) | Q(contact_b_id=kept))
        .order_by("pk")
        .first()
    )
