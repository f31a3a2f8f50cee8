"""Reads on conversations and timelines, scoped to what the user may see."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Q, QuerySet, Subquery

from channels.models import ChannelIdentity
from config.cursors import Cursor, cursor_of, keyset_before
from config.workspace import permissions
from contacts.models import Comment, Contact, Event
from conversations.models import Conversation, ConversationStatus, Direction, Message

PAGE = 30
TIMELINE_PAGE = 30
INBOX_FILTERS = ("mine", "unassigned", "teams", "all")


def visible_conversations(user) -> QuerySet[Conversation]:
    """Conversations on the channels the user may work on (the permission policy)."""
    return permissions.visible(user, Conversation.objects.all())


def inbox_conversations(
    user, *, box="all", status="open", channel_id=None, query="", cursor: Cursor | None = None, ids=None
) -> QuerySet[Conversation]:
    """One tab and filter of the inbox, newest message first (id breaks ties), from `cursor` on.

    `ids` narrows it to some conversations (the rows a live update refreshes): a row that no
    longer belongs to this tab or filter is simply not returned.
    """
    conversations = keyset_before(visible_conversations(user).filter(status=status), cursor, "last_message_at")
    if ids is not None:
        conversations = conversations.filter(pk__in=ids)
    if box == "mine":
        conversations = conversations.filter(assignee=user)
    elif box == "unassigned":
        conversations = conversations.filter(assignee__isnull=True)
    elif box == "teams":
        conversations = conversations.filter(team__group__user=user)
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


@dataclass(frozen=True)
class InboxPage:
    conversations: list[Conversation]
    next_cursor: str | None  # pass back as ?cursor= for the next page


def inbox_page(user, *, cursor: Cursor | None = None, **params) -> InboxPage:
    page = list(inbox_conversations(user, cursor=cursor, **params)[: PAGE + 1])
    last = page[PAGE - 1] if len(page) > PAGE else None
    return InboxPage(page[:PAGE], cursor_of(last.last_message_at, last.pk) if last else None)


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


def contact_timeline(user, contact: Contact, *, before: Cursor | None = None) -> TimelinePage:
    """One chronological timeline across every channel and conversation of the contact that the
    user may see (an agent sees only the messages, notes and events of their channels).

    Keyset-paginated on messages (newest page first); events and comments of the same span
    are interleaved, so a long history is never loaded whole.
    """
    messages = permissions.visible(user, Message.objects.filter(conversation__contact=contact))
    messages = messages.select_related("identity__channel", "author").prefetch_related("media")
    messages = keyset_before(messages, before, "created_at")
    page = list(messages.order_by("-created_at", "-id")[: TIMELINE_PAGE + 1])
    has_older = len(page) > TIMELINE_PAGE
    page = page[:TIMELINE_PAGE]
    span = Q()
    if has_older and page:
        span &= Q(created_at__gte=page[-1].created_at)
    if before:
        span &= Q(created_at__lt=before.at)
    events = permissions.visible(user, Event.objects.filter(span, contact=contact)).select_related("actor")
    comments = permissions.visible(user, Comment.objects.filter(span, contact=contact)).select_related("author")
    items = [TimelineItem("message", m.created_at, m) for m in page]
    items += [TimelineItem("event", e.created_at, e) for e in events]
    items += [TimelineItem("comment", c.created_at, c) for c in comments]
    items.sort(key=lambda item: (item.at, item.kind != "event"))
    cursor = cursor_of(page[-1].created_at, page[-1].pk) if has_older else None
    return TimelinePage(items, cursor)


def contact_inbox_conversation(user, contact: Contact) -> Conversation | None:
    """The conversation "Open in inbox" shows: the contact's open one, else its latest one
    (among those the user may see)."""
    conversations = visible_conversations(user).filter(contact=contact)
    return conversations.filter(status=ConversationStatus.OPEN).first() or conversations.order_by(
        "-last_message_at", "-id"
    ).first()


NEWER_LIMIT = 200


def timeline_since(user, contact: Contact, *, since: datetime) -> TimelinePage:
    """What the contact's timeline gained from `since` on (a live update appends it; the page
    skips items it already shows, so `since` may reach a little back)."""
    messages = permissions.visible(user, Message.objects.filter(conversation__contact=contact, created_at__gte=since))
    messages = messages.select_related("identity__channel", "author").prefetch_related("media")
    events = permissions.visible(user, Event.objects.filter(contact=contact, created_at__gte=since))
    comments = permissions.visible(user, Comment.objects.filter(contact=contact, created_at__gte=since))
    items = [TimelineItem("message", m.created_at, m) for m in messages.order_by("created_at", "id")[:NEWER_LIMIT]]
    items += [TimelineItem("event", e.created_at, e) for e in events.select_related("actor")[:NEWER_LIMIT]]
    items += [TimelineItem("comment", c.created_at, c) for c in comments.select_related("author")[:NEWER_LIMIT]]
    items.sort(key=lambda item: (item.at, item.kind != "event"))
    return TimelinePage(items, None)


def visible_message(user, message_id: int) -> Message | None:
    """One message of the timeline, if the user may see it."""
    messages = permissions.visible(user, Message.objects.filter(pk=message_id))
    return messages.select_related("identity__channel", "author", "conversation").prefetch_related("media").first()


def composer_choice(conversation: Conversation, identities: list[ChannelIdentity]) -> int | None:
    """The channel the composer preselects: the one last replied on in this conversation while it
    can still send, else the main channel, else the first that can send (closed windows are greyed)."""
    last_reply = (
        Message.objects.filter(conversation=conversation, direction=Direction.OUTBOUND, author__isnull=False)
        .order_by("-created_at", "-id")
        .values_list("identity_id", flat=True)
        .first()
    )
    sendable = [identity.pk for identity in identities if identity.can_send_free_form()]
    for candidate in (last_reply, conversation.contact.main_identity_id):
        if candidate in sendable:
            return candidate
    return sendable[0] if sendable else (identities[0].pk if identities else None)


def composer_identities(user, contact: Contact) -> list[ChannelIdentity]:
    """The contact's channels the user may answer on, the main channel first."""
    identities = permissions.visible(user, ChannelIdentity.objects.filter(contact=contact))
    identities = list(identities.select_related("channel").order_by("id"))
    identities.sort(key=lambda identity: identity.pk != contact.main_identity_id)
    return identities
