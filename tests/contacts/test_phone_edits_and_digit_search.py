"""Phones typed in Edit profile are validated like every phone entry; any run of digits finds a number."""

import pytest
from django.urls import reverse

from contacts.models import ContactKey, Event, EventKind
from tests.factories import contact_of, inbound


@pytest.fixture
def sheena(whatsapp):
    return contact_of(inbound(whatsapp, "6281221980000", "halo", name="Sheena WA"))


def test_an_invalid_phone_is_kept_as_typed_but_never_made_primary_and_the_user_is_warned(client, manager, sheena):
    client.force_login(manager)
    primary = sheena.primary_phone_id
    response = client.post(
        reverse("contacts:edit", args=[sheena.pk]), {"name": sheena.name, "phone": "12-ab"}, follow=True
    )
    sheena.refresh_from_db()
    assert sheena.primary_phone_id == primary
    key = ContactKey.objects.get(contact=sheena, kind="phone", is_valid=False)
    assert "12" in key.value and key.match_value == ""
    assert "is not a valid phone number" in response.content.decode()
    assert Event.objects.get(contact=sheena, kind=EventKind.PROPERTY_CHANGED).data["phone_valid"] is False


def test_an_invalid_phone_is_not_primary_even_when_the_contact_has_no_phone(client, manager, webchat):
    visitor = contact_of(inbound(webchat, "s1", "hey", name="Rina"))
    client.force_login(manager)
    client.post(reverse("contacts:edit", args=[visitor.pk]), {"name": "Rina", "phone": "999"})
    visitor.refresh_from_db()
    assert visitor.primary_phone_id is None
    assert ContactKey.objects.filter(contact=visitor, kind="phone").exists()


def test_a_valid_phone_typed_in_any_format_becomes_primary(client, manager, sheena):
    client.force_login(manager)
    response = client.post(
        reverse("contacts:edit", args=[sheena.pk]), {"name": sheena.name, "phone": "0812 3456 7890"}, follow=True
    )
    sheena.refresh_from_db()
    assert sheena.primary_phone.value == "+6281234567890"
    assert "is not a valid phone number" not in response.content.decode()


@pytest.mark.parametrize("query", ["2198", "22198", "21-98", "1221 98"])
def test_contacts_search_finds_partial_digits_of_a_number(client, manager, sheena, webchat, query):
    inbound(webchat, "s1", "hey", name="Rina")
    client.force_login(manager)
    body = client.get(reverse("contacts:list"), {"q": query}).content.decode()
    assert "Sheena WA" in body and "Rina" not in body


def test_three_digits_are_not_a_phone_search(client, manager, sheena):
    client.force_login(manager)
    assert "Sheena WA" not in client.get(reverse("contacts:list"), {"q": "219"}).content.decode()
