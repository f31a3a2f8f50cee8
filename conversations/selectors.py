"""Reads on conversations and timelines, scoped to what the user may see."""

from django.db.models import QuerySet

from channels.selectors import accessible_channel_ids
from contacts.selectors import visible_contacts
from conversations.models import Conversation


def visible_conversations(user) -> QuerySet[Conversation]:
    conversations = Conversation.objects.all()
    if accessible_channel_ids(user) is None:
        return conversations
    return conversations.filter(contact__in=visible_contacts(user))


def user_can_access_conversation(user, conversation: Conversation) -> bool:
    return visible_conversations(user).filter(pk=conversation.pk).exists()
