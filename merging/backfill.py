"""The full duplicate-detection pass: every pair of visible contacts that shares a key.

It applies the same rules as `detection.suggestions_refresh`, set-based in SQL: the keys more
than one contact has form groups; of two members dismissed against each other the later leaves;
every other member not yet linked to its group is linked to the group's anchor (N members, N−1
suggestions); open suggestions that no longer share a key, or that a dismissal separates, retire. The
work is split in ranges of contacts so that the run shows progress.
"""

from django.db import connection, transaction
from django.utils import timezone

from config.workspace.models import Workspace
from contacts.models import KeyKind
from merging.models import BackfillRun

CHUNKS = 10
# The reason is stored as "kind:value"; both kinds are five letters, so it splits by position.
assert {len(kind) for kind in KeyKind.values} == {5}


def _collate() -> str:
    return ' COLLATE "C"' if connection.vendor == "postgresql" else ""


# Step 1: the keys that more than one contact has (one GROUP BY: the floor of the whole pass).
# `%s` is whether unverified keys take part (the workspace's `unverified_keys_suggest`).
SHARED_KEYS_SQL = """
    CREATE TEMPORARY TABLE backfill_shared AS
    SELECT k.contact_id, k.kind, k.match_value
    FROM contacts_contactkey k
    JOIN (
        SELECT kind, match_value FROM contacts_contactkey WHERE match_value <> '' AND (verified OR %s)
        GROUP BY kind, match_value HAVING COUNT(DISTINCT contact_id) > 1
    ) shared ON shared.kind = k.kind AND shared.match_value = k.match_value
    WHERE k.verified OR %s
"""

# Step 2: members a dismissal puts out of a key's group (dismissed against a lower member).
DISMISSED_SQL = """
    CREATE TEMPORARY TABLE backfill_dismissed AS
    SELECT DISTINCT COALESCE(da.root_id, da.id) AS a, COALESCE(db.root_id, db.id) AS b
    FROM merging_mergesuggestion d
    JOIN contacts_contact da ON da.id = d.contact_a_id
    JOIN contacts_contact db ON db.id = d.contact_b_id
    WHERE d.status = 'dismissed'
"""

ELIGIBLE_SQL = """
    CREATE TEMPORARY TABLE backfill_eligible AS
    SELECT DISTINCT s.contact_id, s.kind, s.match_value FROM backfill_shared s
    WHERE NOT EXISTS (
        SELECT 1 FROM backfill_dismissed x JOIN backfill_shared t ON t.contact_id = x.b
        WHERE x.a = s.contact_id AND t.kind = s.kind AND t.match_value = s.match_value AND t.contact_id < s.contact_id
    ) AND NOT EXISTS (
        SELECT 1 FROM backfill_dismissed x JOIN backfill_shared t ON t.contact_id = x.a
        WHERE x.b = s.contact_id AND t.kind = s.kind AND t.match_value = s.match_value AND t.contact_id < s.contact_id
    )
"""

# Members already in their key's group: an open suggestion with another member of it.
LINKED_SQL = """
    CREATE TEMPORARY TABLE backfill_linked AS
    SELECT s.contact_id, s.kind, s.match_value
    FROM backfill_shared s
    JOIN merging_mergesuggestion o ON o.status = 'open' AND o.contact_a_id = s.contact_id
    JOIN backfill_shared t ON t.contact_id = o.contact_b_id AND t.kind = s.kind AND t.match_value = s.match_value
    UNION
    SELECT s.contact_id, s.kind, s.match_value
    FROM backfill_shared s
    JOIN merging_mergesuggestion o ON o.status = 'open' AND o.contact_b_id = s.contact_id
    JOIN backfill_shared t ON t.contact_id = o.contact_a_id AND t.kind = s.kind AND t.match_value = s.match_value
"""

ANCHORS_SQL = """
    CREATE TEMPORARY TABLE backfill_anchor AS
    SELECT kind, match_value, MIN(contact_id) AS anchor FROM backfill_eligible
    GROUP BY kind, match_value HAVING COUNT(*) > 1
"""


