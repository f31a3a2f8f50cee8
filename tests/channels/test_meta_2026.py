"""Messenger and Instagram webhooks the product used to refuse or drop (Meta's reference examples
and its dashboard test events), posted signed through the real URL and processed like the worker."""

import json
import time
from pathlib import Path

import pytest
from guardian.shortcuts import assign_perm

from channels.models import ChannelIdentity, ChannelKind, InboundDelivery
from contacts.models import Contact
from conversations.models import Message
from conversations.services import message_send
from tests.factories import deliver, make_channel, meta_delivery, meta_message
from tests.worker import run_tasks

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"
PSID = "6543210987654321"


@pytest.fixture
def messenger(db):
    return make_channel(ChannelKind.MESSENGER)


@pytest.fixture
def instagram(db):
    return make_channel(ChannelKind.INSTAGRAM)


def test_a_messenger_contact_is_named_from_the_graph_api_profile(client, messenger, platform):
    platform.profiles[PSID] = {
        "first_name": "Sheena",
        "last_name": "Nelson",
        "profile_pic": "https://cdn.example/p.jpg",
    }
    deliver(client, messenger, json.loads((PAYLOADS / "messenger_text.json").read_text()))
    identity = ChannelIdentity.objects.get()
    assert identity.contact.name == "Sheena Nelson"
    assert identity.picture_url == "https://cdn.example/p.jpg"
    lookup = [r for r in platform.requests if r.method == "GET"][0]
    assert lookup.path.startswith(f"/{PSID}?fields=first_name%2Clast_name%2Cprofile_pic&access_token=page-token")


def test_the_profile_is_looked_up_once_per_person(client, messenger, platform):
    platform.profiles["777"] = {"first_name": "Budi"}
    deliver(client, messenger, meta_delivery(meta_message("777", "one", "m_1")))
    deliver(client, messenger, meta_delivery(meta_message("777", "two", "m_2")))
    assert len([r for r in platform.requests if r.method == "GET"]) == 1
    assert Contact.objects.get().name == "Budi"


def test_an_instagram_contact_gets_name_and_username(client, instagram, platform):
    platform.profiles["17841400000000001"] = {
        "name": "Rina",
        "username": "rina.shop",
        "profile_pic": "https://cdn.example/r.jpg",
    }
    deliver(client, instagram, meta_delivery(meta_message("17841400000000001", "hai", "ig_1"), object_type="instagram"))
    identity = ChannelIdentity.objects.get()
    assert identity.contact.name == "Rina" and identity.username == "rina.shop"
    assert "fields=name%2Cusername%2Cprofile_pic" in [r for r in platform.requests if r.method == "GET"][0].path


def test_an_unknown_profile_leaves_a_fallback_name_and_keeps_the_message(client, messenger, platform):
    deliver(client, messenger, meta_delivery(meta_message("888", "hello", "m_3")))
    assert Message.objects.get().body == "hello"
    assert Contact.objects.get().name.startswith("Messenger")


def test_a_chat_plugin_visitor_with_user_ref_is_a_contact(client, messenger):
    event = {
        "sender": {"user_ref": "ref-abc-123"},
        "recipient": {"id": "1"},
        "timestamp": 1749416600001,
        "message": {"mid": "m_ref", "text": "from the website"},
    }
    deliver(client, messenger, meta_delivery(event))
    assert Message.objects.get().identity.external_id == "ref-abc-123"


def test_a_string_timestamp_as_in_metas_test_events_is_read(client, messenger):
    event = meta_message(PSID, "test event", "m_str")
    event["timestamp"] = "1527459824000"
    deliver(client, messenger, meta_delivery(event))
    assert Message.objects.get().created_at.year == 2018


def test_a_timestamp_of_ten_to_the_thirty_is_clamped(client, messenger):
    event = meta_message(PSID, "future", "m_far")
    event["timestamp"] = 10**30
    deliver(client, messenger, meta_delivery(event))
    assert Message.objects.get().body == "future"


