"""What an anonymous reader may see: published claims and arguments only.

A draft answers 404 and appears nowhere; a retracted claim answers at its own address with its
status and reason (so old links explain themselves) and appears nowhere else.
"""

import pytest

from claims import services
from claims.models import Appearance, Claim, Stance
from tests.api import worked_example as ex
from tests.api.helpers import API, assert_error
from tests.factories import SpeakerFactory

pytestmark = pytest.mark.django_db


def claim_ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [claim["id"] for claim in response.json()["results"]]


# Drafts --------------------------------------------------------------------------------------


def test_draft_claim_by_id_is_not_found(api, example):
    response = api.get(f"/api/v1/claims/{example.draft_claim.pk}/")

    assert_error(response, 404, "not_found", errors={})


def test_draft_claim_as_jsonld_is_not_found(api, example):
    response = api.get(f"/api/v1/claims/{example.draft_claim.pk}/?format=jsonld")

    assert_error(response, 404, "not_found")


def test_draft_argument_by_id_is_not_found(api, example):
    response = api.get(f"/api/v1/arguments/{example.draft_argument.pk}/")

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    "query", ["", "?video=oX7OduG1YmI", "?speaker=mark_zuckerberg", "?topic=open_source"]
)
def test_claim_list_leaves_out_drafts_and_retracted_claims(api, example, query):
    assert claim_ids(api.get(f"/api/v1/claims/{query}")) == [example.claim.pk]


@pytest.mark.parametrize("q", ["zebra", "unreviewed", "plateau", "transformer"])
def test_claim_list_search_never_finds_unpublished_claims_or_arguments(api, example, q):
    assert claim_ids(api.get(f"/api/v1/claims/?q={q}")) == []


@pytest.mark.parametrize("q", ["zebra", "unreviewed", "plateau", "transformer"])
def test_search_never_finds_unpublished_claims_or_arguments(api, example, q):
    response = api.get(f"/api/v1/search/?q={q}")

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_video_detail_lists_only_appearances_of_published_claims(api, example):
    appearances = api.get(f"/api/v1/videos/{ex.VIDEO_ID}/").json()["appearances"]

    assert [(a["claim"]["id"], a["start_seconds"]) for a in appearances] == [
        (example.claim.pk, 2525)
    ]


def test_argument_list_leaves_out_drafts_and_arguments_of_unpublished_claims(api, example):
    response = api.get("/api/v1/arguments/?page_size=100")

    assert [a["id"] for a in response.json()["results"]] == [
        example.argument_against.pk,
        example.argument_for.pk,
    ]


def test_claim_detail_leaves_out_draft_arguments(api, example):
    body = api.get(f"/api/v1/claims/{example.claim.pk}/").json()

    assert [a["id"] for a in body["arguments_for"]] == [example.argument_for.pk]
    assert [a["id"] for a in body["arguments_against"]] == [example.argument_against.pk]
    assert ex.DRAFT_ARGUMENT_TEXT not in str(body)


def test_claim_jsonld_leaves_out_draft_arguments(api, example):
    response = api.get(f"/api/v1/claims/{example.claim.pk}/?format=jsonld")

    assert ex.DRAFT_ARGUMENT_TEXT not in response.content.decode()


def test_claim_list_counts_only_published_arguments(api, example):
    (claim,) = api.get("/api/v1/claims/").json()["results"]

    assert (claim["arguments_for_count"], claim["arguments_against_count"]) == (1, 1)


def test_stance_filter_ignores_draft_arguments(api, example):
    only_draft_for = ex.build_published_claim(
        "Argued only in draft", example.video, start_seconds=5
    )
    services.argument_create(
        claim=only_draft_for, stance=Stance.FOR, text="Draft reason", source_url="https://a.example"
    )

    assert claim_ids(api.get("/api/v1/claims/?stance=for")) == [example.claim.pk]


