"""Merge/unmerge timing at 100 and 100,000 messages, and duplicate detection beside its SQL floor."""

import statistics
import time

from django.db import connection

from channels.models import Channel, ChannelKind
from config.workspace.models import Role, User
from contacts.models import Contact, ContactKey, KeyKind, KeySource
from contacts.services import contact_create, contact_key_add
from conversations.models import Conversation, OpenedBy
from merging.backfill import backfill_run
from merging.detection import suggestions_refresh
from merging.models import BackfillRun
from merging.services import contact_merge, contact_unmerge

FLOOR_SQL = """
    SELECT kind, match_value, COUNT(DISTINCT contact_id)
    FROM contacts_contactkey WHERE match_value <> ''
    GROUP BY kind, match_value HAVING COUNT(DISTINCT contact_id) > 1
"""


def _contact_with_messages(channel: Channel, messages: int, tag: str) -> Contact:
    contact = contact_create(name=f"Bench {tag}")
    conversation = Conversation.objects.create(
        contact=contact,
        profile=contact,
        channel=channel,
        opened_by=OpenedBy.CONTACT,
        status="closed",
        closed_at="2026-01-01T00:00:00Z",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO channels_channelidentity (channel_id, external_id, contact_id, profile_id, display_name, "
            "username, created_at) VALUES (%s, %s, %s, %s, '', '', now()) RETURNING id",
            [channel.pk, f"bench-merge-{tag}-{contact.pk}", contact.pk, contact.pk],
        )
        identity = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO conversations_message (conversation_id, identity_id, channel_id, direction, body, "
            "attachments, platform_message_id, status, error, created_at) SELECT %s, %s, %s, 'in', 'm', '[]', "
            "'bench-merge-' || %s || '-' || g, 'received', '', now() FROM generate_series(1, %s) g",
            [conversation.pk, identity, channel.pk, f"{tag}-{contact.pk}", messages],
        )
    return contact


def measure_merge(messages: int, runs: int = 5) -> dict:
    actor, _ = User.objects.get_or_create(username="bench-manager", defaults={"role": Role.MANAGER})
    channel = Channel.objects.filter(kind=ChannelKind.WHATSAPP).first()
    target = _contact_with_messages(channel, messages, f"t{messages}")
    source = _contact_with_messages(channel, messages, f"s{messages}")
    merges, unmerges = [], []
    for _ in range(runs):
        started = time.perf_counter()
        contact_merge(actor=actor, target=target, source=source)
        merges.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        contact_unmerge(actor=actor, contact=target, profile=source)
        unmerges.append((time.perf_counter() - started) * 1000)
        # the unmerge dismissed the pair; that is fine for timing the next merge
    return {"merge_ms": statistics.median(merges), "unmerge_ms": statistics.median(unmerges)}


def measure_detection() -> dict:
    from merging.models import MergeSuggestion

    MergeSuggestion.objects.all().delete()  # a full pass from scratch, as after an import
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(FLOOR_SQL)
        groups = len(cursor.fetchall())
        floor_s = time.perf_counter() - started
    started = time.perf_counter()
    run = backfill_run(BackfillRun.objects.create())
    backfill_s = time.perf_counter() - started

    contact = Contact.objects.filter(root__isnull=True).order_by("-pk").first()
    started = time.perf_counter()
    contact_key_add(
        contact=contact, kind=KeyKind.EMAIL, raw=f"user{contact.pk % 1000}@example.com", source=KeySource.AGENT
    )
    incremental_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    suggestions_refresh(contact_id=contact.pk)
    refresh_ms = (time.perf_counter() - started) * 1000
    return {
        "groups": groups,
        "floor_s": floor_s,
        "backfill_s": backfill_s,
        "suggestions": run.suggestions_created,
        "incremental_add_key_ms": incremental_ms,
        "refresh_ms": refresh_ms,
        "keys": ContactKey.objects.count(),
    }
