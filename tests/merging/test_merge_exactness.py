"""Every case of issue 13's "undo any merge exactly, in any order, after real activity"."""

import pytest

from channels.models import ChannelIdentity
from contacts.models import Comment, Contact, ContactKey, Event, EventKind, KeyKind
from contacts.profiles import derive
from contacts.services import comment_add, contact_profile_update, contact_set_main_identity
from conversations.models import Conversation, Message
from conversations.services import conversation_assign, conversation_close, message_send
from merging.models import MergeAction, MergeRecord
from merging.services import MergeRefused, contact_merge, contact_unmerge, merge_record_undo
from merging.services.unmerge import unmerge_plan
from tests.factories import contact_of, inbound


def fresh(contact: Contact) -> Contact:
    return Contact.objects.get(pk=contact.pk)


def test_unmerging_the_profile_whose_name_was_taken_twice_gives_every_contact_its_own_name(webchat, manager):
    a, b, c = (contact_of(inbound(webchat, f"s{n}", name=name)) for n, name in enumerate(["Ann", "Bob", "Cat"]))
    contact_merge(actor=manager, target=a, source=b, choices={"name": "source"})  # A takes B's name
    contact_merge(actor=manager, target=c, source=fresh(a), choices={"name": "source"})  # C takes A's (B's) name
    assert fresh(c).name == "Bob"
    contact_unmerge(actor=manager, contact=fresh(c), profile=fresh(b))
    # As if B had never been merged: A would be "Ann", and C took A's name.
    assert fresh(c).name == "Ann" and fresh(c).absorbed_count == 1
    assert fresh(a).name == "Ann" and fresh(a).absorbed_count == 0
    assert fresh(b).name == "Bob" and fresh(b).root_id is None
    contact_unmerge(actor=manager, contact=fresh(c), profile=fresh(a))
    assert [fresh(x).name for x in (a, b, c)] == ["Ann", "Bob", "Cat"]
    assert all(fresh(x).absorbed_count == 0 for x in (a, b, c))


def test_an_edit_made_on_the_merged_contact_survives_any_unmerge(webchat, manager):
    a, b, c = (contact_of(inbound(webchat, f"s{n}", name=name)) for n, name in enumerate(["Ann", "Bob", "Cat"]))
    contact_merge(actor=manager, target=a, source=b, choices={"name": "source"})
    contact_profile_update(actor=manager, contact=fresh(a), name="Annie", properties={"tier": "gold"})
    contact_merge(actor=manager, target=fresh(a), source=c, choices={"name": "source"})
    assert fresh(a).name == "Cat"
    contact_unmerge(actor=manager, contact=fresh(a), profile=fresh(c))
    assert fresh(a).name == "Annie" and fresh(a).properties == {"tier": "gold"}
    contact_unmerge(actor=manager, contact=fresh(a), profile=fresh(b))
    assert fresh(a).name == "Annie" and fresh(b).name == "Bob" and fresh(b).properties == {}


def test_rows_created_while_merged_go_back_with_the_profile_they_hang_off(webchat, telegram, manager, agent, settings):
    a = contact_of(inbound(webchat, "visitor", name="Ann"))
    b_message = inbound(telegram, "77", name="Bob")
    b = contact_of(b_message)
    b_conversation = b_message.conversation
    conversation_close(actor=manager, conversation=Conversation.objects.get(contact=a))
    contact_merge(actor=manager, target=a, source=b)
    merged = fresh(a)
    # While merged: an assignment on B's conversation, a note on it, a note on the contact.
    conversation_assign(actor=manager, conversation=fresh_conversation(b_conversation), assignee=agent)
    on_conversation = comment_add(
        actor=manager, contact=merged, body="about Bob's order", conversation=fresh_conversation(b_conversation)
    )
    on_contact = comment_add(actor=manager, contact=merged, body="one person")
    conversation_close(actor=manager, conversation=fresh_conversation(b_conversation))
    # B's person opens a new conversation while merged.
    opened = inbound(telegram, "77", "new question").conversation
    assert opened.contact_id == a.pk and opened.profile_id == b.pk

    plan = unmerge_plan(contact=fresh(a), profile=fresh(b))
    assert {c.pk for c in plan.conversations} == {b_conversation.pk, opened.pk}
    contact_unmerge(actor=manager, contact=fresh(a), profile=fresh(b))

    assigned = Event.objects.get(kind=EventKind.ASSIGNED)
    assert assigned.contact_id == b.pk
    assert Comment.objects.get(pk=on_conversation.pk).contact_id == b.pk
    assert Comment.objects.get(pk=on_contact.pk).contact_id == a.pk
    assert fresh_conversation(opened).contact_id == b.pk
    assert set(Message.objects.filter(conversation=opened).values_list("conversation__contact", flat=True)) == {b.pk}
    # Replies to the conversation opened while merged work after the unmerge.
    identity = ChannelIdentity.objects.get(channel=telegram, external_id="77")
    reply = message_send(actor=manager, conversation=fresh_conversation(opened), identity=identity, body="Sure!")
    assert reply.conversation_id == opened.pk


def fresh_conversation(conversation: Conversation) -> Conversation:
    return Conversation.objects.get(pk=conversation.pk)


def test_a_conversation_with_messages_of_both_profiles_stays_whole_with_the_one_that_opened_it(
    webchat, telegram, manager
):
    a = contact_of(inbound(webchat, "visitor", name="Ann"))
    b = contact_of(inbound(telegram, "77", name="Bob"))
    contact_merge(actor=manager, target=a, source=b)
    for conversation in Conversation.objects.filter(contact=a, status="open"):
        conversation_close(actor=manager, conversation=conversation)
    opened = inbound(webchat, "visitor", "A opens").conversation
    inbound(telegram, "77", "B writes in it")
    assert Message.objects.filter(conversation=opened).count() == 2
    plan = unmerge_plan(contact=fresh(a), profile=fresh(b))
    assert [c.pk for c in plan.mixed_staying] == [opened.pk]
    contact_unmerge(actor=manager, contact=fresh(a), profile=fresh(b))
    assert fresh_conversation(opened).contact_id == a.pk
    assert Message.objects.filter(conversation=opened).count() == 2


def test_a_phone_a_telegram_identity_shares_while_merged_stays_its_profiles(whatsapp, telegram, manager):
    a = contact_of(inbound(whatsapp, "6281234567890", name="Ann"))
    b = contact_of(inbound(telegram, "77", name="Bob"))
    contact_merge(actor=manager, target=a, source=b)
    inbound(telegram, "77", "my number", phone="6281234567890")  # the merged contact already holds it
    contact_unmerge(actor=manager, contact=fresh(a), profile=fresh(b))
    assert list(ContactKey.objects.filter(contact=b).values_list("value", flat=True)) == ["+6281234567890"]
    assert fresh(b).primary_phone.value == "+6281234567890"
    assert fresh(a).primary_phone.value == "+6281234567890"


def test_the_chosen_primary_email_comes_back_after_out_of_order_unmerges(webchat, manager):
    a = contact_of(inbound(webchat, "sa", name="Ann", email="first@example.com"))
    contact_profile_update(actor=manager, contact=a, email="chosen@example.com")
    b = contact_of(inbound(webchat, "sb", name="Bob", email="bob@example.com"))
    c = contact_of(inbound(webchat, "sc", name="Cat", email="cat@example.com"))
    contact_merge(actor=manager, target=b, source=fresh(a), choices={"email": "source"})
    contact_merge(actor=manager, target=c, source=fresh(b), choices={"email": "source"})
    assert fresh(c).primary_email.value == "chosen@example.com"
    contact_unmerge(actor=manager, contact=fresh(c), profile=fresh(b))  # takes A along
    contact_unmerge(actor=manager, contact=fresh(b), profile=fresh(a))
    assert fresh(a).primary_email.value == "chosen@example.com"
    assert fresh(b).primary_email.value == "bob@example.com"
    assert fresh(c).primary_email.value == "cat@example.com"


