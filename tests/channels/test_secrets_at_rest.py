"""Channel secrets and access tokens are encrypted in the database and never shown by the admin."""

import importlib

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.urls import reverse

from channels.models import Channel, ChannelKind
from channels.services import channel_create
from config import crypto


def stored(channel, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM channels_channel WHERE id = %s", [channel.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def bot(db):
    return channel_create(kind=ChannelKind.TELEGRAM, name="Bot", access_token="123:bot-token", verify_token="vt-1")


def test_secrets_are_encrypted_in_the_database_and_plain_in_python(bot):
    for column, plain in (("secret", bot.secret), ("access_token", "123:bot-token"), ("verify_token", "vt-1")):
        raw = stored(bot, column)
        assert raw.startswith("fernet:") and plain not in raw
    fresh = Channel.objects.get(pk=bot.pk)
    assert fresh.access_token == "123:bot-token" and fresh.verify_token == "vt-1" and fresh.secret == bot.secret


def test_an_empty_token_stays_empty_and_can_be_looked_up(db):
    channel = channel_create(kind=ChannelKind.WEBCHAT, name="Chat")
    assert stored(channel, "access_token") == ""
    assert Channel.objects.filter(access_token="").filter(pk=channel.pk).exists()


def test_keys_rotate_old_values_still_read_then_rewritten_with_the_new_key(bot, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert Channel.objects.get(pk=bot.pk).access_token == "123:bot-token"  # the old key still decrypts
    from django.core.management import call_command

    call_command("encryption_rotate")
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key retired
    assert Channel.objects.get(pk=bot.pk).access_token == "123:bot-token"


def test_the_data_migration_encrypts_rows_written_in_plain_text(bot):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE channels_channel SET access_token = 'plain-token', secret = 'plain-secret'")
    assert Channel.objects.get(pk=bot.pk).access_token == "plain-token"  # read as is before the migration
    migration = importlib.import_module("channels.migrations.0008_encrypt_channel_secrets")
    from django.apps import apps

    migration.encrypt_existing(apps, None)
    assert stored(bot, "access_token").startswith("fernet:") and stored(bot, "secret").startswith("fernet:")
    assert Channel.objects.get(pk=bot.pk).access_token == "plain-token"


def test_admin_never_shows_a_secret_and_replaces_one_only_when_typed(client, admin_user, bot):
    client.force_login(admin_user)
    url = reverse("admin:channels_channel_change", args=[bot.pk])
    page = client.get(url).content.decode()
    for plain in (bot.secret, "123:bot-token", "vt-1"):
        assert plain not in page
    assert "type a new value to replace it" in page
    form = {"kind": bot.kind, "name": "Bot", "settings": "{}", "is_active": "on", "set_access_token": "456:new"}
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    bot.refresh_from_db()
    assert bot.access_token == "456:new" and bot.verify_token == "vt-1"  # the untouched one kept


def test_crypto_module_reads_legacy_plain_values():
    assert crypto.decrypt("plain") == "plain"
    assert crypto.decrypt(crypto.encrypt("x")) == "x"
