"""Undoing a recorded merge, unmerge or dismissal from its record (the audit trail)."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.workspace import permissions
from contacts.models import Contact
from merging.models import MergeAction, MergeRecord, MergeSuggestion, SuggestionStatus
from merging.services.merge import MergeRefused, contact_merge_back
from merging.services.unmerge import contact_unmerge


def merge_record_undo(*, actor, record: MergeRecord) -> MergeRecord:
    """A merge is undone by unmerging its source; an unmerge by merging its profile back under
    the profile it was split off (even if that one was merged elsewhere since), with the choices
    of the merge it undid. Either record is then marked undone and cannot be undone twice."""
    permissions.require(permissions.can_unmerge(actor), _("Only owners and managers can undo merges."))
    if record.action == MergeAction.MERGE:
        if record.undone_by_id:
            raise MergeRefused(_("This merge was already undone."))
        source = Contact.objects.get(pk=record.source_id)
        if source.root_id is None:
            raise MergeRefused(_("That profile is not merged any more."))
        return contact_unmerge(actor=actor, contact=Contact.objects.get(pk=source.root_id), profile=source)
    with transaction.atomic():
        record = MergeRecord.objects.select_for_update().get(pk=record.pk)
        if record.undone_by_id:
            raise MergeRefused(_("This unmerge was already undone."))
        undone_merge = MergeRecord.objects.filter(undone_by=record).first()
        merge = contact_merge_back(actor=actor, record=record, choices=undone_merge.choices if undone_merge else {})
        record.undone_by = merge
        record.save(update_fields=["undone_by"])
    return merge


def suggestion_reopen(*, actor, suggestion: MergeSuggestion) -> MergeSuggestion:
    """Undo "not the same person": the pair is suggested again (if both are still separate)."""
    permissions.require(permissions.is_manager(actor), _("Only owners and managers can reopen suggestions."))
    with transaction.atomic():
        suggestion = MergeSuggestion.objects.select_for_update().get(pk=suggestion.pk)
        if suggestion.status != SuggestionStatus.DISMISSED:
            raise MergeRefused(_("Only a dismissed suggestion can be reopened."))
        roots = Contact.objects.filter(pk__in=[suggestion.contact_a_id, suggestion.contact_b_id], root__isnull=True)
        if roots.count() != 2:
            raise MergeRefused(_("One of the two contacts was merged since; the pair cannot be reopened."))
        suggestion.status, suggestion.resolved_at, suggestion.resolved_by = SuggestionStatus.OPEN, timezone.now(), actor
        try:
            with transaction.atomic():
                suggestion.save(update_fields=["status", "resolved_at", "resolved_by"])
        except IntegrityError as exc:
            raise MergeRefused(_("This pair already has an open suggestion.")) from exc
    return suggestion
