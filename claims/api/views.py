"""The public read API: published claims, arguments, videos, notes and topics.

Each view takes its queryset from `claims.selectors`, which start from what the public may
see, so nothing unpublished can leak through a view that forgets to filter.
"""

from dataclasses import asdict

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from claims import linked_data, page_links, selectors
from claims.api import serializers
from claims.api.filters import ArgumentFilter, ClaimFilter, VideoFilter
from claims.models import Appearance, Claim, Status
from config.api import (
    CursorPagePagination,
    FilterBackend,
    PagePagination,
    PublicReadMixin,
    PublicReadViewSet,
    StrictOrderingFilter,
)
from config.renderers import JSONRenderer
from notes.models import YOUTUBE_ID_PATTERN, Channel, Note, Topic
from notes.rendering import render_note_html
from notes.selectors import resolve_link_targets
from notes.services import topic_name_from_slug

#: The kinds of content (`notes.revisions.KINDS`) a claim's answers show: its appearances are
#: in videos and by speakers, and it has topics and arguments (counted, or in full).
CLAIM_KINDS = ("claims", "arguments", "speakers", "topics", "videos")

#: Any one path segment reaches its view, which answers a key that names nothing with a 404 in
#: the API's JSON error shape; a narrower URL pattern would leave it to Django's HTML 404 page.
KEY_PATTERN = r"[^/]+"


class JSONLDRenderer(JSONRenderer):
    """JSON-LD, chosen with `?format=jsonld` or `Accept: application/ld+json`.

    Web Annotations add their profile to the Content-Type of the response itself: a renderer
    whose media type carried the profile would not match a client's plain `*/*`.
    """

    media_type = linked_data.JSONLD_MEDIA_TYPE
    format = "jsonld"


def _api_url(request, name: str, *args) -> str:
    """An absolute API address, without the request's `?format=` (an id, not a rendering)."""
    return request.build_absolute_uri(reverse(f"api:{name}", args=args))


def _slug_parameter(description: str) -> OpenApiParameter:
    return OpenApiParameter("slug", str, OpenApiParameter.PATH, description=description)


ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Its numeric id.")
YOUTUBE_ID_PARAMETER = OpenApiParameter(
    "youtube_id",
    {"type": "string", "pattern": YOUTUBE_ID_PATTERN},
    OpenApiParameter.PATH,
    description="The video's YouTube id: the 11 characters after `watch?v=`.",
)


@extend_schema_view(
    list=extend_schema(summary="List videos"),
    retrieve=extend_schema(
        summary="A video, with the published claims made in it", parameters=[YOUTUBE_ID_PARAMETER]
    ),
)
class VideoViewSet(PublicReadViewSet):
    """Videos in which claims were made; a video's page lists its published claims in time order."""

    lookup_field = "youtube_id"
    lookup_value_regex = KEY_PATTERN
    filter_backends = [FilterBackend]
    filterset_class = VideoFilter
    revision_kinds = {
        "list": ("videos",),
        "retrieve": ("videos", "claims", "speakers"),
        "annotations": ("videos", "claims", "arguments", "speakers"),
    }

    def get_queryset(self):
        if self.action == "list":
            return selectors.video_list()
        if self.action == "annotations":
            return selectors.video_timeline()
        return selectors.video_detail()

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.VideoListSerializer
        return serializers.VideoDetailSerializer

    @extend_schema(
        summary="The video's claims as a W3C Web Annotation collection",
        parameters=[YOUTUBE_ID_PARAMETER],
        responses={(200, linked_data.ANNOTATION_MEDIA_TYPE): OpenApiTypes.OBJECT},
    )
    @action(
        detail=True,
        url_path="annotations",
        renderer_classes=[JSONLDRenderer, BrowsableAPIRenderer],
        pagination_class=None,
        filter_backends=[],
    )
    def annotations(self, request, youtube_id=None):
        video = self.get_object()
        collection = linked_data.annotation_collection(
            video,
            video.public_appearances,
            arguments=video.public_arguments,
            collection_url=_api_url(request, "video-annotations", video.youtube_id),
            annotation_url_for=lambda a: _api_url(request, "annotation-detail", a.pk),
            claim_url_for=lambda c: _api_url(request, "claim-detail", c.pk),
        )
        return Response(collection, content_type=_annotation_content_type(request))


