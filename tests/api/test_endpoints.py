"""Each public endpoint on the worked example: exact fields and values, as a client reads them."""

import pytest

from claims import services
from claims.models import Appearance
from tests.api import worked_example as ex
from tests.api.helpers import API, SERVER, iso

pytestmark = pytest.mark.django_db

ZUCKERBERG = {"slug": "mark_zuckerberg", "name": "Mark Zuckerberg"}
VIDEO_REF = {
    "youtube_id": ex.VIDEO_ID,
    "title": ex.VIDEO_TITLE,
    "api_url": f"{API}/videos/{ex.VIDEO_ID}/",
}
TOPICS = [
    {"slug": "ai_safety", "name": "AI safety", "api_url": f"{API}/topics/ai_safety/"},
    {"slug": "open_source", "name": "Open source", "api_url": f"{API}/topics/open_source/"},
]


def claim_ref(claim) -> dict:
    return {"id": claim.pk, "text": claim.text, "api_url": f"{API}/claims/{claim.pk}/"}


def appearance_json(example) -> dict:
    appearance = example.claim.appearances.get()
    return {
        "id": appearance.pk,
        "version": appearance.version,
        "video": ex.VIDEO_ID,
        "start_seconds": 2525,
        "end_seconds": 2603,
        "timestamp": "00:42:05",
        "end_timestamp": "00:43:23",
        "url": "https://www.youtube.com/watch?v=oX7OduG1YmI&t=2525s",
        "speaker": ZUCKERBERG,
        "quote": ex.QUOTE,
        "annotation_url": f"{API}/annotations/{appearance.pk}/",
    }


def argument_for_json(example) -> dict:
    return {
        "id": example.argument_for.pk,
        "version": example.argument_for.version,
        "stance": "for",
        "text": ex.FOR_TEXT,
        "speaker": ZUCKERBERG,
        "video": ex.VIDEO_ID,
        "start_seconds": 2534,
        "end_seconds": 2561,
        "timestamp": "00:42:14",
        "end_timestamp": "00:42:41",
        "url": "https://www.youtube.com/watch?v=oX7OduG1YmI&t=2534s",
        "source_url": "",
        "premise": None,
    }


def argument_against_json(example) -> dict:
    return {
        "id": example.argument_against.pk,
        "version": example.argument_against.version,
        "stance": "against",
        "text": ex.AGAINST_TEXT,
        "speaker": None,
        "video": ex.VIDEO_ID,
        "start_seconds": 2500,
        "end_seconds": None,
        "timestamp": "00:41:40",
        "end_timestamp": None,
        "url": "https://www.youtube.com/watch?v=oX7OduG1YmI&t=2500s",
        "source_url": ex.AGAINST_SOURCE,
        "premise": None,
    }


def note_ref(note) -> dict:
    return {
        "slug": note.slug,
        "api_url": f"{API}/notes/{note.slug}/",
        "title": note.title,
        "video": VIDEO_REF,
        "created_at": iso(note.created_at),
        "updated_at": iso(note.updated_at),
    }


def test_api_root_links_every_list_endpoint(api):
    response = api.get("/api/v1/")

    assert response.status_code == 200
    assert response.json() == {
        name: f"{API}/{name}/"
        for name in ("videos", "claims", "arguments", "speakers", "notes", "topics", "search")
    }


def test_video_list_gives_each_video_with_its_channel(api, example):
    response = api.get("/api/v1/videos/")

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "youtube_id": ex.OTHER_VIDEO_ID,
                "api_url": f"{API}/videos/{ex.OTHER_VIDEO_ID}/",
                "title": "Another interview",
                "channel": {"slug": "lex_fridman", "name": "Lex Fridman"},
                "duration_seconds": None,
                "published_on": None,
                "url": f"https://www.youtube.com/watch?v={ex.OTHER_VIDEO_ID}",
            },
            {
                "youtube_id": ex.VIDEO_ID,
                "api_url": f"{API}/videos/{ex.VIDEO_ID}/",
                "title": ex.VIDEO_TITLE,
                "channel": {"slug": "cleoabram", "name": "Cleo Abram"},
                "duration_seconds": 3725,
                "published_on": "2024-09-20",
                "url": ex.WATCH_URL,
            },
        ],
    }


