"""Reads on channels, scoped by the permission policy (per-channel access through guardian)."""

from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from channels.models import Channel, InboundDelivery
from config.workspace import permissions


def channels_for(user) -> QuerySet[Channel]:
    """The active channels the user may work on."""
    return permissions.visible(user, Channel.objects.filter(is_active=True)).order_by("kind", "name")


def inbound_health(*, now=None) -> dict:
    """How the inbound log is doing: deliveries waiting, failed, and how long the oldest has waited."""
    now = now or timezone.now()
    pending = InboundDelivery.objects.filter(
        status__in=[InboundDelivery.Status.WAITING, InboundDelivery.Status.PROCESSING]
    )
    counts = dict(
        InboundDelivery.objects.exclude(status=InboundDelivery.Status.DONE)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    oldest = pending.aggregate(oldest=Min("received_at"))["oldest"]
    return {
        "waiting": counts.get(InboundDelivery.Status.WAITING, 0),
        "processing": counts.get(InboundDelivery.Status.PROCESSING, 0),
        "failed": counts.get(InboundDelivery.Status.FAILED, 0),
        "oldest_waiting_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0,
    }
