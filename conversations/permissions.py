"""Access helpers: 404 for what the user may not see."""

from django.http import Http404

from config.workspace import permissions
from conversations.models import Attachment, Conversation
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


def access_attachment(user, attachment_id: int) -> Attachment:
    """An attachment of a message the user may see, i.e. on a channel they work (404 otherwise)."""
    attachment = (
        permissions.visible(user, Attachment.objects.filter(pk=attachment_id))
        .select_related("message__conversation", "message__channel")
        .first()
    )
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment
