"""Connection parameters of the default database for the few psycopg connections opened beside
Django's own: the live stream's LISTEN connection (`config.live`) and the webhook's group-commit
writer (`channels.delivery_log.AcceptQueue`), both async, which Django's connections are not.

Imports no app.
"""

from django.conf import settings


def conninfo() -> dict:
    """psycopg.connect() keyword arguments for DATABASES["default"] (PostgreSQL)."""
    db = settings.DATABASES["default"]
    info = {"dbname": db["NAME"], "user": db.get("USER") or None, "password": db.get("PASSWORD") or None}
    info |= {"host": db.get("HOST") or None, "port": db.get("PORT") or None}
    # libpq options such as sslmode pass through; Django's own (pool, isolation level...) do not.
    info |= {k: v for k, v in db.get("OPTIONS", {}).items() if isinstance(v, str) and k.startswith("ssl")}
    return {k: v for k, v in info.items() if v is not None}
