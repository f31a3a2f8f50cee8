"""WhatsApp Cloud API payloads of 2026 (Meta's webhook reference examples), posted through the real
URL with a real signature, processed like the inbound worker does, then read back."""

import json
import time

import pytest
from django.urls import reverse

from channels.models import ChannelIdentity, InboundDelivery
from contacts.models import ContactKey, Event, EventKind
from conversations.models import DeliveryStatus, Direction, Message
from conversations.services import message_send
from merging.exports import exported_contacts
from tests.factories import deliver, make_channel, wa_text
from tests.worker import run_tasks

BSUID = "US.13491208655302741918"
PHONE = "16505551234"


def delivery(*messages, contacts=None, statuses=None):
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
    }
    if contacts is not None:
        value["contacts"] = contacts
    if messages:
        value["messages"] = list(messages)
    if statuses is not None:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def person(*, name="Sheena Nelson", username=None, phone=PHONE, bsuid=BSUID):
    contact = {"profile": {"name": name}, "user_id": bsuid}
    if username:
        contact["profile"]["username"] = username
    if phone:
        contact["wa_id"] = phone
    return contact


def message(kind, content, *, mid, phone=PHONE, bsuid=BSUID, ts=None, **extra):
    raw = {"id": mid, "timestamp": ts or str(int(time.time())), "type": kind, kind: content, **extra}
    if phone:
        raw["from"] = phone
    if bsuid:
        raw["from_user_id"] = bsuid
    return raw


def text(body, *, mid, **who):
    return message("text", {"body": body}, mid=mid, **who)


def processed(delivery_row=None) -> InboundDelivery:
    row = delivery_row or InboundDelivery.objects.order_by("pk").last()
    row.refresh_from_db()
    return row


class TestBusinessScopedUserIds:
    def test_username_user_without_a_phone_is_a_first_class_contact(self, client, whatsapp):
        payload = delivery(
            text("hi, no phone here", mid="wamid.u1", phone=None),
            contacts=[person(name="Sheena", username="@sheena.shop", phone=None)],
        )
        assert deliver(client, whatsapp, payload).status_code == 200
        identity = ChannelIdentity.objects.get()
        assert identity.external_id == BSUID and identity.scoped_id == BSUID
        assert identity.username == "@sheena.shop"
        assert identity.contact.name == "Sheena"
        assert ContactKey.objects.count() == 0  # a BSUID is never a contact key
        assert Message.objects.get().body == "hi, no phone here"

    def test_a_payload_with_phone_and_bsuid_gives_the_contact_the_phone(self, client, whatsapp):
        deliver(client, whatsapp, delivery(text("hello", mid="wamid.p1"), contacts=[person()]))
        identity = ChannelIdentity.objects.get()
        assert identity.external_id == PHONE and identity.scoped_id == BSUID
        assert identity.contact.primary_phone.value == "+16505551234"

    def test_the_phone_arriving_later_joins_the_bsuid_only_contact(self, client, whatsapp):
        deliver(client, whatsapp, delivery(text("first", mid="wamid.a", phone=None), contacts=[person(phone=None)]))
        deliver(client, whatsapp, delivery(text("second", mid="wamid.b"), contacts=[person()]))
        identity = ChannelIdentity.objects.get()
        assert Message.objects.filter(identity=identity).count() == 2
        assert identity.contact.primary_phone.value == "+16505551234"

    def test_the_bsuid_alone_later_finds_the_contact_known_by_phone(self, client, whatsapp):
        deliver(client, whatsapp, delivery(text("first", mid="wamid.c"), contacts=[person()]))
        deliver(client, whatsapp, delivery(text("second", mid="wamid.d", phone=None), contacts=[person(phone=None)]))
        assert ChannelIdentity.objects.count() == 1
        assert Message.objects.count() == 2

    def test_the_same_bsuid_on_another_business_account_is_another_person(self, client, whatsapp):
        other = make_channel("whatsapp", secret="other-secret")
        payload = delivery(text("hi", mid="wamid.e", phone=None), contacts=[person(phone=None)])
        deliver(client, whatsapp, payload)
        deliver(client, other, delivery(text("hi", mid="wamid.f", phone=None), contacts=[person(phone=None)]))
        assert ChannelIdentity.objects.count() == 2
        assert len({i.contact_id for i in ChannelIdentity.objects.all()}) == 2

    @pytest.mark.django_db(transaction=True)  # the worker process reads committed rows
    def test_a_reply_to_a_bsuid_only_contact_is_sent_with_recipient(
        self, client, whatsapp, agent, platform, worker_env
    ):
        deliver(client, whatsapp, delivery(text("hi", mid="wamid.g", phone=None), contacts=[person(phone=None)]))
        inbound = Message.objects.get()
        message_send(actor=agent, conversation=inbound.conversation, identity=inbound.identity, body="Hello!")
        run_tasks(worker_env)
        sent = platform.requests[-1].body
        assert sent["recipient"] == BSUID and "to" not in sent
        assert Message.objects.get(direction=Direction.OUTBOUND).status == DeliveryStatus.SENT

    def test_a_number_change_adds_the_new_phone_and_keeps_the_old_one(self, client, whatsapp):
        deliver(client, whatsapp, delivery(text("hi", mid="wamid.h"), contacts=[person()]))
        change = {
            "from": PHONE,
            "id": "wamid.sys1",
            "timestamp": "1749416400",
            "type": "system",
            "system": {
                "body": "User Sheena Nelson changed from 16505551234 to 16505559999",
                "wa_id": "16505559999",
                "type": "user_changed_number",
            },
        }
        deliver(client, whatsapp, delivery(change))
        identity = ChannelIdentity.objects.get()
        contact = identity.contact
        assert contact.primary_phone.value == "+16505559999"
        assert set(ContactKey.objects.filter(contact=contact).values_list("value", flat=True)) == {
            "+16505551234",
            "+16505559999",
        }
        assert identity.external_id == "16505559999"
        assert Event.objects.filter(kind=EventKind.PROPERTY_CHANGED, contact=contact).exists()
        deliver(client, whatsapp, wa_text("16505559999", "from my new number"))
        assert ChannelIdentity.objects.count() == 1


