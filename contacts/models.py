from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

MAX_PROFILES_PER_CONTACT = 10


class Contact(models.Model):
    """A person, or one profile of a person.

    Every contact starts as its own profile. When contact B is merged into contact A, B's row
    gets `merged_into` = A, `root` = the visible contact, `merged_at` and the merge's choices,
    and every identity, key, conversation, comment and event B owned moves to the root (their
    `profile` still says B's). Rows that are visible as contacts are those whose `root` is empty.

    Derive, don't patch: `name`, `primary_email`, `primary_phone`, `main_identity`, `properties`
    and `absorbed_count` of every row are a function of `base`, the profiles merged into it (with
    their choices) and the edits made on it (`ProfileEdit`): `contacts.profiles.derive` computes
    them, merges and unmerges write what it says, and edits append to the log before writing.
    """

    name = models.CharField(max_length=255, blank=True)
    primary_email = models.ForeignKey(
        "contacts.ContactKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    primary_phone = models.ForeignKey(
        "contacts.ContactKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    properties = models.JSONField(default=dict, blank=True)
    main_identity = models.ForeignKey(
        "channels.ChannelIdentity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="absorbed")
    root = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    absorbed_count = models.PositiveSmallIntegerField(
        default=0, help_text=_("How many other profiles this contact holds.")
    )
    # When it was merged into `merged_into`, and the choices of that merge ("name": "source"...).
    merged_at = models.DateTimeField(null=True, blank=True)
    merge_choices = models.JSONField(default=dict, blank=True, db_default={})
    # Its own values from before anything was merged into it (taken at its first merge, with
    # "at"); null while nothing ever was: then the row's values are its own. Database default for
    # bulk loaders that name only older columns.
    base = models.JSONField(null=True, blank=True, db_default=None)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(root__isnull=True, merged_into__isnull=True)
                | Q(root__isnull=False, merged_into__isnull=False),
                name="merged_profile_has_root_and_parent",
            ),
            models.CheckConstraint(
                condition=Q(absorbed_count__lt=MAX_PROFILES_PER_CONTACT),
                name="at_most_ten_profiles",
            ),
        ]
        indexes = [
            models.Index(fields=["name"], name="contact_name_idx"),
            models.Index(fields=["-created_at", "-id"], condition=Q(root__isnull=True), name="contact_list_idx"),
        ]

    def __str__(self) -> str:
        return self.name or f"Contact #{self.pk}"

    @property
    def is_merged(self) -> bool:
        return self.absorbed_count > 0


class KeyKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")


def primary_field(kind: str) -> str:
    """The contact field holding its primary key of this kind."""
    return "primary_email" if kind == KeyKind.EMAIL else "primary_phone"


class KeySource(models.TextChoices):
    CHANNEL = "channel", _("Channel identity")
    PRECHAT = "prechat", _("Pre-chat form")
    WORKFLOW = "workflow", _("Workflow answer")
    AGENT = "agent", _("Edited by a user")
    IMPORT = "import", _("Import")


# Only a platform vouches for a value: a WhatsApp number, a phone shared through Telegram's own
# button, the address an e-mail came from. Everything typed (a pre-chat form, a workflow answer,
# an agent's edit, an import) is a claim nobody checked.
VERIFIED_SOURCES = frozenset({KeySource.CHANNEL})


class ContactKey(models.Model):
    """One e-mail address or phone number of a contact, as typed and normalised.

    `value` is the normalised form (E.164, lower-cased e-mail) or the trimmed raw text when the
    input is invalid. `match_value` is what duplicate detection compares; it is empty for
    invalid input so that invalid values never match anything.
    """

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="keys")
    profile = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="own_keys")
    kind = models.CharField(max_length=8, choices=KeyKind.choices)
    raw = models.CharField(max_length=320)
    value = models.CharField(max_length=320)
    match_value = models.CharField(max_length=320, blank=True)
    is_valid = models.BooleanField()
    source = models.CharField(max_length=16, choices=KeySource.choices)
    verified = models.BooleanField(
        default=False, help_text=_("A platform vouches for this value (not typed by anyone).")
    )
    identity = models.ForeignKey(
        "channels.ChannelIdentity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The channel identity that revealed this value, if any."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "kind", "value"], name="one_key_value_per_profile"),
            models.CheckConstraint(condition=Q(is_valid=True) | Q(match_value=""), name="invalid_key_never_matches"),
        ]
        indexes = [
            models.Index(
                fields=["kind", "match_value"],
                condition=~Q(match_value=""),
                name="key_match_idx",
            ),
            models.Index(fields=["value"], name="key_value_idx"),
            models.Index(fields=["contact", "kind"], name="key_contact_idx"),
        ]

    def __str__(self) -> str:
        return self.value


class Comment(models.Model):
    """An internal note about a contact, optionally on one of its conversations."""

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="comments")
    profile = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="own_comments")
    conversation = models.ForeignKey(
        "conversations.Conversation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="comments",
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        indexes = [models.Index(fields=["contact", "created_at"])]

    def __str__(self) -> str:
        return self.body[:50]


class EventKind(models.TextChoices):
    CONVERSATION_OPENED = "conversation_opened", _("Conversation opened")
    CONVERSATION_CLOSED = "conversation_closed", _("Conversation closed")
    CONVERSATION_REOPENED = "conversation_reopened", _("Conversation reopened")
    ASSIGNED = "assigned", _("Assigned")
    MERGED = "merged", _("Contacts merged")
    UNMERGED = "unmerged", _("Contact unmerged")
    MAIN_CHANNEL_CHANGED = "main_channel_changed", _("Main channel changed")
    PROPERTY_CHANGED = "property_changed", _("Property changed")
    WORKFLOW = "workflow", _("Workflow")


class Event(models.Model):
    """Something that happened to a contact or conversation, shown in the timeline."""

    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="events")
    profile = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="own_events")
    conversation = models.ForeignKey(
        "conversations.Conversation", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "conversations_event"  # moved from conversations; the table keeps its name
        indexes = [models.Index(fields=["contact", "created_at"], name="event_contact_idx")]

    def __str__(self) -> str:
        return self.get_kind_display()


class ProfileEdit(models.Model):
    """One edit of a derived value made on a contact, kept so that the value can be derived again.

    `field` is "name", "email", "phone" (a key id), "main" (an identity id) or "property:<name>";
    `removed` marks a property taken away. The profile is the contact the edit was made on (or,
    for a key a channel identity made primary, that identity's profile as well).
    """

    profile = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="edits")
    field = models.CharField(max_length=120)
    value = models.JSONField(null=True, blank=True)
    removed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["profile", "created_at", "id"], name="profile_edit_idx")]

    def __str__(self) -> str:
        return f"{self.field} on #{self.profile_id}"
