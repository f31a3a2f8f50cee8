"""Merge information on pages of lower apps (the contact panel, the contact page): they show it
through these tags, so contacts and conversations never import merging."""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from merging.selectors import contact_groups, merge_history, open_suggestions_for

register = template.Library()

FIELD_LABELS = {"name": gettext_lazy("Name"), "email": gettext_lazy("E-mail"), "phone": gettext_lazy("Phone")}


@register.simple_tag(takes_context=True)
def contact_suggestions(context, contact):
    """The open merge suggestions of `contact` that the page's user may see."""
    return open_suggestions_for(context["request"].user, contact)


@register.simple_tag(takes_context=True)
def contact_suggestion_groups(context, contact):
    """The suggestion groups `contact` is in (one per shared key), seen from it."""
    return contact_groups(context["request"].user, contact)


@register.simple_tag
def contact_merge_history(contact, limit: int = 50):
    return merge_history(contact)[:limit]


@register.simple_tag
def merge_choices_text(record) -> str:
    """Which profile each differing value was taken from, in the reader's language ("E-mail from #50")."""
    parts = []
    for key, side in record.choices.items():
        label = FIELD_LABELS.get(key) or key.removeprefix("property:")
        contact_id = record.source_id if side == "source" else record.target_id
        parts.append(_("%(field)s from #%(contact)s") % {"field": label, "contact": contact_id})
    return ", ".join(parts)
