"""Many rows, each to its own values, in one UPDATE: what `QuerySet.bulk_update` does without
building a CASE WHEN per row and column, which costs the inbound workers more Python than the
write itself (docs/benchmarks.md). Like `bulk_update`, it sends no signals. Imports no app.
"""

from django.db import connection


def rows_update(model, columns: list[str], rows: dict[int, tuple], *, added: tuple[str, ...] = ()) -> None:
    """Set `columns` of each row (`rows`: primary key → values in `columns` order) in one statement;
    a column named in `added` is increased by its value instead of set to it."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    fields = [model._meta.get_field(name) for name in columns]
    names = [quote(field.column) for field in fields]
    typed = connection.vendor == "postgresql"  # VALUES of NULLs only would be text there
    cells = [f"CAST(%s AS {field.db_type(connection)})" if typed else "%s" for field in fields]
    cast_id = f"CAST(%s AS {model._meta.pk.db_type(connection)})" if typed else "%s"
    row_sql = "(" + ", ".join([cast_id, *cells]) + ")"
    params = [
        value
        for pk, values in rows.items()
        for value in (pk, *(field.get_db_prep_save(v, connection) for field, v in zip(fields, values, strict=True)))
    ]
    sets = ", ".join(
        f"{name} = {table}.{name} + v.{name}" if column in added else f"{name} = v.{name}"
        for column, name in zip(columns, names, strict=True)
    )
    pk = quote(model._meta.pk.column)
    sql = (
        f"WITH v(mi_pk, {', '.join(names)}) AS (VALUES {', '.join([row_sql] * len(rows))}) "
        f"UPDATE {table} SET {sets} FROM v WHERE {table}.{pk} = v.mi_pk"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
