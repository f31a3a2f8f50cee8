"""Reads for merge suggestions, merge dialogs and merge history."""

from django.db.models import Prefetch, Q, QuerySet

from channels.models import ChannelIdentity
from config.workspace.permissions import sees_all_channels
from contacts.models import Contact
from contacts.selectors import contact_profiles, visible_contacts
from conversations.selectors import capped_count
from merging.models import MergeRecord, MergeSuggestion, SuggestionStatus


def _with_contacts(suggestions: QuerySet[MergeSuggestion]) -> QuerySet[MergeSuggestion]:
    identities = Prefetch("identities", queryset=ChannelIdentity.objects.select_related("channel").order_by("id"))
    contacts = Contact.objects.select_related("primary_email", "primary_phone").prefetch_related(identities)
    return suggestions.prefetch_related(
        Prefetch("contact_a", queryset=contacts), Prefetch("contact_b", queryset=contacts)
    )


def open_suggestions_for(user, contact: Contact) -> list[MergeSuggestion]:
    """Open suggestions of one contact whose other side the user may also see."""
    suggestions = visible_suggestions(user).filter(Q(contact_a=contact) | Q(contact_b=contact))
    return list(_with_contacts(suggestions).order_by("-created_at"))


def dashboard_suggestions(user, limit: int = 20) -> QuerySet[MergeSuggestion]:
    return _with_contacts(visible_suggestions(user)).order_by("-created_at", "-id")[:limit]


def open_suggestion_count(user) -> int:
    return capped_count(visible_suggestions(user))


def visible_suggestions(user) -> QuerySet[MergeSuggestion]:
    """Open suggestions whose two contacts the user may both see."""
    suggestions = MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN)
    if sees_all_channels(user):
        return suggestions
    visible = visible_contacts(user)
    return suggestions.filter(contact_a__in=visible, contact_b__in=visible)


def merge_history(contact: Contact) -> QuerySet[MergeRecord]:
    """Merges and unmerges that involved the contact or any of its profiles."""
    profiles = [contact.pk, *Contact.objects.filter(root=contact).values_list("pk", flat=True)]
    return (
        MergeRecord.objects.filter(Q(target_id__in=profiles) | Q(source_id__in=profiles))
        .select_related("actor", "source", "target")
        .order_by("-created_at")
    )


def profile_tree(contact: Contact) -> list[tuple[Contact, int, list[Contact]]]:
    """The merged profiles of a contact in merge-tree order: each with its depth (1: merged into
    the contact itself) and the profiles merged into it, which an unmerge of it takes along."""
    profiles = contact_profiles(contact)
    children: dict[int, list[Contact]] = {}
    for profile in profiles:
        children.setdefault(profile.merged_into_id, []).append(profile)

    def below(pk: int) -> list[Contact]:
        return [p for child in children.get(pk, []) for p in (child, *below(child.pk))]

    ordered = []

    def walk(pk: int, depth: int) -> None:
        for child in children.get(pk, []):
            ordered.append((child, depth, below(child.pk)))
            walk(child.pk, depth + 1)

    walk(contact.pk, 1)
    return ordered