def test_video_detail_gives_the_published_claims_made_in_it(api, example):
    response = api.get(f"/api/v1/videos/{ex.VIDEO_ID}/")

    assert response.status_code == 200
    assert response.json() == {
        "youtube_id": ex.VIDEO_ID,
        "api_url": f"{API}/videos/{ex.VIDEO_ID}/",
        "title": ex.VIDEO_TITLE,
        "channel": {"slug": "cleoabram", "name": "Cleo Abram"},
        "duration_seconds": 3725,
        "published_on": "2024-09-20",
        "url": ex.WATCH_URL,
        "annotations_url": f"{API}/videos/{ex.VIDEO_ID}/annotations/",
        "appearances": [{"claim": claim_ref(example.claim), **appearance_json(example)}],
    }


def test_video_detail_lists_appearances_in_time_order(api, example):
    later = ex.build_published_claim("Said later", example.video, start_seconds=3000)
    earlier = ex.build_published_claim("Said earlier", example.video, start_seconds=10)

    response = api.get(f"/api/v1/videos/{ex.VIDEO_ID}/")

    assert [(a["claim"]["id"], a["start_seconds"]) for a in response.json()["appearances"]] == [
        (earlier.pk, 10),
        (example.claim.pk, 2525),
        (later.pk, 3000),
    ]


def test_claim_list_gives_published_claims_with_appearances_topics_and_counts(api, example):
    response = api.get("/api/v1/claims/")

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "id": example.claim.pk,
                "api_url": f"{API}/claims/{example.claim.pk}/",
                "text": ex.CLAIM_TEXT,
                "status": "published",
                "published_at": ex.PUBLISHED_AT_JSON,
                "topics": TOPICS,
                "appearances": [appearance_json(example)],
                "arguments_for_count": 1,
                "arguments_against_count": 1,
            }
        ],
    }


def test_claim_detail_gives_appearances_and_arguments_for_and_against(api, example):
    pk = example.claim.pk

    response = api.get(f"/api/v1/claims/{pk}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "id": pk,
        "version": example.claim.version,
        "api_url": f"{API}/claims/{pk}/",
        "jsonld_url": f"{API}/claims/{pk}/?format=jsonld",
        "text": ex.CLAIM_TEXT,
        "status": "published",
        "retraction_reason": "",
        "merged_into": None,
        "published_at": ex.PUBLISHED_AT_JSON,
        "topics": TOPICS,
        "appearances": [appearance_json(example)],
        "arguments_for": [argument_for_json(example)],
        "arguments_against": [argument_against_json(example)],
    }


def test_claim_detail_as_jsonld_is_a_claim_review_of_the_claim(api, example):
    pk = example.claim.pk

    response = api.get(f"/api/v1/claims/{pk}/?format=jsonld")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    body = response.json()
    assert body["@context"] == "https://schema.org"
    assert body["@type"] == "ClaimReview"
    # The review is the claim's page, not this JSON address.
    assert body["url"] == f"{SERVER}/claims/{pk}/"
    assert body["claimReviewed"] == ex.CLAIM_TEXT
    assert body["datePublished"] == ex.PUBLISHED_AT_JSON
    item = body["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["text"] == ex.CLAIM_TEXT
    assert item["author"] == {"@type": "Person", "name": "Mark Zuckerberg"}
    assert item["datePublished"] == "2024-09-20"
    assert [clip["url"] for clip in item["appearance"]] == [
        "https://www.youtube.com/watch?v=oX7OduG1YmI&t=2525s"
    ]
    assert item["appearance"][0]["startOffset"] == 2525
    assert item["appearance"][0]["endOffset"] == 2603
    assert item["appearance"][0]["author"] == {"@type": "Person", "name": "Mark Zuckerberg"}
    assert [e["item"]["text"] for e in body["positiveNotes"]["itemListElement"]] == [ex.FOR_TEXT]
    assert [e["item"]["text"] for e in body["negativeNotes"]["itemListElement"]] == [
        ex.AGAINST_TEXT
    ]
    assert body["negativeNotes"]["itemListElement"][0]["item"]["citation"] == {
        "@type": "CreativeWork",
        "url": ex.AGAINST_SOURCE,
    }
    assert body["reviewBody"] == f"For: {ex.FOR_TEXT}\nAgainst: {ex.AGAINST_TEXT}"


def test_claim_detail_as_jsonld_is_chosen_by_accept_header_too(api, example):
    response = api.get(f"/api/v1/claims/{example.claim.pk}/", HTTP_ACCEPT="application/ld+json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    assert response.json()["@type"] == "ClaimReview"


def test_argument_list_gives_published_arguments_with_their_claim(api, example):
    response = api.get("/api/v1/arguments/")

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {"claim": claim_ref(example.claim), **argument_against_json(example)},
            {"claim": claim_ref(example.claim), **argument_for_json(example)},
        ],
    }


