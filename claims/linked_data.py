"""Linked-data exports: a claim as a schema.org ClaimReview, its appearances as Web Annotations.

The builders are pure: they take model instances whose relations the caller has already
fetched and return plain dicts ready for ``json.dumps``. They run no queries of their own, so
a view decides the ``select_related`` / ``prefetch_related`` once, in its selector, and the
export costs no more queries than the JSON detail it sits next to. What each builder reads is
listed in its docstring.

schema.org: a ClaimReview without a verdict
-------------------------------------------
A claim is exported as a ``ClaimReview`` whose ``itemReviewed`` is a ``Claim``: that is the
one schema.org structure that ties a statement to where it was made (``appearance``,
``firstAppearance``) and to the organization that examined it. Claimtrack rates nothing, so
there is no ``reviewRating``: every ClaimReview property is optional in schema.org, and a
made-up verdict such as "Mixed" would misstate what Claimtrack does. (Search engines that
show fact-check snippets require a rating, so this markup earns none; it is meant for data
consumers, not for snippets.)

The arguments take the place of the verdict, in Review's ``positiveNotes`` (for) and
``negativeNotes`` (against), which ClaimReview inherits. schema.org defines them as the pros
and cons of the item reviewed "from the perspective of the review", as an ItemList when they
are ordered. Each ``ListItem`` holds the argument as a ``Claim`` of its own (an argument is a
statement that can be argued in turn), with its speaker as ``author``, its video evidence as
``appearance`` and its source as ``citation``. ``reviewBody`` repeats the arguments as plain
text for consumers that read no further. Everything stays within the schema.org vocabulary:
the schema.org context maps any unknown key into the schema.org namespace, so a home-made
``argumentsFor`` would expand to an undefined schema.org term rather than to an extension.

An appearance is a ``Clip`` (a segment of a longer work: ``startOffset`` and ``endOffset`` in
seconds, ``url`` opening the video at the start) that ``isPartOf`` the ``VideoObject``. A
VideoObject alone could only point at the whole video; an ``url`` with ``&t=2525s`` gives the
start but not the end. The speaker is the Clip's ``author``: a claim is one canonical
statement that several people may have made, so a speaker belongs to an occurrence, not to
the claim.

W3C Web Annotations
-------------------
An appearance is an annotation on the video whose target is the span, selected by a
``FragmentSelector`` in the Media Fragments temporal syntax (``t=2525,2603``, seconds of
normal play time). Its motivation is ``describing``: the body says what is said in that span
("describing the above PDF's contents, rather than commenting on their accuracy", in the
model's words), which is neither Claimtrack's opinion of it (``commenting``) nor a bare mark
with no body (``highlighting``). The bodies are the claim text (``describing``), the claim's
own page (``identifying``: the model's example of it is linking the IRI of a city to a
mention of the city; an external resource carries a purpose only through a SpecificResource)
and, when known, the speaker's name (``tagging``). ``creator`` is the site, since the creator
is whoever made the annotation, not the person filmed.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from claims.models import Appearance, Argument, Claim, Speaker, Stance, Status
from notes.models import Video

#: The media type of a schema.org JSON-LD document.
JSONLD_MEDIA_TYPE = "application/ld+json"
#: The media type the Web Annotation Protocol gives annotations and their collections.
ANNOTATION_MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'

SCHEMA_ORG_CONTEXT = "https://schema.org"
ANNOTATION_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_FRAGMENTS_SPEC = "http://www.w3.org/TR/media-frags/"

JsonLd = dict[str, Any]

# One time anchor of a video: both appearances and arguments' video evidence are one.
Moment = Appearance | Argument


def claim_review(
    claim: Claim,
    *,
    claim_url: str,
    appearances: Iterable[Appearance],
    arguments_for: Iterable[Argument],
    arguments_against: Iterable[Argument],
    site_name: str = "Claimtrack",
) -> JsonLd:
    """The claim as a schema.org ``ClaimReview`` (see the module docstring for the model).

    `claim_url` is the claim's public page, the review's ``url``. Appearances keep the order
    given. The arguments must be the published ones, split by stance: the caller filters
    them (``Argument.objects.published()``), and a draft or retracted argument, or one of the
    other stance, raises ValueError rather than reach a public export.

    Reads each appearance's and argument's ``video`` and ``speaker``: select them with
    ``select_related("video", "speaker")`` in the prefetch.
    """
    appearances = list(appearances)
    supporting = _published_arguments(arguments_for, Stance.FOR)
    opposing = _published_arguments(arguments_against, Stance.AGAINST)

    item: JsonLd = {"@type": "Claim", "text": claim.text}
    first = _first_appearance(appearances)
    # Who made the claim: the speaker of its first appearance, or of the earliest one listed
    # when the videos' dates cannot tell which came first.
    credited = first or (appearances[0] if appearances else None)
    if credited is not None and credited.speaker is not None:
        item["author"] = _person(credited.speaker)
    if first is not None and first.video.published_on is not None:
        item["datePublished"] = first.video.published_on.isoformat()
    if appearances:
        item["appearance"] = [_appearance_clip(appearance) for appearance in appearances]
    if first is not None:
        item["firstAppearance"] = _appearance_clip(first)

    review: JsonLd = {
        "@context": SCHEMA_ORG_CONTEXT,
        "@type": "ClaimReview",
        "url": claim_url,
        "claimReviewed": claim.text,
    }
    if claim.published_at is not None:
        review["datePublished"] = _utc_timestamp(claim.published_at)
    review["author"] = _organization(site_name)
    review["publisher"] = _organization(site_name)
    review["itemReviewed"] = item
    if supporting or opposing:
        review["reviewBody"] = "\n".join(
            [f"For: {argument.text}" for argument in supporting]
            + [f"Against: {argument.text}" for argument in opposing]
        )
    if supporting:
        review["positiveNotes"] = _argument_list(supporting)
    if opposing:
        review["negativeNotes"] = _argument_list(opposing)
    return review


def web_annotation(
    appearance: Appearance,
    *,
    annotation_url: str,
    claim_url: str,
    site_name: str = "Claimtrack",
) -> JsonLd:
    """One appearance as a W3C Web Annotation on the span of the video where it is made.

    Reads the appearance's ``claim``, ``video`` and ``speaker``: fetch it with
    ``select_related("claim", "video", "speaker")``.
    """
    annotation = _annotation(
        appearance,
        appearance.video,
        annotation_url=annotation_url,
        claim_url=claim_url,
        site_name=site_name,
    )
    return {"@context": ANNOTATION_CONTEXT, **annotation}


def annotation_collection(
    video: Video,
    appearances: Iterable[Appearance],
    *,
    collection_url: str,
    annotation_url_for: Callable[[Appearance], str],
    claim_url_for: Callable[[Claim], str],
    arguments: Iterable[Argument] = (),
    site_name: str = "Claimtrack",
) -> JsonLd:
    """The appearances in `video`, and the video evidence of `arguments`, as one
    ``AnnotationCollection`` in time order (appearances first at the same second).

    An argument's annotation is named by a fragment of the collection's IRI
    (``#argument-7``): arguments have no annotation address of their own to serve.

    The annotations come in a single ``AnnotationPage`` embedded as ``first`` (and named as
    ``last``), so a client needs one request. A page must have an IRI of its own; a fragment
    of the collection's (``#page1``) names it without inventing an address to serve. A page
    must hold at least one annotation, so an empty collection has none.

    Reads each appearance's ``claim`` and ``speaker``; the target is built from `video`, so
    ``video.appearances`` prefetched with ``select_related("claim", "speaker")`` is enough.
    An appearance in another video raises ValueError: it would be filed under the wrong title.
    """
    moments: list[tuple[int, int, int, JsonLd]] = []
    for appearance in appearances:
        _check_video(appearance, video)
        annotation = _annotation(
            appearance,
            video,
            annotation_url=annotation_url_for(appearance),
            claim_url=claim_url_for(appearance.claim),
            site_name=site_name,
        )
        moments.append((appearance.start_seconds, 0, len(moments), annotation))
    for argument in arguments:
        _check_video(argument, video)
        annotation = _argument_annotation(
            argument,
            video,
            annotation_url=f"{collection_url}#argument-{argument.pk}",
            claim_url=claim_url_for(argument.claim),
            site_name=site_name,
        )
        moments.append((argument.start_seconds, 1, len(moments), annotation))
    items = [annotation for *_, annotation in sorted(moments, key=lambda m: m[:3])]
    collection: JsonLd = {
        "@context": ANNOTATION_CONTEXT,
        "id": collection_url,
        "type": "AnnotationCollection",
        "label": video.title,
        "total": len(items),
    }
    if items:
        page_url = f"{collection_url}#page1"
        collection["first"] = {
            "id": page_url,
            "type": "AnnotationPage",
            "partOf": collection_url,
            "startIndex": 0,
            "items": items,
        }
        collection["last"] = page_url
    return collection


def _check_video(moment: Moment, video: Video) -> None:
    if moment.video_id != video.pk:
        raise ValueError(
            f"{type(moment).__name__} #{moment.pk} is in video #{moment.video_id}, "
            f"not in {video.youtube_id}."
        )


def _argument_annotation(
    argument: Argument, video: Video, *, annotation_url: str, claim_url: str, site_name: str
) -> JsonLd:
    """An argument's video evidence: the span ``describing`` the argument, ``linking`` to the
    claim it argues, ``classifying`` it as for or against, tagged with its speaker."""
    body: list[JsonLd] = [
        {
            "type": "TextualBody",
            "value": argument.text,
            "format": "text/plain",
            "purpose": "describing",
        },
        {
            "type": "TextualBody",
            "value": f"argument {argument.stance}",
            "format": "text/plain",
            "purpose": "classifying",
        },
        {"type": "SpecificResource", "source": claim_url, "purpose": "linking"},
    ]
    return _moment_annotation(
        argument, video, body, annotation_url=annotation_url, site_name=site_name
    )


def _annotation(
    appearance: Appearance, video: Video, *, annotation_url: str, claim_url: str, site_name: str
) -> JsonLd:
    """An annotation without its ``@context``, which a collection states once for all."""
    body: list[JsonLd] = [
        {
            "type": "TextualBody",
            "value": appearance.claim.text,
            "format": "text/plain",
            "purpose": "describing",
        },
        {"type": "SpecificResource", "source": claim_url, "purpose": "identifying"},
    ]
    return _moment_annotation(
        appearance, video, body, annotation_url=annotation_url, site_name=site_name
    )


def _moment_annotation(
    moment: Moment, video: Video, body: list[JsonLd], *, annotation_url: str, site_name: str
) -> JsonLd:
    if moment.speaker is not None:
        body.append(
            {
                "type": "TextualBody",
                "value": moment.speaker.name,
                "format": "text/plain",
                "purpose": "tagging",
            }
        )
    return {
        "id": annotation_url,
        "type": "Annotation",
        "motivation": "describing",
        "created": _utc_timestamp(moment.created_at),
        "creator": {"type": "Organization", "name": site_name},
        "body": body,
        "target": {
            "type": "SpecificResource",
            "source": {"id": video.url, "type": "Video"},
            "selector": {
                "type": "FragmentSelector",
                "conformsTo": MEDIA_FRAGMENTS_SPEC,
                "value": _temporal_fragment(moment),
            },
        },
    }


def _temporal_fragment(moment: Moment) -> str:
    """``t=start,end`` in seconds, or ``t=start`` (to the end of the video) with no end.

    Media Fragments intervals are half-open, so ``t=2525,2525`` would select nothing (and
    Chromium's parser rejects a start that is not before the end); an instant is given by its
    start alone.
    """
    end = _span_end(moment)
    return f"t={moment.start_seconds}" if end is None else f"t={moment.start_seconds},{end}"


def _span_end(moment: Moment) -> int | None:
    """The end second of a real span; None when unknown or when the span is an instant."""
    if moment.end_seconds is None or moment.end_seconds == moment.start_seconds:
        return None
    return moment.end_seconds


def _appearance_clip(appearance: Appearance) -> JsonLd:
    clip = _clip(appearance)
    if appearance.speaker is not None:
        clip["author"] = _person(appearance.speaker)
    return clip


def _clip(moment: Moment) -> JsonLd:
    """The span of the video as a schema.org ``Clip``, named by its video and times."""
    end = _span_end(moment)
    span = moment.timestamp if end is None else f"{moment.timestamp}–{moment.end_timestamp}"
    clip: JsonLd = {
        "@type": "Clip",
        "name": f"{moment.video.title}, {span}",
        "url": moment.url,
        "startOffset": moment.start_seconds,
    }
    if end is not None:
        clip["endOffset"] = end
    clip["isPartOf"] = _video_object(moment.video)
    return clip


def _video_object(video: Video) -> JsonLd:
    node: JsonLd = {
        "@type": "VideoObject",
        "name": video.title,
        "url": video.url,
        # The address of YouTube's player, which is what embedUrl means; the id was checked
        # by video.url.
        "embedUrl": f"https://www.youtube.com/embed/{video.youtube_id}",
    }
    if video.published_on is not None:
        node["uploadDate"] = video.published_on.isoformat()
    if video.duration_seconds is not None:
        node["duration"] = _iso_duration(video.duration_seconds)
    return node


def _argument_list(arguments: Sequence[Argument]) -> JsonLd:
    return {
        "@type": "ItemList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "item": _argument_claim(argument)}
            for position, argument in enumerate(arguments, start=1)
        ],
    }


def _argument_claim(argument: Argument) -> JsonLd:
    """An argument as the statement it is, with its evidence: a moment and/or a source."""
    node: JsonLd = {"@type": "Claim", "text": argument.text}
    if argument.speaker is not None:
        node["author"] = _person(argument.speaker)
    if argument.video_id is not None:
        node["appearance"] = _clip(argument)
    if argument.source_url:
        node["citation"] = {"@type": "CreativeWork", "url": argument.source_url}
    return node


def _published_arguments(arguments: Iterable[Argument], stance: Stance) -> list[Argument]:
    arguments = list(arguments)
    for argument in arguments:
        if argument.status != Status.PUBLISHED:
            raise ValueError(f"Argument #{argument.pk} is {argument.status}, not published.")
        if argument.stance != stance:
            raise ValueError(f"Argument #{argument.pk} is {argument.stance}, not {stance}.")
    return arguments


def _first_appearance(appearances: Sequence[Appearance]) -> Appearance | None:
    """The earliest appearance, when the data can tell which one it is.

    Appearances are ordered by their video's publication date, then by second. Across
    videos, one without a publication date could be the earliest or the latest, so no first
    appearance is claimed then; within one video the seconds decide.
    """
    if not appearances:
        return None
    if len({appearance.video_id for appearance in appearances}) > 1 and any(
        appearance.video.published_on is None for appearance in appearances
    ):
        return None
    return min(
        appearances,
        key=lambda appearance: (
            appearance.video.published_on,
            appearance.start_seconds,
            appearance.pk,
        ),
    )


def _organization(name: str) -> JsonLd:
    return {"@type": "Organization", "name": name}


def _person(speaker: Speaker) -> JsonLd:
    return {"@type": "Person", "name": speaker.name}


def _utc_timestamp(when: datetime) -> str:
    """``2025-01-15T10:30:00Z``. Web Annotation requires UTC written with Z; schema.org takes
    any ISO 8601 date-time, so both exports share the one form."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_duration(seconds: int) -> str:
    """An ISO 8601 duration, the form schema.org's ``duration`` takes (``PT1H2M5S``)."""
    hours, remainder = divmod(seconds, 3600)
    minutes, seconds = divmod(remainder, 60)
    parts = "".join(
        f"{value}{unit}" for value, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if value
    )
    return f"PT{parts or '0S'}"
