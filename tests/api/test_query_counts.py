"""Constant cost: every endpoint runs the same number of SQL queries whatever the page size and
however many appearances, arguments or links a row has.

The counts are exact, so that a new query (an N+1 or a forgotten join) fails here first. Each
list holds well over 100 rows, so that page sizes 1, 10 and 100 really return that many.
"""

from dataclasses import dataclass

import pytest
from django.db import connection

from claims.models import Appearance, Claim, Speaker
from notes.models import Channel, Note, Topic, Video, WikiLink
from tests.api import bulk
from tests.api.conftest import built_once
from tests.factories import ChannelFactory, SpeakerFactory, TopicFactory, VideoFactory

pytestmark = pytest.mark.django_db

ROWS = 120
PAGE_SIZES = [1, 10, 100]


@dataclass
class Catalogue:
    channel: Channel
    video: Video
    small_video: Video
    speaker: Speaker
    topic: Topic
    small_topic: Topic
    claims: dict[tuple[int, int], Claim]
    appearance: Appearance
    note: Note
    linked_note: Note


def build() -> Catalogue:
    channel = ChannelFactory(slug="bulk_channel")
    video = VideoFactory(youtube_id="bulkVideo01", channel=channel)
    small_video = VideoFactory(youtube_id="smallVideo1", channel=channel)
    speaker = SpeakerFactory(slug="bulk_speaker")
    topic = TopicFactory(slug="bulk_topic")
    small_topic = TopicFactory(slug="small_topic")
    many = bulk.published_claims(
        ROWS, video=video, speaker=speaker, topics=(topic,), arguments_each=2
    )
    claims = {}
    for arguments, appearances in [(1, 1), (10, 1), (1, 10), (10, 10)]:
        (claims[arguments, appearances],) = bulk.published_claims(
            1,
            video=small_video if (arguments, appearances) == (1, 1) else video,
            speaker=speaker,
            topics=(small_topic,) if (arguments, appearances) == (1, 1) else (topic,),
            arguments_each=arguments,
            appearances_each=appearances,
            text=f"Detail claim {arguments}x{appearances}",
        )
    bulk.videos(ROWS, channel=channel)
    # Each on an appearance of one bulk claim, in a video of their own, so that the claims'
    # and the videos' counts above stay as they are.
    bulk.speakers(ROWS, claim=many[1], video=VideoFactory(youtube_id="speakersVid"))
    notes = bulk.notes(ROWS, video=video)
    note, linked_note = notes[0], notes[1]
    WikiLink.objects.bulk_create(
        [WikiLink(note=note, target_slug="bulk_channel")]
        + [WikiLink(note=linked_note, target_slug=other.slug) for other in notes[2:12]]
        + [WikiLink(note=other, target_slug=linked_note.slug) for other in notes[12:22]]
        + [WikiLink(note=linked_note, target_slug=f"topic_{n}") for n in range(10)]
    )
    return Catalogue(
        channel=channel,
        video=video,
        small_video=small_video,
        speaker=speaker,
        topic=topic,
        small_topic=small_topic,
        claims=claims,
        appearance=many[0].appearances.get(),
        note=note,
        linked_note=linked_note,
    )


@pytest.fixture(scope="module")
def _catalogue_rows(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker, build)


@pytest.fixture
def catalogue(_catalogue_rows, db) -> Catalogue:
    return _catalogue_rows


# Lists: (url, queries). The queries, in order: the content revision (for the validators),
# then the filters' lookups of the values they name, then the page (and COUNT for numbered
# pages), then one query per prefetched relation.
#: A claim's appearances and topics (and a detail's arguments), one query each; on PostgreSQL
#: they come in the claim's own row (`selectors._row_arrays`).
CLAIM_LIST_ROWS = 0 if connection.vendor == "postgresql" else 2
CLAIM_DETAIL_ROWS = 0 if connection.vendor == "postgresql" else 3

LISTS = [
    # revision, page (+ appearances, topics)
    ("/api/v1/claims/", 2 + CLAIM_LIST_ROWS),
    ("/api/v1/claims/?ordering=id", 2 + CLAIM_LIST_ROWS),
    # + video, speaker and topic lookups, and on PostgreSQL the ids the index gives for `q`
    (
        "/api/v1/claims/?video=bulkVideo01&speaker=bulk_speaker&topic=bulk_topic&stance=for&q=bulk",
        5 + CLAIM_LIST_ROWS + (connection.vendor == "postgresql"),
    ),
    # revision, count, page (with channels)
    ("/api/v1/videos/", 3),
    ("/api/v1/videos/?channel=bulk_channel", 4),
    # revision, count, page (with claim, video, speaker, premise)
    ("/api/v1/arguments/", 3),
    ("/api/v1/arguments/?stance=for&speaker=bulk_speaker&video=bulkVideo01", 5),
    # revision, count, page
    ("/api/v1/speakers/", 3),
    # revision, count, page (with videos)
    ("/api/v1/notes/", 3),
    # revision, matching claims, matching notes
    ("/api/v1/search/?q=bulk", 3),
    ("/api/v1/search/?q=bulk&type=claim", 2),
    ("/api/v1/search/?q=bulk&type=note", 2),
]