def test_argument_detail_gives_one_published_argument(api, example):
    response = api.get(f"/api/v1/arguments/{example.argument_for.pk}/")

    assert response.status_code == 200
    assert response.json() == {"claim": claim_ref(example.claim), **argument_for_json(example)}


def test_speaker_list_gives_speakers_by_name(api, example):
    services.appearance_create(
        claim=example.claim, video=example.video, start_seconds=2600, speaker=example.interviewer
    )

    response = api.get("/api/v1/speakers/")

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [speaker_links("cleo_abram", "Cleo Abram"), ZUCKERBERG_LINKED],
    }


def speaker_links(slug: str, name: str) -> dict:
    return {
        "slug": slug,
        "name": name,
        "api_url": f"{API}/speakers/{slug}/",
        "page_url": f"{SERVER}/speakers/{slug}/",
        "claims_url": f"{API}/claims/?speaker={slug}",
    }


ZUCKERBERG_LINKED = speaker_links("mark_zuckerberg", "Mark Zuckerberg")


def test_speaker_detail_links_the_speaker_to_its_claims_and_page(api, example):
    response = api.get("/api/v1/speakers/mark_zuckerberg/")

    assert response.status_code == 200
    assert response.json() == ZUCKERBERG_LINKED
    claims = api.get(response.json()["claims_url"]).json()["results"]
    assert [claim["id"] for claim in claims] == [example.claim.pk]


def test_topic_list_gives_topics_with_published_claims_most_used_first(api, example):
    ex.build_published_claim("Another", example.video, start_seconds=1, topics=("ai_safety",))

    response = api.get("/api/v1/topics/")

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "slug": slug,
                "name": name,
                "api_url": f"{API}/topics/{slug}/",
                "claim_count": count,
                "claims_url": f"{API}/claims/?topic={slug}",
            }
            # robotics has no claim; the draft and retracted claims are not counted.
            for slug, name, count in [
                ("ai_safety", "AI safety", 2),
                ("open_source", "Open source", 1),
            ]
        ],
    }


def test_note_list_gives_notes_by_title(api, example):
    response = api.get("/api/v1/notes/")

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [note_ref(example.companion), note_ref(example.note)],
    }


def test_note_detail_gives_markdown_links_and_backlinks(api, example):
    response = api.get(f"/api/v1/notes/{ex.NOTE_SLUG}/")

    assert response.status_code == 200
    body = response.json()
    html = body.pop("html")
    assert body == {
        **note_ref(example.note),
        "body_markdown": ex.NOTE_BODY,
        "links": [
            {
                "target_slug": ex.UNRESOLVED_SLUG,
                "label": "AI",
                "kind": "topic",
                "api_url": f"{API}/topics/{ex.UNRESOLVED_SLUG}/",
            },
            {
                "target_slug": "cleoabram",
                "label": "cleoabram",
                "kind": "channel",
                "api_url": f"{API}/videos/?channel=cleoabram",
            },
            {
                "target_slug": ex.COMPANION_SLUG,
                "label": "how Llama ships",
                "kind": "note",
                "api_url": f"{API}/notes/{ex.COMPANION_SLUG}/",
            },
        ],
        "backlinks": [note_ref(example.companion)],
    }
    assert html.startswith("<p>From: ")


