"""Serving a stored attachment safely, to agents (the inbox) and to web chat visitors (the widget)."""

from django.http import FileResponse, Http404

from conversations.models import RENDERED_TYPES, Attachment, AttachmentStatus

# Served as a download with a neutral type: markup must never run from our origin.
NEVER_INLINE_TYPES = {"text/html", "image/svg+xml", "application/xml", "text/xml", "application/xhtml+xml"}


def attachment_response(attachment: Attachment, *, thumbnail: bool = False, download: bool = False) -> FileResponse:
    """Images, audio and video we render are served inline with their sniffed type; anything else
    is a download (`Content-Disposition: attachment`). Browsers may not sniff (nosniff), and a
    sandboxing CSP keeps any file that is opened anyway from running scripts on our origin.
    The caller has checked that the user may see the attachment."""
    stored = attachment.thumbnail if thumbnail else attachment.file
    if attachment.status != AttachmentStatus.STORED or not stored:
        raise Http404("This file is not stored.")
    inline = not download and (thumbnail or attachment.renders_as in RENDERED_TYPES)
    if thumbnail:
        content_type = "image/jpeg"
    elif inline or attachment.content_type not in NEVER_INLINE_TYPES:
        content_type = attachment.content_type or "application/octet-stream"
    else:
        content_type = "application/octet-stream"
    response = FileResponse(
        stored.open("rb"), content_type=content_type, as_attachment=not inline, filename=attachment.display_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
