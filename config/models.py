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

    @property
    def is_manager_or_owner(self) -> bool:
        return self.role in (Role.OWNER, Role.MANAGER)


class Team(models.Model):
    """A team of agents. Its auth group carries the team's channel permissions (guardian)."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(User, related_name="teams", blank=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="team")
    last_assigned = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text=_("For round-robin.")
    )

    def __str__(self) -> str:
        return self.name


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

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="single_workspace")]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_region(self) -> str:
        return (self.default_phone_region or settings.DEFAULT_PHONE_REGION).upper()

    @classmethod
    def current(cls) -> "Workspace":
        workspace, _created = cls.objects.get_or_create(id=1)
        return workspace


class LoginFailure(models.Model):
    """A failed login, for rate limiting (kept in the database so every app process sees it)."""

    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["username", "at"]), models.Index(fields=["ip", "at"])]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip} at {self.at}"
