import secrets
import uuid
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords


class ChannelKind(models.TextChoices):
    WHATSAPP = "whatsapp", "WhatsApp"
    TELEGRAM = "telegram", "Telegram"
    MESSENGER = "messenger", "Messenger"
    INSTAGRAM = "instagram", "Instagram"
    EMAIL = "email", _("E-mail")
    WEBCHAT = "webchat", _("Web chat")
    LINE = "line", "LINE"
    VIBER = "viber", "Viber"
    WECHAT = "wechat", "WeChat"
    SMS = "sms", "SMS"


# Channels whose platform restricts free-form business messages to a window after the
# contact's last message (None: no window).
MESSAGING_WINDOWS = {
    ChannelKind.WHATSAPP: timedelta(hours=24),
    ChannelKind.MESSENGER: timedelta(hours=24),
    ChannelKind.INSTAGRAM: timedelta(hours=24),
    ChannelKind.WECHAT: timedelta(hours=48),
}


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
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    name = models.CharField(max_length=100)
    secret = models.CharField(max_length=200, default=new_secret)
    verify_token = models.CharField(max_length=200, blank=True)
    access_token = models.CharField(max_length=500, blank=True)
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
    def messaging_window(self) -> timedelta | None:
        return MESSAGING_WINDOWS.get(self.kind)


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
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "channel identities"
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="one_identity_per_channel_external_id")
        ]
        indexes = [models.Index(fields=["contact"]), models.Index(fields=["profile"])]

    def __str__(self) -> str:
        return f"{self.channel.get_kind_display()} {self.external_id}"

    def can_send_free_form(self, now=None) -> bool:
        window = self.channel.messaging_window
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
