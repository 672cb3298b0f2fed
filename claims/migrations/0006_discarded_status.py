"""The `discarded` status: a draft an editor threw away, never public.

Until now a draft could be retracted, and a retracted claim answers by id, so its text went
public. Claims retracted without ever being published (no `published_at`), and arguments whose
history never shows them published, become what they were: discarded drafts. Each such change
gets its history row, and the content revision moves, so that cached API answers are refreshed.

Merged drafts are among them: a merged claim may now be discarded as well as retracted.
The premise constraint gets a message editors can read.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

STATUS_CHOICES = [
    ("draft", "Draft"),
    ("published", "Published"),
    ("retracted", "Retracted"),
    ("discarded", "Discarded"),
]
REASON = "retracted → discarded: retracted while a draft, it was never public (migration 0006)"


def _record(historical_model, rows, now):
    """One history row per changed row, as a save through the services would have written."""
    fields = [f.attname for f in historical_model._meta.fields if not f.name.startswith("history")]
    return historical_model.objects.bulk_create(
        historical_model(
            **{name: getattr(row, name) for name in fields},
            history_date=now,
            history_type="~",
            history_change_reason=REASON,
        )
        for row in rows
    )


def discard_retracted_drafts(apps, schema_editor):
    claim_model = apps.get_model("claims", "Claim")
    argument_model = apps.get_model("claims", "Argument")
    historical_claim = apps.get_model("claims", "HistoricalClaim")
    historical_topics = apps.get_model("claims", "HistoricalClaim_topics")
    historical_argument = apps.get_model("claims", "HistoricalArgument")
    now = timezone.now()

    claims = list(claim_model.objects.filter(status="retracted", published_at__isnull=True))
    # An argument has no publication date; its history says whether it was ever published.
    # Without any history (a dump loaded without it) nothing is known, and it stays retracted.
    history = historical_argument.objects.filter(id=OuterRef("pk"))
    arguments = list(
        argument_model.objects.filter(status="retracted").filter(
            Exists(history), ~Exists(history.filter(status="published"))
        )
    )
    for row in [*claims, *arguments]:
        row.status = "discarded"
        row.retraction_reason = ""
    claim_model.objects.bulk_update(claims, ["status", "retraction_reason"])
    argument_model.objects.bulk_update(arguments, ["status", "retraction_reason"])

    records = _record(historical_claim, claims, now)
    through = claim_model.topics.through
    historical_topics.objects.bulk_create(
        historical_topics(
            history=record, id=link.id, claim_id=link.claim_id, topic_id=link.topic_id
        )
        for record in records
        for link in through.objects.filter(claim_id=record.id)
    )
    _record(historical_argument, arguments, now)

    if claims or arguments:
        revision = apps.get_model("notes", "ContentRevision")
        revision.objects.filter(pk=1).update(number=F("number") + 1, changed_at=now)
    _check_now(schema_editor)


def retract_discarded(apps, schema_editor):
    """Backwards, the old statuses: a discarded item is hidden again as a retracted one."""
    for name in ("Claim", "Argument"):
        model = apps.get_model("claims", name)
        model.objects.filter(status="discarded", retraction_reason="").update(
            retraction_reason="Discarded"
        )
        model.objects.filter(status="discarded").update(status="retracted")
    _check_now(schema_editor)


def _check_now(schema_editor):
    """Run the deferred foreign key checks of the rows just written: PostgreSQL alters no
    table while they are pending, and constraints are added or removed next."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0005_change_reason_text_and_published_index"),
        ("notes", "0003_content_revision"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="argument", name="argument_status_valid"),
        migrations.RemoveConstraint(model_name="claim", name="claim_status_valid"),
        migrations.RemoveConstraint(model_name="claim", name="claim_merged_only_when_retracted"),
        migrations.AlterField(
            model_name="argument",
            name="status",
            field=models.CharField(choices=STATUS_CHOICES, default="draft", max_length=10),
        ),
        migrations.AlterField(
            model_name="claim",
            name="status",
            field=models.CharField(choices=STATUS_CHOICES, default="draft", max_length=10),
        ),
        migrations.AlterField(
            model_name="historicalargument",
            name="status",
            field=models.CharField(choices=STATUS_CHOICES, default="draft", max_length=10),
        ),
        migrations.AlterField(
            model_name="historicalclaim",
            name="status",
            field=models.CharField(choices=STATUS_CHOICES, default="draft", max_length=10),
        ),
        migrations.AlterField(
            model_name="claim",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                help_text=(
                    "Set when this claim was merged into another as its duplicate: a published "
                    "one is retracted, a draft discarded."
                ),
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="merged_claims",
                to="claims.claim",
            ),
        ),
        migrations.AlterField(
            model_name="historicalclaim",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text=(
                    "Set when this claim was merged into another as its duplicate: a published "
                    "one is retracted, a draft discarded."
                ),
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="claims.claim",
            ),
        ),
        migrations.RunPython(discard_retracted_drafts, retract_discarded),
        migrations.AddConstraint(
            model_name="argument",
            constraint=models.CheckConstraint(
                condition=models.Q(status__in=["draft", "published", "retracted", "discarded"]),
                name="argument_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="claim",
            constraint=models.CheckConstraint(
                condition=models.Q(status__in=["draft", "published", "retracted", "discarded"]),
                name="claim_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="claim",
            constraint=models.CheckConstraint(
                condition=models.Q(merged_into__isnull=True)
                | models.Q(status__in=["retracted", "discarded"]),
                name="claim_merged_only_when_retracted_or_discarded",
                violation_error_message="Only a retracted or discarded claim can be merged away.",
            ),
        ),
        # A message for editors instead of the constraint's name; nothing changes in the table.
        migrations.AlterConstraint(
            model_name="argument",
            name="argument_premise_not_its_claim",
            constraint=models.CheckConstraint(
                condition=~models.Q(premise=models.F("claim")),
                name="argument_premise_not_its_claim",
                violation_error_message=(
                    "An argument cannot rest on the claim it argues for or against."
                ),
            ),
        ),
    ]
