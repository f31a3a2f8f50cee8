"""Splitting one profile off a merged contact, exactly as it was before its merge.

Lock order: the contact and the profile rows in ascending id order (`lock_contacts`).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import ChannelIdentity
from config.workspace import permissions
from contacts.events import event_record
from contacts.models import Contact, ContactKey, EventKind, KeyKind
from conversations.models import Conversation, ConversationStatus
from merging.detection import suggestions_refresh
from merging.models import MergeAction, MergeRecord, MergeSuggestion, SuggestionStatus
from merging.services.merge import SOURCE, MergeRefused
from merging.services.rows import lock_contacts, move_owned_rows, update_with_history, with_retries
from merging.snapshots import contact_snapshot


def contact_unmerge(*, actor, contact: Contact, profile: Contact) -> MergeRecord:
    """Split `profile` (with the profiles that were merged into it first) off `contact`.

    The profile gets back its identities, keys, comments and the conversations it had before
    the merge; conversations opened while merged stay with `contact`. Returns the record.
    """
    permissions.require(permissions.can_unmerge(actor), _("Only owners and managers can unmerge contacts."))
    return with_retries(lambda: _unmerge(actor, contact.pk, profile.pk))


def _unmerge(actor, root_id: int, profile_id: int) -> MergeRecord:
    with transaction.atomic():
        locked = lock_contacts(root_id, profile_id)
        root, profile = locked.get(root_id), locked.get(profile_id)
        if root is None or profile is None or profile.root_id != root_id:
            raise MergeRefused(_("That profile is not part of this contact."))
        now = timezone.now()
        subtree = _subtree(root_id, profile_id)
        merge_record = (
            MergeRecord.objects.filter(action=MergeAction.MERGE, source_id=profile_id, undone_by__isnull=True)
            .order_by("-created_at")
            .first()
        )
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
            actor=actor, reason="unmerge", from_contact_id=root_id, to_contact_id=profile_id, profile_ids=subtree
        )
        update_with_history(
            Contact.objects.filter(pk__in=subtree - {profile_id}), actor=actor, reason="unmerge", root_id=profile_id
        )
        root.absorbed_count -= len(subtree)
        profile.root_id = profile.merged_into_id = None
        profile.absorbed_count = len(subtree) - 1
        if merge_record is not None and merge_record.target_id == root_id:
            _revert_choices(root, merge_record)
        for contact in (root, profile):
            _repair_references(contact, merge_record)
            contact.save()
        if merge_record is not None:
            record.closed_conversation = _reopen_closed_by_merge(actor, merge_record, locked={root_id, profile_id})
        record.save()
        if merge_record is not None:
            merge_record.undone_by = record
            merge_record.save(update_fields=["undone_by"])
        _settle_suggestions(actor, root_id, profile_id, now)
        for contact, other in ((root, profile), (profile, root)):
            event_record(
                contact=contact,
                kind=EventKind.UNMERGED,
                actor=actor,
                data={"record": record.pk, "other": other.pk, "other_name": other.name},
            )
    return record


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


def _revert_choices(root: Contact, merge_record: MergeRecord) -> None:
    """Where the merge made a value of the split-off profile primary, the contact falls back
    to its own value from before the merge (unless someone changed it since)."""
    before, source = merge_record.target_snapshot, merge_record.source_snapshot
    choices = merge_record.choices
    if choices.get("name") == SOURCE and root.name == source["name"]:
        root.name = before["name"]
    properties = dict(root.properties)
    for name, value in source["properties"].items():
        if choices.get(f"property:{name}") == SOURCE and properties.get(name) == value:
            if name in before["properties"]:
                properties[name] = before["properties"][name]
            else:
                properties.pop(name)
    root.properties = properties


def _repair_references(contact: Contact, merge_record: MergeRecord | None) -> None:
    """Primary e-mail, phone and main channel must point at the contact's own rows."""
    snapshot = merge_record.target_snapshot if merge_record and merge_record.target_id == contact.pk else {}
    for field, kind in (("primary_email_id", KeyKind.EMAIL), ("primary_phone_id", KeyKind.PHONE)):
        current = getattr(contact, field)
        own = ContactKey.objects.filter(contact=contact, kind=kind)
        if current is not None and own.filter(pk=current).exists():
            continue
        earlier = snapshot.get(field)
        if earlier and own.filter(pk=earlier).exists():
            setattr(contact, field, earlier)
        else:
            setattr(contact, field, own.order_by("created_at", "id").values_list("pk", flat=True).first())
    identities = ChannelIdentity.objects.filter(contact=contact)
    if contact.main_identity_id is None or not identities.filter(pk=contact.main_identity_id).exists():
        earlier = snapshot.get("main_identity_id")
        if earlier and identities.filter(pk=earlier).exists():
            contact.main_identity_id = earlier
        else:
            contact.main_identity_id = identities.order_by("id").values_list("pk", flat=True).first()


def _reopen_closed_by_merge(actor, merge_record: MergeRecord, *, locked: set[int]) -> Conversation | None:
    """The conversation the merge closed reopens, if nothing happened to it since.

    Only when it belongs to one of the two contacts this unmerge holds locked: a conversation
    that later merges carried to a third contact stays closed (reopening it there could race
    with another change to that contact).
    """
    closed = merge_record.closed_conversation
    if closed is None:
        return None
    closed = Conversation.objects.select_for_update().get(pk=closed.pk)
    if closed.contact_id not in locked:
        return None
    still_as_merge_left_it = closed.status == ConversationStatus.CLOSED and closed.closed_at == merge_record.created_at
    others_open = Conversation.objects.filter(contact_id=closed.contact_id, status=ConversationStatus.OPEN).exists()
    if not still_as_merge_left_it or others_open:
        return None
    closed.status, closed.closed_at = ConversationStatus.OPEN, None
    closed.save(update_fields=["status", "closed_at"])
    event_record(
        contact=closed.contact,
        conversation=closed,
        kind=EventKind.CONVERSATION_REOPENED,
        actor=actor,
        data={"reason": "unmerge"},
    )
    return closed


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
