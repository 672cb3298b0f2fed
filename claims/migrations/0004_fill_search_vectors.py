"""Compute the search vectors of the claims and notes that existed before them.

Only PostgreSQL keeps vectors; on SQLite `search_index_rebuild` does nothing. A fresh database
has no rows yet, so squashing may drop this step.
"""

from django.db import migrations

from claims.search import search_index_rebuild


def fill_search_vectors(apps, schema_editor):
    search_index_rebuild(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0003_claim_search_vector"),
        ("notes", "0002_note_search_vector"),
    ]

    operations = [
        # Backwards there is nothing to undo: the columns go with 0003 and notes' 0002.
        migrations.RunPython(fill_search_vectors, migrations.RunPython.noop, elidable=True),
    ]
