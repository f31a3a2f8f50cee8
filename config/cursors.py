"""Keyset cursors: the one place that writes and reads the `?cursor=` of every long list.

A cursor names the last row a page showed by its sort key (a time) and its id (the tie-breaker),
so the next page is `(time, id) < (cursor time, cursor id)` on an index, however long the list.
Its text is two integers, `<microseconds since 1970>_<id>`: nothing to escape in a URL.
A cursor that cannot be read is the client's mistake: `cursor_parse` answers it with 400, never 500.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import BadRequest
from django.db.models import Q, QuerySet

from config.params import parse_offset

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, order=True)
class Cursor:
    at: datetime
    pk: int

    def __str__(self) -> str:
        return f"{(self.at - _EPOCH) // _MICROSECOND}_{self.pk}"


def cursor_of(at: datetime, pk: int) -> str:
    return str(Cursor(at, pk))


def cursor_parse(text: str | None) -> Cursor | None:
    """None for no cursor; `BadRequest` (a 400 page) for text that is not a cursor."""
    if not text:
        return None
    micros, sep, pk_text = text.partition("_")
    pk = parse_offset(pk_text)
    try:
        if not sep or pk is None or not micros.lstrip("-").isascii() or not micros.lstrip("-").isdigit():
            raise ValueError
        return Cursor(_EPOCH + int(micros) * _MICROSECOND, pk)
    except (ValueError, OverflowError):
        raise BadRequest("This page link is not valid any more.") from None


def keyset_before(queryset: QuerySet, cursor: Cursor | None, field: str) -> QuerySet:
    """The rows that sort after `cursor` in `(-field, -id)` order (all of them without a cursor)."""
    if cursor is None:
        return queryset
    return queryset.filter(Q(**{f"{field}__lt": cursor.at}) | Q(**{field: cursor.at, "pk__lt": cursor.pk}))


def keyset_after(queryset: QuerySet, cursor: Cursor | None, field: str) -> QuerySet:
    """The rows that sort before `cursor` in `(-field, -id)` order: newer ones (all without a cursor)."""
    if cursor is None:
        return queryset
    return queryset.filter(Q(**{f"{field}__gt": cursor.at}) | Q(**{field: cursor.at, "pk__gt": cursor.pk}))