class TestMessageKinds:
    def test_a_flows_reply_is_shown_as_its_answered_fields(self, client, whatsapp):
        answers = {"screen_0_name_0": "Rina", "screen_0_date_1": "2026-12-01", "flow_token": "tok-1"}
        reply = {
            "type": "nfm_reply",
            "nfm_reply": {"name": "flow", "body": "Sent", "response_json": json.dumps(answers)},
        }
        deliver(client, whatsapp, delivery(message("interactive", reply, mid="wamid.flow"), contacts=[person()]))
        stored = Message.objects.get()
        assert "Name 0: Rina" in stored.body and "Date 1: 2026-12-01" in stored.body
        assert "tok-1" not in stored.body
        assert stored.attachments == [
            {"type": "flow_reply", "fields": {"screen_0_name_0": "Rina", "screen_0_date_1": "2026-12-01"}}
        ]

    def test_an_order_keeps_its_items(self, client, whatsapp):
        order = {
            "catalog_id": "cat-1",
            "text": "please gift wrap",
            "product_items": [
                {"product_retailer_id": "SKU-RED", "quantity": 2, "item_price": 10.5, "currency": "USD"},
                {"product_retailer_id": "SKU-BLUE", "quantity": 1, "item_price": 7, "currency": "USD"},
            ],
        }
        deliver(client, whatsapp, delivery(message("order", order, mid="wamid.order"), contacts=[person()]))
        stored = Message.objects.get()
        assert "2 × SKU-RED @ 10.5 USD" in stored.body and "please gift wrap" in stored.body
        assert [i["product_retailer_id"] for i in stored.attachments[0]["items"]] == ["SKU-RED", "SKU-BLUE"]

    def test_an_edit_updates_the_text_and_keeps_the_edit_time(self, client, whatsapp):
        deliver(client, whatsapp, delivery(text("helo", mid="wamid.orig"), contacts=[person()]))
        edit = {"original_message_id": "wamid.orig", "message": {"type": "text", "text": {"body": "hello"}}}
        deliver(
            client, whatsapp, delivery(message("edit", edit, mid="wamid.edit1", ts="1749416500"), contacts=[person()])
        )
        stored = Message.objects.get()
        assert stored.body == "hello"
        assert stored.edited_at is not None and int(stored.edited_at.timestamp()) == 1749416500

    def test_a_revoke_marks_the_original_deleted_and_keeps_it(self, client, whatsapp):
        deliver(client, whatsapp, delivery(text("oops", mid="wamid.gone"), contacts=[person()]))
        revoke = {"original_message_id": "wamid.gone"}
        deliver(client, whatsapp, delivery(message("revoke", revoke, mid="wamid.rev"), contacts=[person()]))
        stored = Message.objects.get()
        assert stored.deleted_at is not None and stored.body == "oops"

    def test_a_reaction_attaches_to_its_message_and_its_removal_detaches(self, client, whatsapp):
        deliver(client, whatsapp, delivery(text("nice shoes", mid="wamid.liked"), contacts=[person()]))
        react = {"message_id": "wamid.liked", "emoji": "👍"}
        deliver(client, whatsapp, delivery(message("reaction", react, mid="wamid.r1"), contacts=[person()]))
        stored = Message.objects.get()
        assert [r["emoji"] for r in stored.reactions] == ["👍"]
        deliver(
            client,
            whatsapp,
            delivery(message("reaction", {"message_id": "wamid.liked"}, mid="wamid.r2"), contacts=[person()]),
        )
        stored.refresh_from_db()
        assert stored.reactions == [] and Message.objects.count() == 1

    def test_someone_cannot_delete_another_contacts_message(self, client, whatsapp):
        deliver(client, whatsapp, delivery(text("mine", mid="wamid.mine"), contacts=[person()]))
        other = person(phone="6281234567890", bsuid="ID.999")
        revoke = message(
            "revoke", {"original_message_id": "wamid.mine"}, mid="wamid.x", phone="6281234567890", bsuid="ID.999"
        )
        deliver(client, whatsapp, delivery(revoke, contacts=[other]))
        assert Message.objects.get(platform_message_id="wamid.mine").deleted_at is None
        assert "someone else's" in processed().error

    def test_a_message_whatsapp_could_not_decode_is_a_clear_placeholder(self, client, whatsapp):
        raw = {
            "from": PHONE,
            "id": "wamid.unsup",
            "timestamp": "1749416383",
            "type": "unsupported",
            "errors": [{"code": 131051, "title": "Message type unknown", "message": "Message type unknown"}],
        }
        deliver(client, whatsapp, delivery(raw, contacts=[person()]))
        stored = Message.objects.get()
        assert stored.body == "[A message WhatsApp could not show here: Message type unknown]"
        assert processed().status == "done"

    def test_an_unknown_status_is_ignored_and_the_rest_of_the_batch_applies(self, client, whatsapp):
        deliver(client, whatsapp, delivery(text("hi", mid="wamid.in"), contacts=[person()]))
        inbound = Message.objects.get()
        sent = Message.objects.create(
            conversation=inbound.conversation,
            identity=inbound.identity,
            channel=whatsapp,
            direction=Direction.OUTBOUND,
            body="voice note",
            status=DeliveryStatus.SENT,
            platform_message_id="wamid.out",
        )
        statuses = [
            {"id": "wamid.out", "status": "delivered", "timestamp": "1749416390", "recipient_id": PHONE},
            {"id": "wamid.out", "status": "played", "timestamp": "1749416391", "recipient_id": PHONE},
        ]
        deliver(client, whatsapp, delivery(statuses=statuses))
        sent.refresh_from_db()
        assert sent.status == DeliveryStatus.DELIVERED
        assert processed().status == "done"

    @pytest.mark.parametrize("timestamp", ["999999999999", "-5", "1" * 40])
    def test_an_out_of_range_timestamp_is_clamped_and_the_message_kept(self, client, whatsapp, timestamp):
        deliver(client, whatsapp, delivery(text("when?", mid="wamid.time", ts=timestamp), contacts=[person()]))
        stored = Message.objects.get()
        assert stored.body == "when?" and stored.created_at.year >= 2026

    def test_nul_bytes_in_an_attachment_field_are_stored_safely(self, client, whatsapp):
        document = {
            "id": "media\x001",
            "mime_type": "application/pdf",
            "filename": "in\x00voice.pdf",
            "caption": "a\x00b",
        }
        deliver(client, whatsapp, delivery(message("document", document, mid="wamid.nul"), contacts=[person()]))
        stored = Message.objects.get()
        assert stored.body == "a\ufffdb" and stored.attachments[0]["filename"] == "in\ufffdvoice.pdf"


