"""A merge whose process is killed half-way leaves the database exactly as before."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from contacts.models import Contact
from merging.models import MergeRecord
from merging.services import contact_merge
from tests.factories import UserFactory, contact_of, inbound
from tests.merging.test_merge_unmerge_property import state_of
from tests.parallel import needs_postgresql
from tests.worker import ROOT, database_url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_postgresql(),
]

MERGE_THEN_HANG = textwrap.dedent(
    """
    import sys, time, django
    django.setup()
    from config.workspace.models import User
    from contacts.models import Contact
    import merging.services.merge as merge

    def hang_after_the_rows_moved(**kwargs):
        print("ROWS MOVED", flush=True)  # identities, keys, conversations already re-pointed
        time.sleep(120)

    merge.tree_rederive = hang_after_the_rows_moved
    target, source = (Contact.objects.get(pk=int(pk)) for pk in sys.argv[1:3])
    merge.contact_merge(actor=User.objects.get(username="killer"), target=target, source=source)
    """
)


def test_a_merge_killed_half_way_leaves_everything_as_before(whatsapp, email_channel):
    manager = UserFactory(username="killer", role="manager")
    target = contact_of(inbound(whatsapp, "6281234567890", "hi", name="A"))
    source = contact_of(inbound(email_channel, "a@example.com", "hello", name="B"))
    before = {pk: state_of(pk) for pk in (target.pk, source.pk)}

    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "config.settings"}
    process = subprocess.Popen(
        [sys.executable, "-c", MERGE_THEN_HANG, str(target.pk), str(source.pk)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "ROWS MOVED", process.stderr.read()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    assert {pk: state_of(pk) for pk in (target.pk, source.pk)} == before
    assert MergeRecord.objects.count() == 0
    # The killed transaction's locks are gone: the same merge now goes through.
    contact_merge(actor=manager, target=target, source=source)
    assert Contact.objects.get(pk=source.pk).root_id == target.pk
