import json

import pytest
from django.urls import reverse

from channels.models import InboundDelivery
from contacts.models import Contact
from conversations.models import Message
from merging.models import MergeSuggestion
from tests.factories import inbound, process_inbound


@pytest.fixture
def chat(webchat):
    webchat.settings = {"prechat": {"enabled": True, "fields": ["name", "email", "phone"], "required": ["email"]}}
    webchat.save()
    return webchat


def url(name, channel):
    return reverse(f"inbound:widget_{name}", args=[channel.public_id])


def start(client, channel, **fields):
    return client.post(url("sessions", channel), json.dumps(fields), content_type="application/json")


def test_config_names_the_prechat_fields_and_allows_any_origin(client, chat):
    response = client.get(url("config", chat))
    assert response.json()["prechat"] == {"enabled": True, "fields": ["name", "email", "phone"], "required": ["email"]}
    assert response["Access-Control-Allow-Origin"] == "*"


def test_preflight_is_answered(client, chat):
    response = client.options(url("messages", chat))
    assert response.status_code == 200 and "Authorization" in response["Access-Control-Allow-Headers"]


def test_required_prechat_field_is_checked_again_on_the_server(client, chat):
    response = start(client, chat, name="Rina")
    assert response.status_code == 400 and response.json()["errors"] == {"email": "This field is required."}
    assert start(client, chat, email="not-an-email").json()["errors"] == {"email": "Enter a valid e-mail address."}
    assert start(client, chat, email="a@b.co", phone="12").json()["errors"] == {"phone": "Enter a valid phone number."}


def test_visitor_chats_and_an_email_known_elsewhere_raises_a_suggestion(client, chat, email_channel):
    inbound(email_channel, "sheena@example.com", "by mail", name="Sheena")
    token = start(client, chat, name="Sheena N", email="Sheena@Example.com").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    sent = client.post(
        url("messages", chat),
        json.dumps({"text": "Hello!", "client_id": "c1"}),
        content_type="application/json",
        headers=headers,
    )
    assert sent.status_code == 202 and sent.json() == {"client_id": "c1"}
    process_inbound()
    visitor = Contact.objects.get(identities__channel=chat)
    assert visitor.name == "Sheena N" and visitor.primary_email.value == "sheena@example.com"
    assert MergeSuggestion.objects.filter(status="open").count() == 1
    listed = client.get(url("messages", chat), headers=headers).json()["messages"]
    assert [(m["from"], m["text"], m["client_id"]) for m in listed] == [("visitor", "Hello!", "c1")]


def test_a_visitor_message_goes_through_the_inbound_log_like_every_platform(client, chat):
    token = start(client, chat, email="a@example.com").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    sent = client.post(
        url("messages", chat), json.dumps({"text": "Hi", "client_id": "k1"}), "application/json", headers=headers
    )
    assert sent.status_code == 202
    kept = InboundDelivery.objects.get()
    assert kept.status == InboundDelivery.Status.WAITING and Message.objects.count() == 0
    assert client.get(url("messages", chat), headers=headers).json()["messages"] == []  # the widget shows it itself
    process_inbound()
    kept.refresh_from_db()
    assert kept.status == InboundDelivery.Status.DONE
    listed = client.get(url("messages", chat), headers=headers).json()["messages"]
    assert [(m["text"], m["client_id"]) for m in listed] == [("Hi", "k1")]  # the widget confirms its bubble


def test_a_resent_visitor_message_is_stored_once(client, chat):
    token = start(client, chat, email="a@example.com").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(2):
        client.post(
            url("messages", chat),
            json.dumps({"text": "Hi", "client_id": "same"}),
            content_type="application/json",
            headers=headers,
        )
    process_inbound()
    assert Message.objects.count() == 1


def test_messages_need_a_valid_session_token(client, chat):
    response = client.get(url("messages", chat), headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert client.post(url("messages", chat), "{}", content_type="application/json").status_code == 401


def test_empty_or_malformed_message_is_refused(client, chat):
    token = start(client, chat, email="a@example.com").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        client.post(url("messages", chat), "not json", content_type="application/json", headers=headers).status_code
        == 400
    )
    assert (
        client.post(
            url("messages", chat), json.dumps({"text": " "}), content_type="application/json", headers=headers
        ).status_code
        == 400
    )
    assert Message.objects.count() == 0


def test_the_widget_script_and_demo_page_are_served(client, chat):
    script = client.get("/widget.js")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    demo = client.get("/widget-demo/").content.decode()
    assert f'data-channel="{chat.public_id}"' in demo


def test_reading_the_chat_writes_nothing_and_the_widget_marks_shown_replies_delivered(client, chat, manager):
    from conversations.models import DeliveryStatus, Direction

    token = start(client, chat, email="rina@example.com").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    client.post(
        url("messages", chat), json.dumps({"text": "Hi", "client_id": "c1"}), "application/json", headers=headers
    )
    process_inbound()
    visitor_message = Message.objects.get()
    reply = Message.objects.create(
        conversation=visitor_message.conversation,
        identity=visitor_message.identity,
        channel=chat,
        direction=Direction.OUTBOUND,
        body="Hello Rina",
        status=DeliveryStatus.SENT,
    )
    assert [m["text"] for m in client.get(url("messages", chat), headers=headers).json()["messages"]] == [
        "Hi",
        "Hello Rina",
    ]
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT  # a GET never writes
    seen = client.post(url("seen", chat), json.dumps({"up_to": reply.pk}), "application/json", headers=headers)
    assert seen.json() == {"delivered": 1}
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.DELIVERED
    assert client.post(url("seen", chat), "{}", "application/json", headers=headers).status_code == 400
    assert client.post(url("seen", chat), json.dumps({"up_to": 1}), "application/json").status_code == 401
