"""The composer keeps the channel chosen in this conversation; closed windows are greyed with the reason."""

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from channels.models import ChannelIdentity
from conversations.models import Message
from merging.services import contact_merge
from tests.factories import contact_of, inbound

HTMX = {"HX-Request": "true"}


def _options(body: str) -> dict[str, str]:
    select = body[body.index('id="identity"') : body.index("</select>", body.index('id="identity"'))]
    return dict(re.findall(r'<option value="(\d+)"([^>]*)>', select))


def _merged(manager, whatsapp, email_channel):
    conversation = inbound(whatsapp, "6281234567890", "hello", name="Sheena").conversation
    mail = contact_of(inbound(email_channel, "sheena@example.com", "by mail"))
    contact_merge(actor=manager, target=conversation.contact, source=mail)
    conversation.refresh_from_db()
    identities = {i.channel.kind: i for i in ChannelIdentity.objects.filter(contact=conversation.contact)}
    return conversation, identities


def test_after_a_send_the_composer_keeps_the_channel_just_used(client, manager, whatsapp, email_channel):
    conversation, identities = _merged(manager, whatsapp, email_channel)
    client.force_login(manager)
    url = reverse("conversations:send", args=[conversation.pk])
    body = client.post(url, {"identity": identities["email"].pk, "body": "reply by mail"}, headers=HTMX)
    options = _options(body.content.decode())
    assert "selected" in options[str(identities["email"].pk)]
    assert "selected" not in options[str(identities["whatsapp"].pk)]
    # ... and on the next visit of this conversation too.
    replied_in = Message.objects.get(body="reply by mail").conversation_id
    page = client.get(reverse("conversations:detail", args=[replied_in])).content.decode()
    assert "selected" in _options(page)[str(identities["email"].pk)]


def test_a_channel_with_a_closed_window_is_greyed_out_with_the_reason(client, manager, whatsapp, email_channel):
    conversation, identities = _merged(manager, whatsapp, email_channel)
    ChannelIdentity.objects.filter(pk=identities["whatsapp"].pk).update(
        last_inbound_at=timezone.now() - timedelta(days=2)
    )
    client.force_login(manager)
    body = client.get(reverse("conversations:detail", args=[conversation.pk])).content.decode()
    options = _options(body)
    assert "disabled" in options[str(identities["whatsapp"].pk)]
    assert "selected" in options[str(identities["email"].pk)]  # the main channel cannot send: the next one
    assert "no message from the contact in the last 24 hours" in body
