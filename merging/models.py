from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Dismissed")
    MERGED = "merged", _("Merged")
    OBSOLETE = "obsolete", _("No longer shared")


class MergeSuggestion(models.Model):
    """Two visible contacts that share a phone number or e-mail address.

    The pair is stored with the lower id first. A dismissed pair stays dismissed: detection
    never raises a pair again once any suggestion between their profiles was dismissed.
    """

    contact_a = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="+")
    contact_b = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="+")
    reason_kind = models.CharField(max_length=8)
    reason_value = models.CharField(max_length=320)
    status = models.CharField(max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(contact_a__lt=F("contact_b")), name="pair_ordered"),
            models.UniqueConstraint(
                fields=["contact_a", "contact_b"],
                condition=Q(status="open"),
                name="one_open_suggestion_per_pair",
            ),
        ]
        indexes = [
            models.Index(fields=["contact_a", "status"], name="suggestion_a_idx"),
            models.Index(fields=["contact_b", "status"], name="suggestion_b_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="suggestion_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_a_id} ~ {self.contact_b_id} ({self.reason_kind} {self.reason_value})"

    def other(self, contact_id: int) -> int:
        return self.contact_b_id if contact_id == self.contact_a_id else self.contact_a_id


class MergeAction(models.TextChoices):
    MERGE = "merge", _("Merge")
    UNMERGE = "unmerge", _("Unmerge")


class MergeRecord(models.Model):
    """The audit row of one merge or unmerge, with what is needed to explain and undo it."""

    action = models.CharField(max_length=8, choices=MergeAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    target = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="merge_records_as_target")
    source = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="merge_records_as_source")
    suggestion = models.ForeignKey(MergeSuggestion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    choices = models.JSONField(default=dict, blank=True)
    target_snapshot = models.JSONField()
    source_snapshot = models.JSONField()
    closed_conversation = models.ForeignKey(
        "conversations.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    undone_by = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="undoes")

    class Meta:
        indexes = [models.Index(fields=["source", "action", "-created_at"], name="record_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} #{self.source_id} / #{self.target_id}"


class BackfillRun(models.Model):
    """Progress of a full duplicate-detection pass, shown while the worker runs it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    suggestions_created = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Backfill #{self.pk} {self.status}"

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.processed * 100 // self.total)