def test_messages_on_the_standby_channel_are_stored(client, messenger):
    payload = {
        "object": "page",
        "entry": [{"id": "1", "time": 1, "standby": [meta_message(PSID, "while another app has the thread", "m_sb")]}],
    }
    deliver(client, messenger, payload)
    assert Message.objects.get().body == "while another app has the thread"


def test_an_edit_updates_the_message_text(client, messenger):
    deliver(client, messenger, meta_delivery(meta_message(PSID, "helo", "m_e")))
    edit = {
        "sender": {"id": PSID},
        "recipient": {"id": "1"},
        "timestamp": 1749416700000,
        "message_edit": {"mid": "m_e", "text": "hello", "num_edit": 1},
    }
    deliver(client, messenger, meta_delivery(edit))
    stored = Message.objects.get()
    assert stored.body == "hello" and stored.edited_at is not None


def test_a_reaction_and_its_removal(client, messenger):
    deliver(client, messenger, meta_delivery(meta_message(PSID, "new arrivals?", "m_r")))
    react = {
        "sender": {"id": PSID},
        "recipient": {"id": "1"},
        "timestamp": 1749416700000,
        "reaction": {"mid": "m_r", "action": "react", "reaction": "love", "emoji": "❤"},
    }
    deliver(client, messenger, meta_delivery(react))
    assert [r["emoji"] for r in Message.objects.get().reactions] == ["❤"]
    unreact = {**react, "timestamp": 1749416800000, "reaction": {"mid": "m_r", "action": "unreact"}}
    deliver(client, messenger, meta_delivery(unreact))
    assert Message.objects.get().reactions == [] and Message.objects.count() == 1


def test_a_referral_is_kept_as_where_the_conversation_came_from(client, messenger):
    referral = {
        "sender": {"id": PSID},
        "recipient": {"id": "1"},
        "timestamp": 1749416700000,
        "referral": {"ref": "summer-promo", "source": "SHORTLINK", "type": "OPEN_THREAD"},
    }
    deliver(client, messenger, meta_delivery(referral))
    stored = Message.objects.get()
    assert "summer-promo" in stored.body and stored.attachments[0]["type"] == "referral"


def test_an_instagram_unsend_marks_the_original_deleted(client, instagram):
    deliver(client, instagram, meta_delivery(meta_message(PSID, "oops", "ig_m"), object_type="instagram"))
    unsend = {
        "sender": {"id": PSID},
        "recipient": {"id": "1"},
        "timestamp": 1749416700000,
        "message": {"mid": "ig_m", "is_deleted": True},
    }
    deliver(client, instagram, meta_delivery(unsend, object_type="instagram"))
    stored = Message.objects.get()
    assert stored.deleted_at is not None and stored.body == "oops"


def test_one_bad_event_fails_alone(client, messenger):
    bad = {"sender": {"id": PSID}, "timestamp": "soon", "message": {"mid": "m_bad", "text": "x"}}
    deliver(client, messenger, meta_delivery(bad, meta_message(PSID, "fine", "m_ok")))
    assert Message.objects.get().body == "fine"
    assert "messaging[0]" in InboundDelivery.objects.get().error


@pytest.mark.django_db(transaction=True)  # the worker process reads committed rows
def test_a_reply_to_a_chat_plugin_visitor_goes_to_their_user_ref(client, messenger, agent, platform, worker_env):
    assign_perm("channels.access_channel", agent, messenger)
    event = {
        "sender": {"user_ref": "ref-abc-123"},
        "recipient": {"id": "1"},
        "timestamp": int(time.time() * 1000),
        "message": {"mid": "m_ref2", "text": "from the website"},
    }
    deliver(client, messenger, meta_delivery(event))
    inbound = Message.objects.get()
    message_send(actor=agent, conversation=inbound.conversation, identity=inbound.identity, body="Welcome!")
    run_tasks(worker_env)
    sent = [r for r in platform.requests if r.method == "POST"][-1].body
    assert sent["recipient"] == {"user_ref": "ref-abc-123"}