def test_note_html_links_timestamps_to_the_video_at_that_second(api, example):
    html = api.get(f"/api/v1/notes/{ex.NOTE_SLUG}/").json()["html"]

    assert (
        '<a class="timestamp" href="https://www.youtube.com/watch?v=oX7OduG1YmI&amp;t=2525s"'
        ' data-seconds="2525" rel="noopener noreferrer">00:42:05</a>'
    ) in html
    assert "[00:42:05]" not in html


@pytest.mark.parametrize(
    ("kind", "href", "label"),
    [
        # The public pages, for the people reading the HTML; `links` gives the API addresses.
        ("note", f"{SERVER}/notes/{ex.COMPANION_SLUG}/", "how Llama ships"),
        ("channel", f"{SERVER}/topics/cleoabram/", "cleoabram"),
        ("topic", f"{SERVER}/topics/{ex.UNRESOLVED_SLUG}/", "AI"),
    ],
)
def test_note_html_resolves_each_wikilink_to_its_kind(api, example, kind, href, label):
    html = api.get(f"/api/v1/notes/{ex.NOTE_SLUG}/").json()["html"]

    assert (
        f'<a class="wikilink wikilink--{kind}" href="{href}" rel="noopener noreferrer">{label}</a>'
    ) in html
    assert "[[" not in html


def test_note_html_is_sanitized(api, example):
    example.note.body_markdown = 'Hi <script>alert(1)</script> <a href="javascript:x()">x</a>'
    example.note.save()

    html = api.get(f"/api/v1/notes/{ex.NOTE_SLUG}/").json()["html"]

    assert "<script" not in html
    assert "javascript:" not in html


def test_topic_detail_counts_published_claims_filed_under_it(api, example):
    response = api.get("/api/v1/topics/open_source/")

    assert response.status_code == 200
    assert response.json() == {
        "slug": "open_source",
        "name": "Open source",
        "kind": "topic",
        "target_url": None,
        "backlinks": [],
        "claim_count": 1,
        "claims_url": f"{API}/claims/?topic=open_source",
    }


def test_topic_detail_of_an_unresolved_wikilink_names_it_and_gives_backlinks(api, example):
    response = api.get(f"/api/v1/topics/{ex.UNRESOLVED_SLUG}/")

    assert response.status_code == 200
    assert response.json() == {
        "slug": ex.UNRESOLVED_SLUG,
        "name": "Advantages and risks of ai technology",
        "kind": "topic",
        "target_url": None,
        "backlinks": [note_ref(example.note)],
        "claim_count": 0,
        "claims_url": f"{API}/claims/?topic={ex.UNRESOLVED_SLUG}",
    }


def test_topic_detail_of_a_channel_slug_points_at_its_videos(api, example):
    response = api.get("/api/v1/topics/cleoabram/")

    assert response.status_code == 200
    assert response.json() == {
        "slug": "cleoabram",
        "name": "Cleo Abram",
        "kind": "channel",
        "target_url": f"{API}/videos/?channel=cleoabram",
        "backlinks": [note_ref(example.note)],
        "claim_count": 0,
        "claims_url": f"{API}/claims/?topic=cleoabram",
    }


def test_topic_detail_of_a_note_slug_points_at_the_note(api, example):
    response = api.get(f"/api/v1/topics/{ex.NOTE_SLUG}/")

    assert response.status_code == 200
    assert response.json() == {
        "slug": ex.NOTE_SLUG,
        "name": ex.NOTE_TITLE,
        "kind": "note",
        "target_url": f"{API}/notes/{ex.NOTE_SLUG}/",
        "backlinks": [note_ref(example.companion)],
        "claim_count": 0,
        "claims_url": f"{API}/claims/?topic={ex.NOTE_SLUG}",
    }


def test_topic_detail_of_a_slug_nothing_uses_is_not_found(api, example):
    response = api.get("/api/v1/topics/nothing_links_here/")

    assert response.status_code == 404
    assert (
        response.json()["detail"]
        == "Nothing is called 'nothing_links_here' and nothing links to it."
    )


