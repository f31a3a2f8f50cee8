"""Media hang off messages: merges and unmerges move them; export lists them; retention deletes files."""

import json
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from config.workspace.models import Role
from conversations.attachments import attachments_store
from conversations.models import Attachment, AttachmentStatus
from conversations.selectors import contact_timeline
from merging.services import contact_merge, contact_unmerge
from tests.factories import UserFactory, contact_of, inbound


def pdf_message(channel, external_id):
    message = inbound(channel, external_id, "invoice")
    item = {"kind": "document", "ref": "p", "filename": "invoice.pdf"}
    (attachment,) = attachments_store(message=message, items=[item], contents={"p": b"%PDF-1.4 inv"})
    return message, attachment


def media_in_timeline(contact, user) -> list[str]:
    return [
        a.original_name
        for item in contact_timeline(user, contact).items
        if item.kind == "message"
        for a in item.obj.media.all()
    ]


def test_merge_and_unmerge_move_media_with_their_messages(whatsapp, email_channel, manager):
    wa = contact_of(inbound(whatsapp, "6281234567890", "hi"))
    _, attachment = pdf_message(email_channel, "sheena@example.com")
    mail = contact_of(attachment.message)
    contact_merge(actor=manager, target=wa, source=mail)
    wa.refresh_from_db()
    assert media_in_timeline(wa, manager) == ["invoice.pdf"]

    contact_unmerge(actor=manager, contact=wa, profile=mail)
    mail.refresh_from_db()
    wa.refresh_from_db()
    assert media_in_timeline(mail, manager) == ["invoice.pdf"]
    assert media_in_timeline(wa, manager) == []


def test_after_a_merge_only_agents_of_the_files_channel_may_open_it(client, whatsapp, email_channel, manager):
    wa = contact_of(inbound(whatsapp, "6281234567890", "hi"))
    _, attachment = pdf_message(email_channel, "sheena@example.com")
    contact_merge(actor=manager, target=wa, source=contact_of(attachment.message))
    url = reverse("conversations:attachment_file", args=[attachment.pk])
    whatsapp_agent = UserFactory(username="wa-only", role=Role.AGENT)
    assign_perm("channels.access_channel", whatsapp_agent, whatsapp)
    email_agent = UserFactory(username="mail-only", role=Role.AGENT)
    assign_perm("channels.access_channel", email_agent, email_channel)
    client.force_login(whatsapp_agent)
    assert client.get(url).status_code == 404
    client.force_login(email_agent)
    assert client.get(url).status_code == 200


def test_export_lists_attachment_metadata(email_channel):
    message, _ = pdf_message(email_channel, "sheena@example.com")
    out = StringIO()
    call_command("export_contacts", stdout=out)
    (row,) = map(json.loads, out.getvalue().splitlines())
    (exported,) = row["attachments"]
    assert exported["original_name"] == "invoice.pdf"
    assert (exported["kind"], exported["content_type"], exported["size"], exported["status"]) == (
        "document",
        "application/pdf",
        12,
        "stored",
    )
    assert (exported["message_id"], exported["direction"]) == (message.pk, "in")


def test_retention_is_off_by_default(email_channel, settings):
    _, attachment = pdf_message(email_channel, "sheena@example.com")
    Attachment.objects.update(stored_at=timezone.now() - timedelta(days=3650))
    out = StringIO()
    call_command("media_purge", stdout=out)
    assert "off" in out.getvalue()
    attachment.refresh_from_db()
    assert attachment.status == AttachmentStatus.STORED and attachment.file.storage.exists(attachment.file.name)


def test_retention_deletes_files_older_than_the_configured_age(email_channel, settings):
    settings.MEDIA_RETENTION_DAYS = 30
    _, old = pdf_message(email_channel, "old@example.com")
    _, recent = pdf_message(email_channel, "new@example.com")
    Attachment.objects.filter(pk=old.pk).update(stored_at=timezone.now() - timedelta(days=31))
    old.refresh_from_db()
    old_name = old.file.name
    call_command("media_purge", stdout=StringIO())
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, old.file.name) == (AttachmentStatus.EXPIRED, "")
    assert not recent.file.storage.exists(old_name)
    assert recent.status == AttachmentStatus.STORED and recent.file.storage.exists(recent.file.name)
