"""Data migrations: what they change in rows written before them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = ("claims", "0005_change_reason_text_and_published_index")
AFTER = ("claims", "0006_discarded_status")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


# Serialized rollback like every transactional test of the suite: a plain one's flush makes the
# content types anew, under ids the next serialized test's restore then collides with.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def at_0005(db):
    """The database as migration 0005 left it; migrated forward again afterwards."""
    apps = migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_0006_discards_what_was_retracted_without_ever_being_public(at_0005):
    claim_model = at_0005.get_model("claims", "Claim")
    argument_model = at_0005.get_model("claims", "Argument")
    historical_argument = at_0005.get_model("claims", "HistoricalArgument")
    topic = at_0005.get_model("notes", "Topic").objects.create(slug="ai", name="AI")
    now = timezone.now()

    claim_model.objects.create(
        text="Was public.", status="retracted", retraction_reason="Wrong.", published_at=now
    )
    keep = claim_model.objects.create(text="Kept.", status="published", published_at=now)
    leaked = claim_model.objects.create(
        text="A draft, retracted.", status="retracted", retraction_reason="Not a claim."
    )
    leaked.topics.add(topic)
    merged_draft = claim_model.objects.create(
        text="A merged draft.", status="retracted", retraction_reason="Merged", merged_into=keep
    )
    arguments = {}
    for name, history in [
        ("published_once", ["draft", "published", "retracted"]),
        ("never_published", ["draft", "retracted"]),
        ("without_history", []),
    ]:
        argument = argument_model.objects.create(
            claim=keep,
            stance="for",
            text=name,
            source_url="https://example.org/",
            status="retracted",
            retraction_reason="Dropped.",
        )
        for status in history:
            historical_argument.objects.create(
                id=argument.pk,
                claim_id=keep.pk,
                stance="for",
                text=name,
                source_url="https://example.org/",
                status=status,
                history_date=now,
                history_type="~",
            )
        arguments[name] = argument

    apps = migrate(AFTER)

    claims = apps.get_model("claims", "Claim").objects
    assert dict(claims.values_list("text", "status")) == {
        "Was public.": "retracted",
        "Kept.": "published",
        "A draft, retracted.": "discarded",
        "A merged draft.": "discarded",
    }
    assert claims.get(pk=merged_draft.pk).merged_into_id == keep.pk
    assert claims.get(pk=leaked.pk).retraction_reason == ""
    argument_statuses = apps.get_model("claims", "Argument").objects.values_list("text", "status")
    assert dict(argument_statuses) == {
        "published_once": "retracted",
        "never_published": "discarded",
        "without_history": "retracted",
    }
    record = (
        apps.get_model("claims", "HistoricalClaim")
        .objects.filter(id=leaked.pk)
        .latest("history_date", "history_id")
    )
    assert (record.status, record.history_change_reason) == (
        "discarded",
        "retracted → discarded: retracted while a draft, it was never public (migration 0006)",
    )
    topics = apps.get_model("claims", "HistoricalClaim_topics").objects.filter(history=record)
    assert [row.topic_id for row in topics] == [topic.pk]
    discarded = apps.get_model("claims", "HistoricalArgument").objects.filter(status="discarded")
    assert list(discarded.values_list("id", flat=True)) == [arguments["never_published"].pk]


def test_0006_backwards_hides_discarded_items_as_retracted(at_0005):
    apps = migrate(AFTER)
    claim_model = apps.get_model("claims", "Claim")
    keep = claim_model.objects.create(text="Kept.", status="published", published_at=timezone.now())
    claim_model.objects.create(text="Thrown away.", status="discarded")
    claim_model.objects.create(text="Merged draft.", status="discarded", merged_into=keep)

    apps = migrate(BEFORE)

    rows = apps.get_model("claims", "Claim").objects.exclude(pk=keep.pk)
    assert set(rows.values_list("status", "retraction_reason")) == {("retracted", "Discarded")}
