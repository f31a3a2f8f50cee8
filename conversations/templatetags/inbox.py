from django import template
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext

from channels import platforms
from config.cursors import cursor_of
from contacts.event_text import event_text as _event_text
from contacts.event_text import reason_text
from conversations.selectors import COUNT_CAP

register = template.Library()


@register.simple_tag
def channel_badge(channel, main: bool = False):
    """A small coloured badge naming the channel (with a star for the main channel)."""
    return format_html(
        '<span class="badge ch-{}" title="{}">{}{}</span>',
        channel.kind,
        channel.name,
        "★ " if main else "",
        channel.platform.badge,
    )


@register.filter
def event_text(event) -> str:
    """A timeline event in the reader's language (from its structured data)."""
    return _event_text(event)


@register.filter
def change_reason(reason: str) -> str:
    """A history row's change reason in the reader's language."""
    return reason_text(reason)


@register.simple_tag
def sort_key(at, pk):
    """A row's place in its list (the cursor text): live updates insert rows by it."""
    return cursor_of(at, pk)


@register.filter
def window_closed_reason(identity) -> str:
    """Why the composer cannot send free text on this channel now (shown on its greyed-out option)."""
    window = identity.channel.platform.messaging_window
    hours = int(window.total_seconds() // 3600) if window else 0
    if identity.last_inbound_at is None:
        return gettext("window closed: the contact never wrote here; a template is needed")
    return ngettext(
        "window closed: no message from the contact in the last %(hours)s hour; a template is needed",
        "window closed: no message from the contact in the last %(hours)s hours; a template is needed",
        hours,
    ) % {"hours": hours}


@register.filter
def can_send_now(identity, now=None):
    return identity.can_send_free_form(now)


@register.simple_tag
def identity_badge(identity, contact):
    """The badge of a contact's channel identity, starred when it is the main channel."""
    return channel_badge(identity.channel, main=identity.pk == contact.main_identity_id)


@register.filter
def capped(value):
    """A count from `capped_count`: "999+" once it reaches the cap."""
    return f"{COUNT_CAP - 1}+" if value >= COUNT_CAP else value


@register.filter
def sendable_media(identity) -> str:
    """The attachment kinds the composer may send on this channel, space-separated."""
    return " ".join(sorted(platforms.sendable_media(identity.channel.kind)))


@register.filter
def media_max_bytes(identity) -> int:
    return platforms.media_max_bytes(identity.channel.kind)
