"""Set-based ingest: the plain messages of a claimed batch, stored with a few statements for all.

Most of what platforms deliver is plain: a new text message from a sender we know, or the first
message of someone new. One at a time (`pipeline.inbound_message_ingest`) each costs about fifteen
statements (thirty for a new sender); here a run of them costs about fifteen in all: one look-up
per kind of row, one insert per kind of row (with their history rows), one update per kind of
row. The rows stored are the ones the one-at-a-time pipeline stores, built by the same builders
(tests/channels/test_inbound_batch.py compares both).

Whatever is not plain goes through the one-at-a-time pipeline, and so does every message of a
sender that needs more than this path does: an identity whose contact a merge is moving, a sender
whose message reveals a new key or username, a first message carrying a business-scoped id (its
identity may exist under another id), a sender whose name the platform must be asked for. A
sender's messages never go both ways in one run, so each sender's are stored in arrival order.
"""

from collections import defaultdict

from channels.inbound import Action, InboundMessage
from channels.models import Channel, ChannelIdentity
from channels.services import identities_create_for_senders, identity_reveals_nothing_new
from config.notify import live_notify
from config.rows import rows_update
from contacts.models import Contact, ContactKey
from conversations.inbound.pipeline import conversations_open_by_contacts, inbound_row
from conversations.models import Conversation, ConversationStatus, Message, WorkflowRun
from conversations.workflows.tasks import workflow_answer
from merging.detection import contacts_with_shared_keys, suggestions_refresh


def is_plain(channel: Channel, inbound: InboundMessage) -> bool:
    """A new message with text only: no media to fetch, nothing it answers or changes."""
    return (
        inbound.action == Action.NEW
        and not inbound.is_edit
        and not inbound.attachments
        and not inbound.media_bytes
        and not inbound.reply_to_platform_ids
    )


def plain_messages_ingest(*, channel: Channel, messages: list[InboundMessage]) -> list[InboundMessage]:
    """Store plain messages of one channel (in arrival order; the caller holds a transaction).

    Returns the messages left for the one-at-a-time pipeline, in arrival order: every message of
    each sender this path does not take. A message already stored (a redelivery) is not stored again.
    """
    by_sender = _by_sender(_not_stored(channel, messages))
    known = _lock_known_senders(channel, list(by_sender))
    keys = _keys_of_profiles({identity.profile_id for identity in known.values()})
    taken, new, left = {}, {}, []
    for external_id, sent in by_sender.items():
        identity = known.get(external_id)
        if _needs_profile(channel, identity, sent[0]):
            left.extend(sent)
        elif identity is not None and all(
            identity_reveals_nothing_new(identity=identity, message=m, keys=keys[identity.profile_id]) for m in sent
        ):
            taken[external_id] = (identity, sent)
        elif identity is None and external_id not in known and _first_contact_is_plain(sent):
            new[external_id] = sent
        else:
            left.extend(sent)
    if new:
        identities = identities_create_for_senders(channel=channel, messages=[sent[0] for sent in new.values()])
        for identity, sent in zip(identities, new.values(), strict=True):
            taken[identity.external_id] = (identity, sent)
        for contact_id in sorted(contacts_with_shared_keys([i.contact_id for i in identities])):
            suggestions_refresh(contact_id=contact_id)  # a key arrived: its suggestion shows at once
    identity_of = {id(m): identity for identity, sent in taken.values() for m in sent}
    _store(channel, [(m, identity_of[id(m)]) for m in messages if id(m) in identity_of])
    left_out = {id(m) for m in left}
    return [m for m in messages if id(m) in left_out]


def _not_stored(channel: Channel, messages: list[InboundMessage]) -> list[InboundMessage]:
    """Each platform message once, and none that is stored already."""
    seen = set(
        Message.objects.filter(
            channel=channel, platform_message_id__in={m.platform_message_id for m in messages}
        ).values_list("platform_message_id", flat=True)
    )
    fresh = []
    for message in messages:
        if message.platform_message_id not in seen:
            seen.add(message.platform_message_id)
            fresh.append(message)
    return fresh


def _by_sender(messages: list[InboundMessage]) -> dict[str, list[InboundMessage]]:
    senders: dict[str, list[InboundMessage]] = defaultdict(list)
    for message in messages:
        senders[message.external_id].append(message)
    return senders


