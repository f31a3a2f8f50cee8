"""The malformed parameters of the security issue, one by one: each answers 4xx or a normal page."""

import json
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from config.cursors import cursor_of
from conversations.models import Message
from tests.factories import contact_of, inbound


@pytest.fixture
def visitor(webchat):
    client = Client()
    started = client.post(reverse("inbound:widget_sessions", args=[webchat.public_id]), "{}", "application/json")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {started.json()['token']}"
    return client


def messages_url(webchat):
    return reverse("inbound:widget_messages", args=[webchat.public_id])


@pytest.mark.parametrize("after", ["²", "-1", "abc", "9" * 40, "１"])
def test_widget_messages_refuse_a_malformed_after(visitor, webchat, after):
    assert visitor.get(messages_url(webchat), {"after": after}).status_code == 400


def test_widget_messages_after_zero_is_the_whole_chat(visitor, webchat):
    assert visitor.get(messages_url(webchat), {"after": "0"}).status_code == 200


def test_widget_refuses_a_client_id_or_text_with_nul(visitor, webchat):
    for body in ({"text": "hi", "client_id": "a\x00b"}, {"text": "h\x00i", "client_id": "c1"}):
        response = visitor.post(messages_url(webchat), json.dumps(body), content_type="application/json")
        assert response.status_code == 400
    assert not Message.objects.filter(direction="in", identity__channel=webchat).exists()


@pytest.fixture
def conversation(whatsapp):
    return inbound(whatsapp, "6281234567890", "halo", name="Sheena").conversation


@pytest.mark.parametrize(
    "path,params",
    [
        ("/inbox/", {"channel": "²"}),
        ("/inbox/", {"channel": "9" * 30}),
        ("/inbox/", {"q": "a\x00"}),
        ("/merge/search/", {"target": "abc"}),
        ("/merge/search/", {"target": "²"}),
        ("/merge/", {"suggestion": "²"}),
        ("/merge/", {"target": "-1", "source": "9" * 30}),
        ("/contacts/", {"after": "²"}),
    ],
)
def test_logged_in_pages_answer_malformed_parameters_without_500(client, manager, path, params):
    client.force_login(manager)
    assert client.get(path, params).status_code < 500


def test_older_messages_refuse_a_garbage_cursor(client, manager, conversation):
    client.force_login(manager)
    url = reverse("conversations:older", args=[conversation.pk])
    for before in ("garbage", "1700000000000000_²", "2026-01-01T00:00:00_1", "x_1", "１７_1"):
        assert client.get(url, {"before": before}).status_code == 400


def test_older_messages_accept_their_own_cursor(client, manager, conversation):
    client.force_login(manager)
    url = reverse("conversations:older", args=[conversation.pk])
    assert client.get(url, {"before": cursor_of(datetime(2999, 1, 1, tzinfo=UTC), 5)}).status_code == 200


def test_a_huge_channel_or_contact_id_is_not_found(client, manager, conversation):
    client.force_login(manager)
    assert client.get(f"/channels/{'9' * 30}/access/").status_code == 404
    assert client.get(f"/contacts/{'9' * 30}/").status_code == 404
    assert client.get(f"/inbox/c/{2**63}/").status_code == 404


def test_a_next_that_is_not_a_path_falls_back(client, manager, conversation):
    client.force_login(manager)
    contact = contact_of(conversation.messages.first())
    response = client.post(reverse("contacts:main_channel", args=[contact.pk]), {"next": "garbage", "identity": "²"})
    assert response.status_code == 302
    assert response.url != "garbage"


def test_a_full_url_of_this_site_is_a_valid_next(client, manager, conversation):
    client.force_login(manager)
    contact = contact_of(conversation.messages.first())
    url = reverse("contacts:main_channel", args=[contact.pk])
    response = client.post(url, {"next": "http://testserver/contacts/", "identity": "²"})
    assert response.url == "http://testserver/contacts/"
    assert client.post(url, {"next": "https://evil.example/", "identity": "1"}).url != "https://evil.example/"
