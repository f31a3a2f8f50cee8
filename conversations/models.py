import mimetypes
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class OpenedBy(models.TextChoices):
    CONTACT = "contact", _("Contact")
    USER = "user", _("User")


class Conversation(models.Model):
    """Everything between the business and a contact from opening to closing.

    `contact` is the visible contact; `profile` is the contact it belonged to when it opened,
    so that an unmerge can give a profile back the conversations it had before the merge.
    """

    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="conversations")
    profile = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="own_conversations")
    channel = models.ForeignKey("channels.Channel", on_delete=models.PROTECT, related_name="conversations")
    status = models.CharField(max_length=8, choices=ConversationStatus.choices, default=ConversationStatus.OPEN)
    opened_by = models.CharField(max_length=8, choices=OpenedBy.choices)
    opened_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    team = models.ForeignKey("workspace.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(default=timezone.now)
    unread_count = models.PositiveIntegerField(default=0)
    fields = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact"],
                condition=Q(status="open"),
                name="one_open_conversation_per_contact",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True) | Q(status="closed", closed_at__isnull=False),
                name="closed_conversation_has_closed_at",
            ),
        ]
        indexes = [
            models.Index(fields=["contact", "opened_at"], name="conversation_contact_idx"),
            models.Index(fields=["status", "-last_message_at", "-id"], name="conversation_inbox_idx"),
            models.Index(fields=["status"], condition=Q(unread_count__gt=0), name="conversation_unread_idx"),
            models.Index(fields=["assignee", "status"], name="conversation_assignee_idx"),
            models.Index(fields=["opened_at"], name="conversation_opened_idx"),
        ]

    def __str__(self) -> str:
        return f"Conversation #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == ConversationStatus.OPEN


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PENDING = "pending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="messages")
    identity = models.ForeignKey("channels.ChannelIdentity", on_delete=models.PROTECT, related_name="messages")
    channel = models.ForeignKey("channels.Channel", on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    body = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True)
    platform_message_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    error = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    # The contact deleted it for everyone (WhatsApp revoke, Instagram unsend): kept for audit.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Reactions of the contact: [{"emoji": "👍", "at": ISO time}] (one per contact, as platforms allow).
    reactions = models.JSONField(default=list, db_default=[], blank=True)  # db_default: for bulk loaders

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "platform_message_id"],
                condition=~Q(platform_message_id=""),
                name="platform_message_stored_once",
            )
        ]
        indexes = [models.Index(fields=["conversation", "created_at", "id"], name="timeline_idx")]

    def __str__(self) -> str:
        return self.body[:50]

    @property
    def other_items(self) -> list[dict]:
        """Buttons, shared contacts, reactions...: items that are not media files."""
        return [item for item in self.attachments if isinstance(item, dict) and "kind" not in item]


class Workflow(models.Model):
    """An inbound-conversation workflow: runs once for each conversation a contact opens.

    `steps` is an ordered list of step objects (see `conversations.workflows.steps`); a branch
    step holds its own lists of steps.
    """

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    trigger = models.CharField(max_length=32, default="conversation_opened", editable=False)
    channels = models.ManyToManyField(
        "channels.Channel",
        blank=True,
        related_name="+",
        help_text=_("Only conversations on these channels (none: all)."),
    )
    priority = models.PositiveIntegerField(default=100, help_text=_("The first matching workflow runs."))
    steps = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.name


class WorkflowRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        WAITING = "waiting", _("Waiting for an answer")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="runs")
    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="workflow_run")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    # Where the run is: frames of [path to a list of steps, index of the next step in it].
    stack = models.JSONField(default=list)
    waiting_step = models.PositiveIntegerField(default=0, help_text=_("Counts asks, so a stale timeout is ignored."))
    retries_left = models.PositiveSmallIntegerField(default=0)
    answers = models.JSONField(default=dict, blank=True)
    timeout_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.workflow} on conversation #{self.conversation_id}"


class AttachmentKind(models.TextChoices):
    IMAGE = "image", _("Image")
    AUDIO = "audio", _("Audio")
    VIDEO = "video", _("Video")
    DOCUMENT = "document", _("Document")
    STICKER = "sticker", _("Sticker")
    LOCATION = "location", _("Location")


class AttachmentStatus(models.TextChoices):
    PENDING = "pending", _("Downloading")
    STORED = "stored", _("Stored")
    FAILED = "failed", _("Could not be downloaded")
    TOO_LARGE = "too_large", _("Too large")
    EXPIRED = "expired", _("Deleted after the retention period")


# Browsers render these safely in our pages; everything else is served as a download.
RENDERED_TYPES = {
    "image": {"image/jpeg", "image/png", "image/gif", "image/webp"},
    "audio": {"audio/ogg", "audio/mpeg", "audio/mp4", "audio/wav", "audio/webm", "audio/aac"},
    "video": {"video/mp4", "video/webm", "video/ogg"},
}


def attachment_path(instance, filename: str) -> str:
    # A random name with no extension: the stored file's name never decides how it is served.
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """One media item of a message (inbound or outbound); it hangs off the message, so merges
    and unmerges move it with its message. The file is in Django's default storage."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(max_length=10, choices=AttachmentKind.choices)
    original_name = models.CharField(max_length=255, blank=True)
    platform_ref = models.CharField(max_length=2048, blank=True, help_text=_("Media id, file id or URL"))
    declared_type = models.CharField(max_length=255, blank=True, help_text=_("As the platform said; not trusted"))
    content_type = models.CharField(max_length=255, blank=True, help_text=_("Sniffed from the bytes"))
    size = models.BigIntegerField(null=True, blank=True)
    file = models.FileField(upload_to=attachment_path, max_length=255, blank=True)
    thumbnail = models.FileField(upload_to=attachment_path, max_length=255, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    label = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=AttachmentStatus.choices, default=AttachmentStatus.PENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    stored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["message"], name="attachment_message_idx"),
            models.Index(fields=["stored_at"], condition=Q(status="stored"), name="attachment_stored_idx"),
        ]

    def __str__(self) -> str:
        return self.original_name or f"{self.kind} #{self.pk}"

    @property
    def renders_as(self) -> str:
        """How the timeline shows it: image, audio, video, location, or a file to download."""
        if self.kind == AttachmentKind.LOCATION:
            return "location"
        if self.status != AttachmentStatus.STORED:
            return "missing"
        for shown, types in RENDERED_TYPES.items():
            if self.content_type in types:
                return shown
        return "file"

    @property
    def display_name(self) -> str:
        """The file's own name, else its kind with the extension of its sniffed type ("Image.jpg")."""
        if self.original_name:
            return self.original_name
        return f"{self.get_kind_display()}{mimetypes.guess_extension(self.content_type or '') or ''}"
