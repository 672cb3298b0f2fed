"""On PostgreSQL, an index over the md5 of each claim's text lowercased without its common marks.

Serves `claims.services._known_texts`: an extraction asks which of a batch's sentences are
already claims, whatever their case and punctuation, and without this index reads every claim
to answer. The expression is `claims.services._Letters` as PostgreSQL computes it, and must
stay the same for the index to be used. The md5 keeps each entry small however long the text.
"""

from django.db import migrations

MARKS = " .,;:!?\"''’‘“”()-–—…/"
CREATE = (
    "CREATE INDEX claim_text_letters_md5 ON claims_claim "
    f"(md5(translate(lower(text), '{MARKS}', '')))"
)


def create_letters_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_letters_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX claim_text_letters_md5")


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0011_appearance_claim_indexes"),
    ]

    operations = [
        migrations.RunPython(create_letters_index, drop_letters_index),
    ]
