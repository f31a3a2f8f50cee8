"""Writes on contacts: creation, key properties, profile edits, comments, main channel."""

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from config.notify import live_notify
from config.rows import rows_update
from config.workspace import permissions
from config.workspace.models import Workspace
from contacts.events import event_record
from contacts.models import (
    VERIFIED_SOURCES,
    Comment,
    Contact,
    ContactKey,
    EventKind,
    KeyKind,
    KeySource,
    primary_field,
)
from contacts.normalize import Normalized, clean_text, normalize_email, normalize_phone
from contacts.profiles import edit_log


def _require_sees(actor, contact: Contact, conversation=None) -> None:
    """Users act only on contacts (and conversations) they may see; `actor=None` is the system."""
    if actor is None:
        return
    sees_contact = permissions.visible(actor, Contact.objects.filter(pk=contact.pk)).exists()
    permissions.require(sees_contact, "You cannot see this contact.")
    if conversation is not None:
        permissions.require(permissions.can_see_conversation(actor, conversation), "You cannot see this conversation.")


def normalize_key(kind: str, raw: str, *, region: str | None = None, international=False) -> Normalized:
    if kind == KeyKind.EMAIL:
        return normalize_email(raw)
    # An international id carries its country: the workspace's default region is not needed (nor read).
    region = region or ("" if international else Workspace.current().phone_region)
    return normalize_phone(raw, region, international=international)


def clean_name(name: str) -> str:
    return clean_text(name.strip(), 255)


def clean_properties(properties: dict) -> dict:
    """Custom properties as stored: string keys and values without NUL bytes."""
    return {
        clean_text(str(key), 100): clean_text(value, 2000) if isinstance(value, str) else value
        for key, value in properties.items()
    }


def contact_create(*, name: str = "", properties: dict | None = None, created_at=None) -> Contact:
    contact = _contact_build(name=name, properties=properties, created_at=created_at)
    contact.save(force_insert=True)
    return contact


def _contact_build(*, name: str = "", properties: dict | None = None, created_at=None) -> Contact:
    return Contact(
        name=clean_name(name), properties=clean_properties(properties or {}), created_at=created_at or timezone.now()
    )


def contacts_create_for_senders(*, names_and_times: list[tuple[str, object]]) -> list[Contact]:
    """New contacts, one per (name, created at), in one insert (and one of their history rows)."""
    contacts = [_contact_build(name=name, created_at=at) for name, at in names_and_times]
    return bulk_create_with_history(contacts, Contact)


def contacts_add_first_keys(*, keys: list[ContactKey], main_identities: dict[int, object]) -> list[ContactKey]:
    """The first keys and main identity of contacts just created (`contacts_create_for_senders`),
    saved in one insert and one update: what `contact_key_add` does for a contact without keys
    (the first valid key of each kind becomes primary) and `contact_set_main_identity` without a user.
    """
    saved = bulk_create_with_history(keys, ContactKey)
    contacts = {key.contact_id: key.contact for key in saved} | {
        identity.contact_id: identity.contact for identity in main_identities.values()
    }
    for key in saved:
        field = primary_field(key.kind)
        if getattr(key.contact, f"{field}_id") is None and key.is_valid:
            setattr(key.contact, field, key)
    for contact_id, identity in main_identities.items():
        contacts[contact_id].main_identity = identity
    now = timezone.now()
    for contact in contacts.values():
        contact.updated_at = now
    rows_update(
        Contact,
        ["primary_email", "primary_phone", "main_identity", "updated_at"],
        {c.pk: (c.primary_email_id, c.primary_phone_id, c.main_identity_id, now) for c in contacts.values()},
    )
    Contact.history.bulk_history_create(list(contacts.values()), update=True)
    return saved


def key_build(
    *,
    contact: Contact,
    kind: str,
    raw: str,
    source: str,
    profile: Contact | None = None,
    region: str | None = None,
    international: bool = False,
    identity=None,
) -> ContactKey | None:
    """A new key as `contact_key_add` creates it, not saved; None for blank input."""
    if not raw or not raw.strip():
        return None
    normalized = normalize_key(kind, raw, region=region, international=international)
    return _key_from(normalized, contact=contact, profile=profile, kind=kind, source=source, identity=identity)


def _key_from(normalized: Normalized, *, contact, profile, kind: str, source: str, identity) -> ContactKey:
    return ContactKey(
        contact=contact,
        profile=profile or contact,
        kind=kind,
        raw=normalized.raw,
        value=normalized.value,
        match_value=normalized.match_value,
        is_valid=normalized.is_valid,
        source=source,
        verified=source in VERIFIED_SOURCES,
        identity=identity,
    )


