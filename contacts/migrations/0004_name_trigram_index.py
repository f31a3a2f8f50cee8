"""Search names by any part (a last name, a word in the middle) on PostgreSQL with pg_trgm.

pg_trgm is a trusted extension (PostgreSQL 13+), so the database owner can create it. SQLite (the
demo) skips this; its LIKE scan is fine at demo size.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS contact_name_trgm_idx ON contacts_contact "
    "USING gin (UPPER(name) gin_trgm_ops) WHERE root_id IS NULL",
]
DROP = ["DROP INDEX IF EXISTS contact_name_trgm_idx"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("contacts", "0003_search_indexes")]
    operations = [migrations.RunPython(run(CREATE), run(DROP))]
