"""Encryption at rest for the few secrets we keep (channel secrets and access tokens).

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with the keys of FIELD_ENCRYPTION_KEYS:
the first key encrypts, every key decrypts (MultiFernet), so keys rotate without downtime —
docs/security.md has the steps. Values are stored as "fernet:<token>"; an empty value stays
empty (so `access_token=""` still filters), and a value without the prefix is read as plain
text, which only rows written before encryption have (a data migration encrypts them).

Imports no app, so any model may use the field.
"""

from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import models

PREFIX = "fernet:"


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    if not value:
        return value
    return PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored or not stored.startswith(PREFIX):
        return stored
    return fernet().decrypt(stored.removeprefix(PREFIX).encode()).decode()


class EncryptedTextField(models.TextField):
    """A text field kept encrypted in the database and plain in Python. Only an empty value can be
    looked up (a Fernet token differs at every write)."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if isinstance(value, str) else value
