import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels.models import ChannelIdentity
from config.workspace.models import Workspace
from contacts.models import Contact, ContactKey, Event, EventKind
from contacts.selectors import contact_for_url
from contacts.services import comment_add, contact_set_main_identity
from conversations.models import Conversation, ConversationStatus, Message
from conversations.services import conversation_close
from merging.models import MergeAction, MergeRecord, MergeSuggestion
from merging.services import MergeRefused, contact_merge, merge_plan
from tests.factories import contact_of, inbound


@pytest.fixture
def sheena(whatsapp, email_channel):
    """Sheena wrote on WhatsApp and by e-mail: two contacts sharing nothing."""
    wa = contact_of(inbound(whatsapp, "6281234567890", "Does it come in red?", name="Sheena"))
    mail = contact_of(inbound(email_channel, "sheena.nelson@example.com", "Another color?", name="Sheena Nelson"))
    return wa, mail


def test_merge_moves_every_channel_conversation_message_and_comment(sheena, manager):
    wa, mail = sheena
    comment_add(actor=manager, contact=mail, body="verify identity next time")
    record = contact_merge(actor=manager, target=wa, source=mail)
    assert set(ChannelIdentity.objects.filter(contact=wa).values_list("channel__kind", flat=True)) == {
        "whatsapp",
        "email",
    }
    assert Message.objects.filter(conversation__contact=wa).count() == 2
    assert wa.comments.get().body == "verify identity next time"
    assert not Contact.objects.filter(root__isnull=True, pk=mail.pk).exists()
    assert record.action == MergeAction.MERGE and record.actor == manager
    assert record.source_snapshot["name"] == "Sheena Nelson"
    assert Event.objects.filter(kind=EventKind.MERGED, contact=wa).exists()


def test_non_primary_values_are_kept_as_secondary(sheena, manager):
    wa, mail = sheena
    contact_merge(actor=manager, target=wa, source=mail)
    wa.refresh_from_db()
    assert wa.primary_phone.value == "+6281234567890"
    assert wa.primary_email.value == "sheena.nelson@example.com"
    assert set(ContactKey.objects.filter(contact=wa).values_list("value", flat=True)) == {
        "+6281234567890",
        "sheena.nelson@example.com",
    }


def test_user_picks_the_primary_value_of_a_differing_property(whatsapp, webchat, manager):
    a = contact_of(inbound(webchat, "s1", name="Rina", email="rina@work.example"))
    b = contact_of(inbound(webchat, "s2", name="Rina Putri", email="rina@home.example"))
    contact_merge(actor=manager, target=a, source=b, choices={"email": "source", "name": "source"})
    a.refresh_from_db()
    assert a.name == "Rina Putri"
    assert a.primary_email.value == "rina@home.example"
    assert a.keys.filter(value="rina@work.example").exists()


def test_preview_shows_what_will_move_computed_like_the_merge(sheena, manager):
    wa, mail = sheena
    inbound(mail.identities.get().channel, "sheena.nelson@example.com", "second mail")
    plan = merge_plan(target=wa, source=mail, choices={"name": "source"})
    assert plan.moves == {"channels": 1, "conversations": 1, "messages": 2, "comments": 0}
    assert [f.key for f in plan.differing] == ["name", "email"]
    assert plan.choices == {"name": "source", "email": "source"}
    contact_merge(actor=manager, target=wa, source=mail, choices={"name": "source"})
    wa.refresh_from_db()
    assert wa.name == "Sheena Nelson"


def test_unknown_choice_is_refused_and_nothing_changes(sheena, manager):
    wa, mail = sheena
    with pytest.raises(MergeRefused, match="Unknown choice"):
        contact_merge(actor=manager, target=wa, source=mail, choices={"name": "both"})
    assert Contact.objects.filter(root__isnull=True).count() == 2


def test_both_open_conversations_leave_one_open_and_one_closed_by_merge(sheena, manager):
    wa, mail = sheena
    record = contact_merge(actor=manager, target=wa, source=mail)
    conversations = Conversation.objects.filter(contact=wa)
    assert conversations.filter(status=ConversationStatus.OPEN).count() == 1
    closed = conversations.get(status=ConversationStatus.CLOSED)
    assert record.closed_conversation == closed
    assert Event.objects.get(kind=EventKind.CONVERSATION_CLOSED, conversation=closed).data["reason"] == "merge"


def test_the_livelier_conversation_stays_open(sheena, manager):
    wa, mail = sheena
    inbound(mail.identities.get().channel, "sheena.nelson@example.com", "newest")
    contact_merge(actor=manager, target=wa, source=mail)
    still_open = Conversation.objects.get(contact=wa, status=ConversationStatus.OPEN)
    assert still_open.profile == mail


def test_new_messages_after_merge_join_the_one_open_conversation(sheena, manager, whatsapp, email_channel):
    wa, mail = sheena
    contact_merge(actor=manager, target=wa, source=mail)
    inbound(whatsapp, "6281234567890", "again on wa")
    inbound(email_channel, "sheena.nelson@example.com", "again by mail")
    assert Conversation.objects.filter(contact=wa, status="open").count() == 1


