"""E-mail replies over SMTP, threaded with In-Reply-To and References."""

import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage

from channels.platforms.base import Outbound
from channels.platforms.email.inbound import one_line
from channels.platforms.http import SendFailed


def send_text(message: Outbound) -> str:
    """A reply, with its file attached if it has one."""
    channel = message.channel
    headers = {"Message-ID": make_msgid(domain=channel.settings.get("domain", "localhost"))}
    in_reply_to = one_line(message.in_reply_to)  # rows stored before headers were cleaned may hold CR/LF
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = in_reply_to
    email = EmailMessage(
        subject=one_line(message.subject or channel.settings.get("subject", "Re: your message")),
        body=message.body,
        from_email=channel.settings.get("address", settings.DEFAULT_FROM_EMAIL),
        to=[message.recipient],
        headers=headers,
    )
    if message.media is not None:
        email.attach(message.media.filename, message.media.content, message.media.content_type)
    try:
        email.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise SendFailed(f"SMTP: {exc}") from exc
    return headers["Message-ID"]
