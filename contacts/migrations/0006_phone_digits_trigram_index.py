"""Find a contact by any run of digits of a phone number ("2198") on PostgreSQL with pg_trgm.

Phone keys are stored in E.164 ("+6281221980000"); `value LIKE '%2198%'` over phones uses this
index. SQLite (the demo) skips it; its LIKE scan is fine at demo size.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS contactkey_phone_trgm_idx ON contacts_contactkey "
    "USING gin (value gin_trgm_ops) WHERE kind = 'phone'",
]
DROP = ["DROP INDEX IF EXISTS contactkey_phone_trgm_idx"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("contacts", "0005_event_from_conversations")]
    operations = [migrations.RunPython(run(CREATE), run(DROP))]
