"""Plain messages of a claimed batch are stored together, and store exactly what one at a time stores."""

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from channels import platforms
from channels.delivery_log import delivery_body
from channels.models import ChannelIdentity, ChannelKind, InboundDelivery
from contacts.models import Contact, ContactKey, Event
from conversations.inbound.pipeline import inbound_message_ingest
from conversations.models import Conversation, Message
from conversations.services import conversation_close
from merging.models import MergeSuggestion
from merging.services.merge import contact_merge
from tests.factories import (
    deliver,
    email_raw,
    make_channel,
    meta_delivery,
    meta_message,
    post_webhook,
    process_inbound,
    tg_text,
    wa_text,
    webchat_message,
)

Status = InboundDelivery.Status


def _wa(wa_id: str, text: str, message_id: str, *, name="Customer", username="", reply_to=""):
    payload = wa_text(wa_id, text, name=name, message_id=message_id, ts=1_780_000_000 + len(message_id))
    value = payload["entry"][0]["changes"][0]["value"]
    if username:
        value["contacts"][0]["profile"]["username"] = username
    if reply_to:
        value["messages"][0]["context"] = {"from": "15550783881", "id": reply_to}
    return payload


def _one_at_a_time() -> None:
    """What the workers did before batches were stored together: each message on its own."""
    for delivery in InboundDelivery.objects.filter(status=Status.WAITING).select_related("channel").order_by("pk"):
        parsed = platforms.parse_stored(delivery.channel.kind, delivery_body(delivery))
        for message in parsed.messages:
            with transaction.atomic():
                inbound_message_ingest(channel=delivery.channel, inbound=message)


def _rows() -> dict:
    """Everything the ingest stores, by what it says rather than by id."""
    name = {c.pk: c.name for c in Contact.objects.all()}
    external = {i.pk: i.external_id for i in ChannelIdentity.objects.all()}
    history = {
        model.__name__: sorted(model.history.values_list("name" if model is Contact else "id", "history_type"))
        for model in (Contact,)
    }
    return {
        "contacts": sorted(
            (
                c.name,
                c.primary_phone.value if c.primary_phone else None,
                c.primary_email.value if c.primary_email else None,
                external.get(c.main_identity_id),
                c.root_id,
            )
            for c in Contact.objects.select_related("primary_phone", "primary_email")
        ),
        "identities": sorted(
            (
                i.channel.kind,
                i.external_id,
                i.display_name,
                i.username,
                name[i.contact_id],
                name[i.profile_id],
                i.last_inbound_at,
            )
            for i in ChannelIdentity.objects.select_related("channel")
        ),
        "keys": sorted(
            (
                k.kind,
                k.raw,
                k.value,
                k.match_value,
                k.is_valid,
                k.source,
                k.verified,
                name[k.contact_id],
                name[k.profile_id],
                external.get(k.identity_id),
            )
            for k in ContactKey.objects.all()
        ),
        "conversations": sorted(
            (
                name[c.contact_id],
                name[c.profile_id],
                c.channel.kind,
                c.status,
                c.opened_by,
                c.opened_at,
                c.last_message_at,
                c.unread_count,
            )
            for c in Conversation.objects.select_related("channel")
        ),
        "events": sorted(
            (e.kind, name[e.contact_id], name[e.profile_id], json.dumps(e.data, sort_keys=True), e.created_at)
            for e in Event.objects.all()
        ),
        "messages": sorted(
            (
                m.platform_message_id,
                m.body,
                m.direction,
                m.status,
                external[m.identity_id],
                name[m.conversation.contact_id],
                m.created_at,
                m.reply_to.platform_message_id if m.reply_to else None,
            )
            for m in Message.objects.select_related("conversation", "reply_to")
        ),
        "suggestions": sorted(
            (sorted([name[s.contact_a_id], name[s.contact_b_id]]), s.status) for s in MergeSuggestion.objects.all()
        ),
        "history": history,
    }


