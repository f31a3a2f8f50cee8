"""The merge dialog at every entry point: which contact is kept, what the merge will do, why it was
suggested, and Undo right after."""

from datetime import timedelta

from django.urls import reverse

from config.workspace.models import Workspace
from contacts.models import Contact, Event, EventKind
from conversations.models import Conversation, ConversationStatus
from conversations.services import conversation_assign
from merging.models import MergeRecord, MergeSuggestion
from merging.services import contact_merge
from tests.factories import contact_of, inbound

HTMX = {"HX-Request": "true"}


def dialog(client, **params):
    return client.get(reverse("merging:dialog"), params, headers=HTMX)


def merge(client, **data):
    return client.post(reverse("merging:dialog"), data, headers=HTMX)


def unverified_pair(email_channel, webchat):
    a = contact_of(inbound(email_channel, "sheena@example.com", "by mail", name="Sheena"))
    b = contact_of(inbound(webchat, "s1", "on the site", name="Visitor", email="sheena@example.com"))
    return a, b, MergeSuggestion.objects.get()


def verified_pair(whatsapp, telegram):
    a = contact_of(inbound(whatsapp, "6281234567890", name="Budi"))
    b = contact_of(inbound(telegram, "77", name="Budi T", phone="+6281234567890"))
    return a, b, MergeSuggestion.objects.get()


def test_the_dialog_says_why_and_warns_about_an_unverified_claim(client, agent, email_channel, webchat):
    a, b, suggestion = unverified_pair(email_channel, webchat)
    client.force_login(agent)
    body = dialog(client, suggestion=suggestion.pk).content.decode()
    assert "Unverified claim" in body and 'name="confirm_unverified"' in body
    assert "E-mail address of Sheena" in body
    assert "address typed in the Web chat form by Visitor" in body and "unverified" in body


def test_merging_on_an_unverified_claim_needs_the_confirmation(client, agent, email_channel, webchat):
    a, b, suggestion = unverified_pair(email_channel, webchat)
    client.force_login(agent)
    body = merge(client, suggestion=suggestion.pk, target=a.pk, source=b.pk).content.decode()
    assert "confirm that you checked" in body
    assert Contact.objects.filter(root__isnull=True).count() == 2
    merge(client, suggestion=suggestion.pk, target=a.pk, source=b.pk, confirm_unverified="yes")
    assert Contact.objects.filter(root__isnull=True).count() == 1


def test_a_verified_match_merges_without_a_warning(client, agent, whatsapp, telegram):
    a, b, suggestion = verified_pair(whatsapp, telegram)
    client.force_login(agent)
    body = dialog(client, suggestion=suggestion.pk).content.decode()
    assert "Unverified claim" not in body and "WhatsApp number of Budi" in body
    response = merge(client, suggestion=suggestion.pk, target=a.pk, source=b.pk)
    assert "Contacts merged" in response.content.decode()


def test_the_user_chooses_which_contact_is_kept(client, manager, whatsapp, telegram):
    a, b, suggestion = verified_pair(whatsapp, telegram)
    client.force_login(manager)
    body = dialog(client, suggestion=suggestion.pk, target=a.pk, keep=b.pk).content.decode()
    assert f'name="keep" value="{b.pk}" checked' in " ".join(body.split())
    merge(client, suggestion=suggestion.pk, target=a.pk, source=b.pk, keep=b.pk)
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.root_id is None and a.root_id == b.pk and b.absorbed_count == 1


def test_the_dialog_shows_that_a_side_is_already_a_merged_contact(client, manager, whatsapp, telegram, webchat):
    a, b, _ = verified_pair(whatsapp, telegram)
    contact_merge(actor=manager, target=a, source=b)
    c = contact_of(inbound(webchat, "s9", name="Third"))
    client.force_login(manager)
    body = dialog(client, target=c.pk, source=a.pk).content.decode()
    assert "already a merged contact of 2 profiles" in body


def test_the_dialog_warns_that_an_open_conversation_closes_and_keeps_its_assignee(
    client, manager, agent, whatsapp, telegram
):
    a, b, suggestion = verified_pair(whatsapp, telegram)
    older = Conversation.objects.get(contact=a)
    conversation_assign(actor=manager, conversation=older, assignee=agent)
    inbound(telegram, "77", "newer message")
    client.force_login(manager)
    body = dialog(client, suggestion=suggestion.pk).content.decode()
    assert "will be closed" in body and f"#{older.pk}" in body
    assert f"Its assignee, {agent.username}, takes over" in body
    merge(client, suggestion=suggestion.pk, target=a.pk, source=b.pk)
    older.refresh_from_db()
    surviving = Conversation.objects.get(status=ConversationStatus.OPEN)
    assert older.status == ConversationStatus.CLOSED
    assert surviving.assignee == agent


def test_a_surviving_conversation_keeps_its_own_assignee(manager, agent, owner, whatsapp, telegram):
    a, b, _ = verified_pair(whatsapp, telegram)
    conversation_assign(actor=manager, conversation=Conversation.objects.get(contact=a), assignee=agent)
    inbound(telegram, "77", "newer message")
    conversation_assign(actor=manager, conversation=Conversation.objects.get(contact=b), assignee=owner)
    contact_merge(actor=manager, target=a, source=b)
    assert Conversation.objects.get(status=ConversationStatus.OPEN).assignee == owner


def test_the_dialog_shows_a_scrollable_longer_history(client, manager, whatsapp, telegram):
    a, b, suggestion = verified_pair(whatsapp, telegram)
    for n in range(12):
        inbound(whatsapp, "6281234567890", f"message number {n}")
    client.force_login(manager)
    body = dialog(client, suggestion=suggestion.pk).content.decode()
    assert all(f"message number {n}" in body for n in range(12))
    assert 'class="history"' in body


