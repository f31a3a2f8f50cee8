import pytest
from django.urls import reverse

from contacts.models import Contact
from merging.models import MergeRecord
from merging.services import contact_merge
from tests.factories import contact_of, inbound

HTMX = {"HX-Request": "true"}


@pytest.fixture
def people(whatsapp, email_channel, webchat):
    wa = contact_of(inbound(whatsapp, "6281234567890", "halo", name="Sheena WA"))
    mail = contact_of(inbound(email_channel, "sheena@example.com", "hi", name="Sheena Mail"))
    web = contact_of(inbound(webchat, "s1", "hey", name="Rina"))
    return wa, mail, web


def test_contacts_module_lists_contacts_for_a_manager(client, manager, people):
    client.force_login(manager)
    body = client.get(reverse("contacts:list")).content.decode()
    assert "Sheena WA" in body and "Rina" in body


@pytest.mark.parametrize("url", ["contacts:list"])
def test_agent_gets_no_contacts_module_even_by_url(client, agent, people, url):
    client.force_login(agent)
    assert client.get(reverse(url)).status_code == 403
    assert b'href="/contacts/"' not in client.get(reverse("conversations:inbox")).content


def test_agent_gets_no_contact_detail_page(client, agent, people):
    client.force_login(agent)
    assert client.get(reverse("contacts:detail", args=[people[0].pk])).status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "0812-3456-7890",
        "+62 812 3456 7890",
        "6281234567890",
        "0812345",
        "SHEENA@example.com",
        "sheena@",
        "Sheena",
        "shee",
    ],
)
def test_search_by_name_email_or_phone_typed_in_any_format(client, manager, people, query):
    client.force_login(manager)
    body = client.get(reverse("contacts:list"), {"q": query}).content.decode()
    assert "Sheena" in body
    assert "Rina" not in body


def test_search_fragment_for_htmx(client, manager, people):
    client.force_login(manager)
    response = client.get(reverse("contacts:list"), {"q": "Rina"}, headers={**HTMX, "HX-Target": "contact-table"})
    assert b"<html" not in response.content and b"Rina" in response.content


def test_merged_contacts_are_marked_with_an_icon(client, manager, people):
    wa, mail, _ = people
    contact_merge(actor=manager, target=wa, source=mail)
    client.force_login(manager)
    body = client.get(reverse("contacts:list")).content.decode()
    row = body[body.index(f'id="contact-{wa.pk}"') :]
    assert 'class="merged-icon"' in row[: row.index("</tr>")]
    assert f'id="contact-{mail.pk}"' not in body


def test_contact_list_pages_with_a_stable_query_count(client, manager, webchat, django_assert_max_num_queries):
    for i in range(30):
        inbound(webchat, f"v{i}", "hi", name=f"Visitor {i}")
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        first = client.get(reverse("contacts:list")).content.decode()
    assert "More contacts" in first
    cursor = first[first.index("&amp;cursor=") + 12 :].split('"')[0]
    second = client.get(reverse("contacts:list") + f"?cursor={cursor}").content.decode()
    assert second.count('name="pick"') == 5


def test_contact_list_scrolls_to_every_contact_without_repeats(client, manager, webchat):
    for i in range(60):
        inbound(webchat, f"v{i}", "hi", name=f"Visitor {i}")
    client.force_login(manager)
    seen, url = [], reverse("contacts:list")
    while url:
        body = client.get(url, headers=HTMX if seen else {}).content.decode()
        seen += [int(chunk.split('"')[0]) for chunk in body.split('name="pick" value="')[1:]]
        more = body.split('hx-get="/contacts/?')[1].split('"')[0] if 'class="more"' in body else None
        url = "/contacts/?" + more.replace("&amp;", "&") if more else None
    assert len(seen) == len(set(seen)) == 60


def test_contact_search_pages_with_the_same_cursor(client, manager, webchat):
    for i in range(30):
        inbound(webchat, f"v{i}", "hi", name=f"Visitor {i}")
    client.force_login(manager)
    first = client.get(reverse("contacts:list"), {"q": "Visitor"}).content.decode()
    cursor = first[first.index("&amp;cursor=") + 12 :].split('"')[0]
    rows = client.get(reverse("contacts:list"), {"q": "Visitor", "cursor": cursor}, headers=HTMX).content.decode()
    assert "<html" not in rows and rows.count('name="pick"') == 5


