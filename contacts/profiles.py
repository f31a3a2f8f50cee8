"""Derive, don't patch: the visible values of a contact are a function of its profiles.

The values of a contact row X (its name, properties, primary e-mail and phone, main channel and
profile count) are computed from

- `base(X)`: X's own values from before anything was merged into it (or its row, while nothing
  ever was);
- the profiles merged into X that are still merged, each with the choices of its merge;
- the edits made on X (`ProfileEdit`) since its base was taken,

folded oldest first:

- a profile P merged into X: for every field the merge chose "source" for, X takes P's value
  (P's own derived value, so P's later activity and unmerges below P count); for a field X has no
  value for, X takes P's (what the merge dialog does with a value only the source has);
- an edit on X sets the field; an edit naming a key or identity X no longer holds (it left with
  an unmerged profile) is skipped, as if it never happened.

Then a primary e-mail or phone that X's profiles do not hold falls back to the oldest valid key of
that kind they hold (none when they hold only invalid ones), and the main channel to their first
identity. Because every value is derived, unmerging a profile leaves the remaining contact exactly
as if it had never been merged (its choices and the edits made since are simply folded again
without it), whatever the order of merges and unmerges, and the split-off profile gets its own
values back plus its own activity.
"""

from collections import defaultdict
from datetime import datetime

from django.db.models import Q

from contacts.models import Contact, ContactKey, KeyKind, ProfileEdit

SOURCE = "source"
PRIMARY_FIELDS = {"email": KeyKind.EMAIL, "phone": KeyKind.PHONE}

# Identities live in `channels`, above this app: reach their model through the relation, not an import.
Identity = Contact._meta.get_field("main_identity").related_model


def values_of(contact: Contact) -> dict:
    """A row's stored derived values, in the shape `derive` returns."""
    return {
        "name": contact.name,
        "properties": dict(contact.properties),
        "email": contact.primary_email_id,
        "phone": contact.primary_phone_id,
        "main": contact.main_identity_id,
    }


def base_of(contact: Contact, at: datetime) -> dict:
    """The base a contact's row gives now (taken at its first merge)."""
    return {**values_of(contact), "at": at.isoformat()}


def _empty(value) -> bool:
    return value is None or value == ""


def derive(root_id: int, *, cut: int | None = None) -> dict[int, dict]:
    """The values of every row in the tree of `root_id`, keyed by contact id.

    `cut`: derive as if that profile (with the profiles below it) were split off now; its own
    entry is then its values as a contact of its own. Reads only; the unmerge plan and the unmerge
    itself both call it, so the preview is what the unmerge writes.
    """
    rows = {c.pk: c for c in Contact.objects.filter(Q(pk=root_id) | Q(root_id=root_id))}
    children: dict[int, list[Contact]] = defaultdict(list)
    for row in sorted(rows.values(), key=lambda c: (c.merged_at or c.created_at, c.pk)):
        if row.pk != root_id and row.pk != cut and row.merged_into_id in rows:
            children[row.merged_into_id].append(row)
    keys_by_profile: dict[int, list[tuple]] = defaultdict(list)
    fields = ("id", "kind", "profile_id", "created_at", "is_valid")
    for key in ContactKey.objects.filter(profile_id__in=rows).values(*fields):
        keys_by_profile[key["profile_id"]].append((key["created_at"], key["id"], key["kind"], key["is_valid"]))
    identities_by_profile: dict[int, list[int]] = defaultdict(list)
    for pk, profile_id in Identity.objects.filter(profile_id__in=rows).values_list("id", "profile_id"):
        identities_by_profile[profile_id].append(pk)
    edits: dict[int, list[ProfileEdit]] = defaultdict(list)
    for edit in ProfileEdit.objects.filter(profile_id__in=rows).order_by("created_at", "id"):
        edits[edit.profile_id].append(edit)

    subtrees: dict[int, set[int]] = {}

    def subtree(pk: int) -> set[int]:
        if pk not in subtrees:
            subtrees[pk] = {pk}.union(*(subtree(child.pk) for child in children[pk]))
        return subtrees[pk]

    memo: dict[int, dict] = {}

    def values(pk: int) -> dict:
        if pk in memo:
            return memo[pk]
        row = rows[pk]
        members = subtree(pk)
        keys = sorted(k for member in members for k in keys_by_profile[member])
        held_keys = {key_id for _, key_id, _, _ in keys}
        held_identities = sorted(i for member in members for i in identities_by_profile[member])
        base = row.base or {**values_of(row), "at": None}
        since = base.get("at")
        v = {
            "name": base.get("name", ""),
            "properties": dict(base.get("properties") or {}),
            "email": base.get("email"),
            "phone": base.get("phone"),
            "main": base.get("main"),
        }
        timeline = [((child.merged_at or child.created_at), 0, child.pk, child) for child in children[pk]]
        if row.base is not None:
            timeline += [
                (edit.created_at, 1, edit.pk, edit)
                for edit in edits[pk]
                if since is None or edit.created_at > datetime.fromisoformat(since)
            ]
        for _, kind, _, item in sorted(timeline, key=lambda t: t[:3]):
            if kind == 0:
                _fold_merge(v, values(item.pk), item.merge_choices or {})
            else:
                _fold_edit(v, item, held_keys, set(held_identities))
        for field, key_kind in PRIMARY_FIELDS.items():
            if v[field] not in held_keys:
                # Never an invalid value: one typed as invalid was kept only as a secondary key.
                v[field] = next((key_id for _, key_id, kind, valid in keys if kind == key_kind and valid), None)
        if v["main"] not in held_identities:
            v["main"] = held_identities[0] if held_identities else None
        v["absorbed_count"] = len(members) - 1
        memo[pk] = v
        return v

    return {pk: values(pk) for pk in rows}


def _fold_merge(v: dict, source: dict, choices: dict) -> None:
    for field in ("name", "email", "phone"):
        if not _empty(source[field]) and (choices.get(field) == SOURCE or _empty(v[field])):
            v[field] = source[field]
    if v["main"] is None:
        v["main"] = source["main"]
    for name, value in source["properties"].items():
        if choices.get(f"property:{name}") == SOURCE or _empty(v["properties"].get(name)):
            v["properties"][name] = value


def _fold_edit(v: dict, edit: ProfileEdit, held_keys: set[int], held_identities: set[int]) -> None:
    if edit.field.startswith("property:"):
        name = edit.field.removeprefix("property:")
        if edit.removed:
            v["properties"].pop(name, None)
        else:
            v["properties"][name] = edit.value
    elif edit.field == "name":
        v["name"] = edit.value or ""
    elif edit.field in PRIMARY_FIELDS:
        if edit.value in held_keys:
            v[edit.field] = edit.value
    elif edit.field == "main" and edit.value in held_identities:
        v["main"] = edit.value


FIELDS_OF = {
    "name": "name",
    "properties": "properties",
    "email": "primary_email_id",
    "phone": "primary_phone_id",
    "main": "main_identity_id",
    "absorbed_count": "absorbed_count",
}


def changes_for(contact: Contact, values: dict) -> dict:
    """The column updates that make a row hold these derived values (empty when it already does)."""
    return {column: values[field] for field, column in FIELDS_OF.items() if getattr(contact, column) != values[field]}


def edit_log(*, profile_ids, field: str, value=None, removed: bool = False, at=None) -> None:
    """Record one edit made on these contacts, for later derivations."""
    kwargs = {"created_at": at} if at is not None else {}
    ProfileEdit.objects.bulk_create(
        [ProfileEdit(profile_id=pk, field=field, value=value, removed=removed, **kwargs) for pk in set(profile_ids)]
    )