@pytest.mark.parametrize("which", ["draft_claim", "retracted"])
def test_annotation_of_an_unpublished_claim_is_not_found(api, example, which):
    appearance = Appearance.objects.get(claim=getattr(example, which))

    response = api.get(f"/api/v1/annotations/{appearance.pk}/")

    assert_error(response, 404, "not_found")


def test_video_annotations_leave_out_unpublished_claims_and_arguments(api, example):
    collection = api.get(f"/api/v1/videos/{ex.VIDEO_ID}/annotations/").json()

    # The draft argument (00:42:20) and the retracted claim's argument (00:44:30) are left out.
    assert collection["total"] == 3
    assert [item["body"][0]["value"] for item in collection["first"]["items"]] == [
        ex.AGAINST_TEXT,
        ex.CLAIM_TEXT,
        ex.FOR_TEXT,
    ]


@pytest.mark.parametrize("slug", ["open_source", "ai_safety"])
def test_topic_claim_count_leaves_out_drafts_and_retracted_claims(api, example, slug):
    # open_source also files the draft claim, ai_safety the retracted one.
    assert api.get(f"/api/v1/topics/{slug}/").json()["claim_count"] == 1


@pytest.mark.parametrize("which", ["draft_claim", "retracted", "merged"])
def test_argument_filter_by_an_unpublished_claim_is_a_bad_request(api, example, which):
    response = api.get(f"/api/v1/arguments/?claim={getattr(example, which).pk}")

    assert_error(response, 400, "invalid", errors={"claim": ["No published claim has this id."]})


# Retracted -----------------------------------------------------------------------------------


def test_retracted_claim_by_id_says_it_was_retracted_and_why(api, example):
    pk = example.retracted.pk

    response = api.get(f"/api/v1/claims/{pk}/")

    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in body if key not in ("published_at", "topics")} == {
        "id": pk,
        "version": Claim.objects.get(pk=pk).version,
        "api_url": f"{API}/claims/{pk}/",
        "jsonld_url": f"{API}/claims/{pk}/?format=jsonld",
        "text": ex.RETRACTED_TEXT,
        "status": "retracted",
        "retraction_reason": ex.RETRACTION_REASON,
        "merged_into": None,
        "appearances": [],
        "arguments_for": [],
        "arguments_against": [],
    }


def test_merged_claim_by_id_points_at_the_claim_it_was_merged_into(api, example):
    body = api.get(f"/api/v1/claims/{example.merged.pk}/").json()

    assert body["status"] == "retracted"
    assert body["retraction_reason"] == f"Merged into claim #{example.claim.pk}"
    assert body["merged_into"] == {
        "id": example.claim.pk,
        "text": ex.CLAIM_TEXT,
        "api_url": f"{API}/claims/{example.claim.pk}/",
    }
    assert (body["appearances"], body["arguments_for"], body["arguments_against"]) == ([], [], [])


@pytest.mark.parametrize("which", ["retracted", "merged"])
def test_retracted_claim_as_jsonld_is_not_found(api, example, which):
    response = api.get(f"/api/v1/claims/{getattr(example, which).pk}/?format=jsonld")

    body = assert_error(response, 404, "not_found")
    assert body["detail"] == "A retracted claim has no ClaimReview."


def test_argument_of_a_retracted_claim_is_not_found(api, example):
    argument = example.retracted.arguments.get()

    response = api.get(f"/api/v1/arguments/{argument.pk}/")

    assert_error(response, 404, "not_found")


def test_publishing_a_draft_makes_it_visible_everywhere(api, example):
    services.claim_publish(claim=example.draft_claim, actor=None)

    assert api.get(f"/api/v1/claims/{example.draft_claim.pk}/").status_code == 200
    assert example.draft_claim.pk in claim_ids(api.get("/api/v1/claims/"))
    assert api.get("/api/v1/topics/open_source/").json()["claim_count"] == 2


# Speakers ------------------------------------------------------------------------------------


