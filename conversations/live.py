"""Live updates: a PostgreSQL NOTIFY that every app process can LISTEN to.

Payloads carry ids only (NOTIFY payloads are limited to 8000 bytes). On SQLite (the demo)
there is no cross-process channel; pages fall back to polling.
"""

import json

from django.db import connection

CHANNEL = "inbox_events"


def notify(kind: str, object_id: int) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, json.dumps({"kind": kind, "id": object_id})])
