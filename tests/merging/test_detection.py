import pytest
from django.core.management import call_command

from config.workspace.models import Workspace
from contacts.models import KeyKind, KeySource
from contacts.services import contact_create, contact_key_add
from merging.models import BackfillRun, MergeSuggestion, SuggestionStatus
from merging.services import contact_merge, suggestion_dismiss
from tests.factories import contact_of, inbound


def open_pairs():
    return set(MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN).values_list("contact_a_id", "contact_b_id"))


def test_same_phone_on_whatsapp_and_web_chat_raises_a_suggestion_with_the_reason(whatsapp, webchat):
    wa = contact_of(inbound(whatsapp, "6281234567890", name="Sheena"))
    web = contact_of(inbound(webchat, "sess-1", name="Sheena N", phone="0812-3456-7890"))
    suggestion = MergeSuggestion.objects.get()
    assert {suggestion.contact_a_id, suggestion.contact_b_id} == {wa.pk, web.pk}
    assert (suggestion.reason_kind, suggestion.reason_value) == ("phone", "+6281234567890")


def test_same_email_in_another_case_raises_a_suggestion(email_channel, webchat):
    inbound(email_channel, "sheena@example.com")
    inbound(webchat, "s", email="Sheena@EXAMPLE.com")
    assert MergeSuggestion.objects.get().reason_value == "sheena@example.com"


def test_invalid_values_never_match(webchat):
    inbound(webchat, "s1", phone="12345")
    inbound(webchat, "s2", phone="12345")
    assert MergeSuggestion.objects.count() == 0


def test_whatsapp_brazil_ninth_digit_quirk_raises_a_suggestion(whatsapp, telegram):
    inbound(whatsapp, "5511987654321")
    inbound(telegram, "77", phone="551187654321")
    assert MergeSuggestion.objects.count() == 1


def test_one_suggestion_per_pair_even_when_they_share_two_keys(email_channel, webchat):
    inbound(email_channel, "sheena@example.com")
    inbound(webchat, "s", email="sheena@example.com", phone="+6281234567890")
    contact = contact_of(inbound(email_channel, "sheena@example.com", phone="+6281234567890"))
    assert MergeSuggestion.objects.count() == 1
    assert contact.keys.count() == 2


def test_a_dismissed_pair_stays_dismissed(email_channel, webchat, agent):
    inbound(email_channel, "sheena@example.com")
    inbound(webchat, "s", email="sheena@example.com")
    suggestion_dismiss(actor=agent, suggestion=MergeSuggestion.objects.get())
    inbound(webchat, "s", phone="+6281234567890")
    inbound(email_channel, "sheena@example.com", phone="+6281234567890")
    assert MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN).count() == 0
    assert MergeSuggestion.objects.get().status == SuggestionStatus.DISMISSED


def test_a_dismissed_pair_stays_dismissed_after_one_of_them_is_merged(whatsapp, email_channel, webchat, manager):
    first = contact_of(inbound(email_channel, "sheena@example.com"))
    second = contact_of(inbound(webchat, "s", email="sheena@example.com"))
    suggestion_dismiss(actor=manager, suggestion=MergeSuggestion.objects.get())
    third = contact_of(inbound(whatsapp, "6281234567890"))
    contact_merge(actor=manager, target=third, source=first)
    assert open_pairs() == set()
    assert second.pk not in {p for pair in open_pairs() for p in pair}


def test_suggestions_close_when_the_pair_is_merged(email_channel, webchat, manager):
    a = contact_of(inbound(email_channel, "sheena@example.com"))
    b = contact_of(inbound(webchat, "s", email="sheena@example.com"))
    suggestion = MergeSuggestion.objects.get()
    contact_merge(actor=manager, target=a, source=b, suggestion=suggestion)
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.MERGED
    assert suggestion.resolved_by == manager


def test_no_suggestion_between_profiles_already_in_one_contact(email_channel, webchat, manager):
    a = contact_of(inbound(email_channel, "sheena@example.com"))
    b = contact_of(inbound(webchat, "s", name="S"))
    contact_merge(actor=manager, target=a, source=b)
    inbound(webchat, "s", email="sheena@example.com")
    assert open_pairs() == set()


def test_a_third_profile_is_suggested_against_the_merged_contact(email_channel, webchat, whatsapp, manager):
    a = contact_of(inbound(email_channel, "sheena@example.com"))
    b = contact_of(inbound(whatsapp, "6281234567890"))
    contact_merge(actor=manager, target=a, source=b)
    c = contact_of(inbound(webchat, "s", phone="081234567890"))
    assert open_pairs() == {(a.pk, c.pk)}


def test_removing_the_shared_key_retires_the_suggestion(email_channel, webchat):
    from contacts.models import ContactKey
    from merging.detection import suggestions_refresh

    a = contact_of(inbound(email_channel, "sheena@example.com"))
    inbound(webchat, "s", email="sheena@example.com")
    ContactKey.objects.filter(profile__identities__channel=webchat).delete()
    suggestions_refresh(contact_id=a.pk)
    assert MergeSuggestion.objects.get().status == SuggestionStatus.OBSOLETE


@pytest.mark.django_db(transaction=True)
def test_backfill_in_the_worker_finds_what_incremental_detection_finds(worker_env):
    """Keys imported without detection, then one backfill: the same pairs as key-by-key detection."""
    from tests.worker import run_worker

    Workspace.objects.filter(id=1).update(default_phone_region="ID")
    rows = [
        ("A", "a@example.com", "0812-3456-7890"),
        ("B", "A@Example.com", None),
        ("C", None, "+62 812 3456 7890"),
        ("D", "d@example.com", "+39 347 123 4567"),
        ("E", "D@example.com", "3471234567"),
        ("F", "bad@", "12"),
        ("G", "bad@", "12"),
    ]
    contacts = []
    for name, email, phone in rows:
        contact = contact_create(name=name)
        for kind, raw in ((KeyKind.EMAIL, email), (KeyKind.PHONE, phone)):
            if raw:
                contact_key_add(contact=contact, kind=kind, raw=raw, source=KeySource.IMPORT)
        contacts.append(contact)
    assert MergeSuggestion.objects.count() == 0

    call_command("backfill_suggestions")
    run = BackfillRun.objects.get()
    assert run.status == BackfillRun.Status.QUEUED
    run_worker(worker_env)
    run.refresh_from_db()
    assert run.status == BackfillRun.Status.DONE and run.percent == 100
    from_backfill = set(
        MergeSuggestion.objects.filter(status="open").values_list(
            "contact_a_id", "contact_b_id", "reason_kind", "reason_value"
        )
    )

    from merging.detection import suggestions_refresh

    MergeSuggestion.objects.all().delete()
    for contact in contacts:
        suggestions_refresh(contact_id=contact.pk)
    incremental = set(
        MergeSuggestion.objects.filter(status="open").values_list(
            "contact_a_id", "contact_b_id", "reason_kind", "reason_value"
        )
    )
    assert from_backfill == incremental
    by_name = {c.pk: c.name for c in contacts}
    assert {(by_name[a], by_name[b], kind) for a, b, kind, _ in incremental} == {
        ("A", "B", "email"),
        ("A", "C", "phone"),
        ("D", "E", "email"),
    }