@pytest.mark.parametrize("garbage", ["x", "12_", "_3", "99999999999999999999_1", "1_2_3", "-1_a"])
def test_contact_list_answers_a_garbled_cursor_with_400(client, manager, garbage):
    client.force_login(manager)
    assert client.get(reverse("contacts:list"), {"cursor": garbage}).status_code == 400


def test_unmerge_dialog_lists_profiles_and_unmerge_splits_one_off(client, manager, people):
    wa, mail, _ = people
    contact_merge(actor=manager, target=wa, source=mail)
    client.force_login(manager)
    dialog = client.get(reverse("merging:unmerge", args=[wa.pk]), headers=HTMX).content.decode()
    assert "Sheena Mail" in dialog and f"ID {mail.pk}" in dialog and "sheena@example.com" in dialog
    response = client.post(reverse("merging:unmerge", args=[wa.pk]), {"profile": mail.pk}, headers=HTMX)
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("contacts:list")
    assert Contact.objects.get(pk=mail.pk).root_id is None
    assert MergeRecord.objects.filter(action="unmerge").count() == 1


def test_unmerge_without_a_pick_says_so(client, manager, people):
    wa, mail, _ = people
    contact_merge(actor=manager, target=wa, source=mail)
    client.force_login(manager)
    response = client.post(reverse("merging:unmerge", args=[wa.pk]), {}, headers=HTMX)
    assert b"Pick the profile" in response.content
    assert Contact.objects.get(pk=mail.pk).root_id == wa.pk


def test_agent_cannot_unmerge_by_url_or_post(client, agent, manager, people):
    wa, mail, _ = people
    contact_merge(actor=manager, target=wa, source=mail)
    client.force_login(agent)
    assert client.get(reverse("merging:unmerge", args=[wa.pk])).status_code == 403
    assert client.post(reverse("merging:unmerge", args=[wa.pk]), {"profile": mail.pk}).status_code == 403
    assert Contact.objects.get(pk=mail.pk).root_id == wa.pk


def test_absorbed_contacts_detail_url_redirects_to_the_merged_contact(client, manager, people):
    wa, mail, _ = people
    contact_merge(actor=manager, target=wa, source=mail)
    client.force_login(manager)
    response = client.get(reverse("contacts:detail", args=[mail.pk]))
    assert response.status_code == 302 and response.url == reverse("contacts:detail", args=[wa.pk])


def test_detail_shows_merge_history(client, manager, people):
    wa, mail, _ = people
    contact_merge(actor=manager, target=wa, source=mail, choices={"name": "source"})
    client.force_login(manager)
    body = client.get(reverse("contacts:detail", args=[wa.pk])).content.decode()
    assert "Merges and unmerges" in body and "marco" in body and f"Name from #{mail.pk}" in body


def test_set_main_channel(client, manager, people):
    wa, mail, _ = people
    contact_merge(actor=manager, target=wa, source=mail)
    client.force_login(manager)
    identity = wa.identities.get(channel__kind="email")
    client.post(reverse("contacts:main_channel", args=[wa.pk]), {"identity": identity.pk})
    wa.refresh_from_db()
    assert wa.main_identity == identity


def test_agent_edits_the_profile_and_a_new_email_raises_a_suggestion(client, agent, people):
    wa, mail, _ = people
    client.force_login(agent)
    client.post(reverse("contacts:edit", args=[wa.pk]), {"email": "Sheena@Example.com", "next": "/inbox/"})
    wa.refresh_from_db()
    assert wa.primary_email.value == "sheena@example.com"
    from merging.models import MergeSuggestion

    assert MergeSuggestion.objects.filter(status="open").count() == 1


def test_search_finds_a_last_name_too(client, manager, people):
    client.force_login(manager)
    body = client.get(reverse("contacts:list"), {"q": "mail"}).content.decode()
    assert "Sheena Mail" in body and "Sheena WA" not in body
