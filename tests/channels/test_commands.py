import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from channels.models import Channel
from tests.factories import deliver, email_raw, wa_text


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_add_channel_prints_one_json_object_with_the_webhook_path(db):
    output = run(
        "add_channel",
        "whatsapp",
        "Toko WA",
        "--secret",
        "s3cret",
        "--verify-token",
        "vt",
        "--setting",
        "phone_number_id=106540352242922",
    )
    data = json.loads(output)
    channel = Channel.objects.get()
    assert data["kind"] == "whatsapp" and data["name"] == "Toko WA" and data["secret"] == "s3cret"
    assert data["id"] == str(channel.public_id)
    assert data["webhook_url"] == f"/webhooks/{channel.public_id}/"
    assert channel.settings == {"phone_number_id": "106540352242922"}


def test_add_channel_generates_a_secret_when_none_is_given(db):
    data = json.loads(run("add_channel", "telegram", "Bot"))
    assert len(data["secret"]) >= 32


def test_add_channel_refuses_an_unknown_kind(db):
    with pytest.raises(CommandError):
        call_command("add_channel", "pigeon", "x")


def test_add_channel_refuses_a_malformed_setting(db):
    with pytest.raises(CommandError, match="KEY=VALUE"):
        call_command("add_channel", "whatsapp", "x", "--setting", "nope")


def test_export_contacts_prints_json_lines_with_normalised_keys(client, whatsapp, email_channel):
    deliver(client, whatsapp, wa_text("16505551234", "hi", name="Sheena Nelson"))
    deliver(client, email_channel, email_raw("Sheena.Nelson@Example.com", "hello"))
    rows = [json.loads(line) for line in run("export_contacts").splitlines()]
    assert len(rows) == 2
    wa, mail = rows
    assert wa["phones"] == ["+16505551234"]
    assert wa["channels"] == [{"kind": "whatsapp", "external_id": "16505551234", "username": ""}]
    assert mail["emails"] == ["sheena.nelson@example.com"]
    assert wa["merged_from"] == [] and wa["suggestions"] == []
