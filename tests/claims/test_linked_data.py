"""The linked-data exports: exact documents for the worked example, checked against the specs."""

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from django.db.models import Prefetch

from claims.linked_data import (
    ANNOTATION_MEDIA_TYPE,
    annotation_collection,
    claim_review,
    web_annotation,
)
from claims.models import Appearance, Argument, Claim, Stance, Status
from notes.models import Video
from tests.factories import (
    AppearanceFactory,
    ArgumentFactory,
    PublishedClaimFactory,
    SpeakerFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

CLAIM_TEXT = "Open-sourcing AI models makes them safer"
FOR_TEXT = (
    "When software is open source, more people can scrutinize it, "
    "so bugs and vulnerabilities are found and fixed sooner."
)
AGAINST_TEXT = "Keeping models closed keeps them away from malicious actors."
TITLE = "Open source in AI development and safety"
WATCH_URL = "https://www.youtube.com/watch?v=oX7OduG1YmI"

CLAIM_URL = "https://claimtrack.example/claims/7/"
ANNOTATION_URL = "https://claimtrack.example/api/v1/appearances/3/annotation/"
COLLECTION_URL = "https://claimtrack.example/api/v1/videos/oX7OduG1YmI/annotations/"

PUBLISHED_AT = datetime(2025, 1, 15, 10, 30, 5, 123456, tzinfo=UTC)
RECORDED_AT = datetime(2025, 1, 14, 9, 0, 12, 345678, tzinfo=UTC)

SITE = {"@type": "Organization", "name": "Claimtrack"}
ZUCKERBERG = {"@type": "Person", "name": "Mark Zuckerberg"}
VIDEO_OBJECT = {
    "@type": "VideoObject",
    "name": TITLE,
    "url": WATCH_URL,
    "embedUrl": "https://www.youtube.com/embed/oX7OduG1YmI",
}
CLAIM_CLIP = {
    "@type": "Clip",
    "name": f"{TITLE}, 00:42:05–00:43:23",
    "url": f"{WATCH_URL}&t=2525s",
    "startOffset": 2525,
    "endOffset": 2603,
    "isPartOf": VIDEO_OBJECT,
    "author": ZUCKERBERG,
}
WORKED_EXAMPLE_REVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": CLAIM_URL,
    "claimReviewed": CLAIM_TEXT,
    "datePublished": "2025-01-15T10:30:05Z",
    "author": SITE,
    "publisher": SITE,
    "itemReviewed": {
        "@type": "Claim",
        "text": CLAIM_TEXT,
        # The speaker of the first appearance; the video has no date, so no datePublished.
        "author": ZUCKERBERG,
        "appearance": [CLAIM_CLIP],
        "firstAppearance": CLAIM_CLIP,
    },
    "reviewBody": f"For: {FOR_TEXT}\nAgainst: {AGAINST_TEXT}",
    "positiveNotes": {
        "@type": "ItemList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": 1,
                "item": {
                    "@type": "Claim",
                    "text": FOR_TEXT,
                    "author": ZUCKERBERG,
                    "appearance": {
                        "@type": "Clip",
                        "name": f"{TITLE}, 00:42:14–00:42:41",
                        "url": f"{WATCH_URL}&t=2534s",
                        "startOffset": 2534,
                        "endOffset": 2561,
                        "isPartOf": VIDEO_OBJECT,
                    },
                },
            }
        ],
    },
    "negativeNotes": {
        "@type": "ItemList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": 1,
                "item": {
                    "@type": "Claim",
                    "text": AGAINST_TEXT,
                    "appearance": {
                        "@type": "Clip",
                        "name": f"{TITLE}, 00:41:40",
                        "url": f"{WATCH_URL}&t=2500s",
                        "startOffset": 2500,
                        "isPartOf": VIDEO_OBJECT,
                    },
                },
            }
        ],
    },
}
# The worked example's annotation, without the @context a standalone one starts with.
WORKED_EXAMPLE_ANNOTATION = {
    "id": ANNOTATION_URL,
    "type": "Annotation",
    "motivation": "describing",
    "created": "2025-01-14T09:00:12Z",
    "creator": {"type": "Organization", "name": "Claimtrack"},
    "body": [
        {
            "type": "TextualBody",
            "value": CLAIM_TEXT,
            "format": "text/plain",
            "purpose": "describing",
        },
        {"type": "SpecificResource", "source": CLAIM_URL, "purpose": "identifying"},
        {
            "type": "TextualBody",
            "value": "Mark Zuckerberg",
            "format": "text/plain",
            "purpose": "tagging",
        },
    ],
    "target": {
        "type": "SpecificResource",
        "source": {"id": WATCH_URL, "type": "Video"},
        "selector": {
            "type": "FragmentSelector",
            "conformsTo": "http://www.w3.org/TR/media-frags/",
            "value": "t=2525,2603",
        },
    },
}


