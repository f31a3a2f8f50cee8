"""Inbound-conversation workflows on the real inbound path, run by the real worker process."""

import pytest
from guardian.shortcuts import assign_perm

from config.workspace.models import Role
from contacts.models import Contact, Event, EventKind
from conversations.models import Conversation, Message, Workflow, WorkflowRun
from merging.models import MergeSuggestion
from tests.factories import UserFactory, deliver, make_team, wa_text
from tests.worker import run_tasks

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def teams(whatsapp):
    sales_away = UserFactory(username="sales-away", role=Role.AGENT, is_available=False)
    sales_on = UserFactory(username="sales-on", role=Role.AGENT)
    support = UserFactory(username="support-1", role=Role.AGENT)
    sales_team, support_team = make_team("Sales", sales_away, sales_on), make_team("Support", support)
    for team in (sales_team, support_team):
        assign_perm("channels.access_channel", team.group, whatsapp)
    return {"sales": sales_team, "support": support_team, "away": sales_away, "on": sales_on, "support_agent": support}


@pytest.fixture
def routing_workflow(teams, whatsapp):
    workflow = Workflow.objects.create(
        name="Route new chats",
        steps=[
            {
                "type": "ask",
                "prompt": "What is your e-mail?",
                "answer_type": "email",
                "options": [],
                "invalid_message": "Hmm, that is not an e-mail.",
                "retries": 2,
                "save_to": "contact.email",
                "timeout_minutes": 60,
                "on_timeout": "continue",
            },
            {
                "type": "ask",
                "prompt": "How can we help?",
                "answer_type": "choice",
                "options": ["Sales", "Support"],
                "invalid_message": "",
                "retries": 1,
                "save_to": "conversation.topic",
                "timeout_minutes": 0,
                "on_timeout": "continue",
            },
            {
                "type": "branch",
                "on": "answer:conversation.topic",
                "cases": [
                    {"value": "Sales", "steps": [{"type": "assign_team", "team": teams["sales"].pk}]},
                    {"value": "Support", "steps": [{"type": "assign_team", "team": teams["support"].pk}]},
                ],
                "default": [],
            },
            {"type": "auto_assign", "strategy": "round_robin", "cap": 5},
        ],
    )
    workflow.channels.add(whatsapp)
    return workflow


def say(client, whatsapp, text, worker_env):
    assert deliver(client, whatsapp, wa_text("6281234567890", text, name="Sheena")).status_code == 200
    run_tasks(worker_env)


def sent_texts(platform) -> list[str]:
    return [r.body["text"]["body"] for r in platform.requests]


def test_ask_validates_re_asks_routes_and_assigns_an_available_agent(
    client, whatsapp, routing_workflow, teams, platform, worker_env, email_channel
):
    from tests.factories import email_raw

    deliver(client, email_channel, email_raw("sheena@example.com", "Hello by mail"))
    say(client, whatsapp, "Hi, I need help", worker_env)
    assert sent_texts(platform) == ["What is your e-mail?"]
    say(client, whatsapp, "sheena at example", worker_env)
    assert sent_texts(platform)[-1] == "Hmm, that is not an e-mail.\nWhat is your e-mail?"
    say(client, whatsapp, "Sheena@Example.com", worker_env)
    assert sent_texts(platform)[-1].startswith("How can we help?\n1. Sales\n2. Support")

    contact = Contact.objects.get(identities__channel=whatsapp)
    assert contact.primary_email.value == "sheena@example.com"
    assert MergeSuggestion.objects.filter(status="open", reason_value="sheena@example.com").count() == 1

    say(client, whatsapp, "1", worker_env)
    conversation = Conversation.objects.get(contact=contact)
    assert conversation.fields == {"topic": "Sales"}
    assert conversation.team == teams["sales"]
    assert conversation.assignee == teams["on"]  # the away agent of the team is skipped
    run = WorkflowRun.objects.get()
    assert run.status == "done"
    steps = list(
        Event.objects.filter(kind=EventKind.WORKFLOW, conversation=conversation).values_list("data__step", flat=True)
    )
    assert steps[0] == "started" and "invalid answer, asked again" in steps and steps[-1] == "assigned"


def test_an_away_agent_is_never_assigned(client, whatsapp, teams, platform, worker_env):
    Workflow.objects.create(
        name="Straight to sales",
        steps=[
            {"type": "assign_team", "team": teams["sales"].pk},
            {"type": "auto_assign", "strategy": "fewest_open", "cap": 0},
        ],
    )
    teams["on"].is_available = False
    teams["on"].save()
    say(client, whatsapp, "hello", worker_env)
    conversation = Conversation.objects.get()
    assert conversation.assignee is None
    assert Event.objects.filter(kind=EventKind.WORKFLOW, data__step="no available agent").exists()


def test_workflow_runs_once_per_opened_conversation_and_again_after_close(
    client, whatsapp, teams, platform, worker_env, manager
):
    from conversations.services import conversation_close

    Workflow.objects.create(name="Greet", steps=[{"type": "send_message", "text": "Welcome!"}])
    say(client, whatsapp, "one", worker_env)
    say(client, whatsapp, "two", worker_env)
    assert sent_texts(platform) == ["Welcome!"]
    conversation_close(actor=manager, conversation=Conversation.objects.get())
    say(client, whatsapp, "three", worker_env)
    assert sent_texts(platform) == ["Welcome!", "Welcome!"]
    assert WorkflowRun.objects.count() == 2


def test_workflow_only_for_its_channels(client, whatsapp, telegram, teams, platform, worker_env):
    Workflow.objects.create(name="Telegram only", steps=[{"type": "send_message", "text": "Hi TG"}]).channels.add(
        telegram
    )
    say(client, whatsapp, "hello", worker_env)
    assert WorkflowRun.objects.count() == 0
    assert Message.objects.filter(direction="out").count() == 0


def test_unanswered_question_times_out_and_the_workflow_goes_on(client, whatsapp, teams, platform, worker_env):
    from conversations.workflows.engine import run_timeout

    Workflow.objects.create(
        name="Ask then note",
        steps=[
            {
                "type": "ask",
                "prompt": "Phone?",
                "answer_type": "phone",
                "options": [],
                "invalid_message": "",
                "retries": 0,
                "save_to": "contact.phone",
                "timeout_minutes": 30,
                "on_timeout": "continue",
            },
            {"type": "add_comment", "text": "Customer did not answer the phone question"},
        ],
    )
    say(client, whatsapp, "hello", worker_env)
    run = WorkflowRun.objects.get()
    assert run.status == "waiting" and run.timeout_at is not None
    run_timeout(run.pk, run.waiting_step)  # what the deferred task does when its time comes
    run.refresh_from_db()
    assert run.status == "done"
    assert Contact.objects.get().comments.get().body == "Customer did not answer the phone question"
