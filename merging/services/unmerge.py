"""Splitting one profile off a merged contact, exactly as it would be had it never been merged.

The rule for every row (docs/merging.md): a row belongs to the profile of what it hangs off. A
conversation belongs to the profile of the identity that opened it, and its messages, notes and
events follow it, whoever wrote in it: a conversation holding messages from identities of both
sides stays whole with the side of the identity that opened it. A key revealed by an identity
belongs to that identity's profile. Only rows hanging off the merged contact itself (a note on
the contact, a key a user typed, an event of the contact) stay with the contact that remains.

Unmerging moves every row whose profile is the split-off profile or one merged into it, then
writes the values `contacts.profiles.derive` gives both contacts: nothing is patched back.
`unmerge_plan` computes all of it without writing; the dialog shows the plan and
`contact_unmerge` executes the plan it computes under the locks, so the preview is the unmerge.

Lock order: the contact and the profile rows in ascending id order (`lock_contacts`), then the
conversation the merge had closed (through `conversations.services.conversation_reopen`).
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import ChannelIdentity
from config.workspace import permissions
from contacts.events import event_record
from contacts.models import Comment, Contact, ContactKey, Event, EventKind
from contacts.profiles import derive
from conversations.models import Conversation, ConversationStatus, Message
from conversations.services import conversation_reopen
from merging.detection import suggestions_refresh
from merging.models import MergeAction, MergeRecord, MergeSuggestion, SuggestionStatus
from merging.services.merge import MergeRefused
from merging.services.rows import lock_contacts, move_owned_rows, tree_rederive, update_with_history, with_retries
from merging.snapshots import contact_snapshot


@dataclass
class SideValues:
    """The visible values one side will have after the unmerge (for the preview)."""

    name: str
    email: str | None
    phone: str | None
    properties: dict
    profiles: int


@dataclass
class UnmergePlan:
    """What splitting `profile` off `contact` does; the preview and the unmerge both use it."""

    contact: Contact
    profile: Contact
    subtree: set[int]
    nested: list[Contact]
    identities: list[ChannelIdentity]
    keys: list[ContactKey]
    conversations: list[Conversation]
    comment_count: int
    event_count: int
    # Conversations that stay whole on one side although the other side's identities wrote in them.
    mixed_going: list[Conversation]
    mixed_staying: list[Conversation]
    values: dict[int, dict]
    remaining: SideValues | None = None
    returning: SideValues | None = None
    merge_record: MergeRecord | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def staying_conversation_count(self) -> int:
        return Conversation.objects.filter(contact=self.contact).exclude(profile_id__in=self.subtree).count()


def unmerge_plan(*, contact: Contact, profile: Contact) -> UnmergePlan:
    """Everything `profile` (with the profiles merged into it) takes back, and what stays."""
    root_id = contact.pk
    if profile.root_id != root_id or profile.pk == root_id:
        empty = UnmergePlan(contact, profile, set(), [], [], [], [], 0, 0, [], [], {})
        empty.problems.append(_("That profile is not part of this contact."))
        return empty
    subtree = _subtree(root_id, profile.pk)
    going = Q(contact_id=root_id, profile_id__in=subtree)
    conversations = list(Conversation.objects.filter(going).select_related("channel").order_by("opened_at", "id"))
    going_ids = {c.pk for c in conversations}
    leaving_identities = set(ChannelIdentity.objects.filter(going).values_list("pk", flat=True))
    mixed = Message.objects.filter(conversation__contact_id=root_id).values_list("conversation_id", "identity_id")
    mixed_going, mixed_staying = set(), set()
    for conversation_id, identity_id in mixed.distinct():
        if conversation_id in going_ids and identity_id not in leaving_identities:
            mixed_going.add(conversation_id)
        elif conversation_id not in going_ids and identity_id in leaving_identities:
            mixed_staying.add(conversation_id)
    values = derive(root_id, cut=profile.pk)
    plan = UnmergePlan(
        contact=contact,
        profile=profile,
        subtree=subtree,
        nested=list(Contact.objects.filter(pk__in=subtree - {profile.pk}).order_by("id")),
        identities=list(ChannelIdentity.objects.filter(going).select_related("channel").order_by("id")),
        keys=list(ContactKey.objects.filter(going).order_by("kind", "created_at", "id")),
        conversations=conversations,
        comment_count=Comment.objects.filter(going).count(),
        event_count=Event.objects.filter(going).count(),
        mixed_going=[c for c in conversations if c.pk in mixed_going],
        mixed_staying=list(Conversation.objects.filter(pk__in=mixed_staying).select_related("channel").order_by("id")),
        values=values,
        merge_record=MergeRecord.objects.filter(action=MergeAction.MERGE, source_id=profile.pk, undone_by__isnull=True)
        .order_by("-created_at", "-id")
        .first(),
    )
    key_values = dict(ContactKey.objects.filter(profile_id__in=values).values_list("pk", "value"))
    for side, pk in (("remaining", root_id), ("returning", profile.pk)):
        v = values[pk]
        setattr(
            plan,
            side,
            SideValues(
                name=v["name"],
                email=key_values.get(v["email"]),
                phone=key_values.get(v["phone"]),
                properties=v["properties"],
                profiles=v["absorbed_count"] + 1,
            ),
        )
    return plan


def contact_unmerge(*, actor, contact: Contact, profile: Contact) -> MergeRecord:
    """Split `profile` (with the profiles that were merged into it) off `contact`.

    Executes `unmerge_plan`, computed again under the locks. Returns the unmerge's record.
    """
    permissions.require(permissions.can_unmerge(actor), _("Only owners and managers can unmerge contacts."))
    return with_retries(lambda: _unmerge(actor, contact.pk, profile.pk))


def _unmerge(actor, root_id: int, profile_id: int) -> MergeRecord:
    with transaction.atomic():
        locked = lock_contacts(root_id, profile_id)
        root, profile = locked.get(root_id), locked.get(profile_id)
        if root is None or profile is None or root.root_id is not None:
            raise MergeRefused(_("That profile is not part of this contact."))
        plan = unmerge_plan(contact=root, profile=profile)
        if plan.problems:
            raise MergeRefused(" ".join(plan.problems))
        now = timezone.now()
        record = MergeRecord(
            action=MergeAction.UNMERGE,
            actor=actor,
            created_at=now,
            target=root,
            source=profile,
            target_snapshot=contact_snapshot(root_id),
            source_snapshot=contact_snapshot(profile_id),
        )
        move_owned_rows(
            actor=actor, reason="unmerge", from_contact_id=root_id, to_contact_id=profile_id, profile_ids=plan.subtree
        )
        update_with_history(
            Contact.objects.filter(pk__in=plan.subtree - {profile_id}),
            actor=actor,
            reason="unmerge",
            root_id=profile_id,
        )
        update_with_history(
            Contact.objects.filter(pk=profile_id),
            actor=actor,
            reason="unmerge",
            root_id=None,
            merged_into_id=None,
            merged_at=None,
            merge_choices={},
        )
        tree_rederive(
            actor=actor, reason="unmerge", root_id=root_id, values=_only(plan.values, set(plan.values) - plan.subtree)
        )
        tree_rederive(actor=actor, reason="unmerge", root_id=profile_id, values=_only(plan.values, plan.subtree))
        merge_record = plan.merge_record
        if merge_record is not None:
            record.closed_conversation = _reopen_closed_by_merge(merge_record, locked={root_id, profile_id})
        record.save()
        if merge_record is not None:
            merge_record.undone_by = record
            merge_record.save(update_fields=["undone_by"])
        _settle_suggestions(actor, root_id, profile_id, now)
        root.refresh_from_db()
        profile.refresh_from_db()
        for contact, other in ((root, profile), (profile, root)):
            event_record(
                contact=contact,
                kind=EventKind.UNMERGED,
                actor=actor,
                data={"record": record.pk, "other": other.pk, "other_name": other.name},
            )
    return record


def _only(values: dict[int, dict], ids: set[int]) -> dict[int, dict]:
    return {pk: v for pk, v in values.items() if pk in ids}


def _subtree(root_id: int, profile_id: int) -> set[int]:
    """The profile and every profile that was merged into it (directly or further down)."""
    parents = dict(Contact.objects.filter(root_id=root_id).values_list("id", "merged_into_id"))
    subtree = {profile_id}
    grew = True
    while grew:
        below = {pk for pk, parent in parents.items() if parent in subtree} - subtree
        subtree |= below
        grew = bool(below)
    return subtree


def _reopen_closed_by_merge(merge_record: MergeRecord, *, locked: set[int]) -> Conversation | None:
    """The conversation the merge closed reopens, if nothing happened to it since (its last
    close or reopen is still the merge's) and its contact has no other open conversation.

    Only when it belongs to one of the two contacts this unmerge holds locked: a conversation
    that later merges carried to a third contact stays closed (reopening it there could race
    with another change to that contact).
    """
    closed = merge_record.closed_conversation
    if closed is None:
        return None
    closed = Conversation.objects.get(pk=closed.pk)
    if closed.contact_id not in locked or closed.status != ConversationStatus.CLOSED:
        return None
    last = (
        Event.objects.filter(
            conversation=closed, kind__in=[EventKind.CONVERSATION_CLOSED, EventKind.CONVERSATION_REOPENED]
        )
        .order_by("-created_at", "-id")
        .first()
    )
    closed_by_merge = (
        last is not None and last.kind == EventKind.CONVERSATION_CLOSED and last.data.get("reason") == "merge"
    )
    others_open = Conversation.objects.filter(contact_id=closed.contact_id, status=ConversationStatus.OPEN).exists()
    if not closed_by_merge or others_open:
        return None
    return conversation_reopen(actor=None, conversation=closed)


def _settle_suggestions(actor, root_id: int, profile_id: int, now) -> None:
    """Unmerging says "these are different people": the pair is dismissed, the rest re-checked."""
    low, high = sorted((root_id, profile_id))
    MergeSuggestion.objects.create(
        contact_a_id=low,
        contact_b_id=high,
        reason_kind="unmerge",
        reason_value="",
        status=SuggestionStatus.DISMISSED,
        resolved_at=now,
        resolved_by=actor,
    )
    suggestions_refresh(contact_id=root_id)
    suggestions_refresh(contact_id=profile_id)