@pytest.fixture
def mixed_batch(client, whatsapp, telegram, email_channel, webchat, platform):
    """Deliveries waiting for a worker: new senders (some writing twice), a known sender, a
    redelivery, a phone another contact already has, a reply, senders whose later message
    reveals a username or a new e-mail and phone, Messenger senders known and to be looked up,
    other platforms."""
    other_number = make_channel(ChannelKind.WHATSAPP, name="Second number")
    messenger = make_channel(ChannelKind.MESSENGER)
    platform.profiles["9001"] = {"first_name": "Mona"}
    platform.profiles["9002"] = {"first_name": "Noor"}
    deliver(client, messenger, meta_delivery(meta_message("9001", "known on messenger", "m_k1")))
    deliver(client, whatsapp, _wa("6281100000001", "known, first", "wamid.k1", name="Kim"))
    deliver(client, other_number, _wa("6281100000009", "on the other number", "wamid.o1", name="Yan"))
    deliver(client, webchat, webchat_message("sess-known", "hello", name="Vic", sent_at="2026-05-01T10:00:01+00:00"))
    for channel, payload in [
        (whatsapp, _wa("6281100000002", "x one", "wamid.x1", name="Xena")),
        (whatsapp, _wa("6281100000009", "y one", "wamid.y1", name="Yan W")),
        (whatsapp, _wa("6281100000001", "known, again", "wamid.k2", name="Kim")),
        (whatsapp, _wa("6281100000002", "x two", "wamid.x2", name="Xena")),
        (whatsapp, _wa("6281100000002", "x one", "wamid.x1", name="Xena")),  # a redelivery
        (telegram, tg_text(777001, "t one", first_name="Tia", message_id=5, update_id=9001)),
        (whatsapp, _wa("6281100000003", "a reply", "wamid.z1", name="Zed", reply_to="wamid.x1")),
        (whatsapp, _wa("6281100000002", "x three", "wamid.x3", name="Xena")),
        (email_channel, email_raw("bea@example.com", "by mail", name="Bea", message_id="<b1@example.com>")),
        (whatsapp, _wa("6281100000009", "y two", "wamid.y2", name="Yan W", username="yan.w")),
        (telegram, tg_text(777001, "t two", first_name="Tia", message_id=6, update_id=9002)),
        (
            webchat,
            webchat_message(
                "sess-known", "my mail", name="Vic", email="Vic@Example.com", sent_at="2026-05-01T10:00:02+00:00"
            ),
        ),
        (
            webchat,
            webchat_message(
                "sess-new",
                "first",
                name="Nia",
                email="nia@example.com",
                phone="0812-3456-7890",
                sent_at="2026-05-01T10:00:03+00:00",
            ),
        ),
        (
            webchat,
            webchat_message(
                "sess-known", "my phone", name="Vic", phone="0813-1111-2222", sent_at="2026-05-01T10:00:04+00:00"
            ),
        ),
        (messenger, meta_delivery(meta_message("9001", "known, again", "m_k2"))),
        (messenger, meta_delivery(meta_message("9002", "new on messenger", "m_n1"))),
        (messenger, meta_delivery(meta_message("9002", "new, again", "m_n2"))),
    ]:
        assert post_webhook(client, channel, payload).status_code == 200


def test_a_batch_stores_exactly_what_one_message_at_a_time_stores(mixed_batch):
    with transaction.atomic():
        _one_at_a_time()
        one_at_a_time = _rows()
        transaction.set_rollback(True)
    assert "17 deliveries processed" in process_inbound()
    assert _rows() == one_at_a_time
    assert len(one_at_a_time["messages"]) == 20  # nothing lost, the redelivery stored once
    assert InboundDelivery.objects.filter(status=Status.DONE).count() == 21
    assert Contact.objects.filter(name__in=["Mona", "Noor"]).count() == 2


def test_new_senders_messages_join_one_conversation_in_arrival_order(mixed_batch):
    process_inbound()
    xena = Contact.objects.get(name="Xena")
    conversation = Conversation.objects.get(contact=xena)
    assert list(conversation.messages.order_by("pk").values_list("body", flat=True)) == ["x one", "x two", "x three"]
    assert conversation.unread_count == 3
    assert xena.primary_phone.value == "+6281100000002" and xena.main_identity.external_id == "6281100000002"


