"""The step types of an inbound-conversation workflow, their fields and their validation.

A workflow's `steps` is a list of dicts, each with a "type":

- ask: {"prompt", "answer_type": email|phone|text|choice, "options": [..] (choice),
        "invalid_message", "retries": N, "save_to": contact.email | contact.phone |
        contact.property:<name> | conversation.<name>, "timeout_minutes": N,
        "on_timeout": continue|close}
- branch: {"on": answer:<save_to> | channel, "cases": [{"value", "steps": [...]}], "default": [...]}
- assign_team: {"team": <team id>}
- auto_assign: {"strategy": round_robin|fewest_open, "cap": N}
- send_message: {"text"};  add_comment: {"text"};  close: {}
"""

from django.utils.translation import gettext_lazy as _

ANSWER_TYPES = {"email": _("E-mail"), "phone": _("Phone"), "text": _("Free text"), "choice": _("Choice")}
STEP_TYPES = {
    "ask": _("Ask a question"),
    "branch": _("Branch"),
    "assign_team": _("Assign to team"),
    "auto_assign": _("Auto-assign"),
    "send_message": _("Send message"),
    "add_comment": _("Add comment"),
    "close": _("Close conversation"),
}
STRATEGIES = {"round_robin": _("Round-robin"), "fewest_open": _("Fewest open conversations")}
TIMEOUT_ACTIONS = {"continue": _("Go on with the next step"), "close": _("Close the conversation")}


class StepError(ValueError):
    pass


def default_step(step_type: str) -> dict:
    defaults = {
        "ask": {
            "prompt": "",
            "answer_type": "email",
            "options": [],
            "invalid_message": "",
            "retries": 2,
            "save_to": "contact.email",
            "timeout_minutes": 60,
            "on_timeout": "continue",
        },
        "branch": {"on": "channel", "cases": [], "default": []},
        "assign_team": {"team": None},
        "auto_assign": {"strategy": "round_robin", "cap": 10},
        "send_message": {"text": ""},
        "add_comment": {"text": ""},
        "close": {},
    }
    if step_type not in defaults:
        raise StepError(f"Unknown step type {step_type!r}.")
    return {"type": step_type, **defaults[step_type]}


def validate_step(step: dict) -> list[str]:
    """Problems with one step (not its children), for the builder to show."""
    problems = []
    kind = step.get("type")
    if kind == "ask":
        if not str(step.get("prompt", "")).strip():
            problems.append(str(_("A question needs its text.")))
        if step.get("answer_type") not in ANSWER_TYPES:
            problems.append(str(_("Pick what kind of answer to expect.")))
        if step.get("answer_type") == "choice" and len(step.get("options") or []) < 2:
            problems.append(str(_("A choice needs at least two options.")))
        save_to = str(step.get("save_to", ""))
        if not (
            save_to in ("contact.email", "contact.phone") or save_to.startswith(("contact.property:", "conversation."))
        ):
            problems.append(str(_("Pick where to save the answer.")))
        if step.get("on_timeout") not in TIMEOUT_ACTIONS:
            problems.append(str(_("Pick what happens on timeout.")))
    elif kind == "send_message" or kind == "add_comment":
        if not str(step.get("text", "")).strip():
            problems.append(str(_("The message needs some text.")))
    elif kind == "assign_team":
        if not step.get("team"):
            problems.append(str(_("Pick a team.")))
    elif kind == "auto_assign":
        if step.get("strategy") not in STRATEGIES:
            problems.append(str(_("Pick how to choose the agent.")))
    elif kind == "branch":
        on = str(step.get("on", ""))
        if on != "channel" and not on.startswith("answer:"):
            problems.append(str(_("Pick what to branch on.")))
    elif kind != "close":
        problems.append(str(_("Unknown step type.")))
    return problems


def steps_at(steps: list, path: list) -> list:
    """The list of steps a path points to: [] is the top level, [2, "cases", 0, "steps"] a branch case."""
    node = steps
    for key in path:
        node = node[key]
    if not isinstance(node, list):
        raise StepError("That path does not point at a list of steps.")
    return node
