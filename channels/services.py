"""Writes on channels and channel identities."""

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, get_groups_with_perms, get_users_with_perms, remove_perm
from simple_history.utils import bulk_create_with_history

from channels.inbound import InboundMessage
from channels.models import Channel, ChannelIdentity, new_secret
from config.workspace import permissions
from config.workspace.models import User
from contacts.models import KeyKind, KeySource, primary_field
from contacts.normalize import clean_text
from contacts.services import contact_key_add, contacts_add_first_keys, contacts_create_for_senders, key_build


def channel_create(
    *,
    kind: str,
    name: str,
    secret: str | None = None,
    verify_token: str = "",
    access_token: str = "",
    settings: dict | None = None,
) -> Channel:
    channel = Channel(
        kind=kind,
        name=name,
        secret=secret or new_secret(),
        verify_token=verify_token,
        access_token=access_token,
        settings=settings or {},
    )
    channel.full_clean()
    channel.save()
    return channel


def identity_for_inbound(*, channel: Channel, message: InboundMessage) -> tuple[ChannelIdentity, bool]:
    """The sender's identity on this channel, creating it and its contact on first contact.

    Safe under concurrency: two first messages racing both end on one identity (and one
    contact); the loser's savepoint is rolled back and it reads the winner's row.
    """
    identity = _known_identity(channel, message)
    if identity is not None:
        return identity, False
    try:
        with transaction.atomic():
            identity = _identity_create(channel=channel, message=message)
    except IntegrityError:
        identity = ChannelIdentity.objects.get(channel=channel, external_id=message.external_id)
        return identity, False
    return identity, True


def _known_identity(channel: Channel, message: InboundMessage) -> ChannelIdentity | None:
    """By the sender's id; else by the business-scoped id it had when it wrote with the other one."""
    identity = ChannelIdentity.objects.filter(channel=channel, external_id=message.external_id).first()
    if identity is None and message.scoped_id:
        identity = (
            ChannelIdentity.objects.filter(channel=channel, scoped_id=message.scoped_id).order_by("pk").first()
            or ChannelIdentity.objects.filter(channel=channel, external_id=message.scoped_id).first()
        )
    if identity is None and message.parent_scoped_id:
        # The parent BSUID outlives a change of BSUID: the same person on this channel.
        identity = (
            ChannelIdentity.objects.filter(channel=channel, parent_scoped_id=message.parent_scoped_id)
            .order_by("pk")
            .first()
        )
    return identity


def identity_find_scoped(*, channel: Channel, message: InboundMessage) -> ChannelIdentity | None:
    """The identity a change of business-scoped id is about: by its previous id, else its phone."""
    found = None
    if message.previous_scoped_id:
        found = (
            ChannelIdentity.objects.filter(channel=channel, scoped_id=message.previous_scoped_id).order_by("pk").first()
            or ChannelIdentity.objects.filter(channel=channel, external_id=message.previous_scoped_id).first()
        )
    if found is None and message.phone:
        found = ChannelIdentity.objects.filter(channel=channel, external_id=message.phone).first()
    return found


def identity_change_scoped_id(*, identity: ChannelIdentity, message: InboundMessage) -> None:
    """The sender's business-scoped id changed: the identity answers to the new one from now on
    (replies to a contact known only by it go to the new id)."""
    fields = {"scoped_id": message.scoped_id, "parent_scoped_id": message.parent_scoped_id}
    changed = [name for name, value in fields.items() if value and getattr(identity, name) != value]
    for name in changed:
        setattr(identity, name, fields[name])
    known_by_old_id = message.previous_scoped_id and identity.external_id == message.previous_scoped_id
    taken = ChannelIdentity.objects.filter(channel=identity.channel, external_id=message.scoped_id).exists()
    if known_by_old_id and message.scoped_id and not taken:
        identity.external_id = message.scoped_id
        changed.append("external_id")
    if changed:
        identity.save(update_fields=changed)


def _identity_create(*, channel: Channel, message: InboundMessage) -> ChannelIdentity:
    return identities_create_for_senders(channel=channel, messages=[message])[0]


def identities_create_for_senders(*, channel: Channel, messages: list[InboundMessage]) -> list[ChannelIdentity]:
    """First contact of new senders (one message each): a contact, the identity and the keys the
    message reveals, each kind of row in one insert (and one insert of its history rows).

    The caller knows none of these senders has an identity on the channel yet: two first
    messages racing on one sender end in an IntegrityError (see `identity_for_inbound`).
    """
    names = [(m.display_name or m.username or _fallback_name(channel, m), m.sent_at) for m in messages]
    contacts = contacts_create_for_senders(names_and_times=names)
    identities = bulk_create_with_history(
        [
            ChannelIdentity(
                channel=channel,
                external_id=message.external_id,
                contact=contact,
                profile=contact,
                display_name=clean_text(message.display_name, 255),
                username=clean_text(message.username, 255),
                scoped_id=message.scoped_id,
                parent_scoped_id=message.parent_scoped_id,
                picture_url=message.picture_url[:1000],
            )
            for message, contact in zip(messages, contacts, strict=True)
        ],
        ChannelIdentity,
    )
    keys = [
        key for identity, message in zip(identities, messages, strict=True) for key in _keys_revealed(identity, message)
    ]
    contacts_add_first_keys(keys=keys, main_identities={i.contact_id: i for i in identities})
    return identities


