"""The Contacts module (managers and owners): list, search, detail, unmerge, main channel."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from config import permissions
from config.htmx import render_dialog, render_page_or_region
from config.models import Workspace
from contacts.forms import ProfileForm
from contacts.permissions import access_contact
from contacts.selectors import contact_keys, contact_profiles, contacts_page
from contacts.services import contact_profile_update, contact_set_main_identity
from conversations.selectors import composer_identities
from merging.selectors import merge_history, open_suggestions_for
from merging.services import MergeRefused, contact_unmerge


def _require_module(request: HttpRequest) -> None:
    permissions.require(
        permissions.can_use_contacts_module(request.user), _("The Contacts module is for managers and owners.")
    )


@login_required
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    _require_module(request)
    query = request.GET.get("q", "").strip()[:100]
    after = request.GET.get("after", "")
    contacts, next_after = contacts_page(
        request.user, query, region=Workspace.current().phone_region, after=int(after) if after.isdigit() else None
    )
    context = {"contacts": contacts, "next_after": next_after, "query": query}
    return render_page_or_region(request, "contacts/list.html", "contact-table", context)


@login_required
@require_GET
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    _require_module(request)
    contact = access_contact(request.user, contact_id)
    if contact.pk != contact_id:
        return redirect("contacts:detail", contact.pk)  # an absorbed profile's old URL
    context = {
        "contact": contact,
        "keys": contact_keys(contact),
        "profiles": contact_profiles(contact),
        "identities": composer_identities(contact),
        "suggestions": open_suggestions_for(request.user, contact),
        "records": merge_history(contact)[:50],
        "history": contact.history.select_related("history_user").order_by("-history_date")[:50],
        "conversations": contact.conversations.select_related("channel", "assignee").order_by("-last_message_at")[:20],
    }
    return render(request, "contacts/detail.html", context)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        url = fallback
    return redirect(url)


@login_required
@require_POST
def edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id)
    form = ProfileForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        contact_profile_update(
            actor=request.user,
            contact=contact,
            name=data["name"] or None,
            email=data["email"] or None,
            phone=data["phone"] or None,
        )
    return _back(request, reverse("contacts:detail", args=[contact.pk]))


@login_required
@require_POST
def main_channel(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id)
    identity = contact.identities.filter(pk=request.POST.get("identity") or 0).first()
    if identity is not None:
        contact_set_main_identity(actor=request.user, contact=contact, identity=identity)
    return _back(request, reverse("contacts:detail", args=[contact.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def unmerge(request: HttpRequest, contact_id: int) -> HttpResponse:
    """GET: the dialog listing the merged profiles. POST: split the picked one off."""
    permissions.require(permissions.can_unmerge(request.user), _("Only owners and managers can unmerge contacts."))
    contact = access_contact(request.user, contact_id)
    profiles = contact_profiles(contact)
    error = None
    if request.method == "POST":
        picked = next((p for p in profiles if str(p.pk) == request.POST.get("profile")), None)
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
    context = {"contact": contact, "profiles": profiles, "error": error}
    return render_dialog(request, "contacts/unmerge_dialog.html", context)