# --- What schema.org and the Web Annotation model allow, as far as these exports go ----------

# Types the schema.org export may use, each with the properties it may carry and the types or
# data types their values may take: domains and ranges transcribed from schema.org, narrowed
# to what Claimtrack means to say (ListItem.item takes any Thing; here it is always a Claim).
_CREATIVE_WORK = {"CreativeWork", "Claim", "Clip", "VideoObject"}
_AGENT = {"Person", "Organization"}
SCHEMA_ORG_TERMS = {
    "ClaimReview": {
        "url": {"URL"},
        "claimReviewed": {"Text"},
        "datePublished": {"DateTime"},
        "author": _AGENT,
        "publisher": _AGENT,
        "itemReviewed": {"Claim"},
        "reviewBody": {"Text"},
        "positiveNotes": {"ItemList"},
        "negativeNotes": {"ItemList"},
    },
    "Claim": {
        "text": {"Text"},
        "author": _AGENT,
        "datePublished": {"Date", "DateTime"},
        "appearance": _CREATIVE_WORK,
        "firstAppearance": _CREATIVE_WORK,
        "citation": _CREATIVE_WORK,
    },
    "Clip": {
        "name": {"Text"},
        "url": {"URL"},
        "startOffset": {"Number"},
        "endOffset": {"Number"},
        "isPartOf": _CREATIVE_WORK,
        "author": _AGENT,
    },
    "VideoObject": {
        "name": {"Text"},
        "url": {"URL"},
        "embedUrl": {"URL"},
        "uploadDate": {"Date"},
        "duration": {"Duration"},
    },
    "CreativeWork": {"url": {"URL"}},
    "ItemList": {"itemListElement": {"ListItem"}},
    "ListItem": {"position": {"Integer"}, "item": {"Claim"}},
    "Person": {"name": {"Text"}},
    "Organization": {"name": {"Text"}},
}


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


SCHEMA_ORG_DATA_TYPES = {
    "Text": lambda value: isinstance(value, str) and value.strip() != "",
    "URL": lambda value: isinstance(value, str) and value.startswith("https://"),
    "Number": _is_count,
    "Integer": _is_count,
    "Date": lambda value: re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) is not None,
    "DateTime": lambda value: (
        re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z", value) is not None
    ),
    "Duration": lambda value: (
        re.fullmatch(r"PT(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+S)?", value) is not None
    ),
}


def assert_schema_org(document: dict) -> None:
    """Every node has a known @type, and each property is one schema.org defines for that
    type, holding a value of a type in its range. Also survives a JSON round trip."""
    assert json.loads(json.dumps(document)) == document
    assert document["@context"] == "https://schema.org"
    _assert_schema_org_node({key: value for key, value in document.items() if key != "@context"})


def _assert_schema_org_node(node: dict) -> None:
    kind = node["@type"]
    properties = SCHEMA_ORG_TERMS[kind]
    for name, value in node.items():
        if name == "@type":
            continue
        assert name in properties, f"schema.org {kind} has no property {name!r}"
        for member in value if isinstance(value, list) else [value]:
            if isinstance(member, dict):
                assert member["@type"] in properties[name], f"{kind}.{name}: {member['@type']}"
                _assert_schema_org_node(member)
            else:
                assert any(
                    SCHEMA_ORG_DATA_TYPES[range_](member)
                    for range_ in properties[name]
                    if range_ in SCHEMA_ORG_DATA_TYPES
                ), f"{kind}.{name}: {member!r}"