def _lock_known_senders(channel: Channel, external_ids: list[str]) -> dict[str, ChannelIdentity | None]:
    """The senders' identities, each with its contact locked (ascending ids, the pipeline's lock
    order). An identity a merge moved to another contact before the lock maps to None: the
    one-at-a-time pipeline follows it."""
    found = list(ChannelIdentity.objects.filter(channel=channel, external_id__in=external_ids))
    if not found:
        return {}
    contacts = {
        contact.pk: contact
        for contact in Contact.objects.select_for_update().filter(pk__in={i.contact_id for i in found}).order_by("pk")
    }
    now = ChannelIdentity.objects.select_related("channel").in_bulk([i.pk for i in found])
    known: dict[str, ChannelIdentity | None] = {}
    for identity in found:
        fresh = now[identity.pk]
        if fresh.contact_id != identity.contact_id:
            known[identity.external_id] = None
            continue
        fresh.contact = contacts[fresh.contact_id]
        known[identity.external_id] = fresh
    return known


def _keys_of_profiles(profile_ids: set[int]) -> dict[int, dict[tuple[str, str], bool]]:
    keys: dict[int, dict[tuple[str, str], bool]] = defaultdict(dict)
    for profile_id, kind, value, verified in ContactKey.objects.filter(profile_id__in=profile_ids).values_list(
        "profile_id", "kind", "value", "verified"
    ):
        keys[profile_id][(kind, value)] = keys[profile_id].get((kind, value), False) or verified
    return keys


def _needs_profile(channel: Channel, identity: ChannelIdentity | None, first: InboundMessage) -> bool:
    """A sender whose name the platform must be asked for (`pipeline._with_profile` asks)."""
    if channel.platform.profile is None or first.display_name:
        return False
    return identity is None or not identity.display_name


def _first_contact_is_plain(sent: list[InboundMessage]) -> bool:
    """A new sender's messages create a contact here when the first carries no business-scoped id
    (its identity may exist under another id) and the later ones reveal nothing the first did not."""
    first = sent[0]
    if first.scoped_id or first.parent_scoped_id:
        return False
    says = (first.username, first.picture_url, first.phone, first.phone_is_international, first.email)
    return all(
        (m.username, m.picture_url, m.phone, m.phone_is_international, m.email) == says and not m.scoped_id
        for m in sent[1:]
    )


def _store(channel: Channel, writes: list[tuple[InboundMessage, ChannelIdentity]]) -> None:
    """Conversations (joined or opened), messages, and the bookkeeping each message updates, for
    each message and the identity that sent it, in arrival order."""
    if not writes:
        return
    contacts = {identity.contact_id: identity.contact for _, identity in writes}
    open_now = {
        c.contact_id: c
        for c in Conversation.objects.filter(contact_id__in=list(contacts), status=ConversationStatus.OPEN)
    }
    openings = {}
    for message, identity in writes:
        if identity.contact_id not in open_now and identity.contact_id not in openings:
            openings[identity.contact_id] = (contacts[identity.contact_id], identity, message.sent_at)
    opened = conversations_open_by_contacts(openings=list(openings.values()), channel=channel)
    conversation_of = open_now | {c.contact_id: c for c in opened}
    rows = Message.objects.bulk_create(
        [
            inbound_row(conversation=conversation_of[i.contact_id], identity=i, channel=channel, inbound=m)
            for m, i in writes
        ]
    )
    _hand_answers_to_waiting_workflows([c.pk for c in open_now.values()], rows)
    _bookkeeping(writes, rows)
    live_notify("message", messages=rows)


def _hand_answers_to_waiting_workflows(conversation_ids: list[int], rows: list[Message]) -> None:
    """What `pipeline._hand_answer_to_waiting_workflow` does for each message, asked once."""
    waiting = {}
    for conversation_id, run_id in (
        WorkflowRun.objects.filter(conversation_id__in=conversation_ids, status=WorkflowRun.Status.WAITING)
        .order_by("-pk")
        .values_list("conversation_id", "pk")
    ):
        waiting[conversation_id] = run_id  # the first (lowest id) wins, as .first() does
    for row in rows:
        if row.conversation_id in waiting:
            workflow_answer.enqueue(run_id=waiting[row.conversation_id], message_id=row.pk)


def _bookkeeping(writes: list[tuple[InboundMessage, ChannelIdentity]], rows: list[Message]) -> None:
    """Each identity's last inbound time, and each conversation's last message time and unread count."""
    last_inbound, last_message, unread = {}, {}, defaultdict(int)
    for (message, identity), row in zip(writes, rows, strict=True):
        last_inbound[identity.pk] = message.sent_at
        last_message[row.conversation_id] = message.sent_at
        unread[row.conversation_id] += 1
    rows_update(ChannelIdentity, ["last_inbound_at"], {pk: (at,) for pk, at in last_inbound.items()})
    rows_update(
        Conversation,
        ["last_message_at", "unread_count"],
        {pk: (at, unread[pk]) for pk, at in last_message.items()},
        added=("unread_count",),
    )
