"""Set-based ingest: the plain messages of a claimed batch, stored with a few statements for all.

Most of what platforms deliver is plain: a new text message from a sender we know, or the first
message of someone new. One at a time (`pipeline.inbound_message_ingest`) each costs about fifteen
statements (thirty for a new sender); here a run of them costs about fifteen in all: one look-up
per kind of row, one insert per kind of row (with their history rows), one update per kind of
row. The rows stored are the ones the one-at-a-time pipeline stores, built by the same builders
(tests/channels/test_inbound_batch.py compares both).

Whatever is not plain goes through the one-at-a-time pipeline, and so does every message of a
contact that writes through a sender this path cannot take: an identity whose contact a merge is
moving, a sender whose message reveals a new key or username, a first message carrying a
business-scoped id (its identity may exist under another id), a sender whose name the platform
must be asked for. A contact's messages never go both ways in one run, whatever channels they
come on, so each contact's messages are stored in arrival order.
"""

from collections import defaultdict

from django.db.models import Q

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


def plain_messages_ingest(*, items: list[tuple[Channel, InboundMessage]]) -> list[tuple[Channel, InboundMessage]]:
    """Store plain messages, each with the channel it came on (in arrival order; the caller holds a
    transaction).

    Returns the items left for the one-at-a-time pipeline, in arrival order: every message of each
    contact this path does not take whole (a contact writing through a sender this path cannot
    take, on this channel or another, keeps all its messages in one order). A message already
    stored (a redelivery) is neither stored again nor left.
    """
    by_sender = _by_sender(_not_stored(items))
    known, moved = _lock_known_senders(list(by_sender))
    keys = _keys_of_profiles({identity.profile_id for identity in known.values()})
    taken, new, left_contacts, left_unknown = {}, {}, set(moved.values()), []
    for sender, messages in by_sender.items():
        identity = known.get(sender)
        if sender in moved:
            continue
        if _needs_profile(sender[0], identity, messages[0]):
            if identity is not None:
                left_contacts.add(identity.contact_id)
            else:
                left_unknown.append((sender[0], messages[0]))
        elif identity is None:
            if _first_contact_is_plain(messages):
                new[sender] = messages
            else:
                left_unknown.append((sender[0], messages[0]))
        elif all(
            identity_reveals_nothing_new(identity=identity, message=m, keys=keys[identity.profile_id]) for m in messages
        ):
            taken[sender] = (identity, messages)
        else:
            left_contacts.add(identity.contact_id)
    left_contacts |= _contacts_found_by_scoped_ids(left_unknown)
    taken = {sender: pair for sender, pair in taken.items() if pair[0].contact_id not in left_contacts}
    taken |= _first_contacts(new)
    identity_of = {id(m): identity for identity, messages in taken.values() for m in messages}
    _store([(m, identity_of[id(m)]) for _, m in items if id(m) in identity_of])
    fresh = {id(m) for messages in by_sender.values() for m in messages}
    return [(channel, m) for channel, m in items if id(m) in fresh and id(m) not in identity_of]


def _contacts_found_by_scoped_ids(firsts: list[tuple[Channel, InboundMessage]]) -> set[int]:
    """Contacts the pipeline will find for these unknown senders by their business-scoped ids
    (`channels.services._known_identity`): their other messages must wait for them."""
    wanted = Q()
    for channel, message in firsts:
        if message.scoped_id:
            wanted |= Q(channel=channel, scoped_id=message.scoped_id) | Q(
                channel=channel, external_id=message.scoped_id
            )
        if message.parent_scoped_id:
            wanted |= Q(channel=channel, parent_scoped_id=message.parent_scoped_id)
    if not wanted:
        return set()
    return set(ChannelIdentity.objects.filter(wanted).values_list("contact_id", flat=True))


def _first_contacts(new: dict) -> dict:
    """Contacts, identities and keys of new senders, per channel; suggestions for shared keys."""
    taken = {}
    by_channel = defaultdict(list)
    for sender, messages in new.items():
        by_channel[sender[0]].append((sender, messages))
    for channel, senders in by_channel.items():
        identities = identities_create_for_senders(channel=channel, messages=[messages[0] for _, messages in senders])
        for identity, (sender, messages) in zip(identities, senders, strict=True):
            taken[sender] = (identity, messages)
    contact_ids = [identity.contact_id for identity, _ in taken.values()]
    for contact_id in sorted(contacts_with_shared_keys(contact_ids)) if contact_ids else ():
        suggestions_refresh(contact_id=contact_id)  # a key arrived: its suggestion shows at once
    return taken


def _not_stored(items: list[tuple[Channel, InboundMessage]]) -> list[tuple[Channel, InboundMessage]]:
    """Each platform message once, and none that is stored already."""
    wanted = Q()
    for channel in {channel for channel, _ in items}:
        ids = {m.platform_message_id for c, m in items if c.pk == channel.pk}
        wanted |= Q(channel=channel, platform_message_id__in=ids)
    seen = set(Message.objects.filter(wanted).values_list("channel_id", "platform_message_id"))
    fresh = []
    for channel, message in items:
        if (channel.pk, message.platform_message_id) not in seen:
            seen.add((channel.pk, message.platform_message_id))
            fresh.append((channel, message))
    return fresh


def _by_sender(items: list[tuple[Channel, InboundMessage]]) -> dict[tuple[Channel, str], list[InboundMessage]]:
    """Each sender (its channel and its id there) with its messages in arrival order."""
    channels = {channel.pk: channel for channel, _ in items}  # one object per channel: a key for all
    senders: dict[tuple[Channel, str], list[InboundMessage]] = defaultdict(list)
    for channel, message in items:
        senders[(channels[channel.pk], message.external_id)].append(message)
    return senders


def _lock_known_senders(senders: list[tuple[Channel, str]]) -> tuple[dict, dict]:
    """The senders' identities, each with its contact locked (ascending ids, the pipeline's lock
    order); and the senders whose identity a merge moved to another contact before the lock, with
    that contact (the one-at-a-time pipeline follows them, and takes the contact's other messages)."""
    wanted = Q()
    for channel in {channel for channel, _ in senders}:
        wanted |= Q(channel=channel, external_id__in=[external_id for c, external_id in senders if c.pk == channel.pk])
    found = list(ChannelIdentity.objects.filter(wanted)) if senders else []
    if not found:
        return {}, {}
    contacts = {
        contact.pk: contact
        for contact in Contact.objects.select_for_update().filter(pk__in={i.contact_id for i in found}).order_by("pk")
    }
    now = ChannelIdentity.objects.select_related("channel", "profile").in_bulk([i.pk for i in found])
    sender_of = {(channel.pk, external_id): (channel, external_id) for channel, external_id in senders}
    known, moved = {}, {}
    for identity in found:
        fresh, sender = now[identity.pk], sender_of[(identity.channel_id, identity.external_id)]
        if fresh.contact_id != identity.contact_id:
            moved[sender] = fresh.contact_id
            continue
        fresh.contact = contacts[fresh.contact_id]
        known[sender] = fresh
    return known, moved


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
        (m.username, m.picture_url, m.phone, m.phone_is_international, m.email) == says
        and not m.scoped_id
        and not m.parent_scoped_id
        for m in sent[1:]
    )


def _store(writes: list[tuple[InboundMessage, ChannelIdentity]]) -> None:
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
    opened = conversations_open_by_contacts(openings=list(openings.values()))
    conversation_of = open_now | {c.contact_id: c for c in opened}
    rows = Message.objects.bulk_create(
        [
            inbound_row(conversation=conversation_of[i.contact_id], identity=i, channel=i.channel, inbound=m)
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
