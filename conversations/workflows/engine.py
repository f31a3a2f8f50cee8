"""Running inbound-conversation workflows. Everything here runs in the worker (see tasks.py).

A run is a stack of frames [path to a list of steps, index of the next step]; a branch pushes
the chosen case's list. The run waits at an "ask" step until the contact's next message (the
answer) or its timeout, and ends when an agent is assigned, the conversation closes, or the
steps run out. Each step reached is an event on the conversation's timeline.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.workspace.models import Team, User, Workspace
from config.workspace.services import team_round_robin_advance
from contacts.events import event_record
from contacts.models import Contact, EventKind, KeyKind, KeySource
from contacts.normalize import normalize_email, normalize_phone
from contacts.services import comment_add, contact_key_add, contact_profile_update
from conversations.models import Conversation, Direction, Message, OpenedBy, Workflow, WorkflowRun
from conversations.services import (
    bot_message_send,
    conversation_assign,
    conversation_close,
    conversation_field_set,
    conversation_route_to_team,
)
from conversations.workflows.steps import steps_at
from merging.detection import suggestions_refresh

Status = WorkflowRun.Status


def matching_workflow(conversation: Conversation) -> Workflow | None:
    if conversation.opened_by != OpenedBy.CONTACT:
        return None
    for workflow in Workflow.objects.filter(is_active=True).prefetch_related("channels"):
        channel_ids = {c.pk for c in workflow.channels.all()}
        if not channel_ids or conversation.channel_id in channel_ids:
            return workflow
    return None


def run_start(conversation_id: int) -> WorkflowRun | None:
    """Start the first matching workflow on a newly opened conversation (once per conversation)."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        if not conversation.is_open or WorkflowRun.objects.filter(conversation=conversation).exists():
            return None
        workflow = matching_workflow(conversation)
        if workflow is None:
            return None
        run = WorkflowRun.objects.create(workflow=workflow, conversation=conversation, stack=[[[], 0]])
        _log(run, "started")
        _advance(run)
    return run


def run_answer(run_id: int, message_id: int) -> WorkflowRun | None:
    """The contact's message while the run waits at an ask step is the answer."""
    with transaction.atomic():
        run = WorkflowRun.objects.select_for_update().select_related("conversation", "workflow").get(pk=run_id)
        if run.status != Status.WAITING:
            return None
        message = Message.objects.get(pk=message_id)
        step = _current(run)
        value, error = _validate(step, message.body)
        if error:
            if run.retries_left > 0:
                run.retries_left -= 1
                _bot_say(run, f"{step.get('invalid_message') or error}\n{step['prompt']}".strip())
                _log(run, "invalid answer, asked again", answer=message.body[:200])
                run.save()
                return run
            _log(run, "no valid answer, going on", answer=message.body[:200])
        else:
            _save_answer(run, step, value)
        _step_done(run)
        _advance(run)
    return run


def run_timeout(run_id: int, waiting_step: int) -> WorkflowRun | None:
    with transaction.atomic():
        run = WorkflowRun.objects.select_for_update().select_related("conversation", "workflow").get(pk=run_id)
        if run.status != Status.WAITING or run.waiting_step != waiting_step:
            return None  # answered meanwhile
        step = _current(run)
        _log(run, "no answer in time")
        if step.get("on_timeout") == "close":
            _close(run)
            return run
        _step_done(run)
        _advance(run)
    return run


def _current(run: WorkflowRun) -> dict:
    path, index = run.stack[-1]
    return steps_at(run.workflow.steps, path)[index]


def _step_done(run: WorkflowRun) -> None:
    run.stack[-1][1] += 1
    run.status = Status.RUNNING


def _advance(run: WorkflowRun) -> None:
    """Run steps until one waits or the workflow ends."""
    while run.status == Status.RUNNING:
        if not run.stack:
            _finish(run, "finished")
            break
        path, index = run.stack[-1]
        steps = steps_at(run.workflow.steps, path)
        if index >= len(steps):
            run.stack.pop()
            continue
        step = steps[index]
        outcome = STEP_RUNNERS[step["type"]](run, step, path, index)
        if outcome == "next":
            run.stack[-1][1] += 1
    run.save()


def _ask(run, step, path, index):
    _bot_say(run, step["prompt"] + _options_text(step))
    run.status = Status.WAITING
    run.waiting_step += 1
    run.retries_left = int(step.get("retries", 0))
    minutes = int(step.get("timeout_minutes") or 0)
    run.timeout_at = timezone.now() + timedelta(minutes=minutes) if minutes else None
    _log(run, "asked", question=step["prompt"])
    return "wait"


def _options_text(step) -> str:
    if step.get("answer_type") != "choice":
        return ""
    return "\n" + "\n".join(f"{n}. {option}" for n, option in enumerate(step["options"], start=1))


def _branch(run, step, path, index):
    if step["on"] == "channel":
        subject = run.conversation.channel.kind
    else:
        subject = str(run.answers.get(step["on"].removeprefix("answer:"), ""))
    run.stack[-1][1] += 1
    for case_index, case in enumerate(step.get("cases", [])):
        if str(case.get("value", "")).strip().lower() == subject.strip().lower():
            run.stack.append([[*path, index, "cases", case_index, "steps"], 0])
            _log(run, "branch", value=subject)
            return "pushed"
    run.stack.append([[*path, index, "default"], 0])
    _log(run, "branch (default)", value=subject)
    return "pushed"