ANNOTATION_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MOTIVATIONS = {
    "assessing",
    "bookmarking",
    "classifying",
    "commenting",
    "describing",
    "editing",
    "highlighting",
    "identifying",
    "linking",
    "moderating",
    "questioning",
    "replying",
    "tagging",
}
# Media Fragments URI 1.0, temporal dimension in normal play time (section 4.2.1), the only
# time format the export writes (SMPTE and wall-clock forms are left out):
#   npttimedef = [ "npt:" ] ( npttime [ "," npttime ] ) / ( "," npttime )
#   npttime    = npt-sec / npt-hhmmss / npt-mmss   (RFC 2326; minutes and seconds 00-59)
_NPT_TIME = r"(?:[0-9]+:[0-5][0-9]:[0-5][0-9]|[0-5][0-9]:[0-5][0-9]|[0-9]+)(?:\.[0-9]*)?"
TEMPORAL_FRAGMENT_RE = re.compile(
    rf"t=(?:npt:)?(?:(?P<start>{_NPT_TIME})(?:,(?P<end>{_NPT_TIME}))?|,{_NPT_TIME})"
)


def _npt_seconds(npt_time: str) -> float:
    return sum(float(part) * 60**power for power, part in enumerate(reversed(npt_time.split(":"))))


def assert_temporal_fragment(value: str) -> None:
    """A Media Fragments temporal fragment whose interval, when closed, is not empty."""
    match = TEMPORAL_FRAGMENT_RE.fullmatch(value)
    assert match, f"{value!r} is not a Media Fragments temporal fragment"
    if match["start"] and match["end"]:
        assert _npt_seconds(match["start"]) < _npt_seconds(match["end"])


def assert_web_annotation(annotation: dict, *, embedded: bool = False) -> None:
    """The requirements of the Web Annotation Data Model on the parts the export uses."""
    assert json.loads(json.dumps(annotation)) == annotation
    assert annotation.get("@context") == (None if embedded else ANNOTATION_CONTEXT)
    assert annotation["type"] == "Annotation"
    assert annotation["id"].startswith("https://")
    assert annotation["motivation"] in MOTIVATIONS
    # xsd:dateTime in UTC, written with Z (section 3.3.1).
    assert re.fullmatch(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(?:\.[0-9]+)?Z", annotation["created"]
    )
    assert annotation["creator"]["type"] in {"Person", "Organization", "Software"}
    for body in annotation["body"]:
        assert body["purpose"] in MOTIVATIONS
        if body["type"] == "TextualBody":
            assert body["value"]
        else:
            # An external resource takes a purpose only through a SpecificResource (4.1).
            assert body["type"] == "SpecificResource"
            assert body["source"].startswith("https://")
    target = annotation["target"]
    assert target["type"] == "SpecificResource"
    assert target["source"]["id"].startswith("https://www.youtube.com/watch?v=")
    assert target["selector"]["type"] == "FragmentSelector"
    assert target["selector"]["conformsTo"] == "http://www.w3.org/TR/media-frags/"
    assert_temporal_fragment(target["selector"]["value"])


# --- Fixtures and the selects a view would make ---------------------------------------------


@dataclass(frozen=True)
class WorkedExample:
    claim_id: int
    appearance_id: int


@pytest.fixture
def worked_example() -> WorkedExample:
    """The sample note's claim, as an editor would have curated it."""
    video = VideoFactory(youtube_id="oX7OduG1YmI", title=TITLE)
    zuckerberg = SpeakerFactory(slug="mark_zuckerberg", name="Mark Zuckerberg")
    claim = PublishedClaimFactory(text=CLAIM_TEXT, published_at=PUBLISHED_AT)
    appearance = AppearanceFactory(
        claim=claim, video=video, start_seconds=2525, end_seconds=2603, speaker=zuckerberg
    )
    # auto_now_add ignores a value given at creation.
    Appearance.objects.filter(pk=appearance.pk).update(created_at=RECORDED_AT)
    ArgumentFactory(
        claim=claim,
        stance=Stance.FOR,
        text=FOR_TEXT,
        video=video,
        start_seconds=2534,
        end_seconds=2561,
        speaker=zuckerberg,
        status=Status.PUBLISHED,
    )
    ArgumentFactory(
        claim=claim,
        stance=Stance.AGAINST,
        text=AGAINST_TEXT,
        video=video,
        start_seconds=2500,
        status=Status.PUBLISHED,
    )
    ArgumentFactory(claim=claim, text="An editor's unfinished draft.", status=Status.DRAFT)
    return WorkedExample(claim_id=claim.pk, appearance_id=appearance.pk)


def fetch_claim(pk: int) -> Claim:
    return Claim.objects.prefetch_related(
        Prefetch("appearances", queryset=Appearance.objects.select_related("video", "speaker")),
        Prefetch(
            "arguments",
            queryset=Argument.objects.published().select_related("video", "speaker"),
            to_attr="published_arguments",
        ),
    ).get(pk=pk)


def review_of(claim: Claim) -> dict:
    return claim_review(
        claim,
        claim_url=CLAIM_URL,
        appearances=claim.appearances.all(),
        arguments_for=[a for a in claim.published_arguments if a.stance == Stance.FOR],
        arguments_against=[a for a in claim.published_arguments if a.stance == Stance.AGAINST],
    )


def fetch_video(youtube_id: str) -> Video:
    return Video.objects.prefetch_related(
        Prefetch("appearances", queryset=Appearance.objects.select_related("claim", "speaker"))
    ).get(youtube_id=youtube_id)


def collection_of(video: Video) -> dict:
    return annotation_collection(
        video,
        video.appearances.all(),
        collection_url=COLLECTION_URL,
        annotation_url_for=lambda appearance: (
            f"https://claimtrack.example/api/v1/appearances/{appearance.pk}/annotation/"
        ),
        claim_url_for=lambda claim: f"https://claimtrack.example/claims/{claim.pk}/",
    )


def fetch_appearance(pk: int) -> Appearance:
    return Appearance.objects.select_related("claim", "video", "speaker").get(pk=pk)


# --- schema.org ClaimReview -----------------------------------------------------------------


def test_claim_review_of_worked_example(worked_example):
    review = review_of(fetch_claim(worked_example.claim_id))

    assert review == WORKED_EXAMPLE_REVIEW
    assert_schema_org(review)


def test_claim_review_leaves_out_what_is_not_known():
    claim = PublishedClaimFactory(text="Transformers have not plateaued yet.", published_at=None)
    appearance = AppearanceFactory(
        claim=claim, video=VideoFactory(youtube_id="abcdefghijk", title="A talk"), speaker=None
    )

    review = claim_review(
        claim,
        claim_url=CLAIM_URL,
        appearances=[appearance],
        arguments_for=[],
        arguments_against=[],
    )

    clip = {
        "@type": "Clip",
        "name": "A talk, 00:42:05",
        "url": "https://www.youtube.com/watch?v=abcdefghijk&t=2525s",
        "startOffset": 2525,
        "isPartOf": {
            "@type": "VideoObject",
            "name": "A talk",
            "url": "https://www.youtube.com/watch?v=abcdefghijk",
            "embedUrl": "https://www.youtube.com/embed/abcdefghijk",
        },
    }
    assert review == {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": CLAIM_URL,
        "claimReviewed": "Transformers have not plateaued yet.",
        "author": SITE,
        "publisher": SITE,
        "itemReviewed": {
            "@type": "Claim",
            "text": "Transformers have not plateaued yet.",
            "appearance": [clip],
            "firstAppearance": clip,
        },
    }
    assert_schema_org(review)


def test_argument_with_only_a_source_is_cited():
    claim = PublishedClaimFactory()
    argument = ArgumentFactory(
        claim=claim,
        stance=Stance.AGAINST,
        text="Open weights cannot be recalled once released.",
        video=None,
        start_seconds=None,
        source_url="https://example.org/essays/open-weights",
        status=Status.PUBLISHED,
    )

    review = claim_review(
        claim,
        claim_url=CLAIM_URL,
        appearances=[],
        arguments_for=[],
        arguments_against=[argument],
    )

    assert review["negativeNotes"]["itemListElement"] == [
        {
            "@type": "ListItem",
            "position": 1,
            "item": {
                "@type": "Claim",
                "text": "Open weights cannot be recalled once released.",
                "citation": {
                    "@type": "CreativeWork",
                    "url": "https://example.org/essays/open-weights",
                },
            },
        }
    ]
    assert "positiveNotes" not in review
    assert review["itemReviewed"] == {"@type": "Claim", "text": claim.text}
    assert_schema_org(review)


