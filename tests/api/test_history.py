"""A claim's public change history: what changed on it, its appearances and its arguments, when,
by whom and through which contribution, newest first; nothing of a draft."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from claims import services
from claims.models import Claim, Stance
from notes.services import topic_get_or_create
from tests.api.helpers import assert_error, iso
from tests.factories import (
    ArgumentFactory,
    ContributorFactory,
    GroundedClaimFactory,
    NoteFactory,
    SpeakerFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


def url(claim: Claim, query: str = "") -> str:
    return f"/api/v1/claims/{claim.pk}/history/{query}"


def published(editor, **kwargs) -> Claim:
    return services.claim_publish(claim=GroundedClaimFactory(**kwargs), actor=editor)


def entries(api, claim: Claim, query: str = "") -> list[dict]:
    response = api.get(url(claim, query))
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def summary(entry: dict) -> tuple:
    return (
        entry["object_type"],
        entry["action"],
        entry["version"],
        {change["field"]: (change["old"], change["new"]) for change in entry["changes"]},
    )


def test_lists_each_public_change_newest_first_with_old_and_new_values(api, editor):
    claim = GroundedClaimFactory(text="Draft words nobody saw.")
    services.claim_update(claim=claim, changes={"text": "Secret second draft."}, actor=editor)
    services.claim_update(claim=claim, changes={"text": "Open weights are safer."}, actor=editor)
    services.claim_publish(claim=claim, actor=editor)
    services.claim_update(
        claim=claim, changes={"text": "Open weights are safer, mostly."}, actor=editor
    )
    claim.refresh_from_db()

    response = api.get(url(claim))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    edit, publication = body["results"]
    assert summary(edit) == (
        "claim",
        "changed",
        5,
        {"text": ("Open weights are safer.", "Open weights are safer, mostly.")},
    )
    assert summary(publication) == (
        "claim",
        "changed",
        4,
        {"status": ("draft", "published"), "published_at": (None, iso(claim.published_at))},
    )
    assert edit["object_id"] == publication["object_id"] == claim.pk
    assert edit["user"] == publication["user"] == editor.username
    assert edit["changed_at"] == iso(claim.history.latest().history_date)
    assert "Draft words" not in response.content.decode()
    assert "Secret second draft" not in response.content.decode()


def test_credits_the_contribution_and_its_author(api, editor):
    author = ContributorFactory(username="ada")
    claim = published(editor)

    services.claim_update(
        claim=claim, changes={"text": "Corrected."}, actor=author, contribution_id=42
    )

    (latest, _) = entries(api, claim)
    assert (latest["user"], latest["contribution_id"]) == ("ada", 42)


def test_appearance_changes_show_videos_speakers_and_notes_by_their_public_keys(api, editor):
    claim = published(editor)
    video = VideoFactory(youtube_id="oX7OduG1YmI")
    speaker = SpeakerFactory(slug="mark_zuckerberg")
    note = NoteFactory()

    appearance = services.appearance_create(
        claim=claim,
        video=video,
        start_seconds=2525,
        end_seconds=2603,
        speaker=speaker,
        quote="as said",
        note=note,
        actor=editor,
    )
    services.appearance_update(appearance=appearance, changes={"start_seconds": 2530}, actor=editor)

    moved, created = entries(api, claim)[:2]
    assert summary(moved) == ("appearance", "changed", 2, {"start_seconds": (2525, 2530)})
    assert summary(created) == (
        "appearance",
        "created",
        1,
        {
            "claim": (None, claim.pk),
            "video": (None, "oX7OduG1YmI"),
            "start_seconds": (None, 2525),
            "end_seconds": (None, 2603),
            "speaker": (None, "mark_zuckerberg"),
            "quote": (None, "as said"),
            "note": (None, note.slug),
        },
    )
    assert created["object_id"] == appearance.pk


def test_arguments_show_once_published_never_as_drafts(api, editor):
    claim = published(editor)
    argument = services.argument_create(
        claim=claim,
        stance=Stance.AGAINST,
        text="A draft reason.",
        source_url="https://example.org/",
        actor=editor,
    )
    services.argument_update(argument=argument, changes={"text": "Still a draft."}, actor=editor)
    services.argument_publish(argument=argument, actor=editor)
    services.argument_retract(argument=argument, actor=editor, reason="Off topic.")
    discarded = services.argument_create(
        claim=claim, stance=Stance.FOR, text="Thrown away.", source_url="https://a.test/"
    )
    services.argument_discard(argument=discarded, actor=editor)

    listed = entries(api, claim)

    assert [summary(entry) for entry in listed[:2]] == [
        (
            "argument",
            "changed",
            4,
            {"status": ("published", "retracted"), "retraction_reason": ("", "Off topic.")},
        ),
        ("argument", "changed", 3, {"status": ("draft", "published")}),
    ]
    assert [entry["object_type"] for entry in listed[2:]] == ["claim"]
    body = str(listed)
    assert "A draft reason." not in body and "Thrown away." not in body


def test_a_claim_is_named_only_while_public(api, editor):
    claim = published(editor)
    draft = GroundedClaimFactory(text="A draft duplicate.")
    moved = draft.appearances.get()

    services.claim_merge(keep=claim, duplicates=[draft], actor=editor)

    listed = entries(api, claim)
    (arrival,) = [entry for entry in listed if entry["object_type"] == "appearance"]
    # It came from a draft, now discarded: the history says from where only as null.
    assert (arrival["object_id"], summary(arrival)) == (
        moved.pk,
        ("appearance", "changed", 2, {"claim": (None, claim.pk)}),
    )
    assert summary(listed[0]) == ("claim", "changed", 3, {})
    assert "A draft duplicate." not in str(listed)


def test_an_argument_names_a_public_premise(api, editor):
    claim = published(editor)
    premise = published(editor)
    argument = services.argument_publish(argument=ArgumentFactory(claim=claim), actor=editor)

    services.argument_update(argument=argument, changes={"premise": premise}, actor=editor)

    (latest, *_) = entries(api, claim)
    assert summary(latest) == ("argument", "changed", 3, {"premise": (None, premise.pk)})


def test_changes_while_the_claim_was_retracted_do_not_show(api, editor):
    claim = published(editor)
    appearance = claim.appearances.get()
    services.claim_retract(claim=claim, actor=editor, reason="Misquoted.")
    services.appearance_update(appearance=appearance, changes={"quote": "fixed"}, actor=editor)
    services.claim_restore(claim=claim, actor=editor, reason="Quote checked.")

    listed = entries(api, claim)

    assert [summary(entry)[:3] for entry in listed] == [
        ("claim", "changed", 4),
        ("claim", "changed", 3),
        ("claim", "changed", 2),
    ]
    assert summary(listed[1])[3] == {
        "status": ("published", "retracted"),
        "retraction_reason": ("", "Misquoted."),
    }


def test_topics_changes_show_as_slugs(api, editor):
    claim = published(editor)
    ai = topic_get_or_create(slug="ai_safety")

    services.claim_update(claim=claim, changes={"topics": [ai]}, actor=editor)

    (latest, *_) = entries(api, claim)
    assert summary(latest) == ("claim", "changed", 3, {"topics": ([], ["ai_safety"])})


def test_pages_hold_page_size_entries(api, editor):
    claim = published(editor)
    for n in range(5):
        services.claim_update(claim=claim, changes={"text": f"Edit {n}."}, actor=editor)

    first = api.get(url(claim, "?page_size=2")).json()
    last = api.get(url(claim, "?page_size=2&page=3")).json()

    assert first["count"] == 6
    assert [entry["version"] for entry in first["results"]] == [7, 6]
    assert [entry["version"] for entry in last["results"]] == [3, 2]
    assert last["next"] is None
    assert first["next"].endswith("page=2&page_size=2")


@pytest.mark.parametrize("status", ["draft", "discarded"])
def test_a_claim_never_public_answers_404(api, editor, status):
    claim = GroundedClaimFactory(text="Never public.")
    if status == "discarded":
        services.claim_discard(claim=claim, actor=editor)

    assert_error(api.get(url(claim)), 404, "not_found")


def test_a_retracted_claim_shows_its_history(api, editor):
    claim = published(editor)
    services.claim_retract(claim=claim, actor=editor, reason="Misquoted.")

    (latest, _) = entries(api, claim)

    assert summary(latest)[3]["status"] == ("published", "retracted")


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("?page_size=0", {"page_size": ["Must be a whole number from 1 to 100."]}),
        ("?ordering=id", None),
        ("?page=9", None),
    ],
)
def test_bad_parameters_answer_in_the_error_shape(api, editor, query, errors):
    claim = published(editor)

    response = api.get(url(claim, query))

    assert response.status_code in (400, 404)
    assert_error(response, response.status_code, response.json()["code"], errors)


def test_an_unknown_or_malformed_id_answers_404(api):
    assert_error(api.get("/api/v1/claims/999/history/"), 404, "not_found")
    assert_error(api.get("/api/v1/claims/abc/history/"), 404, "not_found")


def test_anonymous_answers_carry_validators_and_304_until_content_changes(api, editor):
    claim = published(editor)
    first = api.get(url(claim))
    etag = first["ETag"]

    assert api.get(url(claim), HTTP_IF_NONE_MATCH=etag).status_code == 304
    services.claim_update(claim=claim, changes={"text": "Changed."}, actor=editor)
    again = api.get(url(claim), HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 200
    assert again["ETag"] != etag
    assert again.json()["count"] == 2


@pytest.fixture
def long_history(editor) -> Claim:
    """A published claim with over a hundred public changes of every kind, naming a video, a
    speaker, a note, topics and claims."""
    claim = published(editor)
    appearance = claim.appearances.get()
    services.appearance_update(
        appearance=appearance,
        changes={"speaker": SpeakerFactory(), "note": NoteFactory()},
        actor=editor,
    )
    argument = services.argument_publish(argument=ArgumentFactory(claim=claim), actor=editor)
    topic = topic_get_or_create(slug="ai_safety")
    for n in range(40):
        services.claim_update(
            claim=claim, changes={"text": f"Edit {n}.", "topics": [topic] * (n % 2)}, actor=editor
        )
        services.appearance_update(
            appearance=appearance, changes={"start_seconds": n}, actor=editor
        )
        services.argument_update(argument=argument, changes={"text": f"Why {n}."}, actor=editor)
    return claim


#: revision, claim, count, page; each kind's rows with the rows before them (3); the claims,
#: videos, speakers and notes they name, and the claims' topics (5).
HISTORY_QUERIES = 12


@pytest.mark.parametrize("page_size", [3, 10, 100])
def test_query_count_does_not_grow_with_page_size(
    api, long_history, django_assert_num_queries, page_size
):
    with django_assert_num_queries(HISTORY_QUERIES):
        response = api.get(url(long_history, f"?page_size={page_size}"))

    body = response.json()
    assert body["count"] == 3 * 40 + 3
    assert len(body["results"]) == page_size
    kinds = {entry["object_type"] for entry in body["results"]}
    assert kinds == {"claim", "appearance", "argument"}


def test_a_page_of_one_kind_skips_the_queries_of_the_others(
    api, long_history, django_assert_max_num_queries
):
    # A query for nothing is not run: a page without appearances reads no videos.
    with django_assert_max_num_queries(HISTORY_QUERIES - 1):
        response = api.get(url(long_history, "?page_size=1"))

    assert len(response.json()["results"]) == 1


def test_an_anonymous_answer_is_served_from_the_cache_until_content_changes(
    api, editor, django_assert_num_queries
):
    claim = published(editor)
    first = api.get(url(claim))

    # Only the revision is read: the answer comes from the shared cache.
    with django_assert_num_queries(1):
        again = api.get(url(claim))

    assert again.content == first.content
    services.claim_update(claim=claim, changes={"text": "Changed."}, actor=editor)
    assert api.get(url(claim)).json()["count"] == 2


def test_a_signed_in_reader_is_never_served_from_the_shared_cache(api, editor, contributor):
    claim = published(editor)
    api.get(url(claim))
    # Logged in as a browser is, with a session cookie (`force_authenticate` sends none).
    signed_in = APIClient()
    signed_in.force_login(contributor)

    with CaptureQueriesContext(connection) as queries:
        response = signed_in.get(url(claim))

    assert response.status_code == 200
    assert len(queries) > 1