def _assign_team(run, step, path, index):
    team = Team.objects.filter(pk=step.get("team")).first()
    if team is not None:
        run.conversation = conversation_route_to_team(
            actor=None, conversation=run.conversation, team=team, via="workflow"
        )
        _log(run, "routed to team", team=team.name)
    return "next"


def _auto_assign(run, step, path, index):
    """Assign an available agent of the conversation's team; the workflow ends when one is."""
    conversation = run.conversation
    team = Team.objects.select_for_update().filter(pk=conversation.team_id).first()
    agent = pick_agent(team, strategy=step.get("strategy", "round_robin"), cap=int(step.get("cap") or 0))
    if agent is None:
        _log(run, "no available agent", team=team.name if team else None)
        return "next"
    run.conversation = conversation_assign(
        actor=None, conversation=conversation, assignee=agent, team=team, via="workflow"
    )
    team_round_robin_advance(team=team, assignee=agent)
    _finish(run, "assigned", agent=agent.get_username())
    return "end"


def pick_agent(team: Team | None, *, strategy: str, cap: int) -> User | None:
    """An available, active member of the team under the cap; never an agent who is away."""
    if team is None:
        return None
    members = (
        team.members.filter(is_active=True, is_available=True)
        .annotate(open_count=Count("assigned_conversations", filter=Q(assigned_conversations__status="open")))
        .order_by("pk")
    )
    candidates = [m for m in members if not cap or m.open_count < cap]
    if not candidates:
        return None
    if strategy == "fewest_open":
        return min(candidates, key=lambda m: (m.open_count, m.pk))
    after = team.last_assigned_id or 0
    return next((m for m in candidates if m.pk > after), candidates[0])


def _send_message(run, step, path, index):
    _bot_say(run, step["text"])
    return "next"


def _add_comment(run, step, path, index):
    comment_add(actor=None, contact=run.conversation.contact, conversation=run.conversation, body=step["text"])
    return "next"


def _close_step(run, step, path, index):
    _close(run)
    return "end"


def _close(run: WorkflowRun) -> None:
    conversation_close(actor=None, conversation=run.conversation, reason="workflow")
    _finish(run, "closed the conversation")


def _finish(run: WorkflowRun, what: str, **data) -> None:
    run.status = Status.DONE
    run.stack = []
    run.finished_at = timezone.now()
    _log(run, what, **data)
    run.save()


STEP_RUNNERS = {
    "ask": _ask,
    "branch": _branch,
    "assign_team": _assign_team,
    "auto_assign": _auto_assign,
    "send_message": _send_message,
    "add_comment": _add_comment,
    "close": _close_step,
}


def _validate(step: dict, text: str) -> tuple[object, str | None]:
    text = text.strip()
    kind = step.get("answer_type")
    if kind == "email":
        email = normalize_email(text)
        return (text, None) if email.is_valid else (None, _("That does not look like an e-mail address."))
    if kind == "phone":
        phone = normalize_phone(text, Workspace.current().phone_region)
        return (text, None) if phone.is_valid else (None, _("That does not look like a phone number."))
    if kind == "choice":
        options = step.get("options", [])
        for number, option in enumerate(options, start=1):
            if text.lower() in (option.lower(), str(number)):
                return option, None
        return None, _("Please answer with one of the options.")
    return (text, None) if text else (None, _("Please write an answer."))


def _save_answer(run: WorkflowRun, step: dict, value) -> None:
    save_to = step["save_to"]
    run.answers[save_to] = value
    conversation = run.conversation
    contact = Contact.objects.get(pk=conversation.contact_id)
    if save_to in ("contact.email", "contact.phone"):
        kind = KeyKind.EMAIL if save_to == "contact.email" else KeyKind.PHONE
        inbound = conversation.messages.filter(direction=Direction.INBOUND)
        answer = inbound.select_related("identity").order_by("-pk").first()
        contact_key_add(
            contact=contact,
            kind=kind,
            raw=value,
            source=KeySource.WORKFLOW,
            identity=answer.identity if answer else None,  # who gave the answer (an unverified claim)
            profile=answer.identity.profile if answer else None,  # it leaves with that profile on unmerge
        )
        suggestions_refresh(contact_id=contact.pk)  # a collected phone or e-mail can raise a suggestion
    elif save_to.startswith("contact.property:"):
        name = save_to.removeprefix("contact.property:")
        contact_profile_update(actor=None, contact=contact, properties={**contact.properties, name: value})
    else:
        run.conversation = conversation_field_set(
            conversation=conversation, name=save_to.removeprefix("conversation."), value=value
        )
    _log(run, "answer saved", field=save_to, value=str(value)[:200])


def _bot_say(run: WorkflowRun, text: str) -> None:
    bot_message_send(conversation=run.conversation, body=text)


def _log(run: WorkflowRun, what: str, **data) -> None:
    event_record(
        contact=run.conversation.contact,
        conversation=run.conversation,
        kind=EventKind.WORKFLOW,
        data={"workflow": run.workflow.name, "step": what, **data},
    )
