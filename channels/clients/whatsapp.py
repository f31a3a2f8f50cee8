"""WhatsApp Cloud API: POST /{phone_number_id}/messages with a Bearer access token."""

from django.conf import settings

from channels.clients import SendFailed, post_json


def send_text(message) -> str:
    channel = message.channel
    phone_number_id = channel.settings.get("phone_number_id")
    if not phone_number_id or not channel.access_token:
        raise SendFailed("This WhatsApp channel has no phone_number_id or access token.")
    response = post_json(
        f"{settings.WHATSAPP_API_BASE}/{phone_number_id}/messages",
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.identity.external_id,
            "type": "text",
            "text": {"preview_url": False, "body": message.body},
        },
        headers={"Authorization": f"Bearer {channel.access_token}"},
    )
    try:
        return response["messages"][0]["id"]
    except (KeyError, IndexError, TypeError) as exc:
        raise SendFailed(f"WhatsApp answered without a message id: {response}") from exc
