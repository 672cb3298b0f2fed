"""pg_trgm, and on PostgreSQL a trigram index over published claims' text.

Serves `claims.selectors.similar_claims`: `WHERE status = 'published' AND text % '…'`, the
duplicate hints of the triage page, the claim form and new contributions. Made here rather than
declared in `Claim.Meta.indexes` for the reason migration 0003 gives: it only makes sense on
PostgreSQL (`TrigramExtension` does nothing elsewhere).
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.models import Q

TRIGRAM_INDEX = GinIndex(
    OpClass("text", name="gin_trgm_ops"),
    name="claim_text_trgm",
    condition=Q(status="published"),
)


class TrigramExtensionOnPostgreSQL(TrigramExtension):
    """`TrigramExtension`, which checks the database going forwards only: unapplied on SQLite,
    it would ask SQLite for PostgreSQL's catalog."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("claims", "Claim"), TRIGRAM_INDEX)


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("claims", "Claim"), TRIGRAM_INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0008_extraction_score"),
    ]

    operations = [
        TrigramExtensionOnPostgreSQL(),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
