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


def live_notify(
    topic: str,
    *,
    conversation=None,
    message=None,
    contact_ids: Iterable[int] = (),
    messages: Iterable = (),
    conversations: Iterable = (),
) -> None:
    """After commit, tell every open page that `topic` changed for these rows (ids only).

    `messages` and `conversations` announce many rows at once (the inbound workers' batches):
    as few NOTIFYs as their ids fit in, one round trip each."""
    if topic not in TOPICS:
        raise ValueError(f"Unknown live topic {topic!r}")
    items: list[list] = []
    for one in [message] if message is not None else messages:
        one_conversation = conversation or one.conversation
        items.append(["message", one.pk, [one.channel_id]])
        # Whoever may see the message may know whose timeline it belongs to.
        items.append(["contact", one_conversation.contact_id, [one.channel_id]])
        if conversation is None and message is None:
            items.append(["conversation", one_conversation.pk, [one_conversation.channel_id]])
    for one in [conversation] if conversation is not None else conversations:
        items.append(["conversation", one.pk, [one.channel_id]])
        if message is None:
            items.append(["contact", one.contact_id, [one.channel_id]])
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
    with connection.cursor() as cursor:
        for payload in _payloads(topic, items):
            cursor.execute("SELECT pg_notify(%s, %s)", [LIVE_CHANNEL, payload])


def _payloads(topic: str, items: list[list]) -> list[str]:
    """The items, each once, in as few payloads as fit in a NOTIFY (at most 8000 bytes)."""
    unique = list({json.dumps(item, separators=(",", ":")): item for item in items})
    payloads, chunk = [], []
    for item in unique:
        if len(item) > 7800:  # one row seen through too many channels: pages resynchronise instead
            payloads.append(json.dumps({"t": "resync", "items": []}))
            continue
        if sum(len(i) + 1 for i in chunk) + len(item) > 7800:
            payloads.append(_payload(topic, chunk))
            chunk = []
        chunk.append(item)
    if chunk or not payloads:
        payloads.append(_payload(topic, chunk))
    return payloads


def _payload(topic: str, chunk: list[str]) -> str:
    return f'{{"t":{json.dumps(topic)},"items":[{",".join(chunk)}]}}'
