"""The Contacts module (managers and owners): list, search, detail, unmerge, main channel."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from config.cursors import cursor_parse
from config.params import parse_id
from config.web import redirect_next, render_page_or_region
from config.workspace import permissions
from config.workspace.models import Workspace
from contacts.forms import ProfileForm
from contacts.normalize import normalize_phone
from contacts.permissions import access_contact
from contacts.selectors import contact_identities, contact_keys, contact_profiles, contacts_page
from contacts.services import contact_profile_update, contact_set_main_identity
from merging.detection import suggestions_refresh

contacts_module_only = permissions.view_requires(
    permissions.can_use_contacts_module, _lazy("The Contacts module is for managers and owners.")
)


@login_required
@require_GET
@contacts_module_only
def contact_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    cursor = cursor_parse(request.GET.get("cursor"))
    contacts, next_cursor = contacts_page(request.user, query, region=Workspace.current().phone_region, cursor=cursor)
    context = {"contacts": contacts, "next_cursor": next_cursor, "cursor": cursor, "query": query}
    if request.htmx and cursor is not None:  # infinite scroll: only the next rows
        return render(request, "contacts/list.html#contact-rows", context)
    return render_page_or_region(request, "contacts/list.html", "contact-table", context)


@login_required
@require_GET
@contacts_module_only
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id)
    if contact.pk != contact_id:
        return redirect("contacts:detail", contact.pk)  # an absorbed profile's old URL
    context = {
        "contact": contact,
        "keys": contact_keys(contact),
        "profiles": contact_profiles(contact),
        "identities": contact_identities(request.user, contact),
        "history": contact.history.select_related("history_user").order_by("-history_date")[:50],
        "conversations": contact.conversations.select_related("channel", "assignee").order_by("-last_message_at")[:20],
    }
    return render(request, "contacts/detail.html", context)


@login_required
@require_POST
def edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id)
    form = ProfileForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        region = Workspace.current().phone_region
        if data["phone"] and not normalize_phone(data["phone"], region).is_valid:
            flash.warning(
                request,
                _(
                    "“%(phone)s” is not a valid phone number: it is kept as typed, as a secondary phone that is "
                    "never matched, and was not made primary."
                )
                % {"phone": data["phone"]},
            )
        contact_profile_update(
            actor=request.user,
            contact=contact,
            name=data["name"] or None,
            email=data["email"] or None,
            phone=data["phone"] or None,
        )
        suggestions_refresh(contact_id=contact.pk)  # a typed e-mail or phone can raise a suggestion
    return redirect_next(request, reverse("contacts:detail", args=[contact.pk]))


@login_required
@require_POST
def main_channel(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = access_contact(request.user, contact_id)
    identity = contact.identities.filter(pk=parse_id(request.POST.get("identity")) or 0).first()
    if identity is not None:
        contact_set_main_identity(actor=request.user, contact=contact, identity=identity)
    return redirect_next(request, reverse("contacts:detail", args=[contact.pk]))
