"""Dashboard figures: workload now and activity over the last days."""

from datetime import datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from config.workspace.models import Role, User
from conversations.selectors import capped_count, visible_conversations
from merging.models import MergeAction, MergeRecord


def workload(user) -> dict:
    open_conversations = visible_conversations(user).filter(status="open")
    figures = {
        "open": capped_count(open_conversations),
        "unassigned": capped_count(open_conversations.filter(assignee__isnull=True)),
    }
    # Agents answer conversations; owners, managers and the Django admin account are not workload.
    per_agent = (
        User.objects.filter(is_active=True, role=Role.AGENT, is_superuser=False)
        .annotate(open_count=Count("assigned_conversations", filter=Q(assigned_conversations__status="open")))
        .order_by("-open_count", "username")
    )
    figures["per_agent"] = list(per_agent)
    return figures


def daily_series(user, days: int = 14) -> dict[str, list[tuple]]:
    """Conversations opened and merges done per day, for the last `days` days (zeros included)."""
    start = timezone.localdate() - timedelta(days=days - 1)
    # Compare the columns themselves (not their dates) so the opened_at/created_at indexes apply.
    since = timezone.make_aware(datetime.combine(start, time.min))
    opened = dict(
        visible_conversations(user)
        .filter(opened_at__gte=since)
        .annotate(day=TruncDate("opened_at"))
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    merges = dict(
        MergeRecord.objects.filter(action=MergeAction.MERGE, created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    dates = [start + timedelta(days=i) for i in range(days)]
    return {
        "conversations": [(d, opened.get(d, 0)) for d in dates],
        "merges": [(d, merges.get(d, 0)) for d in dates],
    }
