"""The unmerge dialog: the profile tree, and a preview that is the unmerge's own plan."""

from django.urls import reverse

from contacts.models import Contact
from merging.services import contact_merge, unmerge_plan
from tests.factories import contact_of, inbound

HTMX = {"HX-Request": "true"}


def nested(webchat, telegram, manager):
    a = contact_of(inbound(webchat, "sa", name="Ann"))
    b = contact_of(inbound(telegram, "77", name="Bob", phone="6281234567890"))
    d = contact_of(inbound(webchat, "sd", name="Dee"))
    contact_merge(actor=manager, target=b, source=d)
    contact_merge(actor=manager, target=a, source=Contact.objects.get(pk=b.pk))
    return a, b, d


def test_the_dialog_says_that_picking_a_nested_profile_takes_its_own_profiles_along(client, manager, webchat, telegram):
    a, b, d = nested(webchat, telegram, manager)
    client.force_login(manager)
    body = client.get(reverse("merging:unmerge", args=[a.pk]), headers=HTMX).content.decode()
    assert "Picking it also splits off the profile merged into it:" in body and f"Dee (ID {d.pk})" in body
    assert f"merged into ID {b.pk}" in body


def test_the_preview_shows_what_goes_back_and_what_stays_before_confirming(client, manager, webchat, telegram):
    a, b, d = nested(webchat, telegram, manager)
    client.force_login(manager)
    response = client.get(reverse("merging:unmerge", args=[a.pk]), {"preview": 1, "profile": b.pk}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="unmerge-preview"')
    assert "Goes back to Bob" in body and "Stays with Ann" in body and "+6281234567890" in body
    assert "With the profiles merged into it:" in body and f"Dee (ID {d.pk})" in body
    assert Contact.objects.get(pk=b.pk).root_id == a.pk  # a preview changes nothing


def test_the_preview_without_javascript_is_the_whole_dialog_with_the_pick_checked(client, manager, webchat, telegram):
    a, b, _ = nested(webchat, telegram, manager)
    client.force_login(manager)
    body = client.get(reverse("merging:unmerge", args=[a.pk]), {"profile": b.pk}).content.decode()
    assert "<html" in body and "Goes back to Bob" in body and f'value="{b.pk}" checked' in body


def test_the_preview_names_the_conversation_that_stays_whole_with_the_other_side(client, manager, webchat, telegram):
    b = contact_of(inbound(telegram, "77", name="Bob"))
    a = contact_of(inbound(webchat, "sa", name="Ann"))  # Ann's is the livelier: the merge keeps it open
    contact_merge(actor=manager, target=a, source=b)
    kept_open = inbound(telegram, "77", "B writes in Ann's open conversation").conversation
    assert kept_open.profile_id == a.pk
    plan = unmerge_plan(contact=Contact.objects.get(pk=a.pk), profile=Contact.objects.get(pk=b.pk))
    assert plan.mixed_staying == [kept_open]
    client.force_login(manager)
    body = client.get(reverse("merging:unmerge", args=[a.pk]), {"preview": 1, "profile": b.pk}, headers=HTMX)
    text = body.content.decode()
    assert f"#{kept_open.pk} stays" in text
    assert "stays whole with the profile whose channel opened it" in text


def test_the_preview_reads_a_bounded_number_of_queries(
    client, manager, webchat, telegram, django_assert_max_num_queries
):
    a, b, _ = nested(webchat, telegram, manager)
    client.force_login(manager)
    with django_assert_max_num_queries(40):
        client.get(reverse("merging:unmerge", args=[a.pk]), {"preview": 1, "profile": b.pk}, headers=HTMX)


def test_the_unmerge_dialog_refuses_other_methods(client, manager, webchat, telegram):
    a, _, _ = nested(webchat, telegram, manager)
    client.force_login(manager)
    assert client.put(reverse("merging:unmerge", args=[a.pk])).status_code == 405
