"""Merging two contacts: one service behind every entry point.

Lock order: both contacts with their merged profiles, in ascending id order (`lock_contacts`), then the suggestion,
then the conversation the merge closes (through `conversations.services.conversation_close`).

Derive, don't patch: the merge records its choices on the source's row and the visible values
of the merged contact are then derived (`contacts.profiles.derive`) from its profiles, their
merge choices and the edits made on it; see docs/merging.md for the rule every row follows.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import ChannelIdentity
from config.workspace import permissions
from contacts.events import event_record
from contacts.models import MAX_PROFILES_PER_CONTACT, Comment, Contact, EventKind
from contacts.profiles import base_of
from conversations.models import Conversation, ConversationStatus, Message
from conversations.services import conversation_assign, conversation_close
from merging.detection import dismissed_partners, open_suggestions_of, suggestions_refresh
from merging.models import MergeAction, MergeRecord, MergeSuggestion, SuggestionStatus
from merging.services.rows import (
    lock_contacts,
    move_owned_rows,
    tree_rederive,
    update_with_history,
    with_retries,
)
from merging.snapshots import contact_snapshot

TARGET, SOURCE = "target", "source"


class MergeRefused(Exception):
    """The merge or unmerge cannot be done; the message says why, for the user."""


@dataclass
class FieldChoice:
    key: str  # "name", "email", "phone" or "property:<name>"
    label: str
    target_value: object
    source_value: object
    chosen: str = TARGET

    @property
    def differs(self) -> bool:
        return self.target_value != self.source_value and self.source_value not in (None, "")

    @property
    def chosen_value(self):
        return self.source_value if self.chosen == SOURCE else self.target_value


@dataclass
class MergePlan:
    """What a merge will do; computed by the same code for the preview and the merge itself."""

    target: Contact
    source: Contact
    fields: list[FieldChoice]
    moves: dict[str, int]
    profiles_after: int
    problems: list[str] = field(default_factory=list)

    @property
    def differing(self) -> list[FieldChoice]:
        return [f for f in self.fields if f.differs]

    @property
    def choices(self) -> dict[str, str]:
        return {f.key: f.chosen for f in self.differing}


def _key_value(key) -> str | None:
    return key.value if key is not None else None


def merge_plan(*, target: Contact, source: Contact, choices: dict | None = None, count_moves: bool = True) -> MergePlan:
    """What merging `source` into `target` with these choices does. Counting what moves reads
    the source's messages, so the merge itself skips it (its cost must not grow with them)."""
    choices = choices or {}
    fields = [
        FieldChoice("name", _("Name"), target.name, source.name),
        FieldChoice("email", _("E-mail"), _key_value(target.primary_email), _key_value(source.primary_email)),
        FieldChoice("phone", _("Phone"), _key_value(target.primary_phone), _key_value(source.primary_phone)),
    ]
    for name in sorted(set(target.properties) | set(source.properties)):
        fields.append(FieldChoice(f"property:{name}", name, target.properties.get(name), source.properties.get(name)))
    problems = []
    for choice in fields:
        picked = choices.get(choice.key, TARGET)
        if picked not in (TARGET, SOURCE):
            problems.append(_("Unknown choice %(value)r for %(field)s.") % {"value": picked, "field": choice.label})
        elif choice.differs:
            # A value only the source has is taken as it is; there is nothing to choose.
            choice.chosen = SOURCE if choice.target_value in (None, "") else picked
    profiles_after = target.absorbed_count + source.absorbed_count + 2
    if target.pk == source.pk:
        problems.append(_("A contact cannot be merged with itself."))
    if target.root_id or source.root_id:
        problems.append(_("One of these contacts was already merged into another contact."))
    if profiles_after > MAX_PROFILES_PER_CONTACT:
        problems.append(
            _("A contact can hold at most %(max)d profiles; these two together have %(count)d.")
            % {"max": MAX_PROFILES_PER_CONTACT, "count": profiles_after}
        )
    return MergePlan(target, source, fields, _moves(source) if count_moves else {}, profiles_after, problems)


def _moves(source: Contact) -> dict[str, int]:
    return {
        "channels": ChannelIdentity.objects.filter(contact=source).count(),
        "conversations": Conversation.objects.filter(contact=source).count(),
        "messages": Message.objects.filter(conversation__contact=source).count(),
        "comments": Comment.objects.filter(contact=source).count(),
    }


def contact_merge(
    *,
    actor,
    target: Contact,
    source: Contact,
    choices: dict | None = None,
    suggestion: MergeSuggestion | None = None,
) -> MergeRecord:
    """Merge `source` into `target`, keeping everything of both; returns the merge record.

    Retried on deadlock. Raises MergeRefused (nothing changed) when the merge is not possible
    and PermissionDenied when the actor may not merge here.
    """
    permissions.require(
        permissions.can_merge(actor, from_suggestion=suggestion is not None),
        _("You are not allowed to merge these contacts."),
    )
    return with_retries(lambda: _merge(actor, target.pk, source.pk, choices, suggestion))


