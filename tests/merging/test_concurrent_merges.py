"""Real parallel connections on PostgreSQL: merges and unmerges over overlapping contacts."""

import os
import random

import pytest

from channels.models import ChannelIdentity
from config.workspace.models import Role
from contacts.models import Comment, Contact
from contacts.services import comment_add
from conversations.models import Conversation, Message
from merging.services import MergeRefused, contact_merge, contact_unmerge
from tests.factories import UserFactory, contact_of, inbound
from tests.parallel import in_parallel, needs_postgresql

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_postgresql(),
]


def run_threads(count: int, work) -> list[Exception]:
    return in_parallel(count, work)[1]


def every_row_in_exactly_one_visible_contact():
    visible = set(Contact.objects.filter(root__isnull=True).values_list("pk", flat=True))
    for model in (ChannelIdentity, Conversation, Comment):
        owners = model.objects.values_list("contact_id", flat=True)
        assert set(owners) <= visible, model.__name__
    for contact in Contact.objects.filter(root__isnull=True):
        assert contact.absorbed_count == Contact.objects.filter(root=contact).count()
        assert Conversation.objects.filter(contact=contact, status="open").count() <= 1


def test_two_threads_merging_overlapping_pairs_keep_every_record_in_one_contact(whatsapp):
    manager = UserFactory(username="m1", role=Role.MANAGER)
    a, b, c = (contact_of(inbound(whatsapp, f"62811100000{i}", f"hi {i}")) for i in range(3))
    pairs = [(a, b), (c, b)]  # both want b
    outcomes = []

    def merge(index):
        target, source = pairs[index]
        try:
            contact_merge(actor=manager, target=target, source=source)
            outcomes.append("merged")
        except MergeRefused:
            outcomes.append("refused")

    assert run_threads(2, merge) == []
    assert sorted(outcomes) == ["merged", "refused"]
    every_row_in_exactly_one_visible_contact()
    assert ChannelIdentity.objects.count() == 3 and Message.objects.count() == 3


def test_many_concurrent_merges_and_unmerges_conserve_every_record(whatsapp):
    manager = UserFactory(username="m2", role=Role.MANAGER)
    contacts = []
    for i in range(12):
        contact = contact_of(inbound(whatsapp, f"6281220000{i:02d}", "hello"))
        inbound(whatsapp, f"6281220000{i:02d}", "second")
        comment_add(actor=manager, contact=contact, body=f"note {i}")
        contacts.append(contact.pk)
    totals = (
        ChannelIdentity.objects.count(),
        Conversation.objects.count(),
        Message.objects.count(),
        Comment.objects.count(),
    )

    def churn(index):
        rng = random.Random(index)
        for _ in range(int(os.environ.get("CHURN_OPS", "15"))):
            roots = list(Contact.objects.filter(pk__in=contacts, root__isnull=True).values_list("pk", flat=True))
            merged = list(Contact.objects.filter(root__isnull=False).values_list("pk", "root_id"))
            try:
                if merged and rng.random() < 0.4:
                    profile, root = rng.choice(merged)
                    contact_unmerge(actor=manager, contact=Contact(pk=root), profile=Contact(pk=profile))
                elif len(roots) >= 2:
                    target, source = rng.sample(roots, 2)
                    contact_merge(actor=manager, target=Contact(pk=target), source=Contact(pk=source))
            except MergeRefused:
                pass  # the other thread changed these contacts first: refused, nothing half-done

    assert run_threads(4, churn) == []
    every_row_in_exactly_one_visible_contact()
    assert (
        ChannelIdentity.objects.count(),
        Conversation.objects.count(),
        Message.objects.count(),
        Comment.objects.count(),
    ) == totals