def test_the_timeline_shows_deleted_edited_and_reacted_messages(client, whatsapp, agent):
    deliver(client, whatsapp, delivery(text("helo", mid="wamid.t1"), contacts=[person()]))
    deliver(client, whatsapp, delivery(text("oops", mid="wamid.t2"), contacts=[person()]))
    edit = {"original_message_id": "wamid.t1", "message": {"type": "text", "text": {"body": "hello"}}}
    deliver(client, whatsapp, delivery(message("edit", edit, mid="wamid.t3"), contacts=[person()]))
    deliver(client, whatsapp, delivery(message("revoke", {"original_message_id": "wamid.t2"}, mid="wamid.t4")))
    deliver(client, whatsapp, delivery(message("reaction", {"message_id": "wamid.t1", "emoji": "❤️"}, mid="wamid.t5")))
    client.force_login(agent)
    page = client.get(reverse("conversations:detail", args=[Message.objects.first().conversation_id])).content.decode()
    assert "Deleted by the customer" in page and "oops" in page
    assert "Edited" in page and "hello" in page
    assert "❤️" in page


def test_a_bsuid_only_contact_is_found_listed_and_exported_with_its_username(client, whatsapp, manager):
    payload = delivery(
        text("hi", mid="wamid.list", phone=None), contacts=[person(name="Dewi", username="@dewi.store", phone=None)]
    )
    deliver(client, whatsapp, payload)
    contact = ChannelIdentity.objects.get().contact
    client.force_login(manager)
    listed = client.get(reverse("contacts:list"), {"q": "Dewi"}).content.decode()
    assert f"/contacts/{contact.pk}/" in listed
    detail = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert "@dewi.store" in detail and BSUID in detail
    exported = next(c for c in exported_contacts() if c["id"] == contact.pk)
    assert exported["channels"] == [{"kind": "whatsapp", "external_id": BSUID, "username": "@dewi.store"}]
