"""The web chat widget in a real Chromium: pre-chat form, both ways, reload, agent side."""

import re

import pytest
from playwright.sync_api import expect

from conversations.models import Conversation
from tests.factories import inbound, process_inbound
from tests.worker import run_tasks

pytestmark = pytest.mark.django_db(transaction=True)


def test_visitor_prechat_with_a_known_email_chats_and_the_agent_sees_message_and_suggestion(
    page, new_context, live_server, agent, email_channel, webchat, login
):
    webchat.settings = {"prechat": {"enabled": True, "fields": ["name", "email"], "required": ["name", "email"]}}
    webchat.save()
    inbound(email_channel, "sheena@example.com", "Another colour?", name="Sheena Nelson")

    visitor = new_context().new_page()  # a browser of its own, closed after the test
    visitor.goto(f"{live_server.url}/widget-demo/")
    widget = visitor.locator("#mergeinbox-widget")
    widget.get_by_role("button", name="Chat with us").click()
    widget.get_by_label("Your name *").fill("Sheena")
    widget.get_by_role("button", name="Start chat").click()
    expect(widget.locator("[data-for=email]")).to_have_text("This field is required.")  # checked in the browser
    widget.get_by_label("E-mail *").fill("Sheena@Example.com")
    widget.get_by_role("button", name="Start chat").click()
    widget.get_by_label("Message").fill("Hi, do you have it in red?")
    widget.get_by_role("button", name="Send").click()
    expect(widget.locator(".msg.visitor")).to_have_text("Hi, do you have it in red?")
    process_inbound()  # what the inbound worker does with the visitor's message

    conversation = Conversation.objects.get(channel=webchat)
    agent_page = login(agent)
    agent_page.goto(f"{live_server.url}/inbox/c/{conversation.pk}/")
    expect(agent_page.locator("#timeline")).to_contain_text("Hi, do you have it in red?")
    agent_page.get_by_role("tab", name="Channels").click()
    expect(agent_page.locator(".suggestions")).to_contain_text("Sheena Nelson")
    expect(agent_page.locator(".suggestions")).to_contain_text("sheena@example.com")

    agent_page.locator("#body").fill("Yes, we have red!")
    agent_page.get_by_role("button", name="Send").click()
    expect(agent_page.locator("#timeline")).to_contain_text("Yes, we have red!")

    run_tasks()  # the worker marks the web chat reply sent; the widget fetches it
    # The agent's page shows it sent without a reload (live_server is WSGI: no stream, the page polls).
    # Sent, or already Delivered: the widget may show the reply (which makes it delivered) before the
    # agent's page polls.
    status = agent_page.locator("#timeline .message.out .status")
    expect(status).to_have_text(re.compile(r"^\s*(Sent|Delivered)\s*$"), timeout=5000)
    expect(widget.locator(".msg.agent")).to_have_text("Yes, we have red!", timeout=5000)
    visitor.reload()
    visitor.locator("#mergeinbox-widget").get_by_role("button", name="Chat with us").click()
    expect(visitor.locator("#mergeinbox-widget .msg")).to_have_count(2)  # the session survived the reload
