"""Reads on channels, scoped by per-channel access (django-guardian object permissions)."""

from django.db.models import Q, QuerySet

from channels.models import Channel, ChannelGroupObjectPermission, ChannelUserObjectPermission
from config import permissions


def accessible_channel_ids(user) -> set[int] | None:
    """Channels the user may work on; None means every channel (managers, owners, admins).

    Access is granted per channel to an agent directly or to a team (its auth group).
    """
    if permissions.sees_all_channels(user):
        return None
    if not (user and user.is_authenticated):
        return set()
    direct = ChannelUserObjectPermission.objects.filter(user=user, permission__codename="access_channel").values_list(
        "content_object_id", flat=True
    )
    via_team = ChannelGroupObjectPermission.objects.filter(
        Q(group__team__members=user) | Q(group__user=user), permission__codename="access_channel"
    ).values_list("content_object_id", flat=True)
    return set(direct) | set(via_team)


def channels_for(user) -> QuerySet[Channel]:
    ids = accessible_channel_ids(user)
    channels = Channel.objects.filter(is_active=True).order_by("kind", "name")
    return channels if ids is None else channels.filter(id__in=ids)
