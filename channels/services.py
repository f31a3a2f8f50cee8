"""Writes on channels and channel identities."""

from django.db import IntegrityError, transaction

from channels.inbound import InboundMessage, clean_text
from channels.models import Channel, ChannelIdentity, ChannelKind, new_secret
from contacts.models import KeyKind, KeySource
from contacts.services import contact_create, contact_key_add

# Where the sender's external id itself is a key property.
_EXTERNAL_ID_IS = {ChannelKind.WHATSAPP: KeyKind.PHONE, ChannelKind.EMAIL: KeyKind.EMAIL}


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
    identity = ChannelIdentity.objects.filter(channel=channel, external_id=message.external_id).first()
    if identity is not None:
        return identity, False
    try:
        with transaction.atomic():
            identity = _identity_create(channel=channel, message=message)
    except IntegrityError:
        identity = ChannelIdentity.objects.get(channel=channel, external_id=message.external_id)
        return identity, False
    return identity, True


def _identity_create(*, channel: Channel, message: InboundMessage) -> ChannelIdentity:
    name = message.display_name or message.username or _fallback_name(channel, message)
    contact = contact_create(name=name, created_at=message.sent_at)
    identity = ChannelIdentity.objects.create(
        channel=channel,
        external_id=message.external_id,
        contact=contact,
        profile=contact,
        display_name=clean_text(message.display_name, 255),
        username=clean_text(message.username, 255),
    )
    contact.main_identity = identity
    contact.save(update_fields=["main_identity"])
    identity_add_keys_from(identity=identity, message=message)
    return identity


def _fallback_name(channel: Channel, message: InboundMessage) -> str:
    if _EXTERNAL_ID_IS.get(channel.kind) is not None:
        return message.external_id
    return f"{channel.get_kind_display()} {message.external_id[-6:]}"


def identity_add_keys_from(*, identity: ChannelIdentity, message: InboundMessage) -> None:
    """Keys a later message reveals (a Telegram contact share, a pre-chat e-mail) join the contact.

    They belong to the identity's own profile, so an unmerge takes them along.
    """
    if message.phone:
        contact_key_add(
            contact=identity.contact,
            profile=identity.profile,
            kind=KeyKind.PHONE,
            raw=message.phone,
            source=KeySource.CHANNEL if message.phone_is_international else KeySource.PRECHAT,
            international=message.phone_is_international,
        )
    if message.email:
        contact_key_add(
            contact=identity.contact,
            profile=identity.profile,
            kind=KeyKind.EMAIL,
            raw=message.email,
            source=KeySource.CHANNEL if identity.channel.kind == ChannelKind.EMAIL else KeySource.PRECHAT,
        )


def channel_access_set(*, actor, channel: Channel, agents, teams) -> None:
    """Managers decide which agents and teams work a channel (guardian object permissions)."""
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm, get_groups_with_perms, get_users_with_perms, remove_perm

    from config import permissions
    from config.models import User

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