def contact_key_add(
    *,
    contact: Contact,
    kind: str,
    raw: str,
    source: str,
    profile: Contact | None = None,
    region: str | None = None,
    international: bool = False,
    make_primary: bool = False,
    never_primary: bool = False,
    identity=None,
) -> ContactKey | None:
    """Add an e-mail or phone to a visible contact (idempotent).

    Returns None for blank input. The key belongs to `profile` (default: the contact itself),
    the profile an unmerge gives it back to. A key revealed by an identity is looked up among
    that profile's own keys, so the profile owns it even when the merged contact already held
    the same value through another profile; a key a user typed reuses any key of the contact.
    Making it primary is an edit (`ProfileEdit`) of the contact and of the key's profile.
    It records where it came from (`source`, and the channel `identity` that revealed it) and is
    verified only when a platform vouches for it (`VERIFIED_SOURCES`). A value that was only claimed
    becomes verified when a platform later gives the same value. Duplicate detection is the
    caller's next step (`merging.detection.suggestions_refresh`): detection sits above contacts.
    """
    if not raw or not raw.strip():
        return None
    normalized = normalize_key(kind, raw, region=region, international=international)
    owners = {"profile": profile} if profile is not None else {"contact": contact}
    key = ContactKey.objects.filter(**owners, kind=kind, value=normalized.value).first()
    if key is None:
        key = _key_from(normalized, contact=contact, profile=profile, kind=kind, source=source, identity=identity)
        key.save(force_insert=True)
    elif source in VERIFIED_SOURCES and not key.verified:
        key.source, key.verified, key.identity = source, True, identity or key.identity
        key.save(update_fields=["source", "verified", "identity"])
    field = primary_field(kind)
    if make_primary:
        # A user's pick is an edit of the contact; an identity's (a number change) is also its profile's.
        editors = {contact.pk} if profile is None else {contact.pk, profile.pk}
        edit_log(profile_ids=editors, field=str(kind), value=key.pk)
    # A first key becomes primary by itself only when valid (as `contacts.profiles.derive` falls back).
    first_valid = getattr(contact, f"{field}_id") is None and key.is_valid
    if not never_primary and (make_primary or first_valid):
        setattr(contact, field, key)
        contact.save(update_fields=[field, "updated_at"])
    return key


def contact_profile_update(
    *,
    actor,
    contact: Contact,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    properties: dict | None = None,
) -> Contact:
    """A user edits a contact: a new e-mail or phone becomes primary; old ones stay secondary.

    A phone that is not a valid number is kept as typed, as a secondary phone that never matches:
    it never becomes primary (the view warns the user)."""
    _require_sees(actor, contact)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk, root__isnull=True)
        changed = {}
        if name is not None and clean_name(name) != contact.name:
            changed["name"] = [contact.name, clean_name(name)]
            contact.name = clean_name(name)
            edit_log(profile_ids=[contact.pk], field="name", value=contact.name)
        properties = clean_properties(properties) if properties is not None else None
        if properties is not None and properties != contact.properties:
            changed["properties"] = [contact.properties, properties]
            for prop in set(contact.properties) - set(properties):
                edit_log(profile_ids=[contact.pk], field=f"property:{prop}", removed=True)
            for prop, value in properties.items():
                if contact.properties.get(prop, object()) != value:
                    edit_log(profile_ids=[contact.pk], field=f"property:{prop}", value=value)
            contact.properties = properties
        contact.save()
        for kind, raw in ((KeyKind.EMAIL, email), (KeyKind.PHONE, phone)):
            if raw is not None and raw.strip():
                invalid_phone = kind == KeyKind.PHONE and not normalize_key(kind, raw).is_valid
                key = contact_key_add(
                    contact=contact,
                    kind=kind,
                    raw=raw,
                    source=KeySource.AGENT,
                    make_primary=not invalid_phone,
                    never_primary=invalid_phone,
                )
                changed[kind] = key.value
                if invalid_phone:
                    changed["phone_valid"] = False
        if changed:
            event_record(contact=contact, kind=EventKind.PROPERTY_CHANGED, actor=actor, data=changed)
    return contact


def comment_add(*, actor, contact: Contact, body: str, conversation=None) -> Comment:
    _require_sees(actor, contact, conversation)
    body = body.strip()
    if not body:
        raise ValueError("A comment needs some text.")
    # The rule for every row (docs/merging.md): a note on a conversation belongs to the
    # conversation's profile; a note on the contact itself to the contact.
    profile_id = conversation.profile_id if conversation is not None else contact.pk
    comment = Comment.objects.create(
        contact=contact, profile_id=profile_id, conversation=conversation, author=actor, body=body
    )
    if conversation is not None:
        live_notify("contact", conversation=conversation)
    else:
        live_notify("contact", contact_ids=[contact.pk])
    return comment


def contact_set_main_identity(*, actor, contact: Contact, identity) -> Contact:
    _require_sees(actor, contact)
    if actor is not None:
        permissions.require(permissions.can_send_on(actor, identity), "You cannot use this channel.")
    if identity.contact_id != contact.pk:
        raise ValueError("That channel does not belong to this contact.")
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        previous = contact.main_identity_id
        contact.main_identity = identity
        contact.save(update_fields=["main_identity", "updated_at"])
        edit_log(profile_ids=[contact.pk], field="main", value=identity.pk)
        event_record(
            contact=contact,
            kind=EventKind.MAIN_CHANNEL_CHANGED,
            actor=actor,
            data={"from": previous, "to": identity.pk, "channel": str(identity)},
        )
    return contact
