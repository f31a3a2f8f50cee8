"""The workflow builder (owners and managers)."""

import json

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels.models import Channel
from config.workspace import permissions
from config.workspace.models import Team
from conversations.models import Workflow
from conversations.workflows import builder
from conversations.workflows.steps import (
    ANSWER_TYPES,
    STEP_TYPES,
    STRATEGIES,
    TIMEOUT_ACTIONS,
    StepError,
    validate_step,
)

managers_only = permissions.view_requires(
    permissions.can_manage_workflows, _lazy("Workflows are for managers and owners.")
)


class WorkflowForm(forms.ModelForm):
    class Meta:
        model = Workflow
        fields = ["name", "description", "is_active", "priority", "channels"]
        widgets = {"channels": forms.CheckboxSelectMultiple, "description": forms.Textarea(attrs={"rows": 2})}
        labels = {
            "name": gettext_lazy("Name"),
            "description": gettext_lazy("Description"),
            "priority": gettext_lazy("Priority"),
            "is_active": gettext_lazy("Active"),
            "channels": gettext_lazy("Trigger: conversation opened by the contact on"),
        }


def _tree(steps: list, path: list) -> list[dict]:
    """Steps with their paths (as JSON for forms) and problems, for the template."""
    nodes = []
    for index, step in enumerate(steps):
        step_path = [*path, index]
        node = {"step": step, "path": json.dumps(step_path), "problems": validate_step(step), "index": index}
        if step.get("type") == "branch":
            node["cases"] = [
                {
                    "index": n,
                    "value": case.get("value", ""),
                    "list_path": json.dumps([*step_path, "cases", n, "steps"]),
                    "steps": _tree(case.get("steps", []), [*step_path, "cases", n, "steps"]),
                }
                for n, case in enumerate(step.get("cases", []))
            ]
            node["default"] = {
                "list_path": json.dumps([*step_path, "default"]),
                "steps": _tree(step.get("default", []), [*step_path, "default"]),
            }
        nodes.append(node)
    return nodes


@login_required
@require_GET
@managers_only
def workflow_list(request: HttpRequest) -> HttpResponse:
    workflows = Workflow.objects.prefetch_related("channels").order_by("priority", "id")
    return render(request, "conversations/workflows/list.html", {"workflows": workflows})


@login_required
@require_http_methods(["GET", "POST"])
@managers_only
def workflow_edit(request: HttpRequest, workflow_id: int | None = None) -> HttpResponse:
    workflow = get_object_or_404(Workflow, pk=workflow_id) if workflow_id else None
    form = WorkflowForm(request.POST if request.method == "POST" else None, instance=workflow)
    if request.method == "POST" and form.is_valid():
        workflow = form.save()
        flash.success(request, _("Workflow saved."))
        return redirect("workflows:edit", workflow.pk)
    context = {
        "form": form,
        "workflow": workflow,
        "tree": _tree(workflow.steps, []) if workflow else [],
        "step_types": STEP_TYPES,
        "answer_types": ANSWER_TYPES,
        "strategies": STRATEGIES,
        "timeout_actions": TIMEOUT_ACTIONS,
        "teams": Team.objects.order_by("name"),
        "channel_kinds": sorted({kind for kind in Channel.objects.values_list("kind", flat=True)}),
    }
    return render(request, "conversations/workflows/edit.html", context)


@login_required
@require_POST
@managers_only
def step_action(request: HttpRequest, workflow_id: int) -> HttpResponse:
    """Add, edit, move or remove a step, or add/remove a branch case; then back to the builder."""
    workflow = get_object_or_404(Workflow, pk=workflow_id)
    action, data = request.POST.get("action", ""), request.POST
    try:
        path = builder.parse_path(data.get("path", "[]"))
        if action == "add":
            builder.step_add(workflow=workflow, list_path=path, step_type=data.get("step_type", ""))
        elif action == "save":
            builder.step_update(workflow=workflow, step_path=path, data=data)
        elif action in ("up", "down"):
            builder.step_move(workflow=workflow, step_path=path, delta=-1 if action == "up" else 1)
        elif action == "remove":
            builder.step_remove(workflow=workflow, step_path=path)
        elif action == "add_case":
            builder.case_add(workflow=workflow, branch_path=path, value=data.get("value", ""))
        elif action == "remove_case":
            builder.case_remove(workflow=workflow, branch_path=path, case_index=int(data.get("case", -1)))
        else:
            raise StepError(_("Unknown action."))
    except (StepError, ValueError, IndexError) as exc:
        flash.error(request, str(exc))
    return redirect(f"{request.path.rsplit('/steps/', 1)[0]}/#steps")
