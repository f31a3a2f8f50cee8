"""The Messages module: conversation list, one timeline per contact, composer, contact panel."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from channels.selectors import channels_for
from config.cursors import cursor_parse
from config.params import parse_id
from config.web import render_page_or_region
from config.workspace import permissions
from contacts.permissions import access_contact
from contacts.selectors import contact_keys, contact_profiles
from contacts.services import comment_add
from conversations.attachments import attachment_retry
from conversations.forms import AssignForm, CommentForm, SendForm
from conversations.models import Conversation, DeliveryStatus, Message
from conversations.permissions import access_attachment, access_conversation
from conversations.selectors import (
    INBOX_FILTERS,
    TimelineItem,
    TimelinePage,
    composer_choice,
    composer_identities,
    contact_inbox_conversation,
    contact_timeline,
    inbox_counts,
    inbox_page,
    timeline_since,
    visible_message,
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
from conversations.serving import attachment_response


def _ids(text: str) -> list[int] | None:
    """`?ids=1,2,3` (at most 50): the rows a live update asks for; None when absent."""
    if not text:
        return None
    return [pk for pk in map(parse_id, text.split(",")[:50]) if pk is not None]


def _list_params(request: HttpRequest) -> dict:
    box = request.GET.get("box", "all")
    status = request.GET.get("status", "open")
    channel = request.GET.get("channel", "")
    return {
        "box": box if box in INBOX_FILTERS else "all",
        "status": status if status in ("open", "closed") else "open",
        "channel_id": parse_id(channel),
        "query": request.GET.get("q", "").strip()[:100],
        "ids": _ids(request.GET.get("ids", "")),
    }


def _list_querystring(request: HttpRequest) -> str:
    """The tab and filters of the list (not the page): kept in every link of the inbox."""
    kept = request.GET.copy()
    for name in ("cursor", "ids"):
        kept.pop(name, None)
    return kept.urlencode()


def _inbox_context(request: HttpRequest, selected: Conversation | None) -> dict:
    params = _list_params(request)
    cursor = cursor_parse(request.GET.get("cursor"))
    page = inbox_page(request.user, cursor=cursor, **params)
    context = {
        "conversations": page.conversations,
        "next_cursor": page.next_cursor,
        "cursor": cursor,
        "ids": params["ids"],
        "params": params,
        "counts": inbox_counts(request.user),
        "channels": channels_for(request.user),
        "selected": selected,
        "now": timezone.now(),
        "querystring": _list_querystring(request),
    }
    if selected is not None:
        context.update(_conversation_context(request, selected))
    return context


def _conversation_context(request: HttpRequest, conversation: Conversation, send_form=None, send_error=None) -> dict:
    contact = conversation.contact
    identities = composer_identities(request.user, contact)
    typed = send_form.data.get("identity", "") if send_form is not None else ""
    return {
        "conversation": conversation,
        "contact": contact,
        "timeline": contact_timeline(request.user, contact),
        "identities": identities,
        # After an error, the channel just picked; else the one last replied on here (see selector).
        "chosen_identity": int(typed) if typed.isdigit() else composer_choice(conversation, identities),
        "keys": contact_keys(contact),
        "profiles": contact_profiles(contact),
        "send_form": send_form or SendForm(),
        "send_error": send_error,
        "comment_form": CommentForm(),
        "assign_form": AssignForm(conversation=conversation, initial={"assignee": conversation.assignee_id}),
        "agents": permissions.assignable_users(conversation),
    }


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The list. With `?cursor=` and htmx: only the next rows (infinite scroll); without htmx the
    same URL is a full page showing the next rows (the "More" link works without JavaScript).
    With `?ids=` and htmx: just those rows, if they still belong to this tab (live updates)."""
    context = _inbox_context(request, None)
    if request.htmx and (context["cursor"] is not None or context["ids"] is not None):
        return render(request, "conversations/inbox.html#conversation-rows", context)
    return render_page_or_region(request, "conversations/inbox.html", "conversation-list", context)


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
    timeline = contact_timeline(request.user, conversation.contact, before=cursor_parse(request.GET.get("before")))
    return render(request, "conversations/_timeline_page.html", {"timeline": timeline, "conversation": conversation})


@login_required
@require_GET
def timeline_newer(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Timeline items from `?since=` on (a live update appends those the page does not show yet)."""
    conversation = access_conversation(request.user, conversation_id)
    since = cursor_parse(request.GET.get("since"))
    if since is None:
        raise BadRequest("since is required")
    timeline = timeline_since(request.user, conversation.contact, since=since.at)
    if conversation.is_open:  # the agent is looking at it: what arrived is read
        conversation_mark_read(conversation=conversation)
    return render(request, "conversations/_timeline_page.html", {"timeline": timeline, "conversation": conversation})


@login_required
@require_GET
def message_item(request: HttpRequest, message_id: int) -> HttpResponse:
    """One message as the timeline shows it (a live update replaces it when its status changes)."""
    message = visible_message(request.user, message_id)
    if message is None:
        raise Http404
    timeline = TimelinePage([TimelineItem("message", message.created_at, message)], None)
    return render(
        request, "conversations/_timeline_page.html", {"timeline": timeline, "conversation": message.conversation}
    )


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
    form = SendForm(request.POST, request.FILES)
    if not form.is_valid():
        reasons = [*form.errors.get("file", []), *form.non_field_errors()]
        send_error = " ".join(reasons) or _("Pick a channel to reply on.")
        return _pane(request, conversation, send_form=form, send_error=send_error)
    identity = (
        conversation.contact.identities.filter(pk=form.cleaned_data["identity"]).select_related("channel").first()
    )
    if identity is None:
        return _pane(
            request, conversation, send_form=form, send_error=_("That channel does not belong to this contact.")
        )
    try:
        message = message_send(
            actor=request.user,
            conversation=conversation,
            identity=identity,
            body=form.cleaned_data["body"],
            upload=form.upload(),
        )
    except SendRefused as exc:
        return _pane(request, conversation, send_form=form, send_error=str(exc))
    response = _pane(request, message.conversation)
    if request.htmx and message.conversation_id != conversation.pk:  # went into the open conversation
        response["HX-Push-Url"] = reverse("conversations:detail", args=[message.conversation_id])
    return response


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
    form = AssignForm(request.POST, conversation=conversation)
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
def attachment_file(request: HttpRequest, attachment_id: int, thumbnail: bool = False) -> HttpResponse:
    """The file of an attachment, to users who may see its conversation; never a public URL."""
    return attachment_response(access_attachment(request.user, attachment_id), thumbnail=thumbnail)


@login_required
@require_GET
def attachment_detail(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """One attachment in the timeline (polled while it downloads)."""
    return render(
        request, "conversations/_attachment.html", {"attachment": access_attachment(request.user, attachment_id)}
    )


@login_required
@require_POST
def attachment_retry_view(request: HttpRequest, attachment_id: int) -> HttpResponse:
    attachment = attachment_retry(actor=request.user, attachment=access_attachment(request.user, attachment_id))
    if request.htmx:
        return render(request, "conversations/_attachment.html", {"attachment": attachment})
    return redirect("conversations:detail", attachment.message.conversation_id)


@login_required
@require_GET
def open_contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The inbox view of a contact: its open conversation, else its latest one."""
    contact = access_contact(request.user, contact_id)
    conversation = contact_inbox_conversation(request.user, contact)
    if conversation is None:
        return redirect(reverse("contacts:detail", args=[contact.pk]))
    return redirect("conversations:detail", conversation.pk)