def speaker_slugs(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [speaker["slug"] for speaker in response.json()["results"]]


@pytest.fixture
def unheard(example):
    """Speakers named only where the public cannot look: on a draft claim, a discarded claim,
    a draft argument of a published claim, a published argument of a draft claim."""
    on_draft, on_discarded, on_draft_argument, on_draft_claims_argument = (
        SpeakerFactory(slug=slug, name=slug.replace("_", " ").title())
        for slug in ("drafted_dana", "discarded_dave", "draft_argument_ann", "unpublished_una")
    )
    services.appearance_create(
        claim=example.draft_claim, video=example.video, start_seconds=5, speaker=on_draft
    )
    discarded = services.claim_create(text="A thrown-away claim.")
    services.appearance_create(
        claim=discarded, video=example.video, start_seconds=6, speaker=on_discarded
    )
    services.claim_discard(claim=discarded, actor=None)
    services.argument_create(
        claim=example.claim,
        stance=Stance.FOR,
        text="An argument still in the works.",
        source_url="https://example.org/draft",
        speaker=on_draft_argument,
    )
    argument = services.argument_create(
        claim=example.draft_claim,
        stance=Stance.FOR,
        text="An argument of a draft.",
        source_url="https://example.org/draft",
        speaker=on_draft_claims_argument,
    )
    services.argument_publish(argument=argument, actor=None)
    return [on_draft, on_discarded, on_draft_argument, on_draft_claims_argument]


def test_speaker_list_leaves_out_speakers_heard_only_on_unpublished_content(api, unheard):
    # The interviewer is named only on a retracted claim.
    assert speaker_slugs(api.get("/api/v1/speakers/")) == ["mark_zuckerberg"]


def test_speaker_heard_only_on_unpublished_content_is_not_found(api, example, unheard):
    for speaker in [*unheard, example.interviewer]:
        assert_error(api.get(f"/api/v1/speakers/{speaker.slug}/"), 404, "not_found")


@pytest.mark.parametrize("endpoint", ["claims", "arguments"])
def test_filter_by_a_speaker_heard_only_on_unpublished_content_is_a_bad_request(
    api, unheard, endpoint
):
    response = api.get(f"/api/v1/{endpoint}/?speaker={unheard[0].slug}")

    assert_error(response, 400, "invalid", errors={"speaker": ["No speaker has this slug."]})


def test_a_speaker_is_listed_once_heard_on_a_published_argument(api, example, unheard):
    (argument,) = example.claim.arguments.filter(speaker=unheard[2])
    etag = api.get("/api/v1/speakers/")["ETag"]

    services.argument_publish(argument=argument, actor=None)

    response = api.get("/api/v1/speakers/", HTTP_IF_NONE_MATCH=etag)
    assert speaker_slugs(response) == ["draft_argument_ann", "mark_zuckerberg"]
    assert api.get("/api/v1/speakers/draft_argument_ann/").status_code == 200


def test_publishing_a_claim_lists_its_speakers_and_retracting_it_hides_them(api, example, unheard):
    etag = api.get("/api/v1/speakers/")["ETag"]

    services.claim_publish(claim=example.draft_claim, actor=None)

    published = api.get("/api/v1/speakers/", HTTP_IF_NONE_MATCH=etag)
    assert speaker_slugs(published) == ["drafted_dana", "mark_zuckerberg", "unpublished_una"]

    services.claim_retract(claim=example.draft_claim, actor=None, reason="Not a claim.")

    retracted = api.get("/api/v1/speakers/", HTTP_IF_NONE_MATCH=published["ETag"])
    assert speaker_slugs(retracted) == ["mark_zuckerberg"]


def test_naming_a_speaker_on_a_published_claim_lists_them(api, example):
    appearance = example.claim.appearances.get()
    etag = api.get("/api/v1/speakers/")["ETag"]

    services.appearance_update(
        appearance=appearance, changes={"speaker": example.interviewer}, actor=None
    )

    assert speaker_slugs(api.get("/api/v1/speakers/", HTTP_IF_NONE_MATCH=etag)) == [
        "cleo_abram",
        "mark_zuckerberg",
    ]
