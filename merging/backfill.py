"""The full duplicate-detection pass: every pair of visible contacts that shares a key.

It applies the same rules as `detection.suggestions_refresh`, set-based: one self-join over
the normalised keys finds the pairs (with the same reason: the smallest shared kind:value),
dismissed pairs stay dismissed, and open suggestions that no longer share a key retire.
"""

from django.db import connection, transaction
from django.utils import timezone

from merging.models import BackfillRun, MergeSuggestion, SuggestionStatus

BATCH = 5000


def _pairs_sql() -> str:
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    return f"""
        SELECT a.contact_id, b.contact_id, MIN(a.kind || ':' || a.match_value{collate})
        FROM contacts_contactkey a
        JOIN contacts_contactkey b
          ON a.kind = b.kind AND a.match_value = b.match_value AND a.contact_id < b.contact_id
        WHERE a.match_value <> ''
        GROUP BY a.contact_id, b.contact_id
    """


def shared_pairs() -> dict[tuple[int, int], tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(_pairs_sql())
        return {(a, b): tuple(reason.split(":", 1)) for a, b, reason in cursor.fetchall()}


def dismissed_root_pairs() -> set[tuple[int, int]]:
    """Pairs of visible contacts blocked because some profiles of theirs were dismissed."""
    sql = """
        SELECT COALESCE(ca.root_id, ca.id), COALESCE(cb.root_id, cb.id)
        FROM merging_mergesuggestion s
        JOIN contacts_contact ca ON ca.id = s.contact_a_id
        JOIN contacts_contact cb ON cb.id = s.contact_b_id
        WHERE s.status = %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [SuggestionStatus.DISMISSED])
        return {tuple(sorted(pair)) for pair in cursor.fetchall()}


def backfill_run(run: BackfillRun) -> BackfillRun:
    """Run one backfill, recording progress on `run` as it goes."""
    BackfillRun.objects.filter(pk=run.pk).update(status=BackfillRun.Status.RUNNING)
    pairs = shared_pairs()
    blocked = dismissed_root_pairs()
    open_pairs = dict(
        ((a, b), pk)
        for pk, a, b in MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN).values_list(
            "pk", "contact_a_id", "contact_b_id"
        )
    )
    stale = [pk for pair, pk in open_pairs.items() if pair not in pairs]
    new = [pair for pair in pairs if pair not in open_pairs and pair not in blocked]
    BackfillRun.objects.filter(pk=run.pk).update(total=len(new) + len(stale))
    now = timezone.now()
    with transaction.atomic():
        MergeSuggestion.objects.filter(pk__in=stale).update(status=SuggestionStatus.OBSOLETE, resolved_at=now)
    processed = len(stale)
    for start in range(0, len(new), BATCH):
        chunk = new[start : start + BATCH]
        MergeSuggestion.objects.bulk_create(
            [
                MergeSuggestion(contact_a_id=a, contact_b_id=b, reason_kind=pairs[a, b][0], reason_value=pairs[a, b][1])
                for a, b in chunk
            ],
            ignore_conflicts=True,
        )
        processed += len(chunk)
        BackfillRun.objects.filter(pk=run.pk).update(processed=processed)
    BackfillRun.objects.filter(pk=run.pk).update(
        status=BackfillRun.Status.DONE, suggestions_created=len(new), finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run
