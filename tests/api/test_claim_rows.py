"""The claims list and detail are built from plain rows (`selectors.with_public_rows`) rather
than through their serializers' fields; both ways must give the very same documents."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from claims import selectors, services
from claims.api.serializers import ClaimDetailSerializer, ClaimListSerializer
from claims.models import Argument, Stance, Status
from tests.factories import AppearanceFactory, ArgumentFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied(example):
    """Besides the worked example: a claim without speaker or end second, with topics of
    varied slugs, and an argument resting on a published premise and one on a draft."""
    appearance = AppearanceFactory(speaker=None, end_seconds=None, start_seconds=0)
    claim = services.claim_publish(claim=appearance.claim, actor=None)
    # Slugs as reversing quotes them: plain, with non-ASCII letters, and with neither.
    claim.topics.set([TopicFactory(slug=slug) for slug in ("zeta", "alpha", "économie", "a.b c+d")])
    arguments = [
        services.argument_publish(
            argument=ArgumentFactory(claim=claim, premise=example.claim, stance=stance), actor=None
        )
        for stance in (Stance.FOR, Stance.AGAINST)
    ]
    # A premise that is not published (any more): the services refuse to make one, but the
    # public documents must hide it all the same.
    Argument.objects.filter(pk=arguments[1].pk).update(premise=example.draft_claim)
    return example


def context(query: str = "") -> dict:
    request = Request(APIRequestFactory().get(f"/api/v1/claims/{query}"))
    return {"request": request, "format": None}


@pytest.mark.parametrize("query", ["", "?format=json"])
def test_a_list_page_from_rows_is_the_document_its_fields_give(varied, query):
    through_fields = ClaimListSerializer(
        list(selectors.claim_list().order_by("id")), many=True, context=context(query)
    ).data
    rows = selectors.with_public_rows(list(selectors.claim_list_rows().order_by("id")))

    from_rows = ClaimListSerializer(rows, many=True, context=context(query)).data

    assert len(from_rows) == 2  # the worked example's claim and the varied one
    assert from_rows == through_fields


@pytest.mark.parametrize("query", ["", "?format=json"])
def test_a_detail_from_rows_is_the_document_its_fields_give(varied, query):
    for claim in selectors.claim_detail().order_by("id"):
        through_fields = ClaimDetailSerializer(claim, context=context(query)).data
        rows = selectors.with_public_rows(
            [selectors.claim_detail_rows().get(pk=claim.pk)], arguments=True
        )

        from_rows = ClaimDetailSerializer(rows[0], context=context(query)).data

        assert from_rows == through_fields, claim


def test_rows_cost_a_constant_number_of_queries_whatever_the_number_of_claims(
    varied, django_assert_num_queries
):
    # The claims, then one query per kind of row; on PostgreSQL the claims' own rows hold them.
    in_rows = connection.vendor == "postgresql"

    with django_assert_num_queries(1 if in_rows else 4):
        claims = selectors.with_public_rows(list(selectors.claim_detail_rows()), arguments=True)
    with django_assert_num_queries(1 if in_rows else 3):
        selectors.with_public_rows(list(selectors.claim_list_rows()[:1]))

    assert {claim.status for claim in claims} == {Status.PUBLISHED, Status.RETRACTED}
    assert all(claim.argument_rows == [] for claim in claims if claim.status == "retracted")
    assert sum(len(claim.argument_rows) for claim in claims) == 4


def _detail_statements() -> list[tuple[int, int]]:
    """The prepared statements of this connection that read a claim's detail: each one's
    generic and custom plans, which together count its runs."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE NOT from_sql AND statement LIKE %s",
            ['%"merged_into__text"%'],
        )
        return cursor.fetchall()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite prepares nothing")
def test_a_detail_query_is_prepared_once_and_run_again(varied):
    first = selectors.claim_detail_row(varied.claim.pk)
    second = selectors.claim_detail_row(str(varied.claim.pk))

    assert first.pk == second.pk == varied.claim.pk
    assert first.topic_rows == second.topic_rows
    ((generic, custom),) = _detail_statements()
    assert generic + custom == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite prepares nothing")
def test_prepared_statements_switched_off_prepare_nothing(varied, settings):
    settings.DATABASE_PREPARED_STATEMENTS = False

    assert selectors.claim_detail_row(varied.claim.pk).pk == varied.claim.pk
    assert _detail_statements() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite prepares nothing")
def test_the_query_log_names_a_prepared_query_each_time_it_runs(varied):
    # Once to prepare it, once to run it prepared, with another query between them.
    with CaptureQueriesContext(connection) as logged:
        selectors.claim_detail_row(varied.claim.pk)
        Argument.objects.count()
        selectors.claim_detail_row(varied.claim.pk)

    first, between, again = (query["sql"] for query in logged.captured_queries)
    assert first == again
    assert '"claims_claim"' in again
    assert between != again


@pytest.mark.parametrize("key", ["abc", "1.0", "", None, str(2**63), str(-(2**63) - 1)])
def test_a_detail_key_that_is_no_id_names_no_claim(varied, key, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert selectors.claim_detail_row(key) is None


def test_a_draft_has_no_detail_row_and_a_retracted_claim_shows_no_appearance_or_argument(
    varied,
):
    retracted = services.claim_retract(claim=varied.claim, reason="Wrong", actor=None)

    assert selectors.claim_detail_row(varied.draft_claim.pk) is None
    row = selectors.claim_detail_row(retracted.pk)
    assert (row.status, row.retraction_reason) == (Status.RETRACTED, "Wrong")
    assert (row.appearance_rows, row.argument_rows) == ([], [])
