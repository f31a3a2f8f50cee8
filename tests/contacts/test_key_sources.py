"""Every key says where it came from and whether a platform vouches for it."""

import json

import pytest
from django.urls import reverse

from channels.models import WebchatSession
from contacts.models import ContactKey, KeySource
from contacts.services import contact_create, contact_key_add, contact_profile_update
from tests.factories import contact_of, inbound


def key_of(contact, kind):
    return ContactKey.objects.get(contact=contact, kind=kind)


def test_a_whatsapp_number_is_a_verified_channel_key_naming_its_identity(whatsapp):
    message = inbound(whatsapp, "6281234567890")
    key = key_of(contact_of(message), "phone")
    assert (key.source, key.verified, key.identity_id) == (KeySource.CHANNEL, True, message.identity_id)


def test_the_address_an_email_came_from_is_verified(email_channel):
    key = key_of(contact_of(inbound(email_channel, "sheena@example.com")), "email")
    assert (key.source, key.verified) == (KeySource.CHANNEL, True)


def test_a_phone_typed_in_the_web_chat_form_is_an_unverified_prechat_claim(webchat):
    message = inbound(webchat, "s", phone="081234567890", email="a@example.com")
    contact = contact_of(message)
    for kind in ("phone", "email"):
        key = key_of(contact, kind)
        assert (key.source, key.verified, key.identity_id) == (KeySource.PRECHAT, False, message.identity_id)


def test_an_agents_edit_is_recorded_as_an_unverified_agent_key(db, manager):
    contact = contact_create(name="Sheena")
    contact_profile_update(actor=manager, contact=contact, email="sheena@example.com")
    key = key_of(contact, "email")
    assert (key.source, key.verified, key.identity_id) == (KeySource.AGENT, False, None)


def test_an_import_is_unverified(db):
    contact = contact_create(name="Sheena")
    key = contact_key_add(contact=contact, kind="email", raw="sheena@example.com", source=KeySource.IMPORT)
    assert (key.source, key.verified) == (KeySource.IMPORT, False)


def test_a_claimed_value_becomes_verified_when_the_platform_gives_it_later(db):
    contact = contact_create(name="Sheena")
    contact_key_add(contact=contact, kind="email", raw="sheena@example.com", source=KeySource.PRECHAT)
    contact_key_add(contact=contact, kind="email", raw="sheena@example.com", source=KeySource.CHANNEL)
    key = key_of(contact, "email")
    assert (key.source, key.verified) == (KeySource.CHANNEL, True)


def test_a_verified_value_is_not_downgraded_by_a_later_claim(db):
    contact = contact_create(name="Sheena")
    contact_key_add(contact=contact, kind="email", raw="sheena@example.com", source=KeySource.CHANNEL)
    contact_key_add(contact=contact, kind="email", raw="sheena@example.com", source=KeySource.PRECHAT)
    assert key_of(contact, "email").verified is True


@pytest.mark.parametrize(
    ("fields", "kept"),
    [
        (["name", "email"], {"name": "Sheena", "email": "sheena@example.com", "phone": ""}),
        (["name"], {"name": "Sheena", "email": "", "phone": ""}),
    ],
)
def test_the_widget_keeps_only_the_fields_its_prechat_form_asks_for(client, webchat, fields, kept):
    webchat.settings = {"prechat": {"enabled": True, "fields": fields, "required": []}}
    webchat.save()
    url = reverse("inbound:widget_sessions", args=[webchat.public_id])
    sent = {"name": "Sheena", "email": "sheena@example.com", "phone": "+6281234567890"}
    response = client.post(url, json.dumps(sent), content_type="application/json")
    assert response.status_code == 201
    session = WebchatSession.objects.get()
    assert {"name": session.name, "email": session.email, "phone": session.phone} == kept


def test_the_widget_without_a_prechat_form_keeps_no_email_or_phone(client, webchat):
    url = reverse("inbound:widget_sessions", args=[webchat.public_id])
    body = json.dumps({"email": "customer@example.com", "phone": "+6281234567890"})
    assert client.post(url, body, content_type="application/json").status_code == 201
    session = WebchatSession.objects.get()
    assert (session.email, session.phone) == ("", "")


def test_a_field_the_form_does_not_ask_for_is_ignored_not_refused(client, webchat):
    webchat.settings = {"prechat": {"enabled": True, "fields": ["name"], "required": []}}
    webchat.save()
    url = reverse("inbound:widget_sessions", args=[webchat.public_id])
    body = json.dumps({"name": "Sheena", "phone": "12"})
    assert client.post(url, body, content_type="application/json").status_code == 201
    assert WebchatSession.objects.get().phone == ""
