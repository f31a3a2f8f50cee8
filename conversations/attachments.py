"""Writes on attachments: rows for a new message's media, the Retry action, an agent's upload.

Files are fetched and thumbnailed by the worker (`conversations.tasks.process_attachment`),
enqueued in the caller's transaction so a rolled-back message fetches nothing.
"""

from dataclasses import dataclass

from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from channels import platforms
from channels.inbound import kind_for_type
from config.workspace import permissions
from conversations.media import attachment_store_bytes
from conversations.models import RENDERED_TYPES, Attachment, AttachmentKind, AttachmentStatus
from conversations.sniff import sniff
from conversations.tasks import process_attachment


def attachments_store(*, message, items: list[dict], contents: dict[str, bytes] | None = None) -> list[Attachment]:
    """One attachment row per media item of a new message (items without a media `kind`, such as
    buttons or shared contacts, stay in `message.attachments` only). Files that came inside the
    delivery (`contents`, by item ref) are stored now; the others are downloaded by the worker."""
    contents = contents or {}
    created = []
    if not any(item.get("kind") in AttachmentKind.values for item in items):
        return created
    with transaction.atomic():
        for item in items:
            if item.get("kind") not in AttachmentKind.values:
                continue
            attachment = Attachment.objects.create(message=message, **_fields(item))
            if attachment.kind != AttachmentKind.LOCATION and item.get("ref") in contents:
                attachment_store_bytes(attachment=attachment, content=contents[item["ref"]])
                attachment.refresh_from_db()
            if _needs_worker(attachment):
                process_attachment.enqueue(attachment_id=attachment.pk)  # joins this transaction
            created.append(attachment)
    return created


@dataclass(frozen=True)
class Upload:
    """A file an agent attaches in the composer (bytes read once, its type sniffed)."""

    name: str
    declared_type: str
    content: bytes

    @property
    def content_type(self) -> str:
        return sniff(self.content)

    @property
    def kind(self) -> str:
        return kind_for_type(self.content_type)


def upload_refusal(*, channel, upload: Upload) -> str | None:
    """Why this channel cannot send this file (the composer says so before sending), or None."""
    platform = platforms.platform_for(channel.kind)
    limit = platforms.media_max_bytes(channel.kind)
    if upload.kind not in platforms.sendable_media(channel.kind):
        what = AttachmentKind(upload.kind).label.lower()
        return _("%(channel)s cannot send a file of this kind (%(kind)s).") % {"channel": platform.label, "kind": what}
    if len(upload.content) > limit:
        return _("%(channel)s accepts files up to %(size)s.") % {
            "channel": platform.label,
            "size": filesizeformat(limit),
        }
    return None


def outbound_attachment_add(*, message, upload: Upload) -> Attachment:
    """The agent's file on their outbound message: stored now, sent by the delivery worker.
    Call inside the transaction that creates the message."""
    attachment = Attachment.objects.create(
        message=message,
        kind=upload.kind,
        original_name=_safe_name(upload.name),
        declared_type=upload.declared_type[:255],
    )
    attachment_store_bytes(attachment=attachment, content=upload.content)
    attachment.refresh_from_db()
    if _needs_worker(attachment):
        process_attachment.enqueue(attachment_id=attachment.pk)
    return attachment


def attachment_retry(*, actor, attachment: Attachment) -> Attachment:
    """Download a failed attachment again (the agent's Retry)."""
    permissions.require(
        permissions.can_see_channel(actor, attachment.message.channel_id), "You cannot see this attachment."
    )
    with transaction.atomic():
        updated = Attachment.objects.filter(pk=attachment.pk, status=AttachmentStatus.FAILED).update(
            status=AttachmentStatus.PENDING, attempts=0, error=""
        )
        if updated:
            process_attachment.enqueue(attachment_id=attachment.pk)
    attachment.refresh_from_db()
    return attachment


def _fields(item: dict) -> dict:
    fields = {
        "kind": item["kind"],
        "original_name": str(item.get("filename", ""))[:255],
        "platform_ref": str(item.get("ref", ""))[:2048],
        "declared_type": str(item.get("mime_type", ""))[:255],
    }
    if item["kind"] == AttachmentKind.LOCATION:
        fields.update(
            latitude=item.get("latitude"),
            longitude=item.get("longitude"),
            label=str(item.get("label", ""))[:500],
            status=AttachmentStatus.STORED,
        )
    return fields


def _safe_name(name: str) -> str:
    """The name as the agent's file had it, without any path or control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip().strip(".")
    return cleaned[-255:]


def _needs_worker(attachment: Attachment) -> bool:
    if attachment.status == AttachmentStatus.PENDING:
        return True
    return attachment.status == AttachmentStatus.STORED and attachment.content_type in RENDERED_TYPES["image"]
