"""The one place request parameters that name rows are parsed: ids and paging cursors.

Anything a client sends — garbage, "²" (a digit to `str.isdigit()`, not to `int()`), "-1", NUL,
a number past the database's integer range — comes back as None, and the view answers 4xx or
its default page; nothing here raises. Imports no app, so every layer may use it.
"""

from datetime import datetime

# The largest value of a 64-bit signed integer column (PostgreSQL bigint, SQLite INTEGER).
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """A positive row id written in ASCII digits, else None."""
    if not isinstance(value, str) or not 0 < len(value) <= 19 or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_offset(value: object) -> int | None:
    """A non-negative id cursor ("messages after N": 0 means from the start), else None."""
    if value == "0":
        return 0
    return parse_id(value)


def format_cursor(at: datetime, pk: int) -> str:
    """A keyset cursor (timestamp, id) for `?before=`; read back with `parse_cursor`."""
    return f"{at.isoformat()}_{pk}"


def parse_cursor(value: object) -> tuple[datetime, int] | None:
    """The (aware timestamp, id) a `format_cursor` string names, else None."""
    if not isinstance(value, str) or len(value) > 64 or not value.isascii():
        return None
    at_text, _, pk_text = value.rpartition("_")
    pk = parse_id(pk_text)
    try:
        at = datetime.fromisoformat(at_text)
    except ValueError:
        return None
    if pk is None or at.tzinfo is None:
        return None
    return at, pk