def test_the_main_channel_chosen_while_merged_falls_back_when_its_profile_leaves(webchat, telegram, manager):
    a = contact_of(inbound(webchat, "visitor", name="Ann"))
    b = contact_of(inbound(telegram, "77", name="Bob"))
    contact_merge(actor=manager, target=a, source=b)
    b_identity = ChannelIdentity.objects.get(channel=telegram)
    contact_set_main_identity(actor=manager, contact=fresh(a), identity=b_identity)
    contact_unmerge(actor=manager, contact=fresh(a), profile=fresh(b))
    assert fresh(a).main_identity.channel == webchat and fresh(b).main_identity == b_identity


def test_undoing_an_unmerge_marks_it_undone_and_merges_back_under_the_profile_it_left(webchat, manager):
    a, b, c = (contact_of(inbound(webchat, f"s{n}", name=name)) for n, name in enumerate(["Ann", "Bob", "Cat"]))
    contact_merge(actor=manager, target=a, source=b, choices={"name": "source"})
    unmerge = contact_unmerge(actor=manager, contact=fresh(a), profile=fresh(b))
    contact_merge(actor=manager, target=c, source=fresh(a))  # A is merged elsewhere since
    merge = merge_record_undo(actor=manager, record=unmerge)
    assert fresh(b).merged_into_id == a.pk and fresh(b).root_id == c.pk
    assert merge.target_id == a.pk and merge.choices == {"name": "source"}
    assert MergeRecord.objects.get(pk=unmerge.pk).undone_by == merge
    assert fresh(c).name == "Cat" and fresh(c).absorbed_count == 2
    with pytest.raises(MergeRefused, match="already undone"):
        merge_record_undo(actor=manager, record=MergeRecord.objects.get(pk=unmerge.pk))
    assert MergeRecord.objects.filter(action=MergeAction.MERGE, source=b).count() == 2
    # Unmerging A now takes B along; A has B's name again, as its merge chose.
    contact_unmerge(actor=manager, contact=fresh(c), profile=fresh(a))
    assert fresh(a).name == "Bob" and fresh(c).name == "Cat"


def test_the_unmerge_preview_is_what_the_unmerge_writes(webchat, telegram, manager):
    a = contact_of(inbound(webchat, "sa", name="Ann", email="ann@example.com"))
    b = contact_of(inbound(telegram, "77", name="Bob", phone="6281234567890"))
    d = contact_of(inbound(webchat, "sd", name="Dee"))
    contact_merge(actor=manager, target=b, source=d, choices={"name": "source"})
    contact_merge(actor=manager, target=a, source=fresh(b), choices={"name": "source", "phone": "source"})
    plan = unmerge_plan(contact=fresh(a), profile=fresh(b))
    assert [p.pk for p in plan.nested] == [d.pk]
    assert plan.remaining.name == "Ann" and plan.returning.name == "Dee" and plan.returning.profiles == 2
    contact_unmerge(actor=manager, contact=fresh(a), profile=fresh(b))
    after = {**derive(a.pk), **derive(b.pk)}
    assert after == plan.values
    assert fresh(a).name == "Ann" and fresh(b).name == "Dee" and fresh(d).root_id == b.pk


def test_an_invalid_phone_never_becomes_primary_by_itself_and_derivation_agrees(webchat, manager):
    kept = contact_of(inbound(webchat, "v1", "hi", name="A"))
    merged = contact_of(inbound(webchat, "v2", "hi", name="B"))
    contact_merge(actor=manager, target=kept, source=merged)
    inbound(webchat, "v2", "my number", phone="12")  # the merged profile's identity reveals an invalid phone
    kept.refresh_from_db()
    assert kept.primary_phone_id is None
    assert ContactKey.objects.filter(kind=KeyKind.PHONE, profile=merged).exists()
    assert derive(kept.pk)[kept.pk]["phone"] is None  # what the next merge or unmerge would write
