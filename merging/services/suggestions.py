from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.notify import live_notify
from config.workspace import permissions
from merging.models import MergeSuggestion, SuggestionStatus
from merging.services.merge import MergeRefused


def suggestion_dismiss(*, actor, suggestion: MergeSuggestion) -> MergeSuggestion:
    """ "Not the same person": the pair is never suggested again."""
    permissions.require(permissions.can_dismiss_suggestion(actor))
    with transaction.atomic():
        suggestion = MergeSuggestion.objects.select_for_update().get(pk=suggestion.pk)
        if suggestion.status != SuggestionStatus.OPEN:
            raise MergeRefused(_("This merge suggestion is no longer open."))
        suggestion.status = SuggestionStatus.DISMISSED
        suggestion.resolved_at = timezone.now()
        suggestion.resolved_by = actor
        suggestion.save(update_fields=["status", "resolved_at", "resolved_by"])
        live_notify("suggestion", contact_ids=[suggestion.contact_a_id, suggestion.contact_b_id])
    return suggestion
