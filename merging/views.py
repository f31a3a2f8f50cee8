"""Merge and unmerge dialogs, merge-target search and suggestion dismissal (used by inbox, dashboard,
contacts)."""

from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from config.params import parse_id
from config.web import redirect_next, render_dialog, safe_next
from config.workspace import permissions
from config.workspace.models import Workspace
from contacts.models import Contact
from contacts.permissions import access_contact
from contacts.selectors import contact_search, with_list_details
from conversations.models import Message
from merging.models import MergeAction, MergeRecord, MergeSuggestion, SuggestionStatus
from merging.selectors import next_in_group, profile_tree, suggestion_evidence
from merging.services import (
    MergeRefused,
    contact_merge,
    contact_unmerge,
    merge_plan,
    merge_record_undo,
    suggestion_dismiss,
    unmerge_plan,
)
from merging.services.merge import open_conversations_in_merge
from merging.tasks import backfill_request

RECENT_MESSAGES = 30


def _suggestion_for(request: HttpRequest, data) -> MergeSuggestion | None:
    suggestion_id = parse_id(data.get("suggestion"))
    if suggestion_id is None:
        return None
    return get_object_or_404(MergeSuggestion, pk=suggestion_id)


def _pair(request: HttpRequest, data, suggestion) -> tuple[Contact, Contact]:
    """The two contacts, the kept one (`target`) first. The user picks which one is kept (`keep`,
    either id); without a pick, the one the dialog was opened from."""
    target_id, source_id = parse_id(data.get("target")), parse_id(data.get("source"))
    keep = parse_id(data.get("keep"))
    if keep is not None and keep == source_id:
        target_id, source_id = source_id, target_id
    elif keep is not None and suggestion is not None:
        target_id = keep
    if suggestion is not None:
        pair = [suggestion.contact_a_id, suggestion.contact_b_id]
        if target_id in pair:
            pair.sort(key=lambda pk: pk != target_id)
        target_id, source_id = pair
    if target_id is None or source_id is None:
        raise MergeRefused(_("Pick two contacts to merge."))
    return access_contact(request.user, target_id), access_contact(request.user, source_id)


def _recent(contact: Contact) -> list[Message]:
    return list(
        Message.objects.filter(conversation__contact=contact)
        .select_related("identity__channel")
        .order_by("-created_at")[:RECENT_MESSAGES]
    )


