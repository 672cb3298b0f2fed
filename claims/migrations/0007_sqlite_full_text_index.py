"""On SQLite, a full-text index: FTS5 tables with the Porter stemmer, filled from what is there.

PostgreSQL searches its stored vectors (migration 0003); SQLite, the embedded demo database,
gets two FTS5 tables instead, kept by `claims.search` as it keeps the vectors: `claims_claim_fts`
(a claim's text, quotes and published arguments) and `claims_note_fts` (a note's title and body),
each row's rowid the id of its claim or note. A RunPython rather than RunSQL, because these
tables exist only on SQLite.
"""

from django.db import migrations

from claims.search import (
    CLAIM_FTS_TABLE,
    NOTE_FTS_TABLE,
    search_index_refresh_claims,
    search_index_refresh_notes,
)

TOKENIZER = "porter unicode61 remove_diacritics 2"
TABLES = {
    CLAIM_FTS_TABLE: "text, quotes, arguments",
    NOTE_FTS_TABLE: "title, body",
}


def create_full_text_index(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table, columns in TABLES.items():
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5({columns}, tokenize='{TOKENIZER}')"
        )
    using = schema_editor.connection.alias
    claims = apps.get_model("claims", "Claim")._default_manager.using(using)
    notes = apps.get_model("notes", "Note")._default_manager.using(using)
    search_index_refresh_claims(claims.values_list("pk", flat=True), apps=apps, using=using)
    search_index_refresh_notes(notes.values_list("pk", flat=True), apps=apps, using=using)


def drop_full_text_index(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TABLE {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0006_discarded_status"),
        ("notes", "0003_content_revision"),
    ]

    operations = [
        migrations.RunPython(create_full_text_index, drop_full_text_index, elidable=False),
    ]
