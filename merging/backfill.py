"""The full duplicate-detection pass: every pair of visible contacts that shares a key.

It applies the same rules as `detection.suggestions_refresh`, set-based in SQL: a self-join over
the normalised keys finds the pairs (with the same reason: the smallest shared kind:value),
dismissed pairs stay dismissed, and open suggestions that no longer share a key retire. The
work is split in ranges of contacts so that the run shows progress.
"""

from django.db import connection, transaction
from django.utils import timezone

from contacts.models import KeyKind
from merging.models import BackfillRun

CHUNKS = 10
# The reason is stored as "kind:value"; both kinds are five letters, so it splits by position.
assert {len(kind) for kind in KeyKind.values} == {5}


def _collate() -> str:
    return ' COLLATE "C"' if connection.vendor == "postgresql" else ""


# Step 1: the keys that more than one contact has (one GROUP BY: the floor of the whole pass).
SHARED_KEYS_SQL = """
    CREATE TEMPORARY TABLE backfill_shared AS
    SELECT k.contact_id, k.kind, k.match_value
    FROM contacts_contactkey k
    JOIN (
        SELECT kind, match_value FROM contacts_contactkey WHERE match_value <> ''
        GROUP BY kind, match_value HAVING COUNT(DISTINCT contact_id) > 1
    ) shared ON shared.kind = k.kind AND shared.match_value = k.match_value
"""


def _insert_pairs_sql() -> str:
    """Step 2, for one range of contacts: the pairs among the shared keys, minus pairs already
    open or blocked by a dismissal."""
    return f"""
        INSERT INTO merging_mergesuggestion (contact_a_id, contact_b_id, reason_kind, reason_value, status, created_at)
        SELECT pair.a, pair.b, substr(pair.reason, 1, 5), substr(pair.reason, 7), 'open', %s
        FROM (
            SELECT a.contact_id AS a, b.contact_id AS b, MIN(a.kind || ':' || a.match_value{_collate()}) AS reason
            FROM backfill_shared a
            JOIN backfill_shared b
              ON a.kind = b.kind AND a.match_value = b.match_value AND a.contact_id < b.contact_id
            WHERE a.contact_id >= %s AND a.contact_id < %s
            GROUP BY a.contact_id, b.contact_id
        ) pair
        WHERE NOT EXISTS (
            SELECT 1 FROM merging_mergesuggestion s
            WHERE s.status = 'open' AND s.contact_a_id = pair.a AND s.contact_b_id = pair.b
        ) AND NOT EXISTS (
            SELECT 1 FROM merging_mergesuggestion d
            JOIN contacts_contact da ON da.id = d.contact_a_id
            JOIN contacts_contact db ON db.id = d.contact_b_id
            WHERE d.status = 'dismissed'
              AND ((COALESCE(da.root_id, da.id) = pair.a AND COALESCE(db.root_id, db.id) = pair.b)
                OR (COALESCE(da.root_id, da.id) = pair.b AND COALESCE(db.root_id, db.id) = pair.a))
        )
    """


RETIRE_STALE_SQL = """
    UPDATE merging_mergesuggestion SET status = 'obsolete', resolved_at = %s
    WHERE status = 'open' AND NOT EXISTS (
        SELECT 1 FROM contacts_contactkey a JOIN contacts_contactkey b
          ON a.kind = b.kind AND a.match_value = b.match_value
        WHERE a.contact_id = merging_mergesuggestion.contact_a_id
          AND b.contact_id = merging_mergesuggestion.contact_b_id AND a.match_value <> ''
    )
"""


def backfill_run(run: BackfillRun) -> BackfillRun:
    """Run one backfill, recording progress on `run` as it goes."""
    BackfillRun.objects.filter(pk=run.pk).update(status=BackfillRun.Status.RUNNING, total=CHUNKS + 2)
    now, created = timezone.now(), 0
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS backfill_shared")
        cursor.execute(SHARED_KEYS_SQL)
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE backfill_shared")  # a fresh temp table has no statistics
        cursor.execute("SELECT MIN(contact_id), MAX(contact_id) FROM backfill_shared")
        low, high = cursor.fetchone()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(RETIRE_STALE_SQL, [now])
        BackfillRun.objects.filter(pk=run.pk).update(processed=2)
        low, high = (low or 0), (high or 0) + 1
        step = max(1, -(-(high - low) // CHUNKS))
        for done, start in enumerate(range(low, high, step), start=3):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(_insert_pairs_sql(), [now, start, start + step])
                created += cursor.rowcount
            BackfillRun.objects.filter(pk=run.pk).update(processed=done, suggestions_created=created)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS backfill_shared")
    BackfillRun.objects.filter(pk=run.pk).update(
        status=BackfillRun.Status.DONE, processed=CHUNKS + 2, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run
