"""Discarded drafts and merged drafts are never public, by id or in any list."""

import pytest
from django.core.exceptions import ValidationError

from claims import services
from claims.models import Stance, Status
from tests.api import worked_example as ex
from tests.api.helpers import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def discarded(example):
    return services.claim_discard(claim=example.draft_claim, actor=None, reason="Not a claim.")


@pytest.fixture
def merged_draft(example):
    services.claim_merge(keep=example.claim, duplicates=[example.draft_claim], actor=None)
    example.draft_claim.refresh_from_db()
    return example.draft_claim


@pytest.mark.parametrize("which", ["discarded", "merged_draft"])
def test_a_discarded_claim_is_not_found_by_id(api, example, request, which):
    claim = request.getfixturevalue(which)
    assert claim.status == Status.DISCARDED

    assert_error(api.get(f"/api/v1/claims/{claim.pk}/"), 404, "not_found")
    assert_error(api.get(f"/api/v1/claims/{claim.pk}/?format=jsonld"), 404, "not_found")


def test_a_discarded_claim_is_in_no_list(api, example, discarded):
    assert [c["id"] for c in api.get("/api/v1/claims/").json()["results"]] == [example.claim.pk]
    assert api.get("/api/v1/search/?q=zebra").json()["results"] == []
    appearances = api.get(f"/api/v1/videos/{ex.VIDEO_ID}/").json()["appearances"]
    assert {a["claim"]["id"] for a in appearances} == {example.claim.pk}
    assert api.get("/api/v1/topics/open_source/").json()["claim_count"] == 1


def test_a_discarded_argument_is_not_shown(api, example):
    services.argument_discard(argument=example.draft_argument, actor=None)

    body = api.get(f"/api/v1/claims/{example.claim.pk}/").json()
    assert ex.DRAFT_ARGUMENT_TEXT not in str(body)
    listed = api.get("/api/v1/arguments/?page_size=100").json()["results"]
    assert example.draft_argument.pk not in [a["id"] for a in listed]
    assert_error(api.get(f"/api/v1/arguments/{example.draft_argument.pk}/"), 404, "not_found")


def test_merging_a_draft_into_a_published_claim_makes_its_appearances_public(api, example):
    services.claim_merge(keep=example.claim, duplicates=[example.draft_claim], actor=None)

    body = api.get(f"/api/v1/claims/{example.claim.pk}/").json()
    assert [a["start_seconds"] for a in body["appearances"]] == [100, 2525]
    # Its draft argument moved along, and stays a draft.
    assert "Zebra counter-argument." not in str(body)


def test_a_published_argument_never_shows_a_draft_premise(api, example):
    argument = services.argument_create(
        claim=example.claim,
        stance=Stance.FOR,
        text="Rests on the draft.",
        source_url="https://example.org/",
        premise=example.draft_claim,
    )

    with pytest.raises(ValidationError, match="the premise, is draft"):
        services.argument_publish(argument=argument, actor=None)

    assert ex.DRAFT_CLAIM_TEXT not in api.get("/api/v1/arguments/?page_size=100").content.decode()
