"""Suggestions people can trust: groups instead of pairs, dismissals that hold, unverified claims."""

import pytest
from django.core.management import call_command

from config.workspace.models import Workspace
from merging.backfill import backfill_run
from merging.detection import suggestions_refresh
from merging.models import BackfillRun, MergeSuggestion, SuggestionStatus
from merging.services import contact_merge, suggestion_dismiss
from tests.factories import contact_of, inbound


def open_pairs() -> set[frozenset[int]]:
    return {
        frozenset(pair)
        for pair in MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN).values_list(
            "contact_a_id", "contact_b_id"
        )
    }


def suggestion_between(a, b) -> MergeSuggestion:
    low, high = sorted((a.pk, b.pk))
    return MergeSuggestion.objects.get(contact_a_id=low, contact_b_id=high, status=SuggestionStatus.OPEN)


def test_twenty_visitors_sharing_one_email_make_one_group_not_190_pairs(webchat):
    visitors = [contact_of(inbound(webchat, f"s{n}", email="shared@example.com")) for n in range(20)]
    assert MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN).count() == 19
    members = {pk for pair in open_pairs() for pk in pair}
    assert members == {v.pk for v in visitors}
    reasons = set(MergeSuggestion.objects.values_list("reason_kind", "reason_value"))
    assert reasons == {("email", "shared@example.com")}


def test_the_backfill_makes_the_same_group_of_n_minus_one_suggestions(webchat):
    visitors = [contact_of(inbound(webchat, f"s{n}", email="shared@example.com")) for n in range(6)]
    incremental = open_pairs()
    MergeSuggestion.objects.all().delete()
    run = backfill_run(BackfillRun.objects.create())
    assert run.suggestions_created == 5
    assert open_pairs() == incremental
    assert {pk for pair in open_pairs() for pk in pair} == {v.pk for v in visitors}


def test_a_second_backfill_raises_nothing_new(webchat):
    for n in range(4):
        inbound(webchat, f"s{n}", email="shared@example.com")
    assert backfill_run(BackfillRun.objects.create()).suggestions_created == 0


def test_dismissing_one_member_keeps_the_rest_of_the_group(webchat, manager):
    visitors = [contact_of(inbound(webchat, f"s{n}", email="shared@example.com")) for n in range(4)]
    anchor, dismissed = visitors[0], visitors[2]
    suggestion_dismiss(actor=manager, suggestion=suggestion_between(anchor, dismissed))
    for visitor in visitors:
        suggestions_refresh(contact_id=visitor.pk)
    members = {pk for pair in open_pairs() for pk in pair}
    assert members == {visitors[0].pk, visitors[1].pk, visitors[3].pk}
    assert len(open_pairs()) == 2


def test_merging_walks_through_the_group_two_profiles_at_a_time(webchat, manager):
    visitors = [contact_of(inbound(webchat, f"s{n}", email="shared@example.com")) for n in range(4)]
    kept = visitors[0]
    for other in visitors[1:]:
        contact_merge(actor=manager, target=kept, source=other, suggestion=suggestion_between(kept, other))
    kept.refresh_from_db()
    assert kept.absorbed_count == 3
    assert open_pairs() == set()


def test_merging_the_anchor_into_a_member_keeps_the_group_whole(webchat, manager):
    visitors = [contact_of(inbound(webchat, f"s{n}", email="shared@example.com")) for n in range(5)]
    anchor, member = visitors[0], visitors[3]
    contact_merge(actor=manager, target=member, source=anchor, suggestion=suggestion_between(anchor, member))
    rest = {v.pk for v in visitors} - {anchor.pk}
    assert {pk for pair in open_pairs() for pk in pair} == rest
    assert len(open_pairs()) == 3


@pytest.mark.parametrize("direction", ["z_into_x", "x_into_z"])
def test_a_dismissed_pair_never_returns_whatever_the_merge_direction(webchat, whatsapp, manager, direction):
    """Y and Z dismissed; X shares Y's phone. After X and Z become one contact, it must not stay
    suggested with Y, whichever of them is kept."""
    y = contact_of(inbound(webchat, "y", phone="+6281234567890", email="y@example.com"))
    z = contact_of(inbound(webchat, "z", email="y@example.com"))
    suggestion_dismiss(actor=manager, suggestion=suggestion_between(y, z))
    x = contact_of(inbound(whatsapp, "6281234567890"))
    assert open_pairs() == {frozenset((x.pk, y.pk))}
    if direction == "z_into_x":
        contact_merge(actor=manager, target=x, source=z)
        kept = x
    else:
        contact_merge(actor=manager, target=z, source=x)
        kept = z
    assert frozenset((kept.pk, y.pk)) not in open_pairs()
    backfill_run(BackfillRun.objects.create())
    assert frozenset((kept.pk, y.pk)) not in open_pairs()


def test_unverified_claims_raise_no_suggestion_when_the_workspace_says_so(whatsapp, webchat):
    Workspace.objects.update_or_create(id=1, defaults={"unverified_keys_suggest": False})
    inbound(whatsapp, "6281234567890")
    inbound(webchat, "s", phone="081234567890")
    assert MergeSuggestion.objects.count() == 0
    call_command("backfill_suggestions")
    backfill_run(BackfillRun.objects.get())
    assert MergeSuggestion.objects.count() == 0


def test_verified_keys_still_match_when_unverified_claims_are_off(whatsapp, telegram):
    Workspace.objects.update_or_create(id=1, defaults={"unverified_keys_suggest": False})
    inbound(whatsapp, "6281234567890")
    inbound(telegram, "77", phone="+6281234567890")
    assert MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN).count() == 1


def test_unverified_claims_raise_a_suggestion_by_default(whatsapp, webchat):
    assert Workspace.current().unverified_keys_suggest is True
    inbound(whatsapp, "6281234567890")
    inbound(webchat, "s", phone="081234567890")
    assert MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN).count() == 1


def test_walking_a_big_group_stops_at_the_ten_profile_limit(webchat, manager):
    from merging.services import MergeRefused

    visitors = [contact_of(inbound(webchat, f"s{n}", email="shared@example.com")) for n in range(11)]
    kept = visitors[0]
    for other in visitors[1:10]:
        contact_merge(actor=manager, target=kept, source=other, suggestion=suggestion_between(kept, other))
    kept.refresh_from_db()
    assert kept.absorbed_count == 9
    with pytest.raises(MergeRefused, match="at most 10 profiles"):
        contact_merge(
            actor=manager, target=kept, source=visitors[10], suggestion=suggestion_between(kept, visitors[10])
        )
    assert open_pairs() == {frozenset((kept.pk, visitors[10].pk))}


def test_a_fresh_scan_keeps_the_anchor_in_the_group_after_a_dismissal(webchat, manager):
    visitors = [contact_of(inbound(webchat, f"s{n}", email="shared@example.com")) for n in range(4)]
    suggestion_dismiss(actor=manager, suggestion=suggestion_between(visitors[0], visitors[2]))
    MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN).delete()
    backfill_run(BackfillRun.objects.create())
    from_backfill = open_pairs()
    MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN).delete()
    suggestions_refresh(contact_id=visitors[3].pk)
    expected = {frozenset((visitors[0].pk, visitors[1].pk)), frozenset((visitors[0].pk, visitors[3].pk))}
    assert from_backfill == open_pairs() == expected
