"""Contacts merged before derivation existed: take each merge's time and choices from its record,
and each contact's base from the snapshot of its first merge (its values from before)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Contact = apps.get_model("contacts", "Contact")
    MergeRecord = apps.get_model("merging", "MergeRecord")
    records = MergeRecord.objects.filter(action="merge").order_by("created_at", "id")
    bases = {}
    for record in records.iterator():
        for contact_id, snapshot in (
            (record.target_id, record.target_snapshot),
            (record.source_id, record.source_snapshot),
        ):
            bases.setdefault(
                contact_id,
                {
                    "name": snapshot.get("name", ""),
                    "properties": snapshot.get("properties") or {},
                    "email": snapshot.get("primary_email_id"),
                    "phone": snapshot.get("primary_phone_id"),
                    "main": snapshot.get("main_identity_id"),
                    "at": record.created_at.isoformat(),
                },
            )
        if record.undone_by_id is None:
            Contact.objects.filter(pk=record.source_id, merged_into_id=record.target_id).update(
                merged_at=record.created_at, merge_choices=record.choices or {}
            )
    for contact_id, base in bases.items():
        Contact.objects.filter(pk=contact_id, base__isnull=True).update(base=base)


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0006_contact_derivation_base_and_profile_edits"),
        ("merging", "0003_inbox_indexes"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
