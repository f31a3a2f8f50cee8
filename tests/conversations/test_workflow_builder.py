import json

from django.urls import reverse

from conversations.models import Workflow
from tests.factories import make_team


def step(client, workflow, **data):
    return client.post(reverse("workflows:step", args=[workflow.pk]), data)


def test_manager_builds_a_workflow_with_ask_branch_team_and_auto_assign(client, manager, whatsapp):
    sales = make_team("Sales")
    client.force_login(manager)
    response = client.post(
        reverse("workflows:new"),
        {"name": "Route", "description": "", "is_active": "on", "priority": 1, "channels": [whatsapp.pk]},
    )
    workflow = Workflow.objects.get()
    assert response.url == reverse("workflows:edit", args=[workflow.pk])
    assert list(workflow.channels.all()) == [whatsapp]

    step(client, workflow, action="add", path="[]", step_type="ask")
    step(
        client,
        workflow,
        action="save",
        path="[0]",
        prompt="Sales or Support?",
        answer_type="choice",
        options="Sales\nSupport",
        save_to="conversation.",
        save_name="topic",
        retries="1",
        timeout_minutes="30",
        on_timeout="close",
        invalid_message="Pick one",
    )
    step(client, workflow, action="add", path="[]", step_type="branch")
    step(client, workflow, action="save", path="[1]", on="answer:conversation.topic")
    step(client, workflow, action="add_case", path="[1]", value="Sales")
    step(client, workflow, action="add", path=json.dumps([1, "cases", 0, "steps"]), step_type="assign_team")
    step(client, workflow, action="save", path=json.dumps([1, "cases", 0, "steps", 0]), team=str(sales.pk))
    step(client, workflow, action="add", path="[]", step_type="auto_assign")
    step(client, workflow, action="add", path="[]", step_type="send_message")
    step(client, workflow, action="up", path="[3]")
    step(client, workflow, action="remove", path="[2]")

    workflow.refresh_from_db()
    ask, branch, auto = workflow.steps
    assert ask["options"] == ["Sales", "Support"] and ask["save_to"] == "conversation.topic"
    assert ask["on_timeout"] == "close" and ask["retries"] == 1
    assert branch["cases"][0]["steps"] == [{"type": "assign_team", "team": sales.pk}]
    assert auto["type"] == "auto_assign"
    page = client.get(reverse("workflows:edit", args=[workflow.pk])).content.decode()
    assert "Sales or Support?" in page and "When “Sales”" in page


def test_builder_shows_what_a_step_is_missing(client, manager):
    workflow = Workflow.objects.create(
        name="W",
        steps=[
            {
                "type": "ask",
                "prompt": "",
                "answer_type": "choice",
                "options": [],
                "save_to": "contact.email",
                "on_timeout": "continue",
            }
        ],
    )
    client.force_login(manager)
    page = client.get(reverse("workflows:edit", args=[workflow.pk])).content.decode()
    assert "A question needs its text." in page and "A choice needs at least two options." in page


def test_a_bad_step_path_is_refused_with_a_message_and_changes_nothing(client, manager):
    workflow = Workflow.objects.create(name="W", steps=[])
    client.force_login(manager)
    response = step(client, workflow, action="remove", path="[5]")
    assert response.status_code == 302
    assert Workflow.objects.get().steps == []
    response = step(client, workflow, action="add", path='["drop table"]', step_type="ask")
    assert Workflow.objects.get().steps == []


def test_agents_cannot_open_the_workflow_builder(client, agent):
    client.force_login(agent)
    assert client.get(reverse("workflows:list")).status_code == 403
    assert client.post(reverse("workflows:new"), {"name": "x"}).status_code == 403


def test_agent_sets_themselves_away_and_back(client, agent):
    client.force_login(agent)
    client.post(reverse("availability"), {"available": "0", "next": "/inbox/"})
    agent.refresh_from_db()
    assert agent.is_available is False
    client.post(reverse("availability"), {"available": "1"})
    agent.refresh_from_db()
    assert agent.is_available is True