def _insert_pairs_sql() -> str:
    """Step 3, for one range of members: each eligible member not yet linked to its key's group is
    linked to the group's anchor (the anchor itself, when unlinked, to the next member)."""
    return f"""
        INSERT INTO merging_mergesuggestion (contact_a_id, contact_b_id, reason_kind, reason_value, status, created_at)
        SELECT pair.a, pair.b, substr(pair.reason, 1, 5), substr(pair.reason, 7), 'open', %s
        FROM (
            SELECT link.a, link.b, MIN(link.kind || ':' || link.match_value{_collate()}) AS reason
            FROM (
                SELECT x.anchor AS a, e.contact_id AS b, e.contact_id AS member, e.kind, e.match_value
                FROM backfill_eligible e JOIN backfill_anchor x ON x.kind = e.kind AND x.match_value = e.match_value
                WHERE e.contact_id <> x.anchor
                UNION ALL
                SELECT x.anchor, MIN(e.contact_id), x.anchor, e.kind, e.match_value
                FROM backfill_eligible e JOIN backfill_anchor x ON x.kind = e.kind AND x.match_value = e.match_value
                WHERE e.contact_id <> x.anchor
                GROUP BY x.anchor, e.kind, e.match_value
            ) link
            WHERE link.member >= %s AND link.member < %s
              AND NOT EXISTS (
                SELECT 1 FROM backfill_linked l
                WHERE l.contact_id = link.member AND l.kind = link.kind AND l.match_value = link.match_value
              )
            GROUP BY link.a, link.b
        ) pair
        WHERE NOT EXISTS (
            SELECT 1 FROM merging_mergesuggestion s
            WHERE s.status = 'open' AND s.contact_a_id = pair.a AND s.contact_b_id = pair.b
        )
    """


RETIRE_STALE_SQL = """
    UPDATE merging_mergesuggestion SET status = 'obsolete', resolved_at = %s
    WHERE status = 'open' AND NOT EXISTS (
        SELECT 1 FROM contacts_contactkey a JOIN contacts_contactkey b
          ON a.kind = b.kind AND a.match_value = b.match_value
        WHERE a.contact_id = merging_mergesuggestion.contact_a_id
          AND b.contact_id = merging_mergesuggestion.contact_b_id AND a.match_value <> ''
          AND ((a.verified AND b.verified) OR %s)
    )
"""

# Open suggestions between two contacts that a dismissal of any of their profiles separates.
RETIRE_DISMISSED_SQL = """
    UPDATE merging_mergesuggestion SET status = 'obsolete', resolved_at = %s
    WHERE status = 'open' AND EXISTS (
        SELECT 1 FROM merging_mergesuggestion d
        JOIN contacts_contact da ON da.id = d.contact_a_id
        JOIN contacts_contact db ON db.id = d.contact_b_id
        WHERE d.status = 'dismissed'
          AND ((COALESCE(da.root_id, da.id) = merging_mergesuggestion.contact_a_id
                AND COALESCE(db.root_id, db.id) = merging_mergesuggestion.contact_b_id)
            OR (COALESCE(da.root_id, da.id) = merging_mergesuggestion.contact_b_id
                AND COALESCE(db.root_id, db.id) = merging_mergesuggestion.contact_a_id))
    )
"""

TEMP_TABLES = ("backfill_anchor", "backfill_linked", "backfill_eligible", "backfill_dismissed", "backfill_shared")


def _analyze(cursor, table: str) -> None:
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {table}")  # a fresh temp table has no statistics


def backfill_run(run: BackfillRun) -> BackfillRun:
    """Run one backfill, recording progress on `run` as it goes."""
    BackfillRun.objects.filter(pk=run.pk).update(status=BackfillRun.Status.RUNNING, total=CHUNKS + 2)
    now, created = timezone.now(), 0
    unverified = Workspace.current().unverified_keys_suggest
    with connection.cursor() as cursor:
        for table in TEMP_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(SHARED_KEYS_SQL, [unverified, unverified])
        _analyze(cursor, "backfill_shared")
        for sql, table in (
            (DISMISSED_SQL, "backfill_dismissed"),
            (ELIGIBLE_SQL, "backfill_eligible"),
            (LINKED_SQL, "backfill_linked"),
            (ANCHORS_SQL, "backfill_anchor"),
        ):
            cursor.execute(sql)
            _analyze(cursor, table)
        cursor.execute("SELECT MIN(contact_id), MAX(contact_id) FROM backfill_shared")
        low, high = cursor.fetchone()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(RETIRE_STALE_SQL, [now, unverified])
            cursor.execute(RETIRE_DISMISSED_SQL, [now])
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
            for table in TEMP_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
    BackfillRun.objects.filter(pk=run.pk).update(
        status=BackfillRun.Status.DONE, processed=CHUNKS + 2, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run