def _annotation_content_type(request) -> str | None:
    """The Web Annotation profile for JSON-LD; the browsable API keeps its own type."""
    if request.accepted_renderer.format == JSONLDRenderer.format:
        return linked_data.ANNOTATION_MEDIA_TYPE
    return None


CLAIM_ORDERING = ["published_at", "id"]


@extend_schema_view(
    list=extend_schema(
        summary="List published claims",
        parameters=[
            OpenApiParameter(
                "ordering",
                str,
                enum=[f"{sign}{field}" for field in CLAIM_ORDERING for sign in ("", "-")],
                description="Sort order; newest published first by default.",
            )
        ],
    ),
    retrieve=extend_schema(
        summary="A claim with its appearances and arguments for and against",
        description=(
            "A retracted claim answers with its status, the reason and, when it was merged, "
            "the claim it was merged into; its appearances and arguments are left out. "
            "`?format=jsonld` gives a published claim as a schema.org ClaimReview."
        ),
        parameters=[
            ID_PARAMETER,
            OpenApiParameter(
                "format",
                str,
                enum=["json", "jsonld"],
                description="`jsonld` for the claim as a schema.org ClaimReview in JSON-LD.",
            ),
        ],
        responses={
            200: serializers.ClaimDetailSerializer,
            (200, linked_data.JSONLD_MEDIA_TYPE): OpenApiTypes.OBJECT,
        },
    ),
)
class ClaimViewSet(PublicReadViewSet):
    """Published claims: where and when each was made, and the arguments for and against it."""

    lookup_value_regex = KEY_PATTERN
    pagination_class = CursorPagePagination
    filter_backends = [FilterBackend, StrictOrderingFilter]
    filterset_class = ClaimFilter
    ordering_fields = CLAIM_ORDERING
    ordering = ["-published_at"]
    revision_kinds = {"list": CLAIM_KINDS, "retrieve": CLAIM_KINDS}
    revision_details = {"retrieve": "claims", "history": "claims"}
    #: Set by the routes of one claim that answer with a list in pages (its history).
    paged_detail = False

    def get_queryset(self):
        # The JSON is built from plain rows (`selectors.with_public_rows`); the ClaimReview
        # reads model instances.
        if self.action == "list":
            return selectors.claim_list_rows()
        if self.action == "history":
            return selectors.history_claim()
        renderer = getattr(self.request, "accepted_renderer", None)
        if renderer is not None and renderer.format == "jsonld":
            return selectors.claim_detail()
        return selectors.claim_detail_rows()

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.ClaimListSerializer
        if self.action == "history":
            return serializers.HistoryEntrySerializer
        return serializers.ClaimDetailSerializer

    def filter_queryset(self, queryset):
        # DRF filters a detail's queryset too; a detail takes no filter parameters (see
        # `allowed_query_params`), and building the filter set cost more than the rest.
        if self.action == "retrieve":
            return queryset
        return super().filter_queryset(queryset)

    def list(self, request, *args, **kwargs):
        # Filtered or not, as the filters check their parameters and the ordering.
        claims = self.filter_queryset(self.get_queryset())
        if self.filterset_class.base_filters.keys().isdisjoint(request.query_params):
            # The whole list, whose query is compiled once for each shape of page.
            claims = selectors.claim_list_pages()
        with selectors.prepared_statements(claims.db):
            page = self.paginate_queryset(claims)
        claims = selectors.with_public_rows(page)
        return self.get_paginated_response(self.get_serializer(claims, many=True).data)

    def allowed_query_params(self) -> set[str]:
        allowed = super().allowed_query_params()
        if self.paged_detail:
            allowed |= {self.paginator.page_query_param, self.paginator.page_size_query_param}
        return allowed

    def get_renderers(self):
        renderers = super().get_renderers()
        if self.action == "retrieve":
            renderers.append(JSONLDRenderer())
        return renderers

    def retrieve(self, request, *args, **kwargs):
        if request.accepted_renderer.format == "jsonld":
            claim = self.get_object()
            if claim.status != Status.PUBLISHED:
                raise exceptions.NotFound("A retracted claim has no ClaimReview.")
            return Response(self._claim_review(claim))
        # The public may read any claim that `claim_detail_row` finds: no object permission
        # to check, as `get_object` would.
        claim = selectors.claim_detail_row(kwargs[self.lookup_field])
        if claim is None:
            raise exceptions.NotFound()
        return Response(self.get_serializer(claim).data)

    def _claim_review(self, claim: Claim) -> dict:
        return page_links.claim_review(self.request, claim)

    @extend_schema(
        summary="What changed on a claim, its appearances and its arguments, newest first",
        description=(
            "Each entry is one change: which item (the claim, one of its appearances or one of "
            "its arguments) and its version after the change, when, by whom (a username), "
            "through which contribution, and each changed field's old and new value. Only "
            "changes made while the claim was public are listed, and never an argument's "
            "while it was a draft. A draft or discarded claim answers 404."
        ),
        parameters=[ID_PARAMETER],
        responses=serializers.HistoryEntrySerializer(many=True),
    )
    @action(
        detail=True,
        url_path="history",
        pagination_class=PagePagination,
        filter_backends=[],
        paged_detail=True,
    )
    def history(self, request, pk=None):
        claim = self.get_object()
        page = self.paginate_queryset(selectors.claim_history_events(claim))
        entries = selectors.claim_history_entries(page)
        return self.get_paginated_response(self.get_serializer(entries, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="List published arguments"),
    retrieve=extend_schema(summary="A published argument", parameters=[ID_PARAMETER]),
)
class ArgumentViewSet(PublicReadViewSet):
    """Published arguments for and against published claims, each with its evidence."""

    lookup_value_regex = KEY_PATTERN
    serializer_class = serializers.ArgumentListSerializer
    filter_backends = [FilterBackend]
    filterset_class = ArgumentFilter
    # Its claim and premise are claims; its evidence is in a video, said by a speaker.
    revision_kinds = dict.fromkeys(
        ["list", "retrieve"], ("arguments", "claims", "speakers", "videos")
    )

    def get_queryset(self):
        return selectors.argument_list()


