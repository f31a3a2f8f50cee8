"""Access helpers: 404 for what the user may not see."""

from django.http import Http404

from conversations.models import Conversation
from conversations.selectors import visible_conversations


def access_conversation(user, conversation_id: int) -> Conversation:
    conversation = (
        visible_conversations(user)
        .select_related("contact", "channel", "assignee", "team")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation
