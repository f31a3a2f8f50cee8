"""Exactness: any sequence of merges, undone in reverse order, gives back every profile exactly.

The state machine (test_merge_state_machine.py) covers any order with activity in between; this
one keeps a denser sweep of merge choices over richer profiles."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.models import ChannelIdentity
from contacts.models import Comment, Contact, ContactKey
from contacts.services import comment_add, contact_profile_update
from conversations.models import Conversation
from conversations.services import conversation_close
from merging.services import contact_merge, contact_unmerge
from tests.factories import contact_of, inbound

EMAILS = ["a@example.com", "B@example.com", "b@example.com", "c@example.com", "bad@"]
PHONES = ["0812-3456-7890", "+6281234567890", "+39 347 123 4567", "12"]

profile_strategy = st.fixed_dictionaries(
    {
        "name": st.text(min_size=0, max_size=12),
        "email": st.one_of(st.none(), st.sampled_from(EMAILS)),
        "phone": st.one_of(st.none(), st.sampled_from(PHONES)),
        "properties": st.dictionaries(st.sampled_from(["company", "city", "tier"]), st.text(max_size=5), max_size=2),
        "comments": st.integers(min_value=0, max_value=2),
        "closed": st.booleans(),
        "second_channel": st.booleans(),
    }
)


def state_of(contact_id: int) -> dict:
    contact = Contact.objects.select_related("primary_email", "primary_phone").get(pk=contact_id)
    return {
        "name": contact.name,
        "email": contact.primary_email_id,
        "phone": contact.primary_phone_id,
        "properties": contact.properties,
        "main": contact.main_identity_id,
        "root": contact.root_id,
        "parent": contact.merged_into_id,
        "absorbed": contact.absorbed_count,
        "keys": set(ContactKey.objects.filter(contact=contact).values_list("id", "value")),
        "identities": set(ChannelIdentity.objects.filter(contact=contact).values_list("id", flat=True)),
        "conversations": set(Conversation.objects.filter(contact=contact).values_list("id", "status", "closed_at")),
        "comments": set(Comment.objects.filter(contact=contact).values_list("id", flat=True)),
    }


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    profiles=st.lists(profile_strategy, min_size=2, max_size=5),
    merge_picks=st.lists(st.tuples(st.integers(0, 99), st.integers(0, 99), st.booleans()), min_size=1, max_size=4),
)
def test_merges_undone_in_reverse_order_restore_every_profile_exactly(
    profiles, merge_picks, webchat, telegram, manager
):
    with transaction.atomic():
        contacts = []
        for index, profile in enumerate(profiles):
            message = inbound(webchat, f"visitor-{index}", name=profile["name"])
            contact = contact_of(message)
            if profile["second_channel"]:
                inbound(telegram, str(1000 + index))  # a separate Telegram contact merges in later
            contact_profile_update(
                actor=manager,
                contact=contact,
                email=profile["email"],
                phone=profile["phone"],
                properties=profile["properties"],
            )
            for n in range(profile["comments"]):
                comment_add(actor=manager, contact=contact, body=f"note {n}")
            if profile["closed"]:
                conversation_close(actor=manager, conversation=message.conversation)
            contacts.append(contact.pk)
        contacts += list(Contact.objects.exclude(pk__in=contacts).values_list("pk", flat=True))
        before = {pk: state_of(pk) for pk in contacts}

        done = []
        for first, second, take_source_values in merge_picks:
            roots = sorted(Contact.objects.filter(root__isnull=True).values_list("pk", flat=True))
            if len(roots) < 2:
                break
            target = roots[first % len(roots)]
            source = [r for r in roots if r != target][second % (len(roots) - 1)]
            choices = {"name": "source", "email": "source", "phone": "source"} if take_source_values else {}
            contact_merge(
                actor=manager,
                target=Contact.objects.get(pk=target),
                source=Contact.objects.get(pk=source),
                choices=choices,
            )
            done.append((target, source))

        for target, source in reversed(done):
            contact_unmerge(
                actor=manager, contact=Contact.objects.get(pk=target), profile=Contact.objects.get(pk=source)
            )

        after = {pk: state_of(pk) for pk in contacts}
        for pk in contacts:
            assert after[pk] == before[pk], pk
        transaction.set_rollback(True)