def test_the_absorbed_contacts_old_id_leads_to_the_merged_contact(sheena, manager):
    wa, mail = sheena
    contact_merge(actor=manager, target=wa, source=mail)
    assert contact_for_url(mail.pk) == wa


def test_a_contact_holds_at_most_ten_profiles(webchat, manager):
    contacts = [contact_of(inbound(webchat, f"s{i}", name=f"P{i}")) for i in range(11)]
    target = contacts[0]
    for source in contacts[1:10]:
        contact_merge(actor=manager, target=target, source=source)
    target.refresh_from_db()
    assert target.absorbed_count == 9
    with pytest.raises(MergeRefused, match="at most 10 profiles"):
        contact_merge(actor=manager, target=target, source=contacts[10])


def test_merging_two_merged_contacts_works_within_the_limit(webchat, manager):
    c = [contact_of(inbound(webchat, f"s{i}", name=f"P{i}")) for i in range(6)]
    contact_merge(actor=manager, target=c[0], source=c[1])
    contact_merge(actor=manager, target=c[0], source=c[2])
    contact_merge(actor=manager, target=c[3], source=c[4])
    contact_merge(actor=manager, target=c[3], source=c[5])
    contact_merge(actor=manager, target=c[0], source=c[3])
    c[0].refresh_from_db()
    assert c[0].absorbed_count == 5
    assert set(Contact.objects.filter(root=c[0]).values_list("pk", flat=True)) == {x.pk for x in c[1:]}
    assert ChannelIdentity.objects.filter(contact=c[0]).count() == 6


def test_a_merged_away_contact_cannot_be_merged_again(webchat, manager):
    a, b, c = (contact_of(inbound(webchat, f"s{i}")) for i in range(3))
    contact_merge(actor=manager, target=a, source=b)
    with pytest.raises(MergeRefused, match="already merged"):
        contact_merge(actor=manager, target=c, source=b)


def test_main_channel_defaults_to_the_target_and_can_be_changed(sheena, manager):
    wa, mail = sheena
    contact_merge(actor=manager, target=wa, source=mail)
    wa.refresh_from_db()
    assert wa.main_identity.channel.kind == "whatsapp"
    email_identity = ChannelIdentity.objects.get(contact=wa, channel__kind="email")
    contact_set_main_identity(actor=manager, contact=wa, identity=email_identity)
    wa.refresh_from_db()
    assert wa.main_identity == email_identity
    assert Event.objects.filter(kind=EventKind.MAIN_CHANNEL_CHANGED).exists()


def test_agent_may_merge_from_a_suggestion_when_the_workspace_allows(email_channel, webchat, agent):
    a = contact_of(inbound(email_channel, "sheena@example.com"))
    b = contact_of(inbound(webchat, "s", email="sheena@example.com"))
    contact_merge(actor=agent, target=a, source=b, suggestion=MergeSuggestion.objects.get())
    assert MergeRecord.objects.count() == 1


def test_agent_may_not_merge_from_a_suggestion_when_the_workspace_forbids(email_channel, webchat, agent):
    Workspace.objects.filter(id=1).update(agents_may_merge_suggestions=False)
    a = contact_of(inbound(email_channel, "sheena@example.com"))
    b = contact_of(inbound(webchat, "s", email="sheena@example.com"))
    with pytest.raises(PermissionDenied):
        contact_merge(actor=agent, target=a, source=b, suggestion=MergeSuggestion.objects.get())


def test_agent_may_not_merge_without_a_suggestion(sheena, agent):
    with pytest.raises(PermissionDenied):
        contact_merge(actor=agent, target=sheena[0], source=sheena[1])


def test_a_suggestion_for_another_pair_is_refused(email_channel, webchat, agent):
    a = contact_of(inbound(email_channel, "sheena@example.com"))
    contact_of(inbound(webchat, "s", email="sheena@example.com"))
    other = contact_of(inbound(webchat, "x"))
    with pytest.raises(MergeRefused, match="no longer open"):
        contact_merge(actor=agent, target=a, source=other, suggestion=MergeSuggestion.objects.get())


def test_merge_cost_does_not_grow_with_the_number_of_messages(whatsapp, email_channel, manager):
    def merge_with(messages: int, tag: str) -> int:
        wa = contact_of(inbound(whatsapp, f"62812000{tag}", "hi"))
        mail = contact_of(inbound(email_channel, f"{tag}@example.com", "hi"))
        for i in range(messages):
            inbound(email_channel, f"{tag}@example.com", f"m{i}")
        conversation_close(actor=manager, conversation=Conversation.objects.get(contact=mail))
        with CaptureQueriesContext(connection) as queries:
            contact_merge(actor=manager, target=wa, source=mail)
        return len(queries)

    assert merge_with(2, "1111") == merge_with(40, "2222")
