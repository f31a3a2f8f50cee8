import secrets
import uuid

from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from channels import platforms
from config.crypto import EncryptedTextField

# One member per platform package in the registry (channels/platforms): adding a package adds a kind.
ChannelKind = models.TextChoices("ChannelKind", [(kind.upper(), (kind, label)) for kind, label in platforms.choices()])


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Channel(models.Model):
    """A connection to one platform account (a WhatsApp number, a Telegram bot, a mailbox...).

    `secret` authenticates inbound webhooks: Meta's app secret (X-Hub-Signature-256), Telegram's
    secret token, or the bearer token of e-mail and web chat. `access_token` authenticates our
    outbound calls (Graph API token, Telegram bot token). `settings` holds platform ids such as
    WhatsApp's phone_number_id, and the web chat pre-chat form.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=platforms.choices)
    name = models.CharField(max_length=100)
    # Encrypted at rest (config/crypto.py); plain on the instance.
    secret = EncryptedTextField(default=new_secret)
    verify_token = EncryptedTextField(blank=True)
    access_token = EncryptedTextField(blank=True)
    settings = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [("access_channel", "Can see and answer contacts on this channel")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def webhook_path(self) -> str:
        return f"/webhooks/{self.public_id}/"

    @property
    def platform(self) -> platforms.Platform:
        return platforms.platform_for(self.kind)


class ChannelUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Channel, on_delete=models.CASCADE)


class ChannelGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Channel, on_delete=models.CASCADE)


class ChannelIdentity(models.Model):
    """Who a contact is on one channel: the platform's id for them and their profile there.

    `contact` is the visible contact that owns the identity now; `profile` is the contact the
    identity was created for, which it returns to when that profile is split off by an unmerge.
    """

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="identities")
    external_id = models.CharField(max_length=255)
    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="identities")
    profile = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="own_identities")
    display_name = models.CharField(max_length=255, blank=True)
    username = models.CharField(max_length=255, blank=True)
    # The platform's business-scoped id (WhatsApp BSUID): valid within this channel's business
    # account only, so it is never a contact key; replies to a contact without a phone use it.
    # Database defaults too: bulk loaders (generate_data, the benchmarks' SQL) name only older columns.
    scoped_id = models.CharField(max_length=255, blank=True, default="", db_default="")
    # WhatsApp's "parent" BSUID ("CC.ENT.…"), shared by the linked business portfolios of one
    # managed business: recorded, and used to recognise the sender on this channel when their
    # BSUID changes; like the BSUID, never a contact key.
    parent_scoped_id = models.CharField(max_length=255, blank=True, default="", db_default="")
    picture_url = models.URLField(max_length=1000, blank=True, default="", db_default="")
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "channel identities"
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="one_identity_per_channel_external_id")
        ]
        indexes = [
            models.Index(fields=["contact"]),
            models.Index(fields=["profile"]),
            models.Index(
                fields=["channel", "scoped_id"], condition=~models.Q(scoped_id=""), name="identity_scoped_idx"
            ),
            models.Index(
                fields=["channel", "parent_scoped_id"],
                condition=~models.Q(parent_scoped_id=""),
                name="identity_parent_scoped_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel.get_kind_display()} {self.external_id}"

    def can_send_free_form(self, now=None) -> bool:
        window = self.channel.platform.messaging_window
        if window is None:
            return True
        if self.last_inbound_at is None:
            return False
        return (now or timezone.now()) - self.last_inbound_at < window


class WebchatSession(models.Model):
    """A web chat visitor: the widget keeps `token` (we store its hash) across page reloads."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="webchat_sessions")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=320, blank=True)
    phone = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Web chat visitor {self.public_id}"


class InboundDelivery(models.Model):
    """One authentic webhook delivery, kept as it arrived until a worker has processed it.

    The webhook view stores it in one insert and answers at once; `conversations.inbound`
    workers turn it into messages. Nothing authentic is ever dropped: a delivery that cannot
    be processed stays here as failed, with the reason, until it is replayed.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="deliveries")
    body = models.BinaryField(blank=True, default=b"")
    # Bodies over INBOUND_INLINE_MAX_BYTES live in file storage; the row keeps only the name.
    body_file = models.CharField(max_length=255, blank=True)
    body_size = models.PositiveIntegerField(default=0)
    headers = models.JSONField(default=dict, blank=True)
    # The sender on the platform, when the platform can tell it cheaply: deliveries of one
    # sender are processed in arrival order, whichever worker takes them.
    sender_key = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "inbound deliveries"
        indexes = [
            models.Index(fields=["id"], condition=models.Q(status="waiting"), name="delivery_waiting_idx"),
            models.Index(
                fields=["sender_key", "id"],
                condition=models.Q(status__in=["waiting", "processing"]),
                name="delivery_sender_pending_idx",
            ),
            models.Index(fields=["status", "received_at"], name="delivery_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Delivery #{self.pk} on {self.channel_id} ({self.status})"


class RateLimitWindow(models.Model):
    """How many requests one visitor address or one channel made in one fixed time window
    (`channels.rate_limits`). Kept in the database so every app process counts the same."""

    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=100)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key", "window_start"], name="one_rate_window")]
        indexes = [models.Index(fields=["window_start"], name="rate_window_age_idx")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} {self.window_start:%H:%M}: {self.count}"