@pytest.mark.parametrize(
    ("status", "stance", "message"),
    [
        (Status.DRAFT, Stance.FOR, "is draft, not published"),
        (Status.RETRACTED, Stance.FOR, "is retracted, not published"),
        (Status.PUBLISHED, Stance.AGAINST, "is against, not for"),
    ],
)
def test_claim_review_refuses_arguments_that_must_not_be_listed_as_for(status, stance, message):
    claim = PublishedClaimFactory()
    argument = ArgumentFactory(
        claim=claim,
        stance=stance,
        status=status,
        retraction_reason="Misquoted." if status == Status.RETRACTED else "",
    )

    with pytest.raises(ValueError, match=message):
        claim_review(
            claim,
            claim_url=CLAIM_URL,
            appearances=[],
            arguments_for=[argument],
            arguments_against=[],
        )


def test_first_appearance_is_in_the_earliest_published_video():
    claim = PublishedClaimFactory()
    later = AppearanceFactory(
        claim=claim, video=VideoFactory(published_on=date(2024, 9, 26)), start_seconds=10
    )
    earlier = AppearanceFactory(
        claim=claim, video=VideoFactory(published_on=date(2024, 7, 1)), start_seconds=3000
    )

    review = claim_review(
        claim,
        claim_url=CLAIM_URL,
        appearances=[later, earlier],
        arguments_for=[],
        arguments_against=[],
    )

    item = review["itemReviewed"]
    assert [clip["url"] for clip in item["appearance"]] == [later.url, earlier.url]
    assert item["firstAppearance"]["url"] == earlier.url
    assert item["firstAppearance"]["isPartOf"]["uploadDate"] == "2024-07-01"


def test_first_appearance_within_one_undated_video_is_the_earliest_second():
    claim = PublishedClaimFactory()
    video = VideoFactory(published_on=None)
    later = AppearanceFactory(claim=claim, video=video, start_seconds=2525)
    earlier = AppearanceFactory(claim=claim, video=video, start_seconds=61)

    review = claim_review(
        claim,
        claim_url=CLAIM_URL,
        appearances=[later, earlier],
        arguments_for=[],
        arguments_against=[],
    )

    assert review["itemReviewed"]["firstAppearance"]["startOffset"] == 61


def test_first_appearance_is_not_claimed_when_a_video_date_is_unknown():
    claim = PublishedClaimFactory()
    appearances = [
        AppearanceFactory(claim=claim, video=VideoFactory(published_on=date(2024, 7, 1))),
        AppearanceFactory(claim=claim, video=VideoFactory(published_on=None)),
    ]

    review = claim_review(
        claim,
        claim_url=CLAIM_URL,
        appearances=appearances,
        arguments_for=[],
        arguments_against=[],
    )

    assert len(review["itemReviewed"]["appearance"]) == 2
    assert "firstAppearance" not in review["itemReviewed"]


@pytest.mark.parametrize(
    ("duration_seconds", "duration"),
    [(3725, "PT1H2M5S"), (3600, "PT1H"), (60, "PT1M"), (0, "PT0S")],
)
def test_video_object_gives_upload_date_and_iso_duration(duration_seconds, duration):
    video = VideoFactory(
        youtube_id="abcdefghijk",
        title="A talk",
        published_on=date(2024, 9, 26),
        duration_seconds=duration_seconds,
    )
    appearance = AppearanceFactory(video=video)

    review = claim_review(
        appearance.claim,
        claim_url=CLAIM_URL,
        appearances=[appearance],
        arguments_for=[],
        arguments_against=[],
    )

    assert review["itemReviewed"]["firstAppearance"]["isPartOf"] == {
        "@type": "VideoObject",
        "name": "A talk",
        "url": "https://www.youtube.com/watch?v=abcdefghijk",
        "embedUrl": "https://www.youtube.com/embed/abcdefghijk",
        "uploadDate": "2024-09-26",
        "duration": duration,
    }
    assert_schema_org(review)


def test_claimed_item_is_dated_and_credited_by_its_first_appearance():
    claim = PublishedClaimFactory()
    AppearanceFactory(
        claim=claim,
        video=VideoFactory(published_on=date(2024, 9, 26)),
        speaker=SpeakerFactory(name="Later Speaker"),
    )
    earlier = AppearanceFactory(
        claim=claim,
        video=VideoFactory(published_on=date(2024, 7, 1)),
        speaker=SpeakerFactory(name="First Speaker"),
    )

    review = claim_review(
        claim,
        claim_url=CLAIM_URL,
        appearances=list(claim.appearances.select_related("video", "speaker")),
        arguments_for=[],
        arguments_against=[],
    )

    assert review["itemReviewed"]["author"] == {"@type": "Person", "name": "First Speaker"}
    assert review["itemReviewed"]["datePublished"] == "2024-07-01"
    assert review["itemReviewed"]["firstAppearance"]["startOffset"] == earlier.start_seconds
    assert_schema_org(review)