def test_search_finds_the_claim_and_the_note_with_marked_snippets(api, example):
    response = api.get("/api/v1/search/?q=safer")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert (body["next"], body["previous"]) == (None, None)
    claim, note = sorted(body["results"], key=lambda result: result["type"])
    assert {key: claim[key] for key in ("type", "id", "title", "snippet", "api_url")} == {
        "type": "claim",
        "id": str(example.claim.pk),
        "title": ex.CLAIM_TEXT,
        "snippet": "Open-sourcing AI models makes them <mark>safer</mark>",
        "api_url": f"{API}/claims/{example.claim.pk}/",
    }
    assert {key: note[key] for key in ("type", "id", "title", "api_url")} == {
        "type": "note",
        "id": ex.NOTE_SLUG,
        "title": ex.NOTE_TITLE,
        "api_url": f"{API}/notes/{ex.NOTE_SLUG}/",
    }
    # The note's plain text: "From: [[cleoabram]] <br/>" reads "From: cleoabram". PostgreSQL's
    # excerpt ends on a word a little earlier than SQLite's.
    assert note["snippet"].startswith(
        "From: cleoabram Historically, open source software became <mark>safer</mark> and more "
        "secure 00:42:05. See how Llama"
    )
    assert (claim["found_through"], note["found_through"]) == (None, None)
    assert claim["page_url"] == f"{SERVER}/claims/{example.claim.pk}/"
    assert note["page_url"] == f"{SERVER}/notes/{ex.NOTE_SLUG}/"
    assert all(isinstance(result["rank"], float) for result in body["results"])


def test_search_snippet_of_a_note_is_its_plain_text_with_only_the_matches_marked(
    api, example, django_capture_on_commit_callbacks
):
    example.note.body_markdown = (
        'Intro <a class="yt-timestamp" data-t="00:42:05">[00:42:05]</a> on open '
        "[[model_weights]] and [[release_policy|releasing weights]] &amp; **bold** "
        "[a link](https://example.org) `code`."
    )
    with django_capture_on_commit_callbacks(execute=True):
        example.note.save()

    (result,) = api.get("/api/v1/search/?q=weights&type=note").json()["results"]

    assert "&lt;" not in result["snippet"] and "[[" not in result["snippet"]
    assert result["snippet"].startswith(
        "Intro 00:42:05 on open model_<mark>weights</mark> and releasing <mark>weights</mark> "
        "&amp; bold a link code"
    )


def test_search_says_when_a_claim_was_found_through_an_argument_or_a_quote(api, example):
    (by_argument,) = api.get("/api/v1/search/?q=malicious&type=claim").json()["results"]
    (by_quote,) = api.get("/api/v1/search/?q=everyone&type=claim").json()["results"]

    assert (by_argument["id"], by_argument["found_through"]) == (str(example.claim.pk), "argument")
    assert by_argument["snippet"] == (
        "Keeping models closed keeps them away from <mark>malicious</mark> actors."
    )
    assert (by_quote["found_through"], by_quote["snippet"]) == (
        "quote",
        "open source leads to a smarter and safer model for <mark>everyone</mark>",
    )


def test_search_by_type_gives_only_that_kind(api, example):
    claims = api.get("/api/v1/search/?q=safer&type=claim").json()["results"]
    notes = api.get("/api/v1/search/?q=safer&type=note").json()["results"]

    assert [(r["type"], r["id"]) for r in claims] == [("claim", str(example.claim.pk))]
    assert [(r["type"], r["id"]) for r in notes] == [("note", ex.NOTE_SLUG)]


@pytest.mark.parametrize("q", ["eyes", "malicious"])
def test_search_finds_a_claim_by_its_published_arguments(api, example, q):
    results = api.get(f"/api/v1/search/?q={q}&type=claim").json()["results"]

    assert [r["id"] for r in results] == [str(example.claim.pk)]


def test_search_finds_a_claim_by_a_quote(api, example):
    results = api.get("/api/v1/search/?q=smarter&type=claim").json()["results"]

    assert [r["id"] for r in results] == [str(example.claim.pk)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Give at least one word to search for."),
        ("?q=%20", "Give a value, or leave the parameter out."),
    ],
)
def test_search_without_words_is_a_bad_request(api, example, query, message):
    response = api.get(f"/api/v1/search/{query}")

    assert response.status_code == 400
    assert response.json()["errors"] == {"q": [message]}


