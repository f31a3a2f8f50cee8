"""Attachment files: storing the bytes (sniffed, bounded), thumbnails, and the worker's download.

Writes here touch one attachment row each; the message itself is never held back by its media.
"""

import io
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from channels import platforms
from conversations.models import RENDERED_TYPES, Attachment, AttachmentStatus, attachment_path
from conversations.sniff import sniff

log = logging.getLogger(__name__)

THUMBNAIL_SIZE = (320, 320)
# Pillow refuses larger images itself (a decompression bomb), we refuse earlier.
Image.MAX_IMAGE_PIXELS = 50_000_000


@dataclass(frozen=True)
class Outcome:
    status: str
    retry_in: timedelta | None = None  # download again after this long


def attachment_process(*, attachment_id: int) -> Outcome:
    """The worker's part: download a pending file through its platform, then make its thumbnail."""
    attachment = Attachment.objects.select_related("message__channel").get(pk=attachment_id)
    if attachment.status == AttachmentStatus.PENDING:
        outcome = _download(attachment)
        if outcome.status != AttachmentStatus.STORED:
            return outcome
        attachment.refresh_from_db()
    if attachment.status == AttachmentStatus.STORED and not attachment.thumbnail:
        thumbnail_make(attachment=attachment)
    return Outcome(attachment.status)


def _download(attachment: Attachment) -> Outcome:
    channel = attachment.message.channel
    item = {"ref": attachment.platform_ref, "kind": attachment.kind, "mime_type": attachment.declared_type}
    try:
        content = platforms.download_media(channel, item)
    except platforms.MediaTooLarge as exc:
        return _finish(attachment, AttachmentStatus.TOO_LARGE, str(exc))
    except platforms.MediaUnavailable as exc:
        return _failed_attempt(attachment, str(exc))
    except Exception as exc:  # any other error is retried like a refusal, never left pending
        log.exception("downloading attachment %s failed", attachment.pk)
        return _failed_attempt(attachment, f"{exc.__class__.__name__}: {exc}")
    return Outcome(attachment_store_bytes(attachment=attachment, content=content))


def attachment_store_bytes(*, attachment: Attachment, content: bytes) -> str:
    """Put a file into storage, with its sniffed type and size; ends the attachment stored or too large."""
    limit = platforms.media_max_bytes(attachment.message.channel.kind)
    if len(content) > limit:
        return _finish(attachment, AttachmentStatus.TOO_LARGE, f"{len(content)} bytes, the limit is {limit}").status
    name = attachment.file.storage.save(attachment_path(attachment, ""), ContentFile(content))
    updated = Attachment.objects.filter(pk=attachment.pk, status=AttachmentStatus.PENDING).update(
        file=name,
        content_type=sniff(content),
        size=len(content),
        status=AttachmentStatus.STORED,
        error="",
        stored_at=timezone.now(),
    )
    if not updated:  # stored meanwhile by another run: keep theirs
        attachment.file.storage.delete(name)
    return AttachmentStatus.STORED


def thumbnail_make(*, attachment: Attachment) -> bool:
    """A small JPEG of an image, made once; images Pillow cannot read simply have none."""
    if attachment.content_type not in RENDERED_TYPES["image"]:
        return False
    try:
        with attachment.file.open("rb") as source, Image.open(source) as image:
            image.thumbnail(THUMBNAIL_SIZE)
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG", quality=80)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        log.info("no thumbnail for attachment %s: %s", attachment.pk, exc)
        return False
    name = attachment.thumbnail.storage.save(attachment_path(attachment, ""), ContentFile(buffer.getvalue()))
    if not Attachment.objects.filter(pk=attachment.pk, thumbnail="").update(thumbnail=name):
        attachment.thumbnail.storage.delete(name)
    return True


def _failed_attempt(attachment: Attachment, reason: str) -> Outcome:
    with transaction.atomic():
        attachment = Attachment.objects.select_for_update().get(pk=attachment.pk)
        attachment.attempts += 1
        attachment.error = reason[:2000]
        if attachment.attempts >= settings.MEDIA_DOWNLOAD_ATTEMPTS:
            attachment.status = AttachmentStatus.FAILED
        attachment.save(update_fields=["attempts", "error", "status"])
    if attachment.status == AttachmentStatus.FAILED:
        return Outcome(AttachmentStatus.FAILED)
    backoff = settings.MEDIA_RETRY_BACKOFF_SECONDS * 2 ** (attachment.attempts - 1)
    return Outcome(AttachmentStatus.PENDING, retry_in=timedelta(seconds=backoff))


def _finish(attachment: Attachment, status: str, reason: str) -> Outcome:
    Attachment.objects.filter(pk=attachment.pk).update(status=status, error=reason[:2000])
    return Outcome(status)


def attachments_expire(*, older_than, batch: int = 500) -> int:
    """Delete the files (and thumbnails) of attachments stored before `older_than`; the rows stay,
    marked expired, so the timeline still says a file was there. Returns how many."""
    expired = 0
    while True:
        rows = list(
            Attachment.objects.filter(status=AttachmentStatus.STORED, stored_at__lt=older_than)
            .exclude(file="")
            .order_by("pk")[:batch]
        )
        if not rows:
            return expired
        for attachment in rows:
            for stored in (attachment.file, attachment.thumbnail):
                if stored:
                    stored.storage.delete(stored.name)
        expired += Attachment.objects.filter(pk__in=[a.pk for a in rows]).update(
            status=AttachmentStatus.EXPIRED, file="", thumbnail=""
        )