def _keys_revealed(identity: ChannelIdentity, message: InboundMessage) -> list:
    """The keys a message reveals, unsaved, for a contact that has none yet."""
    return [
        key
        for spec in _key_specs(identity, message)
        if (key := key_build(contact=identity.contact, profile=identity.profile, identity=identity, **spec))
    ]


def _key_specs(identity: ChannelIdentity, message: InboundMessage) -> list[dict]:
    """What a message says about the sender's phone and e-mail, and where each came from: a
    platform that vouches for it (`KeySource.CHANNEL`) or a form the sender filled in."""
    specs = []
    if message.phone:
        specs.append(
            {
                "kind": KeyKind.PHONE,
                "raw": message.phone,
                "source": KeySource.CHANNEL if message.phone_is_international else KeySource.PRECHAT,
                "international": message.phone_is_international,
            }
        )
    if message.email:
        vouched = identity.channel.platform.external_id_is == KeyKind.EMAIL
        specs.append(
            {"kind": KeyKind.EMAIL, "raw": message.email, "source": KeySource.CHANNEL if vouched else KeySource.PRECHAT}
        )
    return specs


def _fallback_name(channel: Channel, message: InboundMessage) -> str:
    if channel.platform.external_id_is is not None and message.external_id in (message.phone, message.email):
        return message.external_id
    return f"{channel.get_kind_display()} {message.external_id[-6:]}"


def identity_add_keys_from(*, identity: ChannelIdentity, message: InboundMessage) -> bool:
    """Keys a later message reveals (a Telegram contact share, a pre-chat e-mail) join the contact.

    They belong to the identity's own profile, so an unmerge takes them along. What the platform
    says about the sender now (username, business-scoped id, picture) is kept on the identity.
    True when a key was new (duplicate detection then has something to look at).
    """
    _identity_refresh_profile(identity, message)
    started = timezone.now()
    keys = [
        contact_key_add(contact=identity.contact, profile=identity.profile, identity=identity, **spec)
        for spec in _key_specs(identity, message)
    ]
    return any(key is not None and key.created_at >= started for key in keys)


def identity_reveals_nothing_new(*, identity: ChannelIdentity, message: InboundMessage, keys: dict) -> bool:
    """True when `identity_add_keys_from` would change nothing: the identity already says what the
    message says, its profile holds each key the message reveals (verified where a platform vouches
    for it), and its contact has a primary of that kind. `keys`: the profile's keys as
    {(kind, value): verified}; `identity.contact` is the contact as locked."""
    if _profile_changes(identity, message):
        return False
    for spec in _key_specs(identity, message):
        key = key_build(contact=identity.contact, profile=identity.profile, identity=identity, **spec)
        if key is None:
            continue
        held_verified = keys.get((key.kind, key.value))
        if held_verified is None or (key.verified and not held_verified):
            return False
        if key.is_valid and getattr(identity.contact, f"{primary_field(key.kind)}_id") is None:
            return False
    return True


def _identity_refresh_profile(identity: ChannelIdentity, message: InboundMessage) -> None:
    changes = _profile_changes(identity, message)
    for name, value in changes.items():
        setattr(identity, name, value)
    if changes:
        identity.save(update_fields=list(changes))


def _profile_changes(identity: ChannelIdentity, message: InboundMessage) -> dict:
    """What the platform now says about the sender that the identity does not say yet."""
    says = {
        "username": clean_text(message.username, 255),
        "scoped_id": message.scoped_id,
        "parent_scoped_id": message.parent_scoped_id,
        "picture_url": message.picture_url[:1000],
    }
    return {name: value for name, value in says.items() if value and getattr(identity, name) != value}


def identity_change_number(*, identity: ChannelIdentity, message: InboundMessage) -> None:
    """The sender changed their phone number: the new one is the contact's primary phone, the old
    one stays as a secondary key, and the identity answers to the new number from now on.
    """
    contact_key_add(
        contact=identity.contact,
        profile=identity.profile,
        kind=KeyKind.PHONE,
        raw=message.phone,
        source=KeySource.CHANNEL,
        international=True,
        make_primary=True,
        identity=identity,
    )
    taken = ChannelIdentity.objects.filter(channel=identity.channel, external_id=message.phone).exists()
    if identity.external_id != message.phone and not taken:
        identity.external_id = message.phone
        identity.save(update_fields=["external_id"])
    if message.previous_scoped_id:  # WhatsApp issues a new BSUID with a new number
        identity_change_scoped_id(identity=identity, message=message)


def channel_access_set(*, actor, channel: Channel, agents, teams) -> None:
    """Managers decide which agents and teams work a channel (guardian object permissions)."""
    permissions.require(permissions.is_manager(actor), "Only managers and owners grant channel access.")
    wanted_users, wanted_groups = set(agents), {team.group for team in teams}
    with transaction.atomic():
        current_users = set(
            get_users_with_perms(channel, only_with_perms_in=["access_channel"], with_group_users=False)
        )
        current_groups = set(get_groups_with_perms(channel))
        for user in current_users - wanted_users:
            remove_perm("channels.access_channel", user, channel)
        for user in wanted_users - current_users:
            assign_perm("channels.access_channel", User.objects.get(pk=user.pk), channel)
        for group in current_groups - wanted_groups:
            remove_perm("channels.access_channel", group, channel)
        for group in wanted_groups - current_groups:
            assign_perm("channels.access_channel", Group.objects.get(pk=group.pk), channel)