@extend_schema_view(
    list=extend_schema(summary="List speakers"),
    retrieve=extend_schema(
        summary="A speaker", parameters=[_slug_parameter("The speaker's slug.")]
    ),
)
class SpeakerViewSet(PublicReadViewSet):
    """People who made claims or arguments, each with its page and its published claims."""

    serializer_class = serializers.SpeakerDetailSerializer
    lookup_field = "slug"
    lookup_value_regex = KEY_PATTERN
    revision_kinds = {"list": ("speakers",), "retrieve": ("speakers",)}

    def get_queryset(self):
        return selectors.speaker_list()


def _link_target(request, slug: str, target: Note | Channel | None) -> tuple[str, str]:
    """Where a wikilink leads in the API, and what it names: a note, a channel's videos, or
    the topic page of a slug that names neither."""
    match target:
        case Note():
            return "note", _api_url(request, "note-detail", slug)
        case Channel():
            return "channel", f"{_api_url(request, 'video-list')}?channel={slug}"
        case _:
            return "topic", _api_url(request, "topic-detail", slug)


@extend_schema_view(
    list=extend_schema(summary="List notes"),
    retrieve=extend_schema(
        summary="A note, as markdown and as safe HTML with resolved links",
        parameters=[_slug_parameter("The note's slug, as its wikilinks write it.")],
    ),
)
class NoteViewSet(PublicReadViewSet):
    """The vault notes the claims were drawn from."""

    lookup_field = "slug"
    lookup_value_regex = KEY_PATTERN
    # A note is about a video; its wikilinks lead to notes and channels (videos' kind), and to
    # a slug's topic page, which the link names without reading topics.
    revision_kinds = {"list": ("notes", "videos"), "retrieve": ("notes", "videos")}

    def get_queryset(self):
        if self.action == "list":
            return selectors.note_list()
        return selectors.note_detail()

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.NoteListSerializer
        return serializers.NoteDetailSerializer

    def retrieve(self, request, *args, **kwargs):
        note = self.get_object()
        links = list(note.links.all())
        targets = resolve_link_targets(link.target_slug for link in links)

        note.html = render_note_html(
            note.body_markdown,
            video_id=note.video.youtube_id,
            link_for=lambda slug: page_links.wikilink_to_page(
                slug, targets.get(slug), request=request
            ),
        )
        note.links_resolved = []
        for link in links:
            kind, url = _link_target(request, link.target_slug, targets.get(link.target_slug))
            note.links_resolved.append(
                {"target_slug": link.target_slug, "label": link.label, "kind": kind, "api_url": url}
            )
        note.backlinks = list(selectors.notes_linking_to(note.slug))
        serializer = self.get_serializer(note)
        return Response(serializer.data)


