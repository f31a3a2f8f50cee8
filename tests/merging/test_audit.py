from merging.models import MergeAction, MergeRecord, MergeSuggestion, SuggestionStatus
from merging.services import contact_merge, merge_record_undo, suggestion_dismiss, suggestion_reopen
from tests.factories import contact_of, inbound


def test_every_merge_unmerge_and_dismissal_names_its_user_and_can_be_undone(email_channel, webchat, manager, agent):
    a = contact_of(inbound(email_channel, "sheena@example.com", name="A"))
    b = contact_of(inbound(webchat, "s", email="sheena@example.com", name="B"))
    suggestion = MergeSuggestion.objects.get()
    suggestion_dismiss(actor=agent, suggestion=suggestion)
    suggestion.refresh_from_db()
    assert suggestion.resolved_by == agent
    suggestion_reopen(actor=manager, suggestion=suggestion)
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.OPEN

    merge = contact_merge(actor=manager, target=a, source=b, choices={"name": "source"}, suggestion=suggestion)
    unmerge = merge_record_undo(actor=manager, record=merge)
    assert unmerge.action == MergeAction.UNMERGE and unmerge.actor == manager
    b.refresh_from_db()
    assert b.root_id is None

    again = merge_record_undo(actor=manager, record=unmerge)
    assert again.action == MergeAction.MERGE and again.choices == {"name": "source"}
    a.refresh_from_db()
    assert a.name == "B" and a.absorbed_count == 1
    assert MergeRecord.objects.filter(actor=manager).count() == 3
