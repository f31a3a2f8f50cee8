"""Messenger and Instagram Send API: POST /me/messages with the page access token."""

from urllib.parse import quote

from django.conf import settings

from channels.clients import SendFailed, post_json


def send_text(message) -> str:
    token = message.channel.access_token
    if not token:
        raise SendFailed("This channel has no page access token.")
    response = post_json(
        f"{settings.META_GRAPH_API_BASE}/me/messages?access_token={quote(token)}",
        {
            "recipient": {"id": message.identity.external_id},
            "messaging_type": "RESPONSE",
            "message": {"text": message.body},
        },
    )
    if "message_id" not in response:
        raise SendFailed(f"Meta answered without a message id: {response}")
    return response["message_id"]
