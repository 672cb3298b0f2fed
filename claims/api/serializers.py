"""Output shapes of the public API. Reads only: no serializer here writes anything.

Every time anchor carries `start_seconds`, `end_seconds`, a `timestamp` label (`00:42:05`)
and a `url` that opens the video at that second.
"""

import re
from datetime import datetime
from functools import lru_cache
from urllib.parse import quote

from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import preserve_builtin_query_params, reverse

from claims.models import Appearance, Argument, Claim, Speaker, Stance
from notes.models import Channel, Note, Topic, Video
from notes.parsing import format_timestamp, youtube_url


class ChannelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["slug", "name"]


class SpeakerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Speaker
        fields = ["slug", "name"]


class SpeakerDetailSerializer(serializers.ModelSerializer):
    """A speaker as the speakers endpoint gives it: with its page and its claims."""

    api_url = serializers.HyperlinkedIdentityField(
        view_name="api:speaker-detail", lookup_field="slug"
    )
    page_url = serializers.SerializerMethodField()
    claims_url = serializers.SerializerMethodField()

    class Meta:
        model = Speaker
        fields = ["slug", "name", "api_url", "page_url", "claims_url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, speaker: Speaker) -> str:
        return _absolute(self, reverse("pages:speaker", args=[speaker.slug]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_claims_url(self, speaker: Speaker) -> str:
        """The published claims this speaker made: the claim list filtered by speaker."""
        return _absolute(self, f"{reverse('api:claim-list')}?speaker={speaker.slug}")


def _absolute(serializer: serializers.Serializer, path: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class TopicSerializer(serializers.ModelSerializer):
    api_url = serializers.HyperlinkedIdentityField(
        view_name="api:topic-detail", lookup_field="slug"
    )

    class Meta:
        model = Topic
        fields = ["slug", "name", "api_url"]


class TopicListSerializer(TopicSerializer):
    claim_count = serializers.IntegerField(help_text="Published claims filed under this topic.")
    claims_url = serializers.SerializerMethodField()

    class Meta(TopicSerializer.Meta):
        fields = [*TopicSerializer.Meta.fields, "claim_count", "claims_url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_claims_url(self, topic: Topic) -> str:
        """Those claims: the claim list filtered by topic."""
        return _absolute(self, f"{reverse('api:claim-list')}?topic={topic.slug}")


class TimeAnchorSerializer(serializers.Serializer):
    """A moment of a video: fields shared by appearances and argument evidence."""

    video = serializers.CharField(source="video.youtube_id", allow_null=True)
    start_seconds = serializers.IntegerField(allow_null=True)
    end_seconds = serializers.IntegerField(allow_null=True)
    timestamp = serializers.CharField(allow_null=True, help_text="`start_seconds` as HH:MM:SS.")
    end_timestamp = serializers.CharField(allow_null=True, help_text="`end_seconds` as HH:MM:SS.")
    url = serializers.URLField(allow_null=True, help_text="The video, opened at `start_seconds`.")

    FIELDS = ["video", "start_seconds", "end_seconds", "timestamp", "end_timestamp", "url"]


class ClaimRefSerializer(serializers.ModelSerializer):
    api_url = serializers.HyperlinkedIdentityField(view_name="api:claim-detail")

    class Meta:
        model = Claim
        fields = ["id", "text", "api_url"]


class AppearanceSerializer(TimeAnchorSerializer, serializers.ModelSerializer):
    speaker = SpeakerSerializer(allow_null=True)
    annotation_url = serializers.HyperlinkedIdentityField(view_name="api:annotation-detail")

    class Meta:
        model = Appearance
        fields = [
            "id",
            "version",
            *TimeAnchorSerializer.FIELDS,
            "speaker",
            "quote",
            "annotation_url",
        ]


class VideoAppearanceSerializer(AppearanceSerializer):
    """An appearance seen from its video: which claim was made."""

    claim = ClaimRefSerializer()

    class Meta(AppearanceSerializer.Meta):
        fields = ["claim", *AppearanceSerializer.Meta.fields]


class ArgumentSerializer(TimeAnchorSerializer, serializers.ModelSerializer):
    speaker = SpeakerSerializer(allow_null=True)
    premise = ClaimRefSerializer(
        source="public_premise", allow_null=True, help_text="The published claim it rests on."
    )

    class Meta:
        model = Argument
        fields = [
            "id",
            "version",
            "stance",
            "text",
            "speaker",
            *TimeAnchorSerializer.FIELDS,
            "source_url",
            "premise",
        ]


class ArgumentListSerializer(ArgumentSerializer):
    claim = ClaimRefSerializer()

    class Meta(ArgumentSerializer.Meta):
        fields = ["claim", *ArgumentSerializer.Meta.fields]


#: What Django's `reverse` leaves unquoted (`django.urls.resolvers`), and the slugs whose
#: reversed form is only that quoting.
_URL_SAFE = RFC3986_SUBDELIMS + "/~:@"
_WORDS = re.compile(r"[-\w]+")


class Links:
    """The absolute API addresses one request's answer links to, each view's reversed once.

    An id is a run of digits, which no URL quoting changes, so a claim's or an annotation's
    address is its view's address for any id with the id put in; a slug of word characters
    and hyphens is put in quoted as reversing quotes it, and any other slug is reversed.
    Reversed as DRF's hyperlinked fields do, they keep the request's `?format=`.
    """

    #: An id no row has, whose digits mark where an id goes in a reversed address.
    _MARK = "90210902109021090210"

    def __init__(self, request, format: str | None = None) -> None:
        self._request, self._format = request, format
        self._claim = self._template("api:claim-detail", format)
        # `jsonld_url` names the claim itself, whatever the format suffix of this request.
        self._claim_itself = self._template("api:claim-detail", None)
        self._annotation = self._template("api:annotation-detail", format)
        self._topic = self._template("api:topic-detail", format)
        self._topics: dict[str, str] = {}
        #: The time zone the answer gives its dates in, looked up once for all of them.
        self.time_zone = timezone.get_current_timezone()

    def _template(self, view_name: str, format: str | None) -> tuple[str, str]:
        path = _reversed_path(view_name, format, get_script_prefix(), get_urlconf())
        if self._request is None:
            url = path
        else:
            url = self._request.build_absolute_uri(path)
            url = preserve_builtin_query_params(url, self._request)
        prefix, suffix = url.split(self._MARK)
        return prefix, suffix

    def claim(self, pk: int) -> str:
        return f"{self._claim[0]}{pk}{self._claim[1]}"

    def claim_itself(self, pk: int) -> str:
        return f"{self._claim_itself[0]}{pk}{self._claim_itself[1]}"

    def annotation(self, pk: int) -> str:
        return f"{self._annotation[0]}{pk}{self._annotation[1]}"

    def topic(self, slug: str) -> str:
        url = self._topics.get(slug)
        if url is None:
            if _WORDS.fullmatch(slug):
                url = f"{self._topic[0]}{quote(slug, safe=_URL_SAFE)}{self._topic[1]}"
            else:
                url = reverse(
                    "api:topic-detail", args=[slug], request=self._request, format=self._format
                )
            self._topics[slug] = url
        return url


@lru_cache(maxsize=64)
def _reversed_path(view_name: str, format: str | None, script_prefix: str, urlconf) -> str:
    """The path of `view_name` for the id `Links._MARK`, reversed once per process for each
    script prefix and URL configuration it depends on."""
    return reverse(view_name, args=[Links._MARK], format=format)


def links_of(serializer: serializers.Serializer) -> Links:
    """The `Links` of the request the serializer answers, made once per answer."""
    context = serializer.context
    links = context.get("links")
    if links is None:
        links = context["links"] = Links(context.get("request"), context.get("format"))
    return links


def _date_time(value: datetime | None, links: Links) -> str | None:
    """What DRF's `DateTimeField` gives for an aware date and time, without its field:
    ISO 8601 in the answer's time zone, with UTC as `Z`."""
    if value is None:
        return None
    text = value.astimezone(links.time_zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _speaker_row(row: dict) -> dict | None:
    slug = row["speaker__slug"]
    return None if slug is None else {"slug": slug, "name": row["speaker__name"]}


def _time_anchor_row(row: dict) -> dict:
    """`TimeAnchorSerializer`'s fields, from a row of `selectors.with_public_rows`."""
    youtube_id, start, end = row["video__youtube_id"], row["start_seconds"], row["end_seconds"]
    return {
        "video": youtube_id,
        "start_seconds": start,
        "end_seconds": end,
        "timestamp": None if start is None else format_timestamp(start),
        "end_timestamp": None if end is None else format_timestamp(end),
        "url": None if youtube_id is None or start is None else youtube_url(youtube_id, start),
    }


def appearance_row(row: dict, links: Links) -> dict:
    """What `AppearanceSerializer` gives, from an appearance row."""
    return {
        "id": row["id"],
        "version": row["version"],
        **_time_anchor_row(row),
        "speaker": _speaker_row(row),
        "quote": row["quote"],
        "annotation_url": links.annotation(row["id"]),
    }


def argument_row(row: dict, links: Links) -> dict:
    """What `ArgumentSerializer` gives, from an argument row."""
    premise = row["public_premise__id"]
    return {
        "id": row["id"],
        "version": row["version"],
        "stance": row["stance"],
        "text": row["text"],
        "speaker": _speaker_row(row),
        **_time_anchor_row(row),
        "source_url": row["source_url"],
        "premise": None
        if premise is None
        else {"id": premise, "text": row["public_premise__text"], "api_url": links.claim(premise)},
    }


def topic_row(row: dict, links: Links) -> dict:
    """What `TopicSerializer` gives, from a row of a claim's topics."""
    slug = row["topic__slug"]
    return {"slug": slug, "name": row["topic__name"], "api_url": links.topic(slug)}


# The claim serializers build a claim from the rows of `selectors.with_public_rows` when it
# has them, bypassing their fields, which then only describe the output for the schema: DRF's
# field machinery was most of the cost of a page built from scratch.
class ClaimListSerializer(serializers.ModelSerializer):
    api_url = serializers.HyperlinkedIdentityField(view_name="api:claim-detail")
    topics = TopicSerializer(many=True)
    appearances = AppearanceSerializer(many=True, source="public_appearances")
    arguments_for_count = serializers.IntegerField()
    arguments_against_count = serializers.IntegerField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "api_url",
            "text",
            "status",
            "published_at",
            "topics",
            "appearances",
            "arguments_for_count",
            "arguments_against_count",
        ]

    def to_representation(self, claim: Claim) -> dict:
        if not hasattr(claim, "appearance_rows"):
            return super().to_representation(claim)
        links = links_of(self)
        return {
            "id": claim.pk,
            "api_url": links.claim(claim.pk),
            "text": claim.text,
            "status": claim.status,
            "published_at": _date_time(claim.published_at, links),
            "topics": [topic_row(row, links) for row in claim.topic_rows],
            "appearances": [appearance_row(row, links) for row in claim.appearance_rows],
            "arguments_for_count": claim.arguments_for_count,
            "arguments_against_count": claim.arguments_against_count,
        }


class ClaimDetailSerializer(serializers.ModelSerializer):
    """A published claim in full; a retracted one says so and why, and nothing more."""

    api_url = serializers.HyperlinkedIdentityField(view_name="api:claim-detail")
    topics = TopicSerializer(many=True)
    appearances = AppearanceSerializer(
        many=True, source="public_appearances", help_text="Empty for a retracted claim."
    )
    arguments_for = serializers.SerializerMethodField()
    arguments_against = serializers.SerializerMethodField()
    merged_into = ClaimRefSerializer(allow_null=True)
    jsonld_url = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "version",
            "api_url",
            "jsonld_url",
            "text",
            "status",
            "retraction_reason",
            "merged_into",
            "published_at",
            "topics",
            "appearances",
            "arguments_for",
            "arguments_against",
        ]

    @extend_schema_field(ArgumentSerializer(many=True))
    def get_arguments_for(self, claim: Claim):
        return self._arguments(claim, Stance.FOR)

    @extend_schema_field(ArgumentSerializer(many=True))
    def get_arguments_against(self, claim: Claim):
        return self._arguments(claim, Stance.AGAINST)

    @extend_schema_field(OpenApiTypes.URI)
    def get_jsonld_url(self, claim: Claim) -> str:
        url = reverse("api:claim-detail", args=[claim.pk], request=self.context.get("request"))
        return f"{url}?format=jsonld"

    def _arguments(self, claim: Claim, stance: Stance):
        arguments = [a for a in claim.public_arguments if a.stance == stance]
        return ArgumentSerializer(arguments, many=True, context=self.context).data

    def to_representation(self, claim: Claim) -> dict:
        if not hasattr(claim, "argument_rows"):
            return super().to_representation(claim)
        links = links_of(self)
        merged_into = claim.merged_into
        api_url = links.claim(claim.pk)
        arguments = [argument_row(row, links) for row in claim.argument_rows]
        return {
            "id": claim.pk,
            "version": claim.version,
            "api_url": api_url,
            "jsonld_url": f"{links.claim_itself(claim.pk)}?format=jsonld",
            "text": claim.text,
            "status": claim.status,
            "retraction_reason": claim.retraction_reason,
            "merged_into": None
            if merged_into is None
            else {
                "id": merged_into.pk,
                "text": merged_into.text,
                "api_url": links.claim(merged_into.pk),
            },
            "published_at": _date_time(claim.published_at, links),
            "topics": [topic_row(row, links) for row in claim.topic_rows],
            "appearances": [appearance_row(row, links) for row in claim.appearance_rows],
            "arguments_for": [a for a in arguments if a["stance"] == Stance.FOR],
            "arguments_against": [a for a in arguments if a["stance"] == Stance.AGAINST],
        }


class VideoListSerializer(serializers.ModelSerializer):
    api_url = serializers.HyperlinkedIdentityField(
        view_name="api:video-detail", lookup_field="youtube_id"
    )
    channel = ChannelSerializer(allow_null=True)
    url = serializers.URLField(help_text="The video on YouTube.")

    class Meta:
        model = Video
        fields = [
            "youtube_id",
            "api_url",
            "title",
            "channel",
            "duration_seconds",
            "published_on",
            "url",
        ]


class VideoDetailSerializer(VideoListSerializer):
    appearances = VideoAppearanceSerializer(
        many=True, source="public_appearances", help_text="Published claims made, in time order."
    )
    annotations_url = serializers.HyperlinkedIdentityField(
        view_name="api:video-annotations", lookup_field="youtube_id"
    )

    class Meta(VideoListSerializer.Meta):
        fields = [*VideoListSerializer.Meta.fields, "annotations_url", "appearances"]


class VideoRefSerializer(serializers.ModelSerializer):
    api_url = serializers.HyperlinkedIdentityField(
        view_name="api:video-detail", lookup_field="youtube_id"
    )

    class Meta:
        model = Video
        fields = ["youtube_id", "title", "api_url"]


class NoteListSerializer(serializers.ModelSerializer):
    api_url = serializers.HyperlinkedIdentityField(view_name="api:note-detail", lookup_field="slug")
    video = VideoRefSerializer()

    class Meta:
        model = Note
        fields = ["slug", "api_url", "title", "video", "created_at", "updated_at"]


class LinkSerializer(serializers.Serializer):
    target_slug = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=["note", "channel", "topic"])
    api_url = serializers.URLField()


class NoteDetailSerializer(NoteListSerializer):
    body_markdown = serializers.CharField()
    html = serializers.CharField(
        help_text="Sanitized HTML: timestamps open the video at their second, wikilinks resolve."
    )
    links = LinkSerializer(many=True, source="links_resolved")
    backlinks = NoteListSerializer(many=True, help_text="Notes that link to this one.")

    class Meta(NoteListSerializer.Meta):
        fields = [*NoteListSerializer.Meta.fields, "body_markdown", "html", "links", "backlinks"]


class TopicPageSerializer(serializers.Serializer):
    """What a slug names, and what links to it."""

    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=["note", "channel", "topic"],
        help_text="A note with this slug, else a channel, else a topic of its own.",
    )
    target_url = serializers.URLField(
        allow_null=True, help_text="The note or the channel's videos, when the slug names one."
    )
    backlinks = NoteListSerializer(many=True, help_text="Notes that link to this slug.")
    claim_count = serializers.IntegerField(help_text="Published claims filed under this topic.")
    claims_url = serializers.URLField(help_text="Those claims: the claim list filtered by topic.")


class SearchResultSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["claim", "note"])
    id = serializers.CharField(help_text="The claim's id or the note's slug.")
    title = serializers.CharField()
    snippet = serializers.CharField(help_text="HTML: the matching words wrapped in <mark>.")
    rank = serializers.FloatField()
    found_through = serializers.ChoiceField(
        choices=["quote", "argument"],
        allow_null=True,
        help_text="For a claim whose own text does not match: the quote or the published "
        "argument that does, which the snippet then shows.",
    )
    api_url = serializers.URLField()
    page_url = serializers.URLField(help_text="The claim's or note's public page.")


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field that changed.")
    old = serializers.JSONField(
        allow_null=True,
        help_text=(
            "Its value before (null for a new item): text, a number, a date, a list of topic "
            "slugs; a video by its YouTube id, a speaker or note by its slug, a claim by its id "
            "(null when that claim is not public)."
        ),
    )
    new = serializers.JSONField(allow_null=True, help_text="Its value after, in the same form.")


class HistoryEntrySerializer(serializers.Serializer):
    """One change to a claim, one of its appearances or one of its arguments."""

    object_type = serializers.ChoiceField(
        choices=["claim", "appearance", "argument"], help_text="What changed."
    )
    object_id = serializers.IntegerField(help_text="Its id.")
    version = serializers.IntegerField(help_text="Its version after this change.")
    action = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    changed_at = serializers.DateTimeField()
    user = serializers.CharField(
        allow_null=True, help_text="Who made the change; null for an automatic one."
    )
    contribution_id = serializers.IntegerField(
        allow_null=True,
        help_text="The contribution whose approval made the change, if a contribution did.",
    )
    changes = HistoryChangeSerializer(many=True)
