"""Reads on conversations and timelines, scoped to what the user may see."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Q, QuerySet, Subquery

from channels.models import ChannelIdentity
from channels.selectors import accessible_channel_ids
from contacts.models import Comment, Contact
from contacts.selectors import visible_contacts
from conversations.models import Conversation, ConversationStatus, Event, Message

PAGE = 30
TIMELINE_PAGE = 30
INBOX_FILTERS = ("mine", "unassigned", "teams", "all")


def visible_conversations(user) -> QuerySet[Conversation]:
    conversations = Conversation.objects.all()
    if accessible_channel_ids(user) is None:
        return conversations
    return conversations.filter(contact__in=visible_contacts(user))


def user_can_access_conversation(user, conversation: Conversation) -> bool:
    return visible_conversations(user).filter(pk=conversation.pk).exists()


def inbox_conversations(user, *, box="all", status="open", channel_id=None, query="") -> QuerySet[Conversation]:
    conversations = visible_conversations(user).filter(status=status)
    if box == "mine":
        conversations = conversations.filter(assignee=user)
    elif box == "unassigned":
        conversations = conversations.filter(assignee__isnull=True)
    elif box == "teams":
        conversations = conversations.filter(team__members=user)
    if channel_id:
        conversations = conversations.filter(contact__identities__channel_id=channel_id).distinct()
    if query:
        conversations = conversations.filter(
            Q(contact__name__icontains=query) | Q(contact__keys__value__icontains=query)
        ).distinct()
    latest = Message.objects.filter(conversation=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        conversations.select_related("contact", "channel", "assignee")
        .annotate(preview=Subquery(latest.values("body")[:1]))
        .order_by("-last_message_at", "-id")
    )


COUNT_CAP = 1000


def capped_count(queryset, cap: int = COUNT_CAP) -> int:
    """Count up to `cap` rows (shown as "999+"): the cost stays flat however many rows match."""
    return queryset.values("pk")[:cap].count()


def inbox_counts(user) -> dict[str, int]:
    open_conversations = visible_conversations(user).filter(status=ConversationStatus.OPEN)
    return {
        "open": capped_count(open_conversations),
        "unassigned": capped_count(open_conversations.filter(assignee__isnull=True)),
        "mine": capped_count(open_conversations.filter(assignee=user)),
        "unread": capped_count(open_conversations.filter(unread_count__gt=0)),
    }


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # "message", "event" or "comment"
    at: datetime
    obj: object


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    older_cursor: str | None  # pass back as ?before= to load the previous page


def contact_timeline(contact: Contact, *, before: str | None = None) -> TimelinePage:
    """One chronological timeline across every channel and conversation of the contact.

    Keyset-paginated on messages (newest page first); events and comments of the same span
    are interleaved, so a long history is never loaded whole.
    """
    messages = Message.objects.filter(conversation__contact=contact).select_related("identity__channel", "author")
    if before:
        at_text, _, pk = before.rpartition("_")
        at = datetime.fromisoformat(at_text)
        messages = messages.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=int(pk)))
    page = list(messages.order_by("-created_at", "-id")[: TIMELINE_PAGE + 1])
    has_older = len(page) > TIMELINE_PAGE
    page = page[:TIMELINE_PAGE]
    span = Q()
    if has_older and page:
        span &= Q(created_at__gte=page[-1].created_at)
    if before:
        span &= Q(created_at__lt=at)
    events = Event.objects.filter(span, contact=contact).select_related("actor")
    comments = Comment.objects.filter(span, contact=contact).select_related("author")
    items = [TimelineItem("message", m.created_at, m) for m in page]
    items += [TimelineItem("event", e.created_at, e) for e in events]
    items += [TimelineItem("comment", c.created_at, c) for c in comments]
    items.sort(key=lambda item: (item.at, item.kind != "event"))
    cursor = f"{page[-1].created_at.isoformat()}_{page[-1].pk}" if has_older else None
    return TimelinePage(items, cursor)


def composer_identities(contact: Contact) -> list[ChannelIdentity]:
    """Every channel of the contact, the main channel first."""
    identities = list(ChannelIdentity.objects.filter(contact=contact).select_related("channel").order_by("id"))
    identities.sort(key=lambda identity: identity.pk != contact.main_identity_id)
    return identities


def live_cursor() -> str:
    """Changes whenever a message or a merge suggestion is stored (two index-only lookups)."""
    from merging.models import MergeSuggestion

    last_message = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_suggestion = MergeSuggestion.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return f"{last_message}.{last_suggestion}"
