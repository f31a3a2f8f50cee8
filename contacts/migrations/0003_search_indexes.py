"""Prefix-search indexes for PostgreSQL (names case-insensitively, phone and e-mail values).

`varchar_pattern_ops` lets `LIKE 'prefix%'` use the index whatever the database collation.
SQLite (the demo) skips them: it has no operator classes, and the demo is small.
"""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS contact_upper_name_prefix_idx ON contacts_contact "
    "(UPPER(name) varchar_pattern_ops) WHERE root_id IS NULL",
    "CREATE INDEX IF NOT EXISTS key_value_prefix_idx ON contacts_contactkey (value varchar_pattern_ops)",
]
DROP = ["DROP INDEX IF EXISTS contact_upper_name_prefix_idx", "DROP INDEX IF EXISTS key_value_prefix_idx"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_initial")]
    operations = [migrations.RunPython(run(CREATE), run(DROP))]
