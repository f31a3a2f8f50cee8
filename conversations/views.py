"""The Messages module: conversation list, one timeline per contact, composer, contact panel."""

import json

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from channels.selectors import channels_for
from config.htmx import render_page_or_region
from config.models import User
from contacts.selectors import contact_keys, contact_profiles
from contacts.services import comment_add
from conversations.forms import AssignForm, CommentForm, SendForm
from conversations.models import Conversation, DeliveryStatus, Message
from conversations.permissions import access_conversation
from conversations.selectors import (
    INBOX_FILTERS,
    PAGE,
    composer_identities,
    contact_timeline,
    inbox_conversations,
    inbox_counts,
    live_cursor,
)
from conversations.services import (
    SendRefused,
    conversation_assign,
    conversation_close,
    conversation_mark_read,
    conversation_reopen,
    message_retry,
    message_send,
)
from merging.selectors import open_suggestions_for


def _list_params(request: HttpRequest) -> dict:
    box = request.GET.get("box", "all")
    status = request.GET.get("status", "open")
    channel = request.GET.get("channel", "")
    return {
        "box": box if box in INBOX_FILTERS else "all",
        "status": status if status in ("open", "closed") else "open",
        "channel_id": int(channel) if channel.isdigit() else None,
        "query": request.GET.get("q", "").strip()[:100],
    }


def _inbox_context(request: HttpRequest, selected: Conversation | None) -> dict:
    params = _list_params(request)
    conversations = list(inbox_conversations(request.user, **params)[:PAGE])
    context = {
        "conversations": conversations,
        "params": params,
        "counts": inbox_counts(request.user),
        "channels": channels_for(request.user),
        "selected": selected,
        "now": timezone.now(),
        "querystring": request.GET.urlencode(),
    }
    if selected is not None:
        context.update(_conversation_context(request, selected))
    return context


def _conversation_context(request: HttpRequest, conversation: Conversation, send_form=None, send_error=None) -> dict:
    contact = conversation.contact
    return {
        "conversation": conversation,
        "contact": contact,
        "timeline": contact_timeline(contact),
        "identities": composer_identities(contact),
        "keys": contact_keys(contact),
        "profiles": contact_profiles(contact),
        "suggestions": open_suggestions_for(request.user, contact),
        "send_form": send_form or SendForm(),
        "send_error": send_error,
        "comment_form": CommentForm(),
        "assign_form": AssignForm(initial={"assignee": conversation.assignee_id}),
        "agents": User.objects.filter(is_active=True).order_by("username"),
    }


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return render_page_or_region(
        request, "conversations/inbox.html", "conversation-list", _inbox_context(request, None)
    )


@login_required
@require_GET
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    conversation_mark_read(conversation=conversation)
    if request.htmx and request.htmx.target == "conversation-pane":
        return render(
            request, "conversations/inbox.html#conversation-pane", _conversation_context(request, conversation)
        )
    return render(request, "conversations/inbox.html", _inbox_context(request, conversation))


@login_required
@require_GET
def timeline_older(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    timeline = contact_timeline(conversation.contact, before=request.GET.get("before"))
    return render(request, "conversations/_timeline_page.html", {"timeline": timeline, "conversation": conversation})


@login_required
@require_GET
def updates(request: HttpRequest) -> HttpResponse:
    """Polled every 1.5 s by every open page: 204 when nothing is new since the page's cursor,
    else 200 with an `inbox-changed` trigger. The cursor is server-side (highest message and
    suggestion ids), so it does not depend on clocks and works across any number of processes."""
    cursor = live_cursor()
    response = HttpResponse(status=204 if request.GET.get("cursor") in (cursor, None, "") else 200)
    response["X-Updates-Cursor"] = cursor
    if response.status_code == 200:
        response["HX-Trigger"] = json.dumps({"inbox-changed": {"cursor": cursor}})
    return response


def _pane(request: HttpRequest, conversation: Conversation, **extra) -> HttpResponse:
    if request.htmx:
        conversation.refresh_from_db()
        return render(
            request, "conversations/inbox.html#conversation-pane", _conversation_context(request, conversation, **extra)
        )
    if extra.get("send_error"):
        flash.error(request, extra["send_error"])
    return redirect("conversations:detail", conversation.pk)


@login_required
@require_POST
def send(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    form = SendForm(request.POST)
    if not form.is_valid():
        return _pane(request, conversation, send_form=form, send_error=_("Write a message and pick a channel."))
    identity = (
        conversation.contact.identities.filter(pk=form.cleaned_data["identity"]).select_related("channel").first()
    )
    if identity is None:
        return _pane(
            request, conversation, send_form=form, send_error=_("That channel does not belong to this contact.")
        )
    try:
        message_send(actor=request.user, conversation=conversation, identity=identity, body=form.cleaned_data["body"])
    except SendRefused as exc:
        return _pane(request, conversation, send_form=form, send_error=str(exc))
    return _pane(request, conversation)


@login_required
@require_POST
def comment(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        comment_add(
            actor=request.user, contact=conversation.contact, conversation=conversation, body=form.cleaned_data["body"]
        )
    return _pane(request, conversation)


@login_required
@require_POST
def assign(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    form = AssignForm(request.POST)
    if form.is_valid():
        conversation_assign(actor=request.user, conversation=conversation, assignee=form.cleaned_data["assignee"])
    return _pane(request, conversation)


@login_required
@require_POST
def close(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    conversation_close(actor=request.user, conversation=conversation)
    return _pane(request, conversation)


@login_required
@require_POST
def reopen(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(request.user, conversation_id)
    try:
        conversation_reopen(actor=request.user, conversation=conversation)
    except ValueError as exc:
        return _pane(request, conversation, send_error=str(exc))
    return _pane(request, conversation)


@login_required
@require_POST
def retry(request: HttpRequest, message_id: int) -> HttpResponse:
    message = get_object_or_404(Message.objects.select_related("conversation"), pk=message_id)
    conversation = access_conversation(request.user, message.conversation_id)
    if message.status != DeliveryStatus.FAILED:
        raise PermissionDenied(_("Only a failed message can be retried."))
    message_retry(actor=request.user, message=message)
    return _pane(request, conversation)


@login_required
@require_GET
def open_contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The inbox view of a contact: its open conversation, else its latest one."""
    from contacts.permissions import access_contact

    contact = access_contact(request.user, contact_id)
    conversation = contact.conversations.order_by("status", "-last_message_at").first()
    if conversation is None:
        return redirect(reverse("contacts:detail", args=[contact.pk]))
    return redirect("conversations:detail", conversation.pk)