def test_after_a_merge_undo_splits_the_profile_off_again(client, manager, whatsapp, telegram):
    a, b, suggestion = verified_pair(whatsapp, telegram)
    client.force_login(manager)
    body = merge(client, suggestion=suggestion.pk, target=a.pk, source=b.pk, next="/inbox/").content.decode()
    record = MergeRecord.objects.get(action="merge")
    assert reverse("merging:undo", args=[record.pk]) in body
    response = client.post(reverse("merging:undo", args=[record.pk]), {"next": "/inbox/"}, headers=HTMX)
    assert response["HX-Redirect"] == "/inbox/"
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.root_id is None and b.root_id is None and a.absorbed_count == 0
    record.refresh_from_db()
    assert record.undone_by is not None


def test_undo_is_refused_twice(client, manager, whatsapp, telegram):
    a, b, suggestion = verified_pair(whatsapp, telegram)
    client.force_login(manager)
    merge(client, suggestion=suggestion.pk, target=a.pk, source=b.pk)
    record = MergeRecord.objects.get(action="merge")
    client.post(reverse("merging:undo", args=[record.pk]), headers=HTMX)
    body = client.post(reverse("merging:undo", args=[record.pk]), headers=HTMX).content.decode()
    assert "already undone" in body


def test_undo_rejects_get(client, manager):
    client.force_login(manager)
    assert client.get(reverse("merging:undo", args=[1])).status_code == 405


def test_an_agent_sees_the_confirmation_without_undo(client, agent, whatsapp, telegram):
    a, b, suggestion = verified_pair(whatsapp, telegram)
    client.force_login(agent)
    body = merge(client, suggestion=suggestion.pk, target=a.pk, source=b.pk).content.decode()
    assert "Contacts merged" in body and "/undo/" not in body


def test_agents_see_no_merge_button_when_the_workspace_forbids(client, agent, whatsapp, telegram):
    a, _, _ = verified_pair(whatsapp, telegram)
    client.force_login(agent)
    url = reverse("conversations:contact", args=[a.pk])
    assert "Review & merge" in client.get(url, follow=True).content.decode()
    Workspace.objects.update_or_create(id=1, defaults={"agents_may_merge_suggestions": False})
    assert "Review & merge" not in client.get(url, follow=True).content.decode()


def test_search_results_show_id_channels_and_last_message_time(client, manager, whatsapp, telegram):
    a, b, _ = verified_pair(whatsapp, telegram)
    client.force_login(manager)
    body = client.get(reverse("merging:search"), {"target": a.pk, "q": "Budi"}).content.decode()
    assert f"#{b.pk}" in body and "last message" in body and "ch-telegram" in body


def test_the_contact_page_offers_merge_another_contact(client, manager, whatsapp):
    a = contact_of(inbound(whatsapp, "6281234567890", name="Budi"))
    client.force_login(manager)
    assert "Merge another contact" in client.get(reverse("contacts:detail", args=[a.pk])).content.decode()
    body = client.get(reverse("merging:pick", args=[a.pk]), headers=HTMX).content.decode()
    assert reverse("merging:search") in body


def test_agents_cannot_open_merge_another_contact(client, agent, whatsapp):
    a = contact_of(inbound(whatsapp, "6281234567890", name="Budi"))
    client.force_login(agent)
    assert client.get(reverse("merging:pick", args=[a.pk]), headers=HTMX).status_code == 403


def test_the_dashboard_shows_a_group_once(client, manager, webchat):
    for n in range(5):
        inbound(webchat, f"s{n}", name=f"Visitor {n}", email="shared@example.com")
    client.force_login(manager)
    body = client.get(reverse("dashboard")).content.decode()
    assert body.count("5 contacts share shared@example.com") == 1
    assert body.count("Not the same person") == 4


def test_the_contact_panel_shows_the_group_from_the_contact(client, manager, webchat):
    contacts = [contact_of(inbound(webchat, f"s{n}", email="shared@example.com")) for n in range(3)]
    client.force_login(manager)
    body = client.get(reverse("conversations:contact", args=[contacts[0].pk]), follow=True).content.decode()
    assert "3 contacts share shared@example.com" in body
    assert body.count("Review & merge") == 2


def test_after_merging_one_member_the_next_of_the_group_is_offered(client, manager, webchat):
    visitors = [contact_of(inbound(webchat, f"s{n}", email="shared@example.com")) for n in range(3)]
    kept, first, second = visitors
    low, high = sorted((kept.pk, first.pk))
    suggestion = MergeSuggestion.objects.get(contact_a_id=low, contact_b_id=high)
    client.force_login(manager)
    body = merge(
        client, suggestion=suggestion.pk, target=kept.pk, source=first.pk, confirm_unverified="yes"
    ).content.decode()
    following = MergeSuggestion.objects.get(status="open")
    assert {following.contact_a_id, following.contact_b_id} == {kept.pk, second.pk}
    assert "Next in this group" in body and f"suggestion={following.pk}" in body


def test_the_conversation_a_merge_closes_says_where_it_continues(whatsapp, telegram, manager):
    kept = inbound(whatsapp, "6281234567890", "later", name="Sheena").conversation
    closed = inbound(telegram, "5123456789", "earlier", name="Sheena T").conversation
    Conversation.objects.filter(pk=closed.pk).update(last_message_at=kept.last_message_at - timedelta(hours=1))
    contact_merge(actor=manager, target=kept.contact, source=closed.contact)
    event = Event.objects.get(conversation=closed, kind=EventKind.CONVERSATION_CLOSED)
    assert event.data == {"reason": "merge", "continues_in": kept.pk}
