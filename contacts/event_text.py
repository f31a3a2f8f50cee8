"""Timeline events in the reader's language.

Events store what happened as data (which property, old and new value; which team; which answer;
which workflow step, by a stable code) and are put into words here, when a page is rendered, with
gettext: the same event reads in English to one agent and in Italian to another. Older events
whose data is a sentence are shown as they were stored.
"""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from contacts.models import Event, EventKind


def _field_label(key: str) -> str:
    labels = {
        "name": _("Name"),
        "email": _("E-mail"),
        "phone": _("Phone"),
        "properties": _("Properties"),
        "contact.name": _("the contact's name"),
        "contact.email": _("the contact's e-mail"),
        "contact.phone": _("the contact's phone"),
    }
    if key in labels:
        return labels[key]
    for prefix in ("property:", "contact.", "conversation."):
        if key.startswith(prefix):
            return key.removeprefix(prefix)
    return key


def _short(value, limit: int = 80) -> str:
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _property_changes(data: dict) -> str:
    parts = []
    if "name" in data and isinstance(data["name"], list):
        old, new = data["name"]
        parts.append(_("name %(old)s → %(new)s") % {"old": _short(old), "new": _short(new)})
    if data.get("email"):
        parts.append(_("e-mail %(value)s added as primary") % {"value": _short(data["email"])})
    if data.get("phone"):
        if data.get("phone_valid") is False:
            parts.append(_("phone %(value)s added (not a valid number, kept as secondary)") % {"value": data["phone"]})
        else:
            parts.append(_("phone %(value)s added as primary") % {"value": _short(data["phone"])})
    if "properties" in data and isinstance(data["properties"], list):
        old, new = data["properties"]
        old, new = old or {}, new or {}
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                parts.append(f"{key} {_short(old.get(key))} → {_short(new.get(key))}")
    if data.get("reason"):  # a number change reported by the platform
        parts.append(str(data["reason"]))
    if not parts:
        return _("Profile changed")
    return _("Profile changed: %(changes)s") % {"changes": "; ".join(parts)}


def _workflow(data: dict) -> str:
    values = {
        "workflow": data.get("workflow", ""),
        "team": data.get("team") or "—",
        "answer": _short(data.get("answer")),
        "question": _short(data.get("question")),
        "value": _short(data.get("value")),
        "field": _field_label(str(data.get("field", ""))),
        "assignee": data.get("assignee") or data.get("agent") or "—",
    }
    steps = {
        "started": _("Workflow “%(workflow)s” started"),
        "asked": _("Workflow “%(workflow)s” asked: %(question)s"),
        "invalid answer, asked again": _("Workflow “%(workflow)s”: “%(answer)s” is not a valid answer, asked again"),
        "no valid answer, going on": _("Workflow “%(workflow)s”: no valid answer (“%(answer)s”), went on"),
        "no answer in time": _("Workflow “%(workflow)s”: no answer in time"),
        "branch": _("Workflow “%(workflow)s” took the branch for “%(value)s”"),
        "branch (default)": _("Workflow “%(workflow)s” took the default branch (“%(value)s”)"),
        "routed to team": _("Workflow “%(workflow)s” routed the conversation to team %(team)s"),
        "no available agent": _("Workflow “%(workflow)s”: no available agent in team %(team)s"),
        "answer saved": _("Workflow “%(workflow)s” saved the answer “%(value)s” as %(field)s"),
        "assigned": _("Workflow “%(workflow)s” assigned the conversation to %(assignee)s"),
        "closed the conversation": _("Workflow “%(workflow)s” closed the conversation"),
        "finished": _("Workflow “%(workflow)s” finished"),
    }
    step = data.get("step", "")
    template = steps.get(step)
    if template is None:  # a step this version does not know: still say which workflow
        return _("Workflow “%(workflow)s”: %(step)s") % {**values, "step": step}
    return template % values


def _assigned(data: dict) -> str:
    assignee, team, by = data.get("assignee"), data.get("team"), data.get("by")
    if assignee and team:
        text = _("Assigned to %(assignee)s in team %(team)s") % {"assignee": assignee, "team": team}
    elif assignee:
        text = _("Assigned to %(assignee)s") % {"assignee": assignee}
    elif team:
        text = _("Routed to team %(team)s") % {"team": team}
    else:
        text = _("Unassigned")
    if by == "workflow":
        text += " " + _("(by a workflow)")
    elif by == "merge":  # a merge carried the closed conversation's assignee over
        text += " " + _("(carried over by a merge)")
    elif by:
        text += " " + _("(by %(by)s)") % {"by": by}
    return text


def reason_text(reason: str) -> str:
    """A change's reason code ("merge", "unmerge", "workflow") in the reader's language."""
    reasons = {
        "merge": pgettext("closed or reopened because of", "merge"),
        "unmerge": pgettext("closed or reopened because of", "unmerge"),
        "workflow": pgettext("closed or reopened because of", "workflow"),
    }
    return str(reasons.get(reason, reason))


def _reason(data: dict) -> str:
    reason = data.get("reason")
    return f" ({reason_text(reason)})" if reason else ""


def _merged(data: dict) -> str:
    text = _("Merged with %(name)s (#%(id)s)") % {"name": data.get("source_name") or "—", "id": data.get("source")}
    choices = data.get("choices") or {}
    taken = [_field_label(key) for key, side in sorted(choices.items()) if side == "source"]
    if taken:
        text += "; " + _("taken from #%(id)s: %(fields)s") % {"id": data.get("source"), "fields": ", ".join(taken)}
    return text


def event_text(event: Event) -> str:
    """What the event says, in the active language."""
    data = event.data if isinstance(event.data, dict) else {}
    kind = event.kind
    if kind == EventKind.PROPERTY_CHANGED:
        return _property_changes(data)
    if kind == EventKind.WORKFLOW:
        return _workflow(data)
    if kind == EventKind.ASSIGNED:
        return _assigned(data)
    if kind == EventKind.MERGED:
        return _merged(data)
    if kind == EventKind.UNMERGED:
        return _("Unmerged: %(name)s (#%(id)s) is a contact of its own again") % {
            "name": data.get("other_name") or "—",
            "id": data.get("other"),
        }
    if kind == EventKind.MAIN_CHANNEL_CHANGED:
        return _("Main channel set to %(channel)s") % {"channel": data.get("channel") or "—"}
    if kind == EventKind.CONVERSATION_OPENED:
        return str(event.get_kind_display()) + _reason(data)
    if kind == EventKind.CONVERSATION_CLOSED:
        text = str(event.get_kind_display()) + _reason(data)
        if data.get("continues_in"):
            text += " · " + _("continues in conversation #%(id)s") % {"id": data["continues_in"]}
        return text
    return str(event.get_kind_display()) + _reason(data)
