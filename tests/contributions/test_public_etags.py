"""A decision that publishes something is seen at once by anonymous readers: the per-kind
validators move, the shared response cache does not answer with the old body, and an
If-None-Match naming the old ETag (the early 304) gets the new 200."""

import pytest

from claims.models import Argument, Status
from contributions import services
from contributions.models import Kind
from tests.contributions.conftest import VIDEO

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shared_cache_on(settings):
    settings.API_RESPONSE_CACHE_SECONDS = 600


def _read_twice(client, address: str):
    """The anonymous 200 of `address`, stored in the shared cache, and its early 304."""
    first = client.get(address)
    assert first.status_code == 200, first.content
    assert client.get(address, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    again = client.get(address)
    assert (again.status_code, again["ETag"], again.content) == (200, first["ETag"], first.content)
    return first


def _assert_moved(client, address: str, before) -> object:
    after = client.get(address)
    assert after.status_code == 200, after.content
    assert after["ETag"] != before["ETag"]
    assert after.content != before.content
    stale = client.get(address, HTTP_IF_NONE_MATCH=before["ETag"])
    assert (stale.status_code, stale["ETag"]) == (200, after["ETag"])
    return after


def _approve(contribution, moderator) -> None:
    services.contribution_approve(contribution=contribution, actor=moderator, version=1)


def test_an_approved_new_claim_moves_the_claims_list(anonymous, contributor, moderator, proposal):
    before = _read_twice(anonymous, "/api/v1/claims/")

    _approve(proposal, moderator)

    after = _assert_moved(anonymous, "/api/v1/claims/", before)
    assert [row["text"] for row in after.json()["results"]] == [proposal.payload["text"]]


def test_an_approved_argument_moves_the_claim_detail_and_its_page(
    anonymous, contributor, moderator, published_claim
):
    api, page = f"/api/v1/claims/{published_claim.pk}/", f"/claims/{published_claim.pk}/"
    api_before, page_before = _read_twice(anonymous, api), _read_twice(anonymous, page)
    proposal = services.contribution_submit(
        author=contributor,
        kind=Kind.NEW_ARGUMENT,
        payload={
            "claim": published_claim.pk,
            "stance": "against",
            "text": "Released weights cannot be recalled once a flaw is found.",
            "video": VIDEO,
            "start_seconds": 30,
        },
    )

    _approve(proposal, moderator)

    assert Argument.objects.get(text__startswith="Released").status == Status.PUBLISHED
    after = _assert_moved(anonymous, api, api_before)
    assert "cannot be recalled" in after.content.decode()
    assert b"cannot be recalled" in _assert_moved(anonymous, page, page_before).content


def test_an_approved_correction_of_an_appearance_moves_the_claim_detail_and_its_page(
    anonymous, contributor, moderator, published_claim
):
    appearance = published_claim.appearances.get()
    api, page = f"/api/v1/claims/{published_claim.pk}/", f"/claims/{published_claim.pk}/"
    api_before, page_before = _read_twice(anonymous, api), _read_twice(anonymous, page)
    proposal = services.contribution_submit(
        author=contributor,
        kind=Kind.CORRECTION,
        target_type="appearance",
        target_id=appearance.pk,
        base_version=appearance.version,
        payload={"changes": {"start_seconds": 2530}, "reason": "It starts five seconds later."},
    )

    _approve(proposal, moderator)

    (shown,) = _assert_moved(anonymous, api, api_before).json()["appearances"]
    assert shown["timestamp"] == "00:42:10"
    assert b"00:42:10" in _assert_moved(anonymous, page, page_before).content


def test_an_approved_flag_moves_the_claims_list_and_the_claim_detail(
    anonymous, contributor, moderator, published_claim
):
    api = f"/api/v1/claims/{published_claim.pk}/"
    list_before, api_before = _read_twice(anonymous, "/api/v1/claims/"), _read_twice(anonymous, api)
    proposal = services.contribution_submit(
        author=contributor,
        kind=Kind.FLAG,
        target_type="claim",
        target_id=published_claim.pk,
        payload={"reason_code": "not_a_claim", "comment": "A question, not a claim."},
    )

    _approve(proposal, moderator)

    assert _assert_moved(anonymous, "/api/v1/claims/", list_before).json()["results"] == []
    assert _assert_moved(anonymous, api, api_before).json()["status"] == "retracted"
