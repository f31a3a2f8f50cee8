"""Real parallel connections and worker processes on PostgreSQL: many workers, one outcome."""

import signal
import threading
import time

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from channels.models import InboundDelivery
from contacts.models import Contact
from conversations.inbound.processing import deliveries_process_waiting
from conversations.models import Conversation, Message
from tests.factories import inbound, post_webhook, process_inbound, wa_text
from tests.parallel import in_parallel, needs_postgresql
from tests.worker import database_url, inbound_worker

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_postgresql(),
]


def all_succeed(count: int, work) -> list:
    results, errors = in_parallel(count, work)
    assert not errors, errors
    return results


def test_simultaneous_first_messages_from_one_identity_make_one_contact(whatsapp):
    all_succeed(8, lambda i: inbound(whatsapp, "6281234567890", f"msg {i}"))
    assert Contact.objects.count() == 1
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 8


def test_simultaneous_posts_are_all_accepted_and_workers_store_each_message_once(whatsapp):
    payload = wa_text("6281234567890", "same", message_id="wamid.dup")
    responses = all_succeed(8, lambda i: post_webhook(Client(), whatsapp, payload).status_code)
    assert responses == [200] * 8
    assert InboundDelivery.objects.count() == 8
    all_succeed(4, lambda i: deliveries_process_waiting(batch_size=1))
    assert Message.objects.count() == 1
    assert Contact.objects.count() == 1
    assert set(InboundDelivery.objects.values_list("status", flat=True)) == {"done"}


def test_parallel_workers_keep_each_senders_messages_in_arrival_order(whatsapp):
    senders = ["6281200000001", "6281200000002", "6281200000003"]
    for i in range(8):
        for sender in senders:
            post_webhook(Client(), whatsapp, wa_text(sender, f"{sender}-{i}"))
    all_succeed(3, lambda i: deliveries_process_waiting(batch_size=2))
    assert Message.objects.count() == 24
    for sender in senders:
        bodies = list(
            Message.objects.filter(identity__external_id=sender).order_by("pk").values_list("body", flat=True)
        )
        assert bodies == [f"{sender}-{i}" for i in range(8)]


def _wait_for(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _someone_waits_for_a_lock() -> bool:
    """A connection to this test database (here: the worker's) is waiting for a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_the_inbound_worker_wakes_on_notify_and_stores_the_message(whatsapp):
    # It polls only every 60 s: the message can only appear this soon because the webhook woke it.
    with inbound_worker(INBOUND_POLL_SECONDS="60") as worker:
        post_webhook(Client(), whatsapp, wa_text("6281234567890", "wake up"))
        assert _wait_for(lambda: Message.objects.filter(body="wake up").exists(), seconds=20)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0, worker.stderr.read()


def test_a_worker_killed_mid_delivery_loses_and_doubles_nothing(whatsapp):
    inbound(whatsapp, "6281234567890", "earlier")
    contact = Contact.objects.get()
    locker = psycopg.connect(database_url().replace("postgres://", "postgresql://"))
    with inbound_worker(INBOUND_POLL_SECONDS="0.2") as worker:
        # Another transaction holds the contact: the worker stops inside the delivery's transaction.
        locker.execute("SELECT id FROM contacts_contact WHERE id = %s FOR UPDATE", [contact.pk])
        post_webhook(Client(), whatsapp, wa_text("6281234567890", "in flight", message_id="wamid.inflight"))
        assert _wait_for(lambda: InboundDelivery.objects.filter(status="processing").exists())
        assert _wait_for(_someone_waits_for_a_lock)  # the worker, inside the delivery's transaction
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=20)
    locker.rollback()
    locker.close()
    delivery = InboundDelivery.objects.get()
    assert delivery.status == "processing" and not Message.objects.filter(body="in flight").exists()

    process_inbound()  # the claim has not expired: nobody takes it twice
    assert not Message.objects.filter(body="in flight").exists()
    InboundDelivery.objects.update(claimed_at=delivery.claimed_at.replace(year=2000))
    process_inbound()
    assert Message.objects.filter(platform_message_id="wamid.inflight").count() == 1
    assert InboundDelivery.objects.get().status == "done"


def test_a_batch_follows_an_identity_a_merge_moves_while_it_waits_for_the_lock(whatsapp, caplog):
    inbound(whatsapp, "6281234567801", "a0", name="A")
    inbound(whatsapp, "6281234567802", "b0", name="B")
    a, b = Contact.objects.get(name="A"), Contact.objects.get(name="B")
    Conversation.objects.update(status="closed", closed_at=timezone.now())
    post_webhook(Client(), whatsapp, wa_text("6281234567801", "moved", name="A", message_id="wamid.mv"))
    post_webhook(Client(), whatsapp, wa_text("6281234567802", "b1", name="B", message_id="wamid.b1"))
    merger = psycopg.connect(database_url().replace("postgres://", "postgresql://"))
    merger.execute("SELECT id FROM contacts_contact WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [[a.pk, b.pk]])
    errors = []

    def work():
        try:
            deliveries_process_waiting(batch_size=10)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    assert _wait_for(_someone_waits_for_a_lock)
    # What a merge of A into B does to the rows the batch is about to read (the merge holds the locks).
    merger.execute("UPDATE channels_channelidentity SET contact_id = %s WHERE contact_id = %s", [b.pk, a.pk])
    merger.execute("UPDATE contacts_contact SET root_id = %s, merged_into_id = %s WHERE id = %s", [b.pk, b.pk, a.pk])
    merger.commit()
    merger.close()
    worker.join(60)
    assert not errors
    assert Message.objects.get(platform_message_id="wamid.mv").conversation.contact_id == b.pk
    assert list(Conversation.objects.filter(status="open").values_list("contact_id", flat=True)) == [b.pk]
    assert not [r for r in caplog.records if "set-based ingest" in r.getMessage()]  # no fallback after a crash
