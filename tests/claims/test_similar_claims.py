"""`similar_claims`: the published claims most like a text, for likely duplicates."""

import pytest

from claims.models import Status
from claims.selectors import similar_claims
from tests.factories import ClaimFactory, PublishedClaimFactory

pytestmark = pytest.mark.django_db

TEXT = "Open-sourcing AI models makes them much safer"


@pytest.fixture
def claims(django_capture_on_commit_callbacks):
    # The search vectors PostgreSQL finds candidates by are written once the rows commit.
    with django_capture_on_commit_callbacks(execute=True):
        return {
            "same": PublishedClaimFactory(text="Open-sourcing AI models makes them safer"),
            "close": PublishedClaimFactory(text="Open-sourcing models makes them safer, mostly"),
            "loose": PublishedClaimFactory(text="Open models are safer than closed ones"),
            "other": PublishedClaimFactory(text="Cats sleep most of the day"),
            "draft": ClaimFactory(text="Open-sourcing AI models makes them safer"),
            "retracted": PublishedClaimFactory(
                text="Open-sourcing AI models makes them safer",
                status=Status.RETRACTED,
                retraction_reason="Duplicate.",
            ),
        }


def test_the_most_alike_published_claims_come_first(claims):
    found = similar_claims(TEXT, limit=5)
    pks = [claim.pk for claim in found]

    assert pks[:2] == [claims["same"].pk, claims["close"].pk]
    assert not {claims[name].pk for name in ("other", "draft", "retracted")} & set(pks)
    similarities = [claim.similarity for claim in found]
    assert similarities == sorted(similarities, reverse=True)
    assert all(0 < similarity <= 1 for similarity in similarities)


def test_exclude_ids_and_limit(claims):
    assert [c.pk for c in similar_claims(TEXT, limit=1)] == [claims["same"].pk]
    excluded = similar_claims(TEXT, limit=5, exclude_ids=[claims["same"].pk])
    assert excluded[0].pk == claims["close"].pk
    assert claims["same"].pk not in {claim.pk for claim in excluded}


@pytest.mark.parametrize("text", ["", "a b", "!!!", "zebra quagga"])
def test_nothing_alike_is_an_empty_list(claims, text):
    assert similar_claims(text, limit=5) == []
