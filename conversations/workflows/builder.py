"""Writes behind the workflow builder: each edit is one locked read-modify-write of the steps."""

import json

from django.db import transaction

from conversations.models import Workflow
from conversations.workflows.steps import (
    ANSWER_TYPES,
    STRATEGIES,
    TIMEOUT_ACTIONS,
    StepError,
    default_step,
    steps_at,
)


def parse_path(raw: str) -> list:
    """A path from a form field: a JSON list of indexes and the keys "cases", "steps", "default"."""
    try:
        path = json.loads(raw or "[]")
    except json.JSONDecodeError as exc:
        raise StepError("Bad step path.") from exc
    if not isinstance(path, list) or len(path) > 40:
        raise StepError("Bad step path.")
    for part in path:
        if not (isinstance(part, int) and part >= 0) and part not in ("cases", "steps", "default"):
            raise StepError("Bad step path.")
    return path


def _edit(workflow: Workflow, change) -> Workflow:
    with transaction.atomic():
        workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
        steps = workflow.steps
        try:
            change(steps)
        except (IndexError, KeyError, TypeError) as exc:
            raise StepError("That step no longer exists; reload the page.") from exc
        workflow.steps = steps
        workflow.save(update_fields=["steps"])
    return workflow


def step_add(*, workflow: Workflow, list_path: list, step_type: str) -> Workflow:
    step = default_step(step_type)
    return _edit(workflow, lambda steps: steps_at(steps, list_path).append(step))


def step_remove(*, workflow: Workflow, step_path: list) -> Workflow:
    return _edit(workflow, lambda steps: steps_at(steps, step_path[:-1]).pop(step_path[-1]))


def step_move(*, workflow: Workflow, step_path: list, delta: int) -> Workflow:
    def move(steps):
        siblings = steps_at(steps, step_path[:-1])
        index, target = step_path[-1], step_path[-1] + delta
        if 0 <= target < len(siblings):
            siblings[index], siblings[target] = siblings[target], siblings[index]

    return _edit(workflow, move)


def step_update(*, workflow: Workflow, step_path: list, data) -> Workflow:
    def update(steps):
        step = steps_at(steps, step_path[:-1])[step_path[-1]]
        step.update(_fields_from(step["type"], data))

    return _edit(workflow, update)


def case_add(*, workflow: Workflow, branch_path: list, value: str) -> Workflow:
    value = value.strip()
    if not value:
        raise StepError("A branch case needs the value it matches.")

    def add(steps):
        branch = steps_at(steps, branch_path[:-1])[branch_path[-1]]
        branch.setdefault("cases", []).append({"value": value, "steps": []})

    return _edit(workflow, add)


def case_remove(*, workflow: Workflow, branch_path: list, case_index: int) -> Workflow:
    def remove(steps):
        steps_at(steps, branch_path[:-1])[branch_path[-1]]["cases"].pop(case_index)

    return _edit(workflow, remove)


def _int(data, name: str, default: int, low: int = 0, high: int = 10_000) -> int:
    try:
        return max(low, min(high, int(data.get(name, default))))
    except (TypeError, ValueError):
        return default


def _choice(data, name: str, allowed, default: str) -> str:
    value = data.get(name, default)
    return value if value in allowed else default


def _fields_from(step_type: str, data) -> dict:
    """The editable fields of a step, read from a submitted form (anything else is ignored)."""
    if step_type == "ask":
        save_to = data.get("save_to", "contact.email")
        if save_to in ("contact.property:", "conversation."):
            save_to += (data.get("save_name") or "answer").strip().replace(" ", "_")
        return {
            "prompt": data.get("prompt", "").strip()[:1000],
            "answer_type": _choice(data, "answer_type", ANSWER_TYPES, "text"),
            "options": [o.strip() for o in data.get("options", "").splitlines() if o.strip()][:20],
            "invalid_message": data.get("invalid_message", "").strip()[:500],
            "retries": _int(data, "retries", 2, 0, 10),
            "save_to": save_to,
            "timeout_minutes": _int(data, "timeout_minutes", 60, 0, 60 * 24 * 7),
            "on_timeout": _choice(data, "on_timeout", TIMEOUT_ACTIONS, "continue"),
        }
    if step_type == "branch":
        return {"on": data.get("on", "channel").strip()[:100]}
    if step_type == "assign_team":
        return {"team": _int(data, "team", 0, 0, 2**31) or None}
    if step_type == "auto_assign":
        return {"strategy": _choice(data, "strategy", STRATEGIES, "round_robin"), "cap": _int(data, "cap", 10, 0, 1000)}
    if step_type in ("send_message", "add_comment"):
        return {"text": data.get("text", "").strip()[:2000]}
    return {}