def test_a_new_sender_with_another_contacts_phone_is_suggested_at_once(mixed_batch):
    process_inbound()
    suggestion = MergeSuggestion.objects.get()
    assert {suggestion.contact_a.name, suggestion.contact_b.name} == {"Yan", "Yan W"}


def _new_senders(client, channel, count: int, start: int) -> None:
    for n in range(start, start + count):
        post_webhook(client, channel, _wa(f"62822{n:08d}", f"hello {n}", f"wamid.bulk.{n}"))


def test_a_batch_of_plain_messages_costs_the_same_statements_whatever_its_size(client, whatsapp):
    counts = []
    for size, start in ((10, 0), (60, 1000)):
        _new_senders(client, whatsapp, size, start)
        with CaptureQueriesContext(connection) as queries:
            process_inbound()
        counts.append(len(queries))
    assert Message.objects.count() == 70 and Contact.objects.count() == 70
    assert counts[1] == counts[0], counts  # one at a time, 60 first messages would cost 50 times more


def test_a_message_the_database_refuses_fails_alone_and_is_replayed_once_allowed(client, whatsapp):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN IF NEW.body = 'boom' THEN"
            " RAISE EXCEPTION 'refused by a test trigger'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;"
            " CREATE TRIGGER refuse_boom BEFORE INSERT ON conversations_message"
            " FOR EACH ROW EXECUTE FUNCTION refuse_boom()"
        )
    for n, text in enumerate(["fine", "boom", "also fine"]):
        post_webhook(client, whatsapp, _wa(f"6283300000{n}", text, f"wamid.trigger.{n}"))
    process_inbound()
    assert sorted(Message.objects.values_list("body", flat=True)) == ["also fine", "fine"]
    failed = InboundDelivery.objects.get(status=Status.FAILED)
    assert "refused by a test trigger" in failed.error
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER refuse_boom ON conversations_message")
    InboundDelivery.objects.filter(pk=failed.pk).update(status=Status.WAITING)  # what `--failed` does
    process_inbound()
    assert sorted(Message.objects.values_list("body", flat=True)) == ["also fine", "boom", "fine"]


def _same_as_one_at_a_time() -> None:
    """Process what waits, and check it stored what one message at a time stores, in the same order."""
    with transaction.atomic():
        _one_at_a_time()
        expected = _rows(), list(Message.objects.order_by("pk").values_list("platform_message_id", flat=True))
        transaction.set_rollback(True)
    process_inbound()
    assert (_rows(), list(Message.objects.order_by("pk").values_list("platform_message_id", flat=True))) == expected


def test_a_merged_contact_writing_on_two_channels_keeps_its_order(client, whatsapp, telegram, owner):
    deliver(client, whatsapp, _wa("6281100000001", "w0", "wamid.w0", name="Kim"))
    deliver(client, telegram, tg_text(777001, "t0", first_name="Kimt", message_id=1, update_id=1))
    contact_merge(actor=owner, target=Contact.objects.get(name="Kim"), source=Contact.objects.get(name="Kimt Nelson"))
    post_webhook(client, whatsapp, _wa("6281100000001", "w1", "wamid.w1", name="Kim"))
    later = tg_text(777001, "t1", first_name="Kimt", message_id=2, update_id=2)
    later["message"]["date"] = 1_780_000_020
    post_webhook(client, telegram, later)
    post_webhook(client, whatsapp, _wa("6281100000001", "w2", "wamid.w2x", name="Kim"))
    _same_as_one_at_a_time()
    conversation = Conversation.objects.get(status="open")
    assert conversation.messages.order_by("-pk").first().body == "w2"


