"""Messenger and Instagram Send API: POST /me/messages with the page access token; files are
uploaded to /me/message_attachments first; inbound files are fetched from their attachment URL."""

import json
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.cache import cache

from channels.platforms.base import MB, Outbound
from channels.platforms.http import (
    FilePart,
    MediaUnavailable,
    SendFailed,
    fetch_bytes,
    get_json,
    post_json,
    post_multipart,
)

MAX_BYTES = 25 * MB
PROFILE_CACHE_SECONDS = 24 * 3600
PROFILE_MISS_CACHE_SECONDS = 600
# The Graph API user profile fields each platform grants a page (Messenger) or account (Instagram).
PROFILE_FIELDS = {"messenger": "first_name,last_name,profile_pic", "instagram": "name,username,profile_pic"}
ATTACHMENT_TYPES = {"image": "image", "audio": "audio", "video": "video", "document": "file"}


def send_text(message: Outbound) -> str:
    return _send(message, {"text": message.body})


def send_media(message: Outbound) -> str:
    """Upload, then send the attachment; a caption goes first as its own text message."""
    media = message.media
    if len(media.content) > MAX_BYTES:
        raise SendFailed("Messenger accepts files up to 25 MB.")
    attachment_type = ATTACHMENT_TYPES.get(media.kind, "file")
    uploaded = post_multipart(
        _url(message.channel, "message_attachments"),
        {"message": json.dumps({"attachment": {"type": attachment_type, "payload": {"is_reusable": True}}})},
        FilePart("filedata", media.filename, media.content_type, media.content),
    )
    if not uploaded.get("attachment_id"):
        raise SendFailed(f"Meta answered the upload without an attachment id: {uploaded}")
    if message.body:
        send_text(message)
    return _send(
        message, {"attachment": {"type": attachment_type, "payload": {"attachment_id": uploaded["attachment_id"]}}}
    )


def download_media(channel, item: dict, max_bytes: int) -> bytes:
    if not item.get("ref"):
        raise MediaUnavailable("the attachment has no URL")
    return fetch_bytes(item["ref"], max_bytes=max_bytes)


def _url(channel, endpoint: str) -> str:
    if not channel.access_token:
        raise SendFailed("This channel has no page access token.")
    return f"{settings.META_GRAPH_API_BASE}/me/{endpoint}?access_token={quote(channel.access_token)}"


def _send(message: Outbound, content: dict) -> str:
    response = post_json(
        _url(message.channel, "messages"),
        {
            # A chat-plugin visitor is known by the user_ref the plugin gave them, not a PSID.
            "recipient": {"id": message.recipient} if message.recipient.isdigit() else {"user_ref": message.recipient},
            "messaging_type": "RESPONSE",
            "message": content,
        },
    )
    if "message_id" not in response:
        raise SendFailed(f"Meta answered without a message id: {response}")
    return response["message_id"]


def profile(channel, user_id: str) -> dict:
    """The sender's name, username and picture from the Graph API, cached; {} when Meta will not say.

    Webhooks carry no names: a good inbox looks the profile up once per person.
    """
    key = f"meta-profile:{channel.pk}:{user_id}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    found = _profile_lookup(channel, user_id)
    cache.set(key, found, PROFILE_CACHE_SECONDS if found else PROFILE_MISS_CACHE_SECONDS)
    return found


def _profile_lookup(channel, user_id: str) -> dict:
    if not channel.access_token or not user_id.isdigit():
        return {}  # chat-plugin senders (user_ref) have no profile to look up
    query = urlencode(
        {"fields": PROFILE_FIELDS.get(channel.kind, "name,profile_pic"), "access_token": channel.access_token}
    )
    try:
        answer = get_json(f"{settings.META_GRAPH_API_BASE}/{quote(user_id)}?{query}")
    except SendFailed:
        return {}
    name = answer.get("name") or " ".join(
        str(answer[k]) for k in ("first_name", "last_name") if isinstance(answer.get(k), str) and answer[k]
    )
    picture = answer.get("profile_pic") if isinstance(answer.get("profile_pic"), str) else ""
    return {
        "name": str(name)[:255],
        "username": str(answer.get("username") or "")[:255],
        "picture_url": picture[:1000] if picture.startswith(("https://", "http://")) else "",
    }
