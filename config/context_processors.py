from django.conf import settings
from django.urls import reverse

from config.live import live_cursor
from config.workspace import permissions


def navigation(request):
    """What the navigation and templates may offer this user (the same answers views enforce)."""
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        # The live-update cursor as of this render, so no change between render and first poll is missed.
        "live_cursor": live_cursor(user) if authenticated else "",
        "live_stream_url": settings.LIVE_STREAM_URL or reverse("live_stream"),
        "may": {
            "inbox": permissions.can_use_inbox(user),
            "dashboard": permissions.can_use_dashboard(user),
            "contacts": permissions.can_use_contacts_module(user),
            "unmerge": permissions.can_unmerge(user),
            "merge_anywhere": permissions.is_manager(user),
            # Called by the template only where a suggestion's merge button shows (it reads the workspace).
            "merge_suggestions": lambda: permissions.can_merge(user, from_suggestion=True),
            "workflows": permissions.can_manage_workflows(user),
            "admin": bool(user and user.is_authenticated and user.is_staff),
        },
    }
