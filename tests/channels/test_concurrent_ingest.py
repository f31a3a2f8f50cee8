"""Real parallel connections on PostgreSQL: the same identity or message at the same moment."""

import pytest
from django.test import Client

from contacts.models import Contact
from conversations.models import Conversation, Message
from tests.factories import post_webhook, wa_text
from tests.parallel import in_parallel, needs_postgresql

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_postgresql(),
]


def all_succeed(count: int, work) -> list:
    results, errors = in_parallel(count, work)
    assert not errors, errors
    return results


def test_simultaneous_first_messages_from_one_identity_make_one_contact(whatsapp):
    responses = all_succeed(
        8, lambda i: post_webhook(Client(), whatsapp, wa_text("6281234567890", f"msg {i}")).status_code
    )
    assert responses == [200] * 8
    assert Contact.objects.count() == 1
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 8


def test_simultaneous_redeliveries_store_the_message_once(whatsapp):
    payload = wa_text("6281234567890", "same", message_id="wamid.dup")
    responses = all_succeed(8, lambda i: post_webhook(Client(), whatsapp, payload).status_code)
    assert responses == [200] * 8
    assert Message.objects.count() == 1
    assert Contact.objects.count() == 1