def test_claimed_item_without_a_known_first_appearance_is_credited_to_the_first_listed():
    claim = PublishedClaimFactory()
    listed = [
        AppearanceFactory(
            claim=claim, video=VideoFactory(published_on=None), speaker=SpeakerFactory(name="A")
        ),
        AppearanceFactory(
            claim=claim, video=VideoFactory(published_on=date(2024, 1, 1)), speaker=None
        ),
    ]

    review = claim_review(
        claim, claim_url=CLAIM_URL, appearances=listed, arguments_for=[], arguments_against=[]
    )

    assert review["itemReviewed"]["author"] == {"@type": "Person", "name": "A"}
    assert "datePublished" not in review["itemReviewed"]
    assert "firstAppearance" not in review["itemReviewed"]


# --- W3C Web Annotations --------------------------------------------------------------------


def test_web_annotation_of_worked_example(worked_example):
    annotation = web_annotation(
        fetch_appearance(worked_example.appearance_id),
        annotation_url=ANNOTATION_URL,
        claim_url=CLAIM_URL,
    )

    assert annotation == {"@context": ANNOTATION_CONTEXT, **WORKED_EXAMPLE_ANNOTATION}
    assert_web_annotation(annotation)
    # The profile served names the context the documents are written in.
    assert ANNOTATION_MEDIA_TYPE.endswith(f'; profile="{annotation["@context"]}"')


@pytest.mark.parametrize(
    ("start_seconds", "end_seconds", "fragment"),
    [
        (2525, 2603, "t=2525,2603"),
        (2525, None, "t=2525"),
        # Intervals are half-open: t=2525,2525 would be empty, so an instant is its start.
        (2525, 2525, "t=2525"),
        (0, 7, "t=0,7"),
    ],
)
def test_web_annotation_selects_the_span_as_a_media_fragment(start_seconds, end_seconds, fragment):
    appearance = AppearanceFactory(
        start_seconds=start_seconds, end_seconds=end_seconds, speaker=None
    )

    annotation = web_annotation(
        fetch_appearance(appearance.pk), annotation_url=ANNOTATION_URL, claim_url=CLAIM_URL
    )

    assert annotation["target"]["selector"]["value"] == fragment
    assert [body["purpose"] for body in annotation["body"]] == ["describing", "identifying"]
    assert_web_annotation(annotation)


def test_annotation_collection_of_worked_example(worked_example):
    collection = collection_of(fetch_video("oX7OduG1YmI"))

    claim_text, _, speaker = WORKED_EXAMPLE_ANNOTATION["body"]
    item = {
        **WORKED_EXAMPLE_ANNOTATION,
        "id": f"https://claimtrack.example/api/v1/appearances/{worked_example.appearance_id}/"
        "annotation/",
        "body": [
            claim_text,
            {
                "type": "SpecificResource",
                "source": f"https://claimtrack.example/claims/{worked_example.claim_id}/",
                "purpose": "identifying",
            },
            speaker,
        ],
    }
    assert collection == {
        "@context": ANNOTATION_CONTEXT,
        "id": COLLECTION_URL,
        "type": "AnnotationCollection",
        "label": TITLE,
        "total": 1,
        "first": {
            "id": f"{COLLECTION_URL}#page1",
            "type": "AnnotationPage",
            "partOf": COLLECTION_URL,
            "startIndex": 0,
            "items": [item],
        },
        "last": f"{COLLECTION_URL}#page1",
    }
    assert_web_annotation(collection["first"]["items"][0], embedded=True)


