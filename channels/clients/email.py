"""E-mail replies over SMTP, threaded with In-Reply-To and References."""

import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage

from channels.clients import SendFailed


def send_text(message) -> str:
    from conversations.models import Direction, Message

    channel = message.channel
    last_inbound = (
        Message.objects.filter(
            conversation=message.conversation, identity=message.identity, direction=Direction.INBOUND
        )
        .order_by("-created_at")
        .first()
    )
    subject = channel.settings.get("subject", "Re: your message")
    headers = {"Message-ID": make_msgid(domain=channel.settings.get("domain", "localhost"))}
    if last_inbound is not None:
        first_line = last_inbound.body.split("\n", 1)[0].strip()
        subject = first_line if first_line.lower().startswith("re:") else f"Re: {first_line}"[:200]
        headers["In-Reply-To"] = last_inbound.platform_message_id
        headers["References"] = last_inbound.platform_message_id
    email = EmailMessage(
        subject=subject,
        body=message.body,
        from_email=channel.settings.get("address", settings.DEFAULT_FROM_EMAIL),
        to=[message.identity.external_id],
        headers=headers,
    )
    try:
        email.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise SendFailed(f"SMTP: {exc}") from exc
    return headers["Message-ID"]
