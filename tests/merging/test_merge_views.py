import pytest
from django.urls import reverse

from config.workspace.models import Workspace
from contacts.models import Contact
from merging.models import MergeSuggestion
from tests.factories import contact_of, inbound

HTMX = {"HX-Request": "true"}


@pytest.fixture
def pair(email_channel, webchat):
    a = contact_of(inbound(email_channel, "sheena@example.com", "Another color?", name="Sheena Nelson"))
    b = contact_of(inbound(webchat, "s1", "Hi from the site", name="Sheena N", email="sheena@example.com"))
    return a, b, MergeSuggestion.objects.get()


def test_dialog_shows_both_profiles_side_by_side_with_their_history(client, agent, pair):
    a, b, suggestion = pair
    client.force_login(agent)
    body = client.get(
        reverse("merging:dialog"), {"suggestion": suggestion.pk, "target": b.pk}, headers=HTMX
    ).content.decode()
    assert "Sheena Nelson" in body and "Sheena N" in body
    assert "Another color?" in body and "Hi from the site" in body
    assert 'name="choice:name"' in body and "Merge contact" in body


def test_agent_merges_from_a_suggestion(client, agent, pair):
    a, b, suggestion = pair
    client.force_login(agent)
    response = client.post(
        reverse("merging:dialog"),
        {
            "suggestion": suggestion.pk,
            "target": b.pk,
            "source": a.pk,
            "choice:name": "source",
            "next": "/inbox/",
            "confirm_unverified": "yes",
        },
        headers=HTMX,
    )
    assert response.status_code == 200 and "Contacts merged" in response.content.decode()
    assert 'href="/inbox/"' in response.content.decode()
    b.refresh_from_db()
    assert b.name == "Sheena Nelson" and b.absorbed_count == 1


def test_agent_cannot_merge_without_a_suggestion(client, agent, pair):
    a, b, _ = pair
    client.force_login(agent)
    assert client.get(reverse("merging:dialog"), {"target": a.pk, "source": b.pk}).status_code == 403
    assert client.post(reverse("merging:dialog"), {"target": a.pk, "source": b.pk}).status_code == 403
    assert Contact.objects.filter(root__isnull=True).count() == 2


def test_agent_cannot_merge_from_suggestions_when_the_workspace_forbids(client, agent, pair):
    Workspace.objects.filter(id=1).update(agents_may_merge_suggestions=False)
    client.force_login(agent)
    assert client.post(reverse("merging:dialog"), {"suggestion": pair[2].pk}).status_code == 403


def test_manager_merges_any_two_contacts_and_picks_the_primary_email(client, manager, email_channel, webchat):
    a = contact_of(inbound(webchat, "s1", name="Rina", email="rina@work.example"))
    b = contact_of(inbound(webchat, "s2", name="Rina P", email="rina@home.example"))
    client.force_login(manager)
    response = client.post(
        reverse("merging:dialog"), {"target": a.pk, "source": b.pk, "choice:email": "source"}, headers=HTMX
    )
    assert response.status_code == 200
    a.refresh_from_db()
    assert a.primary_email.value == "rina@home.example"
    assert set(a.keys.values_list("value", flat=True)) == {"rina@work.example", "rina@home.example"}


def test_refused_merge_re_renders_the_dialog_with_the_reason(client, manager, webchat):
    contacts = [contact_of(inbound(webchat, f"s{i}")) for i in range(2)]
    client.force_login(manager)
    response = client.post(
        reverse("merging:dialog"), {"target": contacts[0].pk, "source": contacts[0].pk}, headers=HTMX
    )
    assert response.status_code == 200 and b'role="alert"' in response.content


def test_merge_of_a_contact_the_agent_cannot_see_is_404(client, agent_without_access, pair):
    client.force_login(agent_without_access)
    assert client.post(reverse("merging:dialog"), {"suggestion": pair[2].pk}).status_code == 404


def test_dismissing_a_suggestion(client, agent, pair):
    client.force_login(agent)
    response = client.post(reverse("merging:dismiss", args=[pair[2].pk]), headers=HTMX)
    assert b"Dismissed" in response.content
    pair[2].refresh_from_db()
    assert pair[2].status == "dismissed" and pair[2].resolved_by == agent


def test_merge_search_finds_contacts_with_their_channels(client, manager, pair, whatsapp):
    other = contact_of(inbound(whatsapp, "6281234567890", name="Budi"))
    client.force_login(manager)
    body = client.get(reverse("merging:search"), {"target": other.pk, "q": "sheena"}).content.decode()
    assert "Sheena Nelson" in body and "ch-email" in body and "Merge…" in body


def test_merge_search_tells_agents_they_cannot_merge_by_hand(client, agent, pair, whatsapp):
    other = contact_of(inbound(whatsapp, "6281234567890", name="Budi"))
    client.force_login(agent)
    body = client.get(reverse("merging:search"), {"target": other.pk, "q": "sheena"}).content.decode()
    assert "Merge…" not in body and "Only managers and owners" in body


def test_dashboard_shows_suggestions_and_workload_to_managers(client, manager, pair):
    client.force_login(manager)
    body = client.get(reverse("dashboard")).content.decode()
    assert "Merge suggestions" in body and "Same e-mail" in body and "<svg" in body


def test_agent_gets_no_dashboard(client, agent):
    client.force_login(agent)
    assert client.get(reverse("dashboard")).status_code == 403
    assert client.get(reverse("home")).url == reverse("conversations:inbox")


def test_without_javascript_the_dialog_is_a_full_page(client, manager, pair):
    a, b, _ = pair
    client.force_login(manager)
    body = client.get(reverse("merging:dialog"), {"target": a.pk, "source": b.pk}).content.decode()
    assert "<html" in body and "Merge contact" in body


def test_manager_starts_a_duplicate_scan_and_sees_its_progress(client, manager):
    from merging.models import BackfillRun

    client.force_login(manager)
    assert client.post(reverse("merging:backfill")).url == reverse("dashboard")
    assert BackfillRun.objects.get().status == "queued"
    assert "Last scan: Queued, 0%" in client.get(reverse("dashboard")).content.decode()