def test_annotation_detail_is_a_web_annotation_of_the_span(api, example):
    appearance = Appearance.objects.get(claim=example.claim)

    response = api.get(f"/api/v1/annotations/{appearance.pk}/")

    assert response.status_code == 200
    assert response["Content-Type"] == (
        'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
    )
    assert response.json() == {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": f"{API}/annotations/{appearance.pk}/",
        "type": "Annotation",
        "motivation": "describing",
        "created": appearance.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "creator": {"type": "Organization", "name": "Claimtrack"},
        "body": [
            {
                "type": "TextualBody",
                "value": ex.CLAIM_TEXT,
                "format": "text/plain",
                "purpose": "describing",
            },
            {
                "type": "SpecificResource",
                "source": f"{API}/claims/{example.claim.pk}/",
                "purpose": "identifying",
            },
            {
                "type": "TextualBody",
                "value": "Mark Zuckerberg",
                "format": "text/plain",
                "purpose": "tagging",
            },
        ],
        "target": {
            "type": "SpecificResource",
            "source": {"id": ex.WATCH_URL, "type": "Video"},
            "selector": {
                "type": "FragmentSelector",
                "conformsTo": "http://www.w3.org/TR/media-frags/",
                "value": "t=2525,2603",
            },
        },
    }


def test_video_annotations_is_a_collection_of_its_appearances_and_argument_evidence(api, example):
    appearance = Appearance.objects.get(claim=example.claim)
    collection_url = f"{API}/videos/{ex.VIDEO_ID}/annotations/"

    response = api.get(f"/api/v1/videos/{ex.VIDEO_ID}/annotations/")

    assert response.status_code == 200
    assert response["Content-Type"] == (
        'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
    )
    body = response.json()
    items = body["first"].pop("items")
    assert body == {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": collection_url,
        "type": "AnnotationCollection",
        "label": ex.VIDEO_TITLE,
        "total": 3,
        "first": {
            "id": f"{collection_url}#page1",
            "type": "AnnotationPage",
            "partOf": collection_url,
            "startIndex": 0,
        },
        "last": f"{collection_url}#page1",
    }
    # The argument against at 00:41:40 and the one for at 00:42:14–00:42:41, around the claim.
    assert [(item["id"], item["target"]["selector"]["value"]) for item in items] == [
        (f"{collection_url}#argument-{example.argument_against.pk}", "t=2500"),
        (f"{API}/annotations/{appearance.pk}/", "t=2525,2603"),
        (f"{collection_url}#argument-{example.argument_for.pk}", "t=2534,2561"),
    ]


def test_video_annotations_of_a_video_without_claims_is_an_empty_collection(api, example):
    response = api.get(f"/api/v1/videos/{ex.OTHER_VIDEO_ID}/annotations/")

    assert response.status_code == 200
    assert response.json() == {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": f"{API}/videos/{ex.OTHER_VIDEO_ID}/annotations/",
        "type": "AnnotationCollection",
        "label": "Another interview",
        "total": 0,
    }


def test_schema_is_openapi_3_json(api):
    response = api.get("/api/v1/schema/?format=json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oai.openapi+json"
    body = response.json()
    assert body["openapi"] == "3.0.3"
    assert body["info"]["title"] == "Claimtrack API"
    assert body["info"]["version"] == "1.0.0"


@pytest.mark.parametrize(
    ("url", "marker"),
    [
        ("/api/v1/docs/", '<div id="swagger-ui"></div>'),
        ("/api/v1/redoc/", '<redoc spec-url="/api/v1/schema/"></redoc>'),
    ],
)
def test_docs_pages_render_the_schema(api, url, marker):
    response = api.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert marker in html
    assert "<title>Claimtrack API</title>" in html


@pytest.mark.parametrize("url", ["/api/v1/nope/", "/api/v2/claims/", "/api/"])
def test_an_address_no_endpoint_serves_answers_the_json_404(api, url):
    response = api.get(url)

    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "code": "not_found",
        "detail": "No API endpoint at this address; the index is /api/v1/.",
        "errors": {},
    }
