"""The permission policy: the one place that answers "may this user do this (here)?" and
"which rows of this model may this user see?".

Views use it to refuse (404 for what the user may not see, 403 for what they see but may not
change); templates get the same answers to show or hide buttons; selectors scope every read with
`visible()`; services check the actor with it, so no entry point can skip it.

Who sees what: owners, managers and admins see every channel. An agent sees the channels granted
to them through django-guardian's `channels.access_channel` object permission, directly or through
a team (a team's members are the users of its auth group, so `user.has_perm(ACCESS_CHANNEL,
channel)` and `visible()` always agree). A conversation, a message and a channel identity are
visible when their channel is; notes and events follow their conversation; a contact is visible
through any of its identities. This module imports no app: it reaches other models by their
relations, so every layer may use it.
"""

from contextvars import ContextVar
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from config.workspace.models import Role, User, Workspace

ACCESS_CHANNEL = "channels.access_channel"

# How a row reaches the channel that decides who may see it.
_CHANNEL_OF = {
    "channels.channel": "pk",
    "channels.channelidentity": "channel",
    "conversations.conversation": "channel",
    "conversations.message": "channel",
    "conversations.attachment": "message__channel",
}
# Rows that hang off a conversation when they have one, else off the contact itself.
_FOLLOWS_CONVERSATION = {"contacts.comment", "contacts.event"}


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_manager(user) -> bool:
    """Owners, managers and superusers (admins) manage the workspace."""
    return _active(user) and (user.is_superuser or user.role in (Role.OWNER, Role.MANAGER))


def sees_all_channels(user) -> bool:
    return is_manager(user)


# Answers kept for the length of one request (set by `PolicyCacheMiddleware`); outside a request
# (workers, commands, tests calling services) every question is asked afresh.
_request_cache: ContextVar[dict | None] = ContextVar("permission_policy_cache", default=None)


class PolicyCacheMiddleware:
    """Ask guardian once per request, however many lists, counts and buttons a page shows."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_cache.set({})
        try:
            return self.get_response(request)
        finally:
            _request_cache.reset(token)


def channel_ids(user) -> frozenset[int] | None:
    """The ids of the channels the user may work on; None means every channel."""
    if sees_all_channels(user):
        return None
    if not _active(user):
        return frozenset()
    cache = _request_cache.get()
    if cache is not None and user.pk in cache:
        return cache[user.pk]
    granted = get_objects_for_user(user, ACCESS_CHANNEL, accept_global_perms=False, with_superuser=False)
    ids = frozenset(granted.values_list("pk", flat=True))
    if cache is not None:
        cache[user.pk] = ids
    return ids


def visible(user, queryset: QuerySet) -> QuerySet:
    """The rows of `queryset` the user may see (channels, identities, conversations, messages,
    notes, events and contacts)."""
    ids = channel_ids(user)
    if ids is None:
        return queryset
    label = queryset.model._meta.label_lower
    if label in _CHANNEL_OF:
        return queryset.filter(**{f"{_CHANNEL_OF[label]}__in": ids})
    if label in _FOLLOWS_CONVERSATION:
        return queryset.filter(Q(conversation__isnull=True) | Q(conversation__channel_id__in=ids))
    if label == "contacts.contact":
        identities = queryset.model._meta.get_field("identities").related_model.objects
        return queryset.filter(Exists(identities.filter(contact_id=OuterRef("pk"), channel_id__in=ids)))
    raise LookupError(f"The permission policy does not know how {label} rows are seen.")


def can_see_channel(user, channel_id: int) -> bool:
    ids = channel_ids(user)
    return ids is None or channel_id in ids


def sees_through(scope: frozenset[int] | None, channel_ids) -> bool:
    """With `scope = channel_ids(user)` (asked once): may the user see a row reachable through any
    of these channels? (A live stream asks this for every event without a query.)"""
    return scope is None or not scope.isdisjoint(channel_ids)


def can_see_conversation(user, conversation) -> bool:
    return can_see_channel(user, conversation.channel_id)


def can_send_on(user, identity) -> bool:
    return can_see_channel(user, identity.channel_id)


def can_use_inbox(user) -> bool:
    return _active(user)


def can_use_dashboard(user) -> bool:
    return is_manager(user)


def can_use_contacts_module(user) -> bool:
    return is_manager(user)


def can_merge(user, *, from_suggestion: bool, workspace: Workspace | None = None) -> bool:
    """Managers and owners merge anywhere; agents only from a suggestion, if the workspace allows."""
    if is_manager(user):
        return True
    if not _active(user) or user.role != Role.AGENT or not from_suggestion:
        return False
    return (workspace or Workspace.current()).agents_may_merge_suggestions


def can_unmerge(user) -> bool:
    return is_manager(user)


def can_dismiss_suggestion(user) -> bool:
    return _active(user)


def can_manage_workflows(user) -> bool:
    return is_manager(user)


def can_manage_channel_access(user) -> bool:
    return is_manager(user)


def can_request_backfill(user) -> bool:
    return is_manager(user)


def assignable_users(conversation) -> QuerySet[User]:
    """Who may be given this conversation: workspace members (not admin accounts) who may see it."""
    members = User.objects.filter(is_active=True, is_superuser=False).order_by("username")
    managers = Q(role__in=[Role.OWNER, Role.MANAGER])
    direct = Q(
        channeluserobjectpermission__content_object_id=conversation.channel_id,
        channeluserobjectpermission__permission__codename="access_channel",
    )
    via_team = Q(
        groups__channelgroupobjectpermission__content_object_id=conversation.channel_id,
        groups__channelgroupobjectpermission__permission__codename="access_channel",
    )
    return members.filter(managers | direct | via_team).distinct()


def may_be_assigned(user, conversation) -> bool:
    return user is None or assignable_users(conversation).filter(pk=user.pk).exists()


def require(allowed: bool, message: str = "You are not allowed to do this.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def view_requires(check, reason):
    """A view decorator: 403 with `reason` (shown on the 403 page) unless `check(request.user)`."""

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            require(check(request.user), str(reason))
            return view(request, *args, **kwargs)

        return guarded

    return decorator