def contact_merge_back(*, actor, record: MergeRecord, choices: dict) -> MergeRecord:
    """Undo an unmerge: merge its profile back under the very profile it was split off (which
    may have been merged into another contact since), with the choices of the merge it undid."""
    permissions.require(permissions.can_merge(actor, from_suggestion=False))
    under = Contact.objects.get(pk=record.target_id)
    root_id = under.root_id or under.pk
    return with_retries(lambda: _merge(actor, root_id, record.source_id, choices, None, under_id=under.pk))


def _merge(actor, target_id: int, source_id: int, choices, suggestion, under_id: int | None = None) -> MergeRecord:
    with transaction.atomic():
        locked = lock_contacts(target_id, source_id)
        if target_id == source_id or target_id not in locked or source_id not in locked:
            raise MergeRefused(_("Pick two different contacts to merge."))
        target, source = locked[target_id], locked[source_id]
        if suggestion is not None:
            suggestion = _locked_open_suggestion(suggestion.pk, {target_id, source_id})
        plan = merge_plan(target=target, source=source, choices=choices, count_moves=False)
        if plan.problems:
            raise MergeRefused(" ".join(plan.problems))
        parent = target
        if under_id is not None and under_id != target_id:
            parent = Contact.objects.get(pk=under_id)
            if parent.root_id != target_id:
                raise MergeRefused(_("That profile is not part of this contact any more."))
        now = timezone.now()
        record = MergeRecord(
            action=MergeAction.MERGE,
            actor=actor,
            created_at=now,
            target=parent,
            source=source,
            suggestion=suggestion,
            choices=plan.choices if parent is target else choices,
            target_snapshot=contact_snapshot(parent.pk),
            source_snapshot=contact_snapshot(source_id),
        )
        for contact in {target, source, parent}:
            if contact.base is None:  # its own values, from before anything was merged into it
                update_with_history(
                    Contact.objects.filter(pk=contact.pk), actor=actor, reason="merge", base=base_of(contact, now)
                )
        record.closed_conversation = _close_one_open_conversation(target, source)
        move_owned_rows(actor=actor, reason="merge", from_contact_id=source_id, to_contact_id=target_id)
        update_with_history(Contact.objects.filter(root_id=source_id), actor=actor, reason="merge", root_id=target_id)
        update_with_history(
            Contact.objects.filter(pk=source_id),
            actor=actor,
            reason="merge",
            root_id=target_id,
            merged_into_id=parent.pk,
            merged_at=now,
            merge_choices=record.choices,
        )
        tree_rederive(actor=actor, reason="merge", root_id=target_id)
        record.save()
        _settle_suggestions(actor, target_id, source_id, now)
        event_record(
            contact=target,
            kind=EventKind.MERGED,
            actor=actor,
            data={"record": record.pk, "source": source_id, "source_name": source.name, "choices": plan.choices},
        )
    return record


def _locked_open_suggestion(suggestion_id: int, pair: set[int]) -> MergeSuggestion:
    suggestion = MergeSuggestion.objects.select_for_update().get(pk=suggestion_id)
    if suggestion.status != SuggestionStatus.OPEN or {suggestion.contact_a_id, suggestion.contact_b_id} != pair:
        raise MergeRefused(_("This merge suggestion is no longer open."))
    return suggestion


def open_conversations_in_merge(target: Contact, source: Contact, *, lock: bool = False) -> list[Conversation]:
    """The open conversations of both sides, the one a merge keeps open first (the livelier one);
    the merge preview and the merge itself both read it."""
    conversations = Conversation.objects.select_related("assignee", "contact").filter(
        contact__in=[target, source], status=ConversationStatus.OPEN
    )
    if lock:
        conversations = conversations.select_for_update(of=("self",))
    return list(conversations.order_by("-last_message_at", "-id"))


def _close_one_open_conversation(target: Contact, source: Contact) -> Conversation | None:
    """Keep the livelier open conversation open; close the other one "by merge" (through the
    conversation services, as the system: the merge event names who merged). If the one kept open
    has nobody assigned, the closed one's assignee (when allowed to see it) takes it over."""
    open_ones = open_conversations_in_merge(target, source, lock=True)
    if len(open_ones) < 2:
        return None
    surviving, closing = open_ones[0], open_ones[1]
    closed = conversation_close(actor=None, conversation=closing, reason="merge", continues_in=surviving)
    if (
        surviving.assignee_id is None
        and closing.assignee_id is not None
        and permissions.may_be_assigned(closing.assignee, surviving)
    ):
        conversation_assign(actor=None, conversation=surviving, assignee=closing.assignee, via="merge")
    return closed


def _settle_suggestions(actor, target_id: int, source_id: int, now) -> None:
    low, high = sorted((target_id, source_id))
    MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN, contact_a_id=low, contact_b_id=high).update(
        status=SuggestionStatus.MERGED, resolved_at=now, resolved_by=actor
    )
    open_suggestions_of(source_id).update(status=SuggestionStatus.OBSOLETE, resolved_at=now)
    suggestions_refresh(contact_id=target_id)
    # The merged contact now holds the source's dismissals too: an open suggestion of the target
    # with someone a profile of it was dismissed against does not stay open (whatever the direction).
    blocked = dismissed_partners(target_id)
    if blocked:
        open_suggestions_of(target_id).filter(Q(contact_a_id__in=blocked) | Q(contact_b_id__in=blocked)).update(
            status=SuggestionStatus.OBSOLETE, resolved_at=now
        )