def test_a_merged_contact_whose_other_sender_needs_one_at_a_time_keeps_its_order(client, whatsapp, owner):
    deliver(client, whatsapp, _wa("6281100000021", "a0", "wamid.a0", name="Ann"))
    deliver(client, whatsapp, _wa("6281100000022", "b0", "wamid.b0", name="Bea"))
    contact_merge(actor=owner, target=Contact.objects.get(name="Ann"), source=Contact.objects.get(name="Bea"))
    for conversation in Conversation.objects.filter(status="open"):
        conversation_close(actor=owner, conversation=conversation)
    post_webhook(client, whatsapp, _wa("6281100000022", "b1", "wamid.b1", name="Bea", username="bea.new"))
    post_webhook(client, whatsapp, _wa("6281100000021", "a1", "wamid.a1", name="Ann"))
    _same_as_one_at_a_time()
    opened = Conversation.objects.get(status="open")
    assert opened.profile.name == "Bea"  # opened by Bea's message: an unmerge gives it back to her


def test_a_later_message_carrying_a_parent_business_id_is_kept(client, whatsapp):
    post_webhook(client, whatsapp, _wa("6281100000005", "one", "wamid.p1", name="Pia"))
    second = _wa("6281100000005", "two", "wamid.p2", name="Pia")
    second["entry"][0]["changes"][0]["value"]["messages"][0]["from_parent_user_id"] = "US.ENT.abc123"
    post_webhook(client, whatsapp, second)
    _same_as_one_at_a_time()
    assert ChannelIdentity.objects.get(external_id="6281100000005").parent_scoped_id == "US.ENT.abc123"


def test_known_senders_cost_the_same_statements_whatever_the_batch_size(client, whatsapp):
    _new_senders(client, whatsapp, 70, 0)
    process_inbound()
    counts = []
    for size, start in ((10, 0), (60, 10)):
        for n in range(start, start + size):
            post_webhook(client, whatsapp, _wa(f"62822{n:08d}", f"again {n}", f"wamid.again.{n}"))
        with CaptureQueriesContext(connection) as queries:
            process_inbound()
        counts.append(len(queries))
    assert Message.objects.count() == 140
    assert counts[1] == counts[0], counts


def test_a_redelivery_behind_another_delivery_of_its_channel_is_recognised_in_the_batch(client, whatsapp, caplog):
    deliver(client, whatsapp, _wa("6281100000051", "once", "wamid.once", name="Oni"))
    post_webhook(client, whatsapp, _wa("6281100000052", "new one", "wamid.new", name="Nel"))
    post_webhook(client, whatsapp, _wa("6281100000051", "once", "wamid.once", name="Oni"))  # the platform retried
    process_inbound()
    assert sorted(Message.objects.values_list("body", flat=True)) == ["new one", "once"]
    assert not [r for r in caplog.records if "set-based ingest" in r.getMessage()]  # not after a failed insert


def test_a_sender_found_by_its_business_scoped_id_keeps_its_contacts_order(client, whatsapp):
    from tests.channels.test_whatsapp_2026 import delivery, person, text

    bsuid = "US.13491208655302741918"
    first = delivery(text("by username", mid="wamid.u0", phone=None, bsuid=bsuid, ts="1780000000"))
    first["entry"][0]["changes"][0]["value"]["contacts"] = [person(name="Kim", phone=None, bsuid=bsuid)]
    deliver(client, whatsapp, first)
    # The same person writes with their phone (a new id, the known BSUID), then by username again.
    with_phone = delivery(
        text("now with my phone", mid="wamid.u1", phone="6281100000061", bsuid=bsuid, ts="1780000010"),
        contacts=[person(name="Kim", phone="6281100000061", bsuid=bsuid)],
    )
    again = delivery(
        text("and by username", mid="wamid.u2", phone=None, bsuid=bsuid, ts="1780000020"),
        contacts=[person(name="Kim", phone=None, bsuid=bsuid)],
    )
    post_webhook(client, whatsapp, with_phone)
    post_webhook(client, whatsapp, again)
    _same_as_one_at_a_time()
    assert list(Message.objects.order_by("pk").values_list("body", flat=True)) == [
        "by username",
        "now with my phone",
        "and by username",
    ]
