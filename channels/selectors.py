"""Reads on channels, scoped by the permission policy (per-channel access through guardian)."""

import time

from django.db.models import Count, Min, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from channels.models import Channel, InboundDelivery
from config.workspace import permissions


def channels_for(user) -> QuerySet[Channel]:
    """The active channels the user may work on."""
    return permissions.visible(user, Channel.objects.filter(is_active=True)).order_by("kind", "name")


# Webhook channels by public id, kept for a few seconds in each process: acceptance is the hot path,
# and its only other query. A change in this process forgets the entry at once; other processes
# see a new secret or a deactivation within WEBHOOK_CHANNEL_CACHE_SECONDS.
WEBHOOK_CHANNEL_CACHE_SECONDS = 5.0
_webhook_channels: dict[str, tuple[float, Channel | None]] = {}


def webhook_channel_cached(public_id) -> tuple[bool, Channel | None]:
    """(True, the channel or None) when this process knows the answer, else (False, None): no query,
    so async code can ask it on the event loop and call `webhook_channel` in a thread only if needed."""
    cached = _webhook_channels.get(str(public_id))
    if cached is not None and time.monotonic() - cached[0] < WEBHOOK_CHANNEL_CACHE_SECONDS:
        return True, cached[1]
    return False, None


def webhook_channel(public_id) -> Channel | None:
    """The active channel a webhook URL names, or None."""
    known, channel = webhook_channel_cached(public_id)
    if known:
        return channel
    key, now = str(public_id), time.monotonic()
    channel = Channel.objects.filter(public_id=public_id, is_active=True).first()
    if len(_webhook_channels) > 10_000:
        _webhook_channels.clear()
    _webhook_channels[key] = (now, channel)
    return channel


@receiver([post_save, post_delete], sender=Channel, dispatch_uid="channels.webhook_channel_forget")
def _webhook_channel_forget(sender, instance, **kwargs) -> None:
    _webhook_channels.pop(str(instance.public_id), None)


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
