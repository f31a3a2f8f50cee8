"""Telegram Bot API: POST /bot<token>/sendMessage."""

from django.conf import settings

from channels.clients import SendFailed, post_json


def send_text(message) -> str:
    token = message.channel.access_token
    if not token:
        raise SendFailed("This Telegram channel has no bot token.")
    chat_id = message.identity.external_id
    response = post_json(
        f"{settings.TELEGRAM_API_BASE}/bot{token}/sendMessage",
        {"chat_id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id, "text": message.body},
    )
    if not response.get("ok"):
        raise SendFailed(f"Telegram refused the message: {response.get('description', response)}")
    return f"{chat_id}:{response['result']['message_id']}"