@pytest.mark.parametrize("page_size", PAGE_SIZES)
@pytest.mark.parametrize(("url", "queries"), LISTS)
def test_list_query_count_does_not_grow_with_page_size(
    api, catalogue, django_assert_num_queries, url, queries, page_size
):
    separator = "&" if "?" in url else "?"

    with django_assert_num_queries(queries):
        response = api.get(f"{url}{separator}page_size={page_size}")

    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("page_size", PAGE_SIZES)
def test_a_later_cursor_page_costs_what_the_first_does(
    api, catalogue, django_assert_num_queries, page_size
):
    next_url = api.get(f"/api/v1/claims/?page_size={page_size}").json()["next"]

    with django_assert_num_queries(2 + CLAIM_LIST_ROWS):
        response = api.get(next_url)

    assert len(response.json()["results"]) == min(page_size, ROWS + 4 - page_size)


@pytest.mark.parametrize(("arguments", "appearances"), [(1, 1), (10, 1), (1, 10), (10, 10)])
@pytest.mark.parametrize("representation", ["", "?format=jsonld"])
def test_claim_detail_query_count_does_not_grow_with_its_arguments_or_appearances(
    api, catalogue, django_assert_num_queries, arguments, appearances, representation
):
    claim = catalogue.claims[arguments, appearances]

    # revision, claim (with merged_into), appearances, topics, published arguments (the JSON's
    # in the claim's row on PostgreSQL)
    with django_assert_num_queries(5 if representation else 2 + CLAIM_DETAIL_ROWS):
        response = api.get(f"/api/v1/claims/{claim.pk}/{representation}")

    assert response.status_code == 200
    if representation:
        assert len(response.json()["itemReviewed"]["appearance"]) == appearances
    else:
        body = response.json()
        assert len(body["appearances"]) == appearances
        assert len(body["arguments_for"]) + len(body["arguments_against"]) == arguments


# Each bulk claim has 2 arguments with evidence in the video, the detail claims 1 + 10 + 1 + 10.
VIDEO_MOMENTS = [
    ("smallVideo1", 1, 1),
    ("bulkVideo01", ROWS + 1 + 10 + 10, 2 * ROWS + 10 + 1 + 10),
]


@pytest.mark.parametrize(("youtube_id", "appearances", "arguments"), VIDEO_MOMENTS)
@pytest.mark.parametrize("suffix", ["", "annotations/"])
def test_video_detail_query_count_does_not_grow_with_its_appearances(
    api, catalogue, django_assert_num_queries, youtube_id, appearances, arguments, suffix
):
    # revision, video (with channel), appearances (with claim, video, speaker); the
    # annotations also read the arguments with evidence in the video
    with django_assert_num_queries(4 if suffix else 3):
        response = api.get(f"/api/v1/videos/{youtube_id}/{suffix}")

    assert response.status_code == 200
    body = response.json()
    if suffix:
        assert len(body["first"]["items"]) == appearances + arguments
    else:
        assert len(body["appearances"]) == appearances


@pytest.mark.parametrize(("which", "links", "backlinks"), [("note", 1, 0), ("linked_note", 20, 10)])
def test_note_detail_query_count_does_not_grow_with_its_links(
    api, catalogue, django_assert_num_queries, which, links, backlinks
):
    note = getattr(catalogue, which)

    # revision, note (with video), links, link targets: channels, link targets: notes, backlinks
    with django_assert_num_queries(6):
        response = api.get(f"/api/v1/notes/{note.slug}/")

    assert response.status_code == 200
    assert (len(response.json()["links"]), len(response.json()["backlinks"])) == (links, backlinks)


@pytest.mark.parametrize(("slug", "claims"), [("small_topic", 1), ("bulk_topic", ROWS + 3)])
def test_topic_detail_query_count_does_not_grow_with_its_claims(
    api, catalogue, django_assert_num_queries, slug, claims
):
    # revision, link targets: channels, notes; the topic, backlinks, the count of claims
    with django_assert_num_queries(6):
        response = api.get(f"/api/v1/topics/{slug}/")

    assert response.json()["claim_count"] == claims


def test_annotation_detail_costs_two_queries(api, catalogue, django_assert_num_queries):
    # revision, appearance (with video, speaker, claim)
    with django_assert_num_queries(2):
        response = api.get(f"/api/v1/annotations/{catalogue.appearance.pk}/")

    assert response.status_code == 200
