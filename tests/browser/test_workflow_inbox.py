"""A WhatsApp contact goes through an Ask-a-question workflow; the assigned agent sees it all in Chromium."""

import pytest
from guardian.shortcuts import assign_perm
from playwright.sync_api import expect

from config.workspace.models import Role
from conversations.models import Workflow
from tests.factories import UserFactory, deliver, make_team, wa_text
from tests.worker import run_tasks, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_agent_assigned_by_the_workflow_sees_the_routed_conversation(
    client, login, live_server, whatsapp, platform, worker_env
):
    away = UserFactory(username="sales-away", role=Role.AGENT, is_available=False)
    on_duty = UserFactory(username="sales-on", role=Role.AGENT)
    sales = make_team("Sales", away, on_duty)
    assign_perm("channels.access_channel", sales.group, whatsapp)
    Workflow.objects.create(
        name="Route",
        steps=[
            {
                "type": "ask",
                "prompt": "What is your e-mail?",
                "answer_type": "email",
                "options": [],
                "invalid_message": "That is not an e-mail.",
                "retries": 2,
                "save_to": "contact.email",
                "timeout_minutes": 0,
                "on_timeout": "continue",
            },
            {"type": "assign_team", "team": sales.pk},
            {"type": "auto_assign", "strategy": "round_robin", "cap": 5},
        ],
    )
    deliver(client, whatsapp, wa_text("6281234567890", "Hello, I want to order", name="Rina"))
    run_worker(worker_env)  # the workflow starts in the real worker process (the one test that does)
    for text in ("nope", "rina@example.com"):
        deliver(client, whatsapp, wa_text("6281234567890", text, name="Rina"))
        run_tasks(worker_env)

    page = login(on_duty)
    page.goto(f"{live_server.url}/inbox/?box=mine")
    page.locator("#conversation-list a").first.click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("What is your e-mail?")
    expect(timeline).to_contain_text("That is not an e-mail.")
    expect(timeline).to_contain_text("rina@example.com")
    expect(timeline).to_contain_text("Assigned")
    expect(page.locator("#contact-panel")).to_contain_text("rina@example.com")
