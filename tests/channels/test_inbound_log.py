"""The durable inbound log: accept at once, process later, exactly once, nothing authentic lost."""

import dataclasses
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from channels import platforms
from channels.delivery_log import deliveries_claim, delivery_body
from channels.inbound import InboundMessage, ParsedDelivery, PayloadError
from channels.models import Channel, InboundDelivery
from channels.platforms.base import bearer_token, json_parser
from channels.selectors import inbound_health
from contacts.models import Contact
from conversations.models import Message
from tests.factories import deliver, post_webhook, process_inbound, wa_text

Status = InboundDelivery.Status


def test_an_accepted_delivery_waits_for_a_worker_and_then_becomes_a_message(client, whatsapp):
    response = post_webhook(client, whatsapp, wa_text("6281234567890", "halo"))
    assert response.status_code == 200
    delivery = InboundDelivery.objects.get()
    assert delivery.status == Status.WAITING and delivery.sender_key == f"{whatsapp.pk}:6281234567890"
    assert Message.objects.count() == 0
    assert "1 deliveries processed" in process_inbound()
    delivery.refresh_from_db()
    assert delivery.status == Status.DONE and delivery.processed_at is not None and delivery.attempts == 1
    assert Message.objects.get().body == "halo"


def test_the_signature_header_is_not_kept_with_the_delivery(client, whatsapp):
    post_webhook(client, whatsapp, wa_text("6281234567890", "halo"))
    headers = InboundDelivery.objects.get().headers
    assert headers == {"Content-Type": "application/json"}


def test_a_large_delivery_is_kept_in_file_storage_not_in_the_row(client, whatsapp, settings, tmp_path):
    settings.INBOUND_INLINE_MAX_BYTES = 1000
    settings.MEDIA_ROOT = tmp_path
    deliver(client, whatsapp, wa_text("6281234567890", "long " * 500))
    delivery = InboundDelivery.objects.get()
    assert bytes(delivery.body) == b"" and delivery.body_file and delivery.body_size > 1000
    assert (tmp_path / delivery.body_file).exists()
    assert delivery.status == Status.DONE
    assert Message.objects.get().body.startswith("long long")


def test_a_redelivered_delivery_is_kept_twice_but_stores_the_message_once(client, whatsapp):
    payload = wa_text("6281234567890", "once", message_id="wamid.once")
    deliver(client, whatsapp, payload)
    deliver(client, whatsapp, payload)
    assert InboundDelivery.objects.filter(status=Status.DONE).count() == 2
    assert Message.objects.count() == 1 and Contact.objects.count() == 1


def test_deliveries_of_one_sender_held_by_another_worker_are_not_claimed(client, whatsapp):
    for text in ("one", "two"):
        post_webhook(client, whatsapp, wa_text("6281234567890", text))
    post_webhook(client, whatsapp, wa_text("6289999999999", "other sender"))
    first = deliveries_claim(limit=1)  # a worker holds the sender's first delivery
    assert [d.pk for d in first] == [InboundDelivery.objects.order_by("pk").first().pk]
    others = deliveries_claim(limit=10)  # another worker may take the other sender only
    assert [d.sender_key for d in others] == [f"{whatsapp.pk}:6289999999999"]


def test_a_claim_abandoned_by_a_crashed_worker_is_processed_once_later(client, whatsapp):
    post_webhook(client, whatsapp, wa_text("6281234567890", "lost?"))
    deliveries_claim(limit=10)  # the worker that claimed it dies here
    assert process_inbound().startswith("0 deliveries")
    InboundDelivery.objects.update(claimed_at=InboundDelivery.objects.get().claimed_at - timedelta(minutes=6))
    process_inbound()
    delivery = InboundDelivery.objects.get()
    assert delivery.status == Status.DONE and delivery.attempts == 2
    assert Message.objects.get().body == "lost?"


def _parrot_parse(taught: bool):
    def parse(payload) -> ParsedDelivery:
        if payload.get("kind") != "text" and not taught:
            raise PayloadError(f"unknown kind {payload.get('kind')!r}")
        return ParsedDelivery(
            messages=[
                InboundMessage(
                    external_id=payload["sender"],
                    platform_message_id=payload["id"],
                    sent_at=InboundDelivery._meta.get_field("received_at").default(),
                    body=payload.get("text") or f"[{payload['kind']}]",
                )
            ]
        )

    return json_parser(parse)


