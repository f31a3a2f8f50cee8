"""Rate limits on the public web chat endpoints (the widget and the web chat webhook).

Each limit counts requests per key in fixed windows: one per visitor address, one per channel,
so a flood from one address is refused at once and a flood from many addresses cannot exceed
what the channel takes in either (it cannot bury real conversations and merge suggestions).
A refused request is answered 429 with `Retry-After`. The counters live in the database
(`RateLimitWindow`, one atomic upsert per check) so every app process shares them.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from channels.models import RateLimitWindow


@dataclass(frozen=True)
class Limit:
    scope: str
    requests: int
    seconds: int


def _limits(name: str, default_visitor: tuple[int, int], default_channel: tuple[int, int]) -> tuple[Limit, Limit]:
    configured = getattr(settings, "WEBCHAT_RATE_LIMITS", {}).get(name, {})
    visitor = configured.get("visitor", default_visitor)
    channel = configured.get("channel", default_channel)
    return Limit(f"{name}:visitor", *visitor), Limit(f"{name}:channel", *channel)


# (requests, seconds) per visitor address and per channel; WEBCHAT_RATE_LIMITS overrides them.
def session_limits() -> tuple[Limit, Limit]:
    return _limits("session", (10, 600), (600, 600))


def message_limits() -> tuple[Limit, Limit]:
    return _limits("message", (30, 60), (1200, 60))


def webhook_limits() -> tuple[Limit, Limit]:
    return _limits("webhook", (120, 60), (2400, 60))


UPSERT_SQL = """
    INSERT INTO channels_ratelimitwindow (scope, key, window_start, count) VALUES (%s, %s, %s, 1)
    ON CONFLICT (scope, key, window_start) DO UPDATE SET count = channels_ratelimitwindow.count + 1
    RETURNING count
"""


def _window_start(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


def _hit(limit: Limit, key: str, now: datetime) -> int | None:
    """Count one request; returns the seconds to wait when it is over the limit, else None."""
    start = _window_start(now, limit.seconds)
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_SQL, [limit.scope, key[:100], start])
        count = cursor.fetchone()[0]
    if count > limit.requests:
        return max(1, int((start + timedelta(seconds=limit.seconds) - now).total_seconds()) + 1)
    return None


def rate_limit_check(*, limits: tuple[Limit, Limit], visitor: str | None, channel_id) -> int | None:
    """Count one request of this visitor on this channel. Returns None when it may go on, else
    the seconds after which it may try again. The visitor's limit is checked first, so one flooding
    address is refused before it uses up the channel's share."""
    now = timezone.now()
    visitor_limit, channel_limit = limits
    if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
        RateLimitWindow.objects.filter(window_start__lt=now - timedelta(days=1)).delete()
    wait = _hit(visitor_limit, f"{channel_id}:{visitor or 'unknown'}", now)
    if wait is None:
        wait = _hit(channel_limit, str(channel_id), now)
    return wait
