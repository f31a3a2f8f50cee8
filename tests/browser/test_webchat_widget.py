"""The web chat widget in a real browser: a visitor's message goes through the inbound log (the
workers store it), and the visitor sees it at once all the same."""

import re

import pytest
from playwright.sync_api import expect

from channels.models import InboundDelivery
from conversations.models import Message
from tests.factories import process_inbound

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_visitor_sees_their_message_at_once_and_it_is_confirmed_once_stored(page, live_server, webchat):
    webchat.settings = {"prechat": {"enabled": False}}
    webchat.save()
    page.goto(f"{live_server.url}/widget-demo/")
    widget = page.locator("#mergeinbox-widget")
    widget.get_by_role("button", name="Chat with us").click()
    widget.get_by_role("textbox", name="Message").fill("Is the blue one in stock?")
    widget.get_by_role("button", name="Send").click()
    mine = widget.locator(".msg.visitor", has_text="Is the blue one in stock?")
    expect(mine).to_have_class(re.compile(r"\bpending\b"))  # shown before any worker ran
    assert InboundDelivery.objects.get().status == InboundDelivery.Status.WAITING
    assert Message.objects.count() == 0
    process_inbound()
    expect(mine).not_to_have_class(re.compile(r"\bpending\b"), timeout=6000)  # the poll confirmed it
    expect(widget.locator(".msg.visitor")).to_have_count(1)  # never shown twice