@pytest.fixture
def parrot(monkeypatch, db):
    """A test-only platform whose parser does not know "poem" messages until it is taught."""
    platform = platforms.Platform(
        kind="parrot",
        label="Parrot",
        badge="P",
        authenticate=bearer_token,
        parse=_parrot_parse(taught=False),
        send_text=lambda outbound: "x",
    )
    monkeypatch.setitem(platforms.PLATFORMS, "parrot", platform)
    channel = Channel.objects.create(kind="parrot", name="Parrot", secret="parrot-secret")

    def teach():
        monkeypatch.setitem(platforms.PLATFORMS, "parrot", dataclasses.replace(platform, parse=_parrot_parse(True)))

    return channel, teach


def test_a_delivery_the_parser_cannot_read_is_kept_failed_and_replayed_once_the_parser_is_taught(client, parrot):
    channel, teach = parrot
    poem = {"sender": "p1", "id": "m1", "kind": "poem"}
    response = deliver(client, channel, poem, headers={"Authorization": "Bearer parrot-secret"})
    assert response.status_code == 200
    delivery = InboundDelivery.objects.get()
    assert delivery.status == Status.FAILED and "unknown kind 'poem'" in delivery.error
    assert json.loads(delivery_body(delivery)) == poem
    assert Message.objects.count() == 0

    process_inbound()  # a plain run does not retry failures
    assert InboundDelivery.objects.get().status == Status.FAILED

    teach()
    out = io.StringIO()
    call_command("process_inbound", "--failed", stdout=out)
    assert "1 failed deliveries waiting again" in out.getvalue()
    delivery.refresh_from_db()
    assert delivery.status == Status.DONE and delivery.error == ""
    assert Message.objects.get().body == "[poem]"


def test_admin_lists_deliveries_by_status_and_replays_the_selected(client, parrot, admin_user):
    channel, teach = parrot
    deliver(
        client, channel, {"sender": "p1", "id": "m1", "kind": "poem"}, headers={"Authorization": "Bearer parrot-secret"}
    )
    client.force_login(admin_user)
    changelist = reverse("admin:channels_inbounddelivery_changelist")
    page = client.get(changelist, {"status__exact": "failed"})
    assert page.status_code == 200 and "unknown kind" in page.content.decode()
    detail = client.get(reverse("admin:channels_inbounddelivery_change", args=[InboundDelivery.objects.get().pk]))
    assert "poem" in detail.content.decode()
    teach()
    response = client.post(
        changelist, {"action": "replay", "_selected_action": list(InboundDelivery.objects.values_list("pk", flat=True))}
    )
    assert response.status_code == 302
    assert InboundDelivery.objects.get().status == Status.WAITING
    process_inbound()
    assert Message.objects.get().body == "[poem]"


def test_manager_sees_how_the_inbound_log_is_doing(client, manager, whatsapp):
    deliver(client, whatsapp, b"not json")
    post_webhook(client, whatsapp, wa_text("6281234567890", "waiting"))
    post_webhook(client, whatsapp, wa_text("6281234567891", "waiting too"))
    client.force_login(manager)
    health = client.get(reverse("channels:inbound_health"), {"format": "json"}).json()
    assert health["waiting"] == 2 and health["failed"] == 1 and health["oldest_waiting_seconds"] >= 0
    page = client.get(reverse("channels:inbound_health"))
    assert page.status_code == 200 and 'id="inbound-failed">1<' in page.content.decode()


def test_agent_cannot_see_the_inbound_health_page(client, agent):
    client.force_login(agent)
    assert client.get(reverse("channels:inbound_health")).status_code == 403


def test_oldest_waiting_age_counts_from_arrival(client, whatsapp):
    post_webhook(client, whatsapp, wa_text("6281234567890", "waiting"))
    received = InboundDelivery.objects.get().received_at
    assert inbound_health(now=received + timedelta(seconds=90))["oldest_waiting_seconds"] == 90