def test_annotation_collection_includes_arguments_with_video_evidence_in_time_order(
    worked_example,
):
    video = fetch_video("oX7OduG1YmI")
    arguments = list(
        Argument.objects.published().filter(video=video).select_related("claim", "speaker")
    )

    collection = annotation_collection(
        video,
        video.appearances.all(),
        arguments=arguments,
        collection_url=COLLECTION_URL,
        annotation_url_for=lambda appearance: ANNOTATION_URL,
        claim_url_for=lambda claim: CLAIM_URL,
    )

    items = collection["first"]["items"]
    against, claim, for_ = items
    (argued_for,) = [argument for argument in arguments if argument.stance == Stance.FOR]
    assert collection["total"] == 3
    assert [item["target"]["selector"]["value"] for item in items] == [
        "t=2500",
        "t=2525,2603",
        "t=2534,2561",
    ]
    assert claim["id"] == ANNOTATION_URL
    assert for_ == {
        "id": f"{COLLECTION_URL}#argument-{argued_for.pk}",
        "type": "Annotation",
        "motivation": "describing",
        "created": for_["created"],
        "creator": {"type": "Organization", "name": "Claimtrack"},
        "body": [
            {
                "type": "TextualBody",
                "value": FOR_TEXT,
                "format": "text/plain",
                "purpose": "describing",
            },
            {
                "type": "TextualBody",
                "value": "argument for",
                "format": "text/plain",
                "purpose": "classifying",
            },
            {"type": "SpecificResource", "source": CLAIM_URL, "purpose": "linking"},
            {
                "type": "TextualBody",
                "value": "Mark Zuckerberg",
                "format": "text/plain",
                "purpose": "tagging",
            },
        ],
        "target": {
            "type": "SpecificResource",
            "source": {"id": WATCH_URL, "type": "Video"},
            "selector": {
                "type": "FragmentSelector",
                "conformsTo": "http://www.w3.org/TR/media-frags/",
                "value": "t=2534,2561",
            },
        },
    }
    assert [body["value"] for body in against["body"][:2]] == [AGAINST_TEXT, "argument against"]
    for item in items:
        assert_web_annotation(item, embedded=True)


def test_empty_annotation_collection_has_no_page():
    video = VideoFactory(title="A talk nobody quoted")

    collection = collection_of(fetch_video(video.youtube_id))

    assert collection == {
        "@context": ANNOTATION_CONTEXT,
        "id": COLLECTION_URL,
        "type": "AnnotationCollection",
        "label": "A talk nobody quoted",
        "total": 0,
    }


def test_annotation_collection_refuses_an_appearance_of_another_video():
    video = VideoFactory()
    stray = AppearanceFactory()

    with pytest.raises(
        ValueError, match=f"is in video #{stray.video_id}, not in {video.youtube_id}"
    ):
        annotation_collection(
            video,
            [stray],
            collection_url=COLLECTION_URL,
            annotation_url_for=lambda appearance: ANNOTATION_URL,
            claim_url_for=lambda claim: CLAIM_URL,
        )


# --- Query budget ---------------------------------------------------------------------------


def test_builders_run_no_queries_on_prefetched_objects(worked_example, django_assert_num_queries):
    claim = Claim.objects.get(pk=worked_example.claim_id)
    AppearanceFactory(
        claim=claim,
        video=VideoFactory(published_on=date(2024, 9, 26)),
        speaker=SpeakerFactory(),
    )
    AppearanceFactory(video=Video.objects.get(youtube_id="oX7OduG1YmI"), speaker=SpeakerFactory())
    claim = fetch_claim(claim.pk)
    video = fetch_video("oX7OduG1YmI")
    appearance = fetch_appearance(worked_example.appearance_id)

    with django_assert_num_queries(0):
        review = review_of(claim)
        collection = collection_of(video)
        web_annotation(appearance, annotation_url=ANNOTATION_URL, claim_url=CLAIM_URL)

    assert len(review["itemReviewed"]["appearance"]) == 2
    assert collection["total"] == 2


@pytest.mark.parametrize(
    ("fragment", "valid"),
    [
        ("t=10", True),
        ("t=10,20", True),
        ("t=,20", True),
        ("t=npt:10.5,20", True),
        ("t=0:02:00,121.5", True),
        ("t=02:00,03:00", True),
        ("t=10-20", False),
        ("t=10,", False),
        ("t=", False),
        ("t=1:2:3", False),
        ("t=00:60:00", False),
    ],
)
def test_temporal_fragment_pattern_follows_the_npt_grammar(fragment, valid):
    assert (TEMPORAL_FRAGMENT_RE.fullmatch(fragment) is not None) is valid
