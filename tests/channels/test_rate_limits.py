"""The widget and the web chat webhook answer a clear 429 per visitor address and per channel."""

import json

import pytest
from django.urls import reverse

from channels.models import WebchatSession
from conversations.models import Message
from merging.models import MergeSuggestion
from tests.factories import post_webhook, process_inbound, wa_text, webchat_message


@pytest.fixture
def tight(settings):
    settings.WEBCHAT_RATE_LIMITS = {
        "session": {"visitor": (3, 600), "channel": (5, 600)},
        "message": {"visitor": (2, 60), "channel": (100, 60)},
        "webhook": {"visitor": (2, 60), "channel": (100, 60)},
    }


@pytest.fixture
def chat(webchat):
    webchat.settings = {"prechat": {"enabled": True, "fields": ["name", "email"], "required": []}}
    webchat.save()
    return webchat


def start(client, channel, address="203.0.113.1", **fields):
    url = reverse("inbound:widget_sessions", args=[channel.public_id])
    return client.post(url, json.dumps(fields), content_type="application/json", REMOTE_ADDR=address)


def test_one_address_starting_too_many_chats_gets_a_429_with_retry_after(client, chat, tight):
    assert [start(client, chat).status_code for _ in range(3)] == [201, 201, 201]
    refused = start(client, chat)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many requests" in refused.json()["error"]
    assert refused["Access-Control-Allow-Origin"] == "*"
    assert WebchatSession.objects.count() == 3


def test_another_address_is_not_refused_for_the_first_ones_flood(client, chat, tight):
    for _ in range(4):
        start(client, chat)
    assert start(client, chat, address="198.51.100.7").status_code == 201


def test_many_addresses_together_hit_the_channel_limit(client, chat, tight):
    codes = [start(client, chat, address=f"198.51.100.{n}").status_code for n in range(7)]
    assert codes == [201] * 5 + [429, 429]


def test_a_flood_of_visitors_typing_one_email_cannot_bury_real_suggestions(client, chat, tight):
    for n in range(20):
        token = start(client, chat, address=f"198.51.100.{n}", email="victim@example.com").json().get("token")
        if token:
            client.post(
                reverse("inbound:widget_messages", args=[chat.public_id]),
                json.dumps({"text": "hi", "client_id": "1"}),
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}"},
                REMOTE_ADDR=f"198.51.100.{n}",
            )
    process_inbound()  # visitors' messages are stored by the inbound workers
    assert WebchatSession.objects.count() == 5
    assert MergeSuggestion.objects.count() == 4  # five visitors, one group


def test_widget_messages_are_limited_per_address(client, chat, tight):
    token = start(client, chat).json()["token"]
    url = reverse("inbound:widget_messages", args=[chat.public_id])

    def send(n):
        return client.post(
            url,
            json.dumps({"text": f"message {n}", "client_id": str(n)}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
            REMOTE_ADDR="203.0.113.1",
        )

    assert [send(n).status_code for n in range(3)] == [202, 202, 429]
    process_inbound()
    assert Message.objects.count() == 2
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200  # reading is not limited


def test_the_web_chat_webhook_is_limited_per_address(client, webchat, tight):
    codes = [post_webhook(client, webchat, webchat_message(f"s{n}", "hello")).status_code for n in range(3)]
    assert codes == [200, 200, 429]


def test_platform_webhooks_are_not_rate_limited(client, whatsapp, tight):
    codes = [post_webhook(client, whatsapp, wa_text("6281234567890", f"m{n}")).status_code for n in range(4)]
    assert codes == [200] * 4
