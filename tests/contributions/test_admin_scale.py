"""The moderation queue at scale: a page costs the same queries whatever its size, it never
counts the unfiltered total, and past the threshold it counts by PostgreSQL's estimate."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contributions.models import Contribution, Kind, State
from notes import admin_scale
from tests.contributions.conftest import new_claim_payload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


QUEUE = reverse("admin:contributions_contribution_changelist")

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="estimates are PostgreSQL's"
)


def queue_rows(count: int, claim_id: int = 1) -> list[Contribution]:
    """`count` contributions of every kind, each by its own author (no quota in the way)."""
    made = []
    for number in range(count):
        author = UserFactory()
        made += [
            Contribution.objects.create(
                author=author,
                kind=Kind.NEW_CLAIM,
                payload=new_claim_payload(text=f"Proposed claim {number}"),
            ),
            Contribution.objects.create(
                author=author,
                kind=Kind.NEW_ARGUMENT,
                payload={"claim": claim_id, "stance": "for", "text": f"Argument {number}"},
            ),
            Contribution.objects.create(
                author=author,
                kind=Kind.CORRECTION,
                target_type="claim",
                target_id=claim_id,
                base_version=1,
                payload={"changes": {"text": f"Fixed {number}"}, "reason": "As said."},
                status=State.REJECTED if number % 2 else State.PENDING,
            ),
            Contribution.objects.create(
                author=author,
                kind=Kind.FLAG,
                target_type="claim",
                target_id=claim_id,
                payload={"reason_code": "spam", "comment": f"Flag {number}"},
            ),
        ]
    return made


def queue_queries(client, monkeypatch, per_page: int, query: str = "") -> tuple[list, list[str]]:
    monkeypatch.setattr(admin.site._registry[Contribution], "list_per_page", per_page)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{QUEUE}?{query}")
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    return rows, [entry["sql"] for entry in captured.captured_queries]


@pytest.mark.parametrize("query", ["", "status__exact=pending", "kind__exact=flag&age=week"])
def test_a_queue_page_costs_the_same_queries_whatever_its_size(
    moderator_client, monkeypatch, query
):
    queue_rows(7)

    small_rows, small = queue_queries(moderator_client, monkeypatch, per_page=2, query=query)
    large_rows, large = queue_queries(moderator_client, monkeypatch, per_page=7, query=query)

    assert (len(small_rows), len(large_rows)) == (2, 7)
    assert len(small) == len(large)


def test_the_queue_never_counts_its_unfiltered_total(moderator_client, monkeypatch):
    made = queue_rows(2)

    rows, queries = queue_queries(
        moderator_client, monkeypatch, per_page=3, query="kind__exact=flag"
    )

    assert [row.pk for row in rows] == [c.pk for c in made if c.kind == Kind.FLAG]
    counts = [sql for sql in queries if "COUNT(" in sql.upper()]
    # The filtered list's count only (exact below the threshold), no total of the whole queue.
    assert len(counts) == 1 and "flag" in counts[0]
    response = moderator_client.get(f"{QUEUE}?kind__exact=flag")
    assert "2 contributions" in response.content.decode()


@postgres_only
def test_past_the_threshold_the_queue_counts_by_estimate(moderator_client, monkeypatch):
    queue_rows(5)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contributions_contribution")
    monkeypatch.setattr(admin_scale, "ESTIMATE_THRESHOLD", 1)

    rows, queries = queue_queries(moderator_client, monkeypatch, per_page=4)

    assert len(rows) == 4
    assert not any("COUNT(" in sql.upper() for sql in queries)
