import pytest
from django.core.exceptions import PermissionDenied

from channels.models import ChannelIdentity
from contacts.models import Contact, Event, EventKind
from contacts.services import comment_add
from conversations.models import Conversation, ConversationStatus
from conversations.services import conversation_close
from merging.models import MergeAction, MergeRecord, MergeSuggestion, SuggestionStatus
from merging.services import MergeRefused, contact_merge, contact_unmerge
from tests.factories import contact_of, inbound


@pytest.fixture
def merged(whatsapp, email_channel, manager):
    wa = contact_of(inbound(whatsapp, "6281234567890", "red?", name="Sheena"))
    mail = contact_of(inbound(email_channel, "sheena.nelson@example.com", "color?", name="Sheena Nelson"))
    comment_add(actor=manager, contact=mail, body="VIP by e-mail")
    contact_merge(actor=manager, target=wa, source=mail, choices={"name": "source"})
    wa.refresh_from_db()
    return wa, mail


def test_unmerge_gives_the_profile_back_its_channels_keys_conversations_and_comments(merged, manager):
    wa, mail = merged
    record = contact_unmerge(actor=manager, contact=wa, profile=mail)
    mail.refresh_from_db()
    assert mail.root_id is None and mail.merged_into_id is None
    assert list(ChannelIdentity.objects.filter(contact=mail).values_list("channel__kind", flat=True)) == ["email"]
    assert mail.primary_email.value == "sheena.nelson@example.com"
    assert mail.comments.get().body == "VIP by e-mail"
    assert Conversation.objects.filter(contact=mail).count() == 1
    assert record.action == MergeAction.UNMERGE and record.actor == manager
    assert MergeRecord.objects.get(action=MergeAction.MERGE).undone_by == record
    assert Event.objects.filter(kind=EventKind.UNMERGED).count() == 2


def test_the_remaining_contact_falls_back_to_its_own_values(merged, manager):
    wa, mail = merged
    assert wa.name == "Sheena Nelson"
    contact_unmerge(actor=manager, contact=wa, profile=mail)
    wa.refresh_from_db()
    assert wa.name == "Sheena"
    assert wa.primary_email is None
    assert wa.primary_phone.value == "+6281234567890"
    assert wa.main_identity.channel.kind == "whatsapp"


def test_a_conversation_opened_while_merged_goes_with_the_profile_of_the_identity_that_opened_it(
    merged, manager, email_channel
):
    wa, mail = merged
    for conversation in Conversation.objects.filter(contact=wa, status="open"):
        conversation_close(actor=manager, conversation=conversation)
    during = inbound(email_channel, "sheena.nelson@example.com", "written while merged").conversation
    contact_unmerge(actor=manager, contact=wa, profile=mail)
    during.refresh_from_db()
    assert during.contact == mail


def test_the_conversation_closed_by_the_merge_reopens(merged, manager):
    wa, mail = merged
    closed = MergeRecord.objects.get(action=MergeAction.MERGE).closed_conversation
    contact_unmerge(actor=manager, contact=wa, profile=mail)
    closed.refresh_from_db()
    assert closed.status == ConversationStatus.OPEN
    for contact in (wa, mail):
        assert Conversation.objects.filter(contact=contact, status="open").count() == 1


def test_an_unmerged_pair_is_not_suggested_again(whatsapp, webchat, manager):
    a = contact_of(inbound(whatsapp, "6281234567890"))
    b = contact_of(inbound(webchat, "s", phone="081234567890"))
    contact_merge(actor=manager, target=a, source=b, suggestion=MergeSuggestion.objects.get())
    contact_unmerge(actor=manager, contact=a, profile=b)
    assert not MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN).exists()


def test_unmerging_a_profile_that_brought_others_takes_them_along(webchat, manager):
    a, b, c = (contact_of(inbound(webchat, f"s{i}", name=f"P{i}")) for i in range(3))
    contact_merge(actor=manager, target=b, source=c)
    contact_merge(actor=manager, target=a, source=b)
    contact_unmerge(actor=manager, contact=a, profile=b)
    b.refresh_from_db()
    a.refresh_from_db()
    assert b.absorbed_count == 1 and a.absorbed_count == 0
    assert list(Contact.objects.filter(root=b).values_list("pk", flat=True)) == [c.pk]
    assert ChannelIdentity.objects.filter(contact=b).count() == 2


def test_agent_cannot_unmerge(merged, agent):
    wa, mail = merged
    with pytest.raises(PermissionDenied):
        contact_unmerge(actor=agent, contact=wa, profile=mail)


def test_unmerging_a_profile_of_another_contact_is_refused(merged, manager, webchat):
    wa, mail = merged
    stranger = contact_of(inbound(webchat, "x"))
    with pytest.raises(MergeRefused, match="not part of this contact"):
        contact_unmerge(actor=manager, contact=stranger, profile=mail)