def _dialog(request: HttpRequest, target, source, suggestion, choices=None, error=None) -> HttpResponse:
    plan = merge_plan(target=target, source=source, choices=choices)
    evidence = suggestion_evidence(suggestion) if suggestion is not None else None
    open_ones = open_conversations_in_merge(target, source)
    closing = open_ones[1] if len(open_ones) > 1 else None
    sides = {c.pk: c for c in with_list_details(Contact.objects.filter(pk__in=[target.pk, source.pk]))}
    context = {
        "plan": plan,
        "target": sides[target.pk],
        "source": sides[source.pk],
        "sides": [sides[target.pk], sides[source.pk]],
        "suggestion": suggestion,
        "evidence": evidence,
        "unverified": evidence is not None and not evidence.verified,
        "closing": closing,
        "surviving": open_ones[0] if closing else None,
        "assignee_moves": closing is not None and closing.assignee_id and not open_ones[0].assignee_id,
        "error": error or " ".join(plan.problems),
        "target_recent": _recent(target),
        "source_recent": _recent(source),
        "next": request.GET.get("next") or request.POST.get("next") or request.headers.get("HX-Current-URL", ""),
    }
    return render_dialog(request, "merging/merge_dialog.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def dialog(request: HttpRequest) -> HttpResponse:
    """GET: both profiles side by side, which one is kept and a choice per differing value.
    POST: merge, then a confirmation with Undo."""
    data = request.POST if request.method == "POST" else request.GET
    suggestion = _suggestion_for(request, data)
    permissions.require(
        permissions.can_merge(request.user, from_suggestion=suggestion is not None, workspace=Workspace.current())
    )
    try:
        target, source = _pair(request, data, suggestion)
    except MergeRefused as exc:
        return render_dialog(request, "merging/merge_dialog.html", {"error": str(exc)})
    if request.method == "GET":
        return _dialog(request, target, source, suggestion)
    if suggestion is not None and suggestion.status != SuggestionStatus.OPEN:
        return _dialog(request, target, source, None, error=_("This merge suggestion is no longer open."))
    choices = {key[len("choice:") :]: value for key, value in data.items() if key.startswith("choice:")}
    evidence = suggestion_evidence(suggestion) if suggestion is not None else None
    if evidence is not None and not evidence.verified and data.get("confirm_unverified") != "yes":
        error = _("Nobody verified the shared value: confirm that you checked these are the same person.")
        return _dialog(request, target, source, suggestion, choices=choices, error=error)
    try:
        record = contact_merge(actor=request.user, target=target, source=source, choices=choices, suggestion=suggestion)
    except MergeRefused as exc:
        return _dialog(request, target, source, suggestion, choices=choices, error=str(exc))
    destination = safe_next(request, reverse("conversations:contact", args=[target.pk]))
    return _merged(request, record, destination)


def _merged(request: HttpRequest, record: MergeRecord, destination: str, error: str | None = None) -> HttpResponse:
    """The confirmation after a merge: what happened, Undo, and the way on."""
    context = {
        "record": record,
        "destination": destination,
        "may_undo": permissions.can_unmerge(request.user) and record.undone_by_id is None,
        "next_suggestion": next_in_group(request.user, record) if record.undone_by_id is None else None,
        "error": error,
    }
    response = render_dialog(request, "merging/merge_done.html", context)
    if request.htmx:
        response["HX-Trigger"] = "inbox-changed"
    return response


@login_required
@require_POST
def undo(request: HttpRequest, record_id: int) -> HttpResponse:
    """Undo from the confirmation: an immediate exact unmerge of the profile just merged."""
    record = get_object_or_404(MergeRecord, pk=record_id, action=MergeAction.MERGE)
    access_contact(request.user, record.target_id)
    try:
        merge_record_undo(actor=request.user, record=record)
    except MergeRefused as exc:
        record.refresh_from_db()
        destination = safe_next(request, reverse("conversations:contact", args=[record.target_id]))
        return _merged(request, record, destination, error=str(exc))
    destination = safe_next(request, reverse("conversations:contact", args=[record.target_id]))
    if request.htmx:
        return HttpResponseClientRedirect(destination)
    return redirect(destination)


@login_required
@require_POST
def backfill(request: HttpRequest) -> HttpResponse:
    """Queue a full duplicate scan for the worker; its progress shows on the dashboard."""
    backfill_request(actor=request.user)
    return redirect("dashboard")


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """ "Merge to existing contact": every contact the user may see, each with its channels."""
    target = access_contact(request.user, parse_id(request.GET.get("target")) or 0)
    query = request.GET.get("q", "").strip()
    results = []
    if len(query) >= 2:
        found = contact_search(request.user, query, region=Workspace.current().phone_region).exclude(pk=target.pk)
        first = [pk for _, pk in sorted(found.values_list("name", "pk"))[:10]]  # at most a few hundred, sorted here
        found_contacts = with_list_details(Contact.objects.filter(pk__in=first)).annotate(
            last_message_at=Max("conversations__last_message_at")
        )
        by_id = {c.pk: c for c in found_contacts}
        results = [by_id[pk] for pk in first]
    may_merge = permissions.can_merge(request.user, from_suggestion=False)
    return render(
        request,
        "merging/_search_results.html",
        {"results": results, "target": target, "query": query, "may_merge": may_merge},
    )


@login_required
@require_GET
def pick(request: HttpRequest, contact_id: int) -> HttpResponse:
    """ "Merge another contact": a search for the contact to merge into this one."""
    permissions.require(permissions.can_merge(request.user, from_suggestion=False))
    contact = access_contact(request.user, contact_id)
    return render_dialog(request, "merging/pick_dialog.html", {"contact": contact})


@login_required
@require_POST
def dismiss(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    suggestion = get_object_or_404(MergeSuggestion, pk=suggestion_id)
    access_contact(request.user, suggestion.contact_a_id)
    access_contact(request.user, suggestion.contact_b_id)
    try:
        suggestion_dismiss(actor=request.user, suggestion=suggestion)
    except MergeRefused:
        pass  # already resolved: the list below shows its current state
    if request.htmx:
        return HttpResponse(
            f'<li class="muted" id="suggestion-{suggestion.pk}">{_("Dismissed: not the same person.")}</li>'
        )
    return redirect_next(request, reverse("dashboard"))


@login_required
@require_http_methods(["GET", "POST"])
def unmerge(request: HttpRequest, contact_id: int) -> HttpResponse:
    """GET: the dialog listing the merged profiles as a tree; with `profile`, the preview of
    splitting it off (the plan the unmerge executes). POST: split the picked one off."""
    permissions.require(permissions.can_unmerge(request.user), _("Only owners and managers can unmerge contacts."))
    contact = access_contact(request.user, contact_id)
    profiles = profile_tree(contact)
    data = request.POST if request.method == "POST" else request.GET
    picked = next((p for p, _depth, _below in profiles if str(p.pk) == data.get("profile")), None)
    error = None
    if request.method == "POST":
        if picked is None:
            error = _("Pick the profile to split off.")
        else:
            try:
                contact_unmerge(actor=request.user, contact=contact, profile=picked)
            except MergeRefused as exc:
                error = str(exc)
            else:
                destination = reverse("contacts:list")
                return HttpResponseClientRedirect(destination) if request.htmx else redirect(destination)
    plan = unmerge_plan(contact=contact, profile=picked) if picked is not None else None
    context = {"contact": contact, "profiles": profiles, "picked": picked, "plan": plan, "error": error}
    if request.htmx and request.method == "GET" and "preview" in request.GET:
        return render(request, "contacts/unmerge_dialog.html#unmerge-preview", context)
    return render_dialog(request, "contacts/unmerge_dialog.html", context)
