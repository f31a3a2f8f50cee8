from config import permissions


def navigation(request):
    """What the navigation and templates may offer this user (the same answers views enforce)."""
    user = getattr(request, "user", None)
    return {
        "may": {
            "inbox": permissions.can_use_inbox(user),
            "dashboard": permissions.can_use_dashboard(user),
            "contacts": permissions.can_use_contacts_module(user),
            "unmerge": permissions.can_unmerge(user),
            "merge_anywhere": permissions.is_manager(user),
            "admin": bool(user and user.is_authenticated and user.is_staff),
        }
    }
