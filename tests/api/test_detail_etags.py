"""A claim's detail has a validator of its own: a change moves the ETags of the details that
show it, and no other detail's (issue 10 item 6)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims import services
from claims.models import Stance, Status
from notes import revisions
from tests.factories import AppearanceFactory, ArgumentFactory, PublishedClaimFactory

pytestmark = pytest.mark.django_db


def published_claim(text: str):
    claim = PublishedClaimFactory(text=text)
    AppearanceFactory(claim=claim)
    return claim


@pytest.fixture
def claims():
    """Two published claims, and a third whose argument rests on the first."""
    first, second, citing = (published_claim(f"Claim {name}.") for name in ("A", "B", "C"))
    ArgumentFactory(claim=citing, premise=first, status=Status.PUBLISHED)
    return first, second, citing


def detail_urls(claim) -> list[str]:
    return [
        f"/api/v1/claims/{claim.pk}/",
        f"/api/v1/claims/{claim.pk}/?format=jsonld",
        f"/api/v1/claims/{claim.pk}/history/",
        f"/claims/{claim.pk}/",
    ]


def etags(client, claim) -> dict[str, str]:
    answers = {url: client.get(url) for url in detail_urls(claim)}
    assert {url: answer.status_code for url, answer in answers.items()} == dict.fromkeys(
        answers, 200
    )
    return {url: answer["ETag"] for url, answer in answers.items()}


def moved(client, claim, before: dict[str, str]) -> bool:
    after = etags(client, claim)
    # Every representation of one detail moves together, or none does.
    assert len({after[url] == before[url] for url in after}) == 1, (before, after)
    return after != before


def test_editing_a_claim_moves_its_detail_and_leaves_another_claims_alone(client, claims):
    first, second, _ = claims
    before = {claim: etags(client, claim) for claim in (first, second)}

    services.claim_update(claim=first, changes={"text": "Claim A, reworded."}, actor=None)

    assert moved(client, first, before[first])
    assert not moved(client, second, before[second])


def test_an_argument_moves_its_claims_detail_only(client, claims):
    first, second, _ = claims
    before = {claim: etags(client, claim) for claim in (first, second)}

    argument = services.argument_create(
        claim=second, stance=Stance.AGAINST, text="Nobody checked.", source_url="https://a.example"
    )
    services.argument_publish(argument=argument, actor=None)

    assert not moved(client, first, before[first])
    assert moved(client, second, before[second])
    assert "Nobody checked." in client.get(f"/api/v1/claims/{second.pk}/").content.decode()


def test_a_premise_moves_the_details_that_show_it(client, claims):
    first, second, citing = claims
    before = etags(client, citing)

    # The citing claim shows its premise's text, and its balance of arguments.
    services.claim_update(claim=first, changes={"text": "Claim A, once more."}, actor=None)
    assert moved(client, citing, before)
    before = etags(client, citing)
    argument = services.argument_create(
        claim=first, stance=Stance.FOR, text="Seen twice.", source_url="https://b.example"
    )
    services.argument_publish(argument=argument, actor=None)
    assert moved(client, citing, before)
    before = etags(client, citing)
    services.claim_update(claim=second, changes={"text": "Claim B, reworded."}, actor=None)
    assert not moved(client, citing, before)


def test_an_appearance_moved_to_another_claim_moves_both_details(client, claims):
    first, second, _ = claims
    extra = AppearanceFactory(claim=first, start_seconds=60)
    before = {claim: etags(client, claim) for claim in (first, second)}

    extra.claim = second
    extra.save()

    assert moved(client, first, before[first])
    assert moved(client, second, before[second])


def test_a_renamed_video_moves_every_claims_detail(client, claims):
    first, second, _ = claims
    before = {claim: etags(client, claim) for claim in (first, second)}

    video = first.appearances.get().video
    video.title = "Renamed"
    video.save()

    assert moved(client, first, before[first])
    assert moved(client, second, before[second])


def test_a_change_that_names_no_claim_moves_every_claims_detail(
    client, claims, django_capture_on_commit_callbacks
):
    first, second, _ = claims
    before = {claim: etags(client, claim) for claim in (first, second)}

    # As a bulk path does: it cannot tell which details it touched.
    with django_capture_on_commit_callbacks(execute=True):
        revisions.bump("arguments")

    assert moved(client, first, before[first])
    assert moved(client, second, before[second])


def test_a_current_copy_of_an_untouched_detail_is_answered_304_before_the_view(client, claims):
    first, second, _ = claims
    url = f"/api/v1/claims/{second.pk}/"
    etag = client.get(url)["ETag"]
    services.claim_update(claim=first, changes={"text": "Claim A, again."}, actor=None)
    revisions.forget()

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    # The kinds' revisions and the claim's own, in one query; no view code ran.
    assert len(queries.captured_queries) == 1
    assert client.get(f"/api/v1/claims/{first.pk}/", HTTP_IF_NONE_MATCH=etag).status_code == 200
