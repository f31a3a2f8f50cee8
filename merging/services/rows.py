"""Set-based moves of a contact's rows, shared by merge and unmerge.

No per-row Python: each model is one UPDATE. Messages never move: they follow their
conversation, so the cost of a merge does not grow with the number of messages.
"""

import random
import time

from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.db.utils import OperationalError

from channels.models import ChannelIdentity
from contacts.models import Comment, Contact, ContactKey, Event
from contacts.profiles import changes_for, derive
from conversations.models import Conversation

HISTORY_MODELS = (ChannelIdentity, ContactKey, Comment)
OWNED_MODELS = (ChannelIdentity, ContactKey, Conversation, Comment, Event)


def update_with_history(queryset: QuerySet, *, actor, reason: str, **changes) -> int:
    """UPDATE the rows, then write their history rows in the same transaction."""
    model: type[Model] = queryset.model
    if not hasattr(model, "history"):
        return queryset.update(**changes)
    ids = list(queryset.values_list("pk", flat=True))
    if not ids:
        return 0
    count = model.objects.filter(pk__in=ids).update(**changes)
    model.history.bulk_history_create(
        list(model.objects.filter(pk__in=ids)),
        update=True,
        default_user=actor,
        default_change_reason=reason,
    )
    return count


def move_owned_rows(*, actor, reason: str, from_contact_id: int, to_contact_id: int, profile_ids=None) -> None:
    """Give every row the contact owns (optionally only those of some profiles) to another contact."""
    for model in OWNED_MODELS:
        rows = model.objects.filter(contact_id=from_contact_id)
        if profile_ids is not None:
            rows = rows.filter(profile_id__in=profile_ids)
        update_with_history(rows, actor=actor, reason=reason, contact_id=to_contact_id)


def tree_rederive(*, actor, reason: str, root_id: int, values: dict[int, dict] | None = None) -> dict[int, dict]:
    """Write into every row of a contact's tree the values `contacts.profiles.derive` gives it
    (or the `values` a plan derived already); rows already holding them are not written."""
    values = values if values is not None else derive(root_id)
    for contact in Contact.objects.filter(pk__in=values):
        changes = changes_for(contact, values[contact.pk])
        if changes:
            update_with_history(Contact.objects.filter(pk=contact.pk), actor=actor, reason=reason, **changes)
    return values


def lock_contacts(*ids: int) -> dict[int, Contact]:
    """Lock these contact rows and the profiles merged into them, all in ascending id order (the
    lock order every service follows). The profiles too: `tree_rederive` writes them, and taking
    their locks only then would wait on an unmerge that holds a profile and waits for its root."""
    rows = Contact.objects.select_for_update().filter(Q(pk__in=ids) | Q(root_id__in=ids)).order_by("pk")
    return {contact.pk: contact for contact in rows}


RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


def with_retries(operation, attempts: int = 5):
    """Run a transactional operation again when PostgreSQL aborts it for a deadlock."""
    for attempt in range(attempts):
        try:
            return operation()
        except OperationalError as exc:
            sqlstate = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
            if (
                sqlstate not in RETRYABLE_SQLSTATES
                or attempt == attempts - 1
                or transaction.get_connection().in_atomic_block
            ):
                raise
            time.sleep(random.uniform(0, 0.05 * 2**attempt))  # do not meet the same transaction again
