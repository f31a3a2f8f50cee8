from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    AGENT = "agent", _("Agent")


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    is_available = models.BooleanField(
        default=True, help_text=_("Available agents can be auto-assigned conversations.")
    )


class Team(models.Model):
    """A team of agents: its members are the users of its auth group, which carries the team's
    channel permissions (guardian), so a team grant reaches every member through `has_perm` too."""

    name = models.CharField(max_length=100, unique=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="team")
    last_assigned = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text=_("For round-robin.")
    )

    def __str__(self) -> str:
        return self.name

    @property
    def members(self):
        """The team's members: the users of its group (a related manager: add, remove, filter)."""
        return self.group.user_set


class Workspace(models.Model):
    """The workspace's own settings; there is one row (id=1)."""

    name = models.CharField(max_length=100, default="My business")
    default_phone_region = models.CharField(
        max_length=2,
        default="",
        blank=True,
        help_text=_("ISO country used to read phone numbers typed without +country code."),
    )
    agents_may_merge_suggestions = models.BooleanField(
        default=True, help_text=_("Agents may merge contacts from a merge suggestion.")
    )
    unverified_keys_suggest = models.BooleanField(
        default=True,
        help_text=_(
            "Phones and e-mails nobody verified (typed in a pre-chat form, a workflow answer, an edit, "
            "an import) raise merge suggestions, marked as unverified. Off: only values a platform "
            "vouches for on both sides do."
        ),
    )

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="single_workspace")]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_region(self) -> str:
        return (self.default_phone_region or settings.DEFAULT_PHONE_REGION).upper()

    @classmethod
    def current(cls) -> "Workspace":
        """The workspace's settings; defaults until an admin saves them (reading never writes)."""
        return cls.objects.filter(id=1).first() or cls(id=1)


class LoginFailure(models.Model):
    """A failed login, for rate limiting (kept in the database so every app process sees it)."""

    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["username", "at"]), models.Index(fields=["ip", "at"])]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip} at {self.at}"


class KnownLoginAddress(models.Model):
    """An address a username has logged in from: the username's lock does not refuse it there."""

    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField()
    last_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["username", "ip"], name="known_login_address_unique")]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip}"
