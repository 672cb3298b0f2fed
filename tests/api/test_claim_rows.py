"""The claims list and detail are built from plain rows (`selectors.with_public_rows`) rather
than through their serializers' fields; both ways must give the very same documents."""

import pytest
from django.db import connection
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
