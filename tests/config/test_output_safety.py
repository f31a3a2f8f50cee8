"""XSS payloads arriving through every channel render as text on every page."""

import json
from email.utils import formataddr

import pytest
from django.urls import reverse

from channels.models import ChannelKind
from contacts.models import Contact
from merging.models import MergeSuggestion
from merging.services import contact_merge
from tests.factories import deliver, make_channel, meta_delivery, meta_message, tg_text, wa_text, webchat_message

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "<svg onload=alert(3)>",
    "javascript:alert(4)",
    "'-alert(5)-'",
    "{{ 7*7 }}<iframe src=//evil>",
]


def deliver_everywhere(client, payload: str, index: int):
    wa = make_channel(ChannelKind.WHATSAPP, name=f"wa{index}")
    tg = make_channel(ChannelKind.TELEGRAM, name=f"tg{index}")
    mail = make_channel(ChannelKind.EMAIL, name=f"mail{index}")
    web = make_channel(ChannelKind.WEBCHAT, name=f"web{index}")
    fb = make_channel(ChannelKind.MESSENGER, name=f"fb{index}")
    deliver(client, wa, wa_text(f"62812345678{index:02d}", payload, name=payload))
    update = tg_text(9000 + index, payload)
    update["message"]["from"]["first_name"] = payload
    deliver(client, tg, update)
    html = f"<html><body><p>{payload}</p><script>alert('mail')</script></body></html>"
    raw = (
        f"From: {formataddr((payload, f'x{index}@example.com'))}\r\nSubject: {payload}\r\n"
        f"Message-ID: <xss{index}@x>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}"
    ).encode()
    deliver(client, mail, raw)
    deliver(client, web, webchat_message(f"s{index}", payload, name=payload, email=f"x{index}@example.com"))
    messenger = meta_delivery(meta_message(f"77{index}", payload, f"m_xss{index}"))
    deliver(client, fb, json.dumps(messenger))


def pages(manager_contact, suggestion):
    conversation = manager_contact.conversations.first()
    return [
        reverse("conversations:inbox"),
        reverse("conversations:detail", args=[conversation.pk]),
        reverse("contacts:list"),
        reverse("contacts:detail", args=[manager_contact.pk]),
        reverse("dashboard"),
        reverse("merging:dialog") + f"?suggestion={suggestion.pk}",
        reverse("merging:search") + f"?target={manager_contact.pk}&q=x",
        reverse("merging:unmerge", args=[manager_contact.pk]),
    ]


@pytest.mark.parametrize("index,payload", list(enumerate(XSS)))
def test_xss_through_every_channel_renders_as_text_on_every_page(client, manager, index, payload):
    deliver_everywhere(client, payload, index)
    contacts = list(Contact.objects.filter(root__isnull=True))
    assert len(contacts) == 5
    contact_merge(actor=manager, target=contacts[0], source=contacts[1])
    suggestion = MergeSuggestion.objects.filter(status="open").first() or MergeSuggestion.objects.create(
        contact_a=min(contacts[2], contacts[3], key=lambda c: c.pk),
        contact_b=max(contacts[2], contacts[3], key=lambda c: c.pk),
        reason_kind="email",
        reason_value=payload,
    )
    client.force_login(manager)
    for url in pages(contacts[0], suggestion):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        dangerous = [p for p in XSS if "<" in p or '"' in p]
        for raw in dangerous:
            assert raw not in body, (url, raw)
        assert "alert('mail')" not in body, url
