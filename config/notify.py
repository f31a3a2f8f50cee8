"""Live updates, sending side: the one function services call when something pages show changed.

`live_notify` runs after the transaction commits (nothing is announced for a rolled-back write)
and sends one PostgreSQL NOTIFY on the `LIVE_CHANNEL` channel. Every process's stream endpoint
(`config.live`) listens and forwards the news to the pages that may see it.

The payload carries ids only (a NOTIFY holds at most 8000 bytes), each with the channels through
which a user may see it: `{"t": topic, "items": [[kind, id, [channel ids]], ...]}`. The stream
asks the permission policy which of those items each page's user may know about; pages fetch
what changed through the ordinary (scoped) views.

Topics: "message" (stored, sent, failed, edited...), "conversation" (assigned, closed, read...),
"contact" (profile, keys, notes, events), "suggestion" (a merge suggestion raised or resolved).
On SQLite (the demo) nothing is sent: pages fall back to polling.

This module imports no app: it reaches other models through the relations of the rows it is given.
"""

import json
import logging
from collections.abc import Iterable

from django.apps import apps
from django.db import connection, transaction

LIVE_CHANNEL = "mergeinbox_live"
TOPICS = ("message", "conversation", "contact", "suggestion")

logger = logging.getLogger(__name__)


def live_notify(topic: str, *, conversation=None, message=None, contact_ids: Iterable[int] = ()) -> None:
    """After commit, tell every open page that `topic` changed for these rows (ids only)."""
    if topic not in TOPICS:
        raise ValueError(f"Unknown live topic {topic!r}")
    items: list[list] = []
    if message is not None:
        conversation = conversation or message.conversation
        items.append(["message", message.pk, [message.channel_id]])
        # Whoever may see the message may know whose timeline it belongs to.
        items.append(["contact", conversation.contact_id, [message.channel_id]])
    if conversation is not None:
        items.append(["conversation", conversation.pk, [conversation.channel_id]])
        if message is None:
            items.append(["contact", conversation.contact_id, [conversation.channel_id]])
    contact_ids = sorted({int(pk) for pk in contact_ids if pk})
    if connection.vendor != "postgresql":
        return
    transaction.on_commit(lambda: _send(topic, items, contact_ids), robust=True)


def _send(topic: str, items: list[list], contact_ids: list[int]) -> None:
    if contact_ids:
        # A contact is visible through any of its channel identities (the policy's rule).
        identity = apps.get_model("channels", "ChannelIdentity")
        channels: dict[int, set[int]] = {pk: set() for pk in contact_ids}
        for contact_id, channel_id in identity.objects.filter(contact_id__in=contact_ids).values_list(
            "contact_id", "channel_id"
        ):
            channels[contact_id].add(channel_id)
        items = items + [["contact", pk, sorted(channels[pk])] for pk in contact_ids]
    payload = json.dumps({"t": topic, "items": items}, separators=(",", ":"))
    if len(payload) > 7900:  # too many rows for one NOTIFY: pages resynchronise instead
        payload = json.dumps({"t": "resync", "items": []})
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [LIVE_CHANNEL, payload])
