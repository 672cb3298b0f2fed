"""Give notes a full-text search vector, and on PostgreSQL the GIN index that searches it.

The index is made here rather than declared in `Note.Meta.indexes` because it only makes
sense on PostgreSQL: elsewhere Django drops `USING gin` and would build a plain B-tree over a
column that stays NULL, dead weight on every write to the SQLite demo database.
"""

import django.contrib.postgres.search
from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

# Serves `claims.search.search_notes`: `WHERE search_vector @@ websearch_to_tsquery(...)`.
SEARCH_INDEX = GinIndex(fields=["search_vector"], name="note_search_vector_gin")


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("notes", "Note"), SEARCH_INDEX)


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("notes", "Note"), SEARCH_INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="note",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(
                editable=False, null=True, serialize=False
            ),
        ),
        migrations.RunPython(create_search_index, drop_search_index),
    ]
