"""Reads on contacts, already scoped to what the user may see."""

import re

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Upper

from config.cursors import Cursor, cursor_of, keyset_before
from config.workspace import permissions
from contacts.models import Contact, ContactKey, KeyKind
from contacts.normalize import (
    looks_like_phone,
    normalize_email,
    normalize_phone,
    phone_digits_fragment,
    phone_search_prefixes,
)


def visible_contacts(user) -> QuerySet[Contact]:
    """Visible (not merged-away) contacts the user may see: agents only those on their channels."""
    return permissions.visible(user, Contact.objects.filter(root__isnull=True))


def _identities_with_channel():
    """Channel identities (the model of `Contact.identities`; channels sits above contacts)."""
    return Contact._meta.get_field("identities").related_model.objects.select_related("channel").order_by("id")


def with_list_details(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    return contacts.select_related("primary_email", "primary_phone").prefetch_related(
        Prefetch("identities", queryset=_identities_with_channel())
    )


SEARCH_LIMIT = 500


def contact_search(user, query: str, *, region: str) -> QuerySet[Contact]:
    """Search by name prefix, e-mail, phone typed in any format (normalised first) or any run of
    four or more digits of a phone number.

    Each kind of match is one indexed lookup (prefix indexes on key values and names, a trigram
    index for a word anywhere in the name: migrations contacts 0003 and 0004) that returns at
    most SEARCH_LIMIT ids; the page then works on those ids, so the cost does not grow with the
    number of contacts.
    """
    contacts = visible_contacts(user)
    query = query.strip()
    if not query:
        return contacts
    key_filter = Q(kind=KeyKind.EMAIL, value__startswith=query.lower())
    if "@" in query:
        email = normalize_email(query)
        if email.is_valid:
            key_filter |= Q(kind=KeyKind.EMAIL, match_value=email.match_value)
    if looks_like_phone(query):
        phone = normalize_phone(query, region)
        if phone.is_valid:
            key_filter |= Q(kind=KeyKind.PHONE, match_value=phone.match_value)
        for prefix in phone_search_prefixes(query, region):
            key_filter |= Q(kind=KeyKind.PHONE, value__startswith=prefix)
    if digits := phone_digits_fragment(query):
        # Any run of digits of a number (a trigram index on phone keys: migration contacts 0006).
        key_filter |= Q(kind=KeyKind.PHONE, value__contains=digits)
    by_key = ContactKey.objects.filter(key_filter).values_list("contact_id", flat=True)[:SEARCH_LIMIT]
    # Any part of the name (a last name too): a trigram index serves three letters or more.
    name_match = {"upper_name__contains" if len(query) >= 3 else "upper_name__startswith": query.upper()}
    by_name = (
        Contact.objects.filter(root__isnull=True)
        .annotate(upper_name=Upper("name"))
        .filter(**name_match)
        .values_list("pk", flat=True)[:SEARCH_LIMIT]
    )
    return contacts.filter(pk__in={*by_key, *by_name, *_by_channel_handle(query)})


SCOPED_ID = re.compile(r"^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$")


def _by_channel_handle(query: str) -> list[int]:
    """Contacts whose channel username starts with the query ("@dewi", "dewi.st"), or whose
    platform or business-scoped id is exactly it (a WhatsApp BSUID): a username-only contact has
    no phone to be found by. Prefix index: channels migration 0008."""
    identities = Contact._meta.get_field("identities").related_model.objects
    handle = query.lstrip("@")
    found = []
    if handle:
        found += (
            identities.exclude(username="")
            .annotate(upper_username=Upper("username"))
            .filter(Q(upper_username__startswith=handle.upper()) | Q(upper_username__startswith="@" + handle.upper()))
            .values_list("contact_id", flat=True)[:SEARCH_LIMIT]
        )
    if SCOPED_ID.match(query):  # a WhatsApp BSUID, "US.1349…" (parent: "US.ENT.…")
        # By channel, as the (channel, id) indexes are keyed: there are only a few channels.
        channel_ids = list(identities.model._meta.get_field("channel").related_model.objects.values_list("pk"))
        by_id = Q(scoped_id=query) | Q(external_id=query) | Q(parent_scoped_id=query)
        found += identities.filter(by_id, channel_id__in=[pk for (pk,) in channel_ids]).values_list(
            "contact_id", flat=True
        )[:SEARCH_LIMIT]
    return found


def contact_for_url(contact_id: int) -> Contact | None:
    """The visible contact for an id, following merged profiles to the contact that holds them."""
    row = Contact.objects.filter(pk=contact_id).values("id", "root_id").first()
    if row is None:
        return None
    return Contact.objects.get(pk=row["root_id"] or row["id"])


def contact_profiles(contact: Contact) -> list[Contact]:
    """The member profiles of a merged contact (not the contact itself), oldest first."""
    return list(
        Contact.objects.filter(root=contact)
        .select_related("primary_email", "primary_phone")
        .prefetch_related(Prefetch("own_identities", queryset=_identities_with_channel()))
        .order_by("id")
    )


def contact_identities(user, contact: Contact) -> list:
    """The contact's channel identities the user may see, the main channel first."""
    identities = list(permissions.visible(user, _identities_with_channel().filter(contact=contact)))
    identities.sort(key=lambda identity: identity.pk != contact.main_identity_id)
    return identities


def contact_keys(contact: Contact) -> dict[str, list[ContactKey]]:
    """Every e-mail and phone of the contact, primary first."""
    keys = {KeyKind.EMAIL: [], KeyKind.PHONE: []}
    primary = {contact.primary_email_id, contact.primary_phone_id}
    for key in ContactKey.objects.filter(contact=contact).order_by("created_at", "id"):
        keys[key.kind].append(key)
    for kind in keys:
        keys[kind].sort(key=lambda k: k.pk not in primary)
    return keys


PAGE = 25


def contacts_page(user, query: str, *, region: str, cursor: Cursor | None) -> tuple[list[Contact], str | None]:
    """One page of the contacts list (newest first, id breaking ties), keyset-paginated from
    `cursor`; returns the page and the next page's cursor.

    Without a query: one indexed range scan. With one: the search yields at most a few hundred
    ids, which are ordered here, so the database never walks the whole table to find them.
    """
    if not query:
        contacts = keyset_before(visible_contacts(user), cursor, "created_at").order_by("-created_at", "-id")
        page = list(with_list_details(contacts)[: PAGE + 1])
    else:
        found = sorted(contact_search(user, query, region=region).values_list("created_at", "pk"), reverse=True)
        ids = [pk for at, pk in found if cursor is None or (at, pk) < (cursor.at, cursor.pk)][: PAGE + 1]
        by_id = {c.pk: c for c in with_list_details(Contact.objects.filter(pk__in=ids))}
        page = [by_id[pk] for pk in ids if pk in by_id]
    last = page[PAGE - 1] if len(page) > PAGE else None
    return page[:PAGE], (cursor_of(last.created_at, last.pk) if last else None)
