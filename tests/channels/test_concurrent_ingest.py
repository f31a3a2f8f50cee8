"""Real parallel connections on PostgreSQL: the same identity or message at the same moment."""

import threading

import pytest
from django.db import connection
from django.test import Client

from contacts.models import Contact
from conversations.models import Conversation, Message
from tests.factories import post_webhook, wa_text

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL row locks"),
]


def in_parallel(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_simultaneous_first_messages_from_one_identity_make_one_contact(whatsapp):
    responses = in_parallel(
        8, lambda i: post_webhook(Client(), whatsapp, wa_text("6281234567890", f"msg {i}")).status_code
    )
    assert responses == [200] * 8
    assert Contact.objects.count() == 1
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 8


def test_simultaneous_redeliveries_store_the_message_once(whatsapp):
    payload = wa_text("6281234567890", "same", message_id="wamid.dup")
    responses = in_parallel(8, lambda i: post_webhook(Client(), whatsapp, payload).status_code)
    assert responses == [200] * 8
    assert Message.objects.count() == 1
    assert Contact.objects.count() == 1