@extend_schema_view(
    list=extend_schema(summary="List topics that have published claims, most used first"),
    retrieve=extend_schema(
        summary="What a slug names, and the notes and claims under it",
        parameters=[_slug_parameter("A wikilink target: a topic's, note's or channel's slug.")],
    ),
)
class TopicViewSet(PublicReadMixin, viewsets.GenericViewSet):
    """Any wikilink target: the note or channel it names, else a topic page, with its backlinks."""

    lookup_field = "slug"
    lookup_value_regex = KEY_PATTERN
    # Topics with their published claims counted; a slug's page adds the notes linking to it
    # and the note or channel it names.
    revision_kinds = {
        "list": ("topics", "claims"),
        "retrieve": ("topics", "claims", "notes", "videos"),
    }

    def get_queryset(self):
        return selectors.topic_list()

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.TopicListSerializer
        return serializers.TopicPageSerializer

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, slug: str):
        target = resolve_link_targets([slug]).get(slug)
        topic = Topic.objects.filter(slug=slug).first()
        backlinks = list(selectors.notes_linking_to(slug))
        if target is None and topic is None and not backlinks:
            raise exceptions.NotFound(f"Nothing is called {slug!r} and nothing links to it.")
        kind, url = _link_target(request, slug, target)
        name = (
            topic.name
            if topic
            else getattr(target, "title", None)
            or getattr(target, "name", None)
            or topic_name_from_slug(slug)
        )
        page = {
            "slug": slug,
            "name": name,
            "kind": kind,
            "target_url": None if kind == "topic" else url,
            "backlinks": backlinks,
            "claim_count": selectors.claims_in_topic(slug).count() if topic else 0,
            "claims_url": f"{_api_url(request, 'claim-list')}?topic={slug}",
        }
        return Response(self.get_serializer(page).data)


@extend_schema_view(
    retrieve=extend_schema(
        summary="An appearance as a W3C Web Annotation",
        parameters=[ID_PARAMETER],
        responses={(200, linked_data.ANNOTATION_MEDIA_TYPE): OpenApiTypes.OBJECT},
    )
)
class AnnotationViewSet(PublicReadMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Appearances of published claims as W3C Web Annotations on the video's time span."""

    lookup_value_regex = KEY_PATTERN
    renderer_classes = [JSONLDRenderer, BrowsableAPIRenderer]
    pagination_class = None
    revision_kinds = {"retrieve": ("claims", "videos", "speakers")}

    def get_queryset(self):
        return Appearance.objects.filter(claim__status=Status.PUBLISHED).select_related(
            "video", "speaker", "claim"
        )

    def retrieve(self, request, pk=None):
        appearance = self.get_object()
        annotation = linked_data.web_annotation(
            appearance,
            annotation_url=_api_url(request, "annotation-detail", appearance.pk),
            claim_url=_api_url(request, "claim-detail", appearance.claim_id),
        )
        return Response(annotation, content_type=_annotation_content_type(request))


@extend_schema_view(
    list=extend_schema(
        summary="Search published claims and notes",
        parameters=[
            OpenApiParameter("q", str, required=True, description="The words to look for."),
            OpenApiParameter(
                "type", str, enum=["claim", "note"], description="Only claims or only notes."
            ),
        ],
    )
)
class SearchViewSet(PublicReadMixin, viewsets.GenericViewSet):
    """Claims (by their text, quotes and published arguments) and notes, best match first."""

    serializer_class = serializers.SearchResultSerializer
    extra_query_params = frozenset({"q", "type"})
    # A claim is found by its text, its quotes (appearances) or its published arguments.
    revision_kinds = {"list": ("claims", "arguments", "notes")}
    queryset = Claim.objects.none()

    def list(self, request):
        q = request.query_params.get("q", "").strip()
        if not q:
            raise exceptions.ValidationError({"q": ["Give at least one word to search for."]})
        kind = request.query_params.get("type")
        if kind not in (None, "claim", "note"):
            raise exceptions.ValidationError({"type": ["Choose claim or note."]})
        page = self.paginate_queryset(selectors.search(q, kind))
        results = [
            {
                **asdict(result),
                "api_url": _api_url(request, f"{result.type}-detail", result.id),
                "page_url": request.build_absolute_uri(result.page_url),
            }
            for result in page
        ]
        return self.get_paginated_response(self.get_serializer(results, many=True).data)
