"""The whole claims list, read by cursor pages through queries compiled once per shape
(`claims.selectors.CompiledPages`)."""

from datetime import UTC, datetime, timedelta

import pytest

from claims import selectors, services
from claims.models import Claim
from tests.factories import GroundedClaimFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _built_each_time(settings):
    # Every page built from its query, none answered from the response cache.
    settings.API_RESPONSE_CACHE_SECONDS = 0
    selectors._compiled_page.cache_clear()
    yield
    selectors._compiled_page.cache_clear()


#: When each of the seven claims was published, in hours: three in the same instant, which
#: the cursor tells apart by an offset.
HOURS = [0, 1, 2, 2, 2, 5, 6]


@pytest.fixture
def seven_claims() -> list[int]:
    """Seven published claims: their ids, newest first, as the list shows them."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    shown = []
    for number, hours in enumerate(HOURS):
        claim = GroundedClaimFactory(text=f"Claim {number}.")
        services.claim_publish(claim=claim, actor=None)
        Claim.objects.filter(pk=claim.pk).update(published_at=start + timedelta(hours=hours))
        shown.append((hours, claim.pk))
    return [pk for _, pk in sorted(shown, reverse=True)]


def walk(client, query: str = "") -> tuple[list[int], list[int]]:
    """The ids met following `next` from the first page, then `previous` back from the last."""
    forward, backward = [], []
    page = client.get(f"/api/v1/claims/?page_size=2{query}").json()
    forward += [claim["id"] for claim in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        forward += [claim["id"] for claim in page["results"]]
    backward = [claim["id"] for claim in page["results"]][::-1]
    while page["previous"]:
        page = client.get(page["previous"]).json()
        backward += [claim["id"] for claim in page["results"]][::-1]
    return forward, backward


@pytest.mark.parametrize("ordering", ["", "&ordering=published_at", "&ordering=-id"])
def test_compiled_pages_walk_the_list_as_its_queryset_does(
    client, seven_claims, monkeypatch, ordering
):
    compiled = walk(client, ordering)
    assert selectors._compiled_page.cache_info().currsize > 0

    # Each page compiled from its queryset, as a filtered list is.
    with monkeypatch.context() as patched:
        patched.setattr(selectors, "_compiled_page", lambda shape, using: None)
        from_querysets = walk(client, ordering)

    assert compiled == from_querysets
    forward, backward = compiled
    assert sorted(forward) == sorted(seven_claims)
    assert backward == forward[::-1]
    if not ordering:
        assert forward == seven_claims


def test_pages_of_one_shape_share_one_compiled_query(client, seven_claims):
    first = client.get("/api/v1/claims/?page_size=2")
    client.get("/api/v1/claims/?page_size=2")
    client.get(first.json()["next"])
    client.get(first.json()["next"])

    info = selectors._compiled_page.cache_info()
    assert (info.misses, info.hits) == (2, 2)


def test_a_filtered_list_is_not_read_through_compiled_pages(client, seven_claims):
    claim = Claim.objects.get(pk=seven_claims[0])
    video = claim.appearances.get().video.youtube_id

    response = client.get(f"/api/v1/claims/?video={video}")

    assert [row["id"] for row in response.json()["results"]] == [claim.pk]
    assert selectors._compiled_page.cache_info().currsize == 0
