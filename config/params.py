"""The one place request parameters that name rows are parsed: ids here, and the keyset cursors of
long lists in `config.cursors`, which reads their id part with `parse_offset`.

Anything a client sends — garbage, "²" (a digit to `str.isdigit()`, not to `int()`), "-1", NUL,
a number past the database's integer range — comes back as None, and the view answers 4xx or
its default page; nothing here raises. Imports no app, so every layer may use it.
"""

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
