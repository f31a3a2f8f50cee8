"""The permission policy: the one place that answers "may this user do this (here)?".

Views use it to refuse (403) and templates use the same answers to show or hide buttons;
services call it too, so no entry point can skip it. Per-channel visibility comes from
django-guardian's `channels.access_channel` object permission, granted to agents or to a
team's group.
"""

from django.core.exceptions import PermissionDenied

from config.models import Role, Workspace

ACCESS_CHANNEL = "channels.access_channel"


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_manager(user) -> bool:
    """Owners, managers and superusers (admins) manage the workspace."""
    return _active(user) and (user.is_superuser or user.role in (Role.OWNER, Role.MANAGER))


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


def can_request_backfill(user) -> bool:
    return is_manager(user)


def sees_all_channels(user) -> bool:
    return is_manager(user)


def require(allowed: bool, message: str = "You are not allowed to do this.") -> None:
    if not allowed:
        raise PermissionDenied(message)
