"""Versions and contributions in the history.

Claims, appearances and arguments get a `version`, which every change through
`claims.services` increments, so that an edit based on an old version can be refused. Rows
already stored start at 1, as do their history rows: counting their past changes would rewrite
every row of the largest tables for a number nothing compares yet. History rows get the id of the
contribution that made the change, if any (an integer, not a foreign key: `claims` never depends
on `contributions`).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0009_trigram_similarity'),
        ('notes', '0003_content_revision'),
    ]

    operations = [
        migrations.AddField(
            model_name='appearance',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='1 when created, one more with every change the services make; an edit based on another version is refused.'),
        ),
        migrations.AddField(
            model_name='argument',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='1 when created, one more with every change the services make; an edit based on another version is refused.'),
        ),
        migrations.AddField(
            model_name='claim',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='1 when created, one more with every change the services make; an edit based on another version is refused.'),
        ),
        migrations.AddField(
            model_name='historicalappearance',
            name='contribution_id',
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='historicalappearance',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='1 when created, one more with every change the services make; an edit based on another version is refused.'),
        ),
        migrations.AddField(
            model_name='historicalargument',
            name='contribution_id',
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='historicalargument',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='1 when created, one more with every change the services make; an edit based on another version is refused.'),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='contribution_id',
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='1 when created, one more with every change the services make; an edit based on another version is refused.'),
        ),
        migrations.AddField(
            model_name='historicalspeaker',
            name='contribution_id',
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name='appearance',
            constraint=models.CheckConstraint(condition=models.Q(('version__gte', 1)), name='appearance_version_positive'),
        ),
        migrations.AddConstraint(
            model_name='argument',
            constraint=models.CheckConstraint(condition=models.Q(('version__gte', 1)), name='argument_version_positive'),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(('version__gte', 1)), name='claim_version_positive'),
        ),
    ]
