"""Web chat visitor sessions and their pre-chat form (the widget itself is static/widget/widget.js)."""

import hashlib
import secrets

from django.utils.translation import gettext as _

from channels.models import Channel, WebchatSession
from config.workspace.models import Workspace
from contacts.normalize import clean_text, normalize_email, normalize_phone

PRECHAT_FIELDS = ("name", "email", "phone")


def prechat_settings(channel: Channel) -> dict:
    prechat = channel.settings.get("prechat") or {}
    fields = [f for f in prechat.get("fields", []) if f in PRECHAT_FIELDS]
    required = [f for f in prechat.get("required", []) if f in fields]
    return {"enabled": bool(prechat.get("enabled") and fields), "fields": fields, "required": required}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def prechat_errors(channel: Channel, data: dict) -> dict[str, str]:
    """The same checks the browser makes, made again on the server (on the fields the form asks
    for: the others are not kept)."""
    settings = prechat_settings(channel)
    errors = {}
    for field in settings["required"]:
        if not str(data.get(field) or "").strip():
            errors[field] = _("This field is required.")
    asked = set(settings["fields"]) if settings["enabled"] else set()
    email = str(data.get("email") or "").strip() if "email" in asked else ""
    if email and "email" not in errors and not normalize_email(email).is_valid:
        errors["email"] = _("Enter a valid e-mail address.")
    phone = str(data.get("phone") or "").strip() if "phone" in asked else ""
    if phone and "phone" not in errors and not normalize_phone(phone, Workspace.current().phone_region).is_valid:
        errors["phone"] = _("Enter a valid phone number.")
    return errors


def webchat_session_start(
    *, channel: Channel, name: str = "", email: str = "", phone: str = ""
) -> tuple[WebchatSession, str]:
    """A new visitor session; returns it with its secret token (only its hash is stored).

    Only the fields the channel's pre-chat form asks for are kept: a visitor cannot slip in an
    e-mail or phone the form never showed (and raise a merge suggestion with it).
    """
    asked = prechat_settings(channel)
    asked = set(asked["fields"]) if asked["enabled"] else set()
    name, email, phone = (
        value if field in asked else "" for field, value in zip(PRECHAT_FIELDS, (name, email, phone), strict=True)
    )
    token = secrets.token_urlsafe(32)
    session = WebchatSession.objects.create(
        channel=channel,
        token_hash=_hash(token),
        name=clean_text(name.strip(), 255),
        email=clean_text(email.strip(), 320),
        phone=clean_text(phone.strip(), 64),
    )
    return session, token


def session_for_token(channel: Channel, token: str) -> WebchatSession | None:
    if not token:
        return None
    return WebchatSession.objects.filter(channel=channel, token_hash=_hash(token)).first()
