import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib import admin
from django.db import IntegrityError, transaction
from django.urls import reverse

from channels.models import ChannelIdentity
from contacts.services import contact_create
from conversations.models import Conversation, ConversationStatus, OpenedBy

ROOT = Path(__file__).resolve().parents[2]


def test_database_refuses_a_second_open_conversation_for_a_contact(whatsapp):
    contact = contact_create(name="Sheena")
    Conversation.objects.create(contact=contact, profile=contact, channel=whatsapp, opened_by=OpenedBy.CONTACT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(contact=contact, profile=contact, channel=whatsapp, opened_by=OpenedBy.CONTACT)


def test_a_closed_conversation_does_not_block_a_new_open_one(whatsapp):
    contact = contact_create(name="Sheena")
    Conversation.objects.create(
        contact=contact,
        profile=contact,
        channel=whatsapp,
        opened_by=OpenedBy.CONTACT,
        status=ConversationStatus.CLOSED,
        closed_at="2025-01-01T00:00:00Z",
    )
    Conversation.objects.create(contact=contact, profile=contact, channel=whatsapp, opened_by=OpenedBy.CONTACT)
    assert Conversation.objects.filter(contact=contact).count() == 2


def test_database_refuses_a_second_identity_with_the_same_channel_and_external_id(whatsapp):
    first, second = contact_create(name="A"), contact_create(name="B")
    ChannelIdentity.objects.create(channel=whatsapp, external_id="6281234567890", contact=first, profile=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelIdentity.objects.create(channel=whatsapp, external_id="6281234567890", contact=second, profile=second)


def test_same_external_id_on_another_channel_is_another_identity(whatsapp, telegram):
    contact = contact_create(name="A")
    ChannelIdentity.objects.create(channel=whatsapp, external_id="42", contact=contact, profile=contact)
    ChannelIdentity.objects.create(channel=telegram, external_id="42", contact=contact, profile=contact)
    assert ChannelIdentity.objects.count() == 2


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_admin_page_opens_for_a_superuser(client, admin_user, whatsapp, model):
    contact = contact_create(name="Someone")
    Conversation.objects.create(contact=contact, profile=contact, channel=whatsapp, opened_by=OpenedBy.CONTACT)
    client.force_login(admin_user)
    info = (model._meta.app_label, model._meta.model_name)
    changelist = client.get(reverse("admin:{}_{}_changelist".format(*info)))
    assert changelist.status_code == 200
    obj = model.objects.first()
    if obj is not None:
        change = client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        assert change.status_code == 200
    if admin.site._registry[model].has_add_permission(changelist.wsgi_request):
        assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200


def test_production_settings_pass_check_deploy_without_warnings():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},  # set by the browser tests
        "DEBUG": "False",
        "HTTPS": "True",
        "SECRET_KEY": "x7$k2!p9qv@3m8#zr5wt^b6n1yh4cf0j&ld*ue-s_ga+oi(e)w",
        "ALLOWED_HOSTS": "inbox.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_login_is_rate_limited_per_username(client, agent):
    for _ in range(5):
        assert client.post("/login/", {"username": agent.username, "password": "wrong"}).status_code == 200
    blocked = client.post("/login/", {"username": agent.username, "password": "pw-for-tests-123"})
    assert blocked.status_code == 429
    assert b"Too many failed attempts" in blocked.content
    assert "_auth_user_id" not in client.session


def test_login_works_with_the_right_password(client, agent):
    response = client.post("/login/", {"username": agent.username, "password": "pw-for-tests-123"})
    assert response.status_code == 302


def test_a_task_backend_whose_enqueue_does_not_join_the_transaction_is_refused(settings):
    from conversations.checks import task_backend_is_transactional

    assert task_backend_is_transactional(None) == []
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    errors = task_backend_is_transactional(None)
    assert [e.id for e in errors] == ["mergeinbox.E001"] and "RQBackend" in errors[0].msg
