"""Read querysets for the public: each starts from `.published()`, joins decided here once.

Every selector returns a lazy queryset whose related rows arrive in a fixed number of
queries (select_related for single objects, prefetch_related for lists), whatever its size.
"""

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from claims.models import Appearance, Argument, Claim, Speaker, Stance, Status
from notes.models import Note, Topic, Video


def _public_arguments() -> QuerySet[Argument]:
    return Argument.objects.published().select_related("video", "speaker", "premise")


def _appearances() -> QuerySet[Appearance]:
    return Appearance.objects.select_related("video", "speaker").order_by("start_seconds", "id")


def _published_argument_count(stance: Stance) -> Coalesce:
    """A correlated count, computed only for the rows a page returns (a JOIN with GROUP BY
    would aggregate every published claim before the page's LIMIT)."""
    counts = (
        Argument.objects.published()
        .filter(claim=OuterRef("pk"), stance=stance)
        .order_by()
        .values("claim")
        .annotate(count=Count("id"))
        .values("count")
    )
    return Coalesce(Subquery(counts), 0)


def claim_list() -> QuerySet[Claim]:
    """Published claims with their appearances, topics and argument counts."""
    return (
        Claim.objects.published()
        # The search vector is as long as the text it indexes, and no response shows it.
        .defer("search_vector")
        .annotate(
            arguments_for_count=_published_argument_count(Stance.FOR),
            arguments_against_count=_published_argument_count(Stance.AGAINST),
        )
        .prefetch_related(
            Prefetch("appearances", queryset=_appearances()),
            Prefetch("topics", queryset=Topic.objects.order_by("slug")),
        )
    )


def claim_detail() -> QuerySet[Claim]:
    """Published and retracted claims, with everything their detail shows.

    Retracted claims stay reachable by id so that old links explain themselves; drafts don't.
    """
    return (
        Claim.objects.filter(status__in=[Status.PUBLISHED, Status.RETRACTED])
        .defer("search_vector")
        .select_related("merged_into")
        .prefetch_related(
            Prefetch("appearances", queryset=_appearances()),
            Prefetch("topics", queryset=Topic.objects.order_by("slug")),
            Prefetch(
                "arguments",
                queryset=_public_arguments().order_by("start_seconds", "id"),
                to_attr="public_arguments",
            ),
        )
    )


def argument_list() -> QuerySet[Argument]:
    """Published arguments about published claims."""
    return (
        _public_arguments()
        .filter(claim__status=Status.PUBLISHED)
        .select_related("claim")
        .order_by("claim_id", "stance", "start_seconds", "id")
    )


def speaker_list() -> QuerySet[Speaker]:
    return Speaker.objects.order_by("name", "id")


def video_list() -> QuerySet[Video]:
    return Video.objects.select_related("channel").order_by("title", "id")


def video_detail() -> QuerySet[Video]:
    """Videos with the appearances of published claims, in time order."""
    return video_list().prefetch_related(
        Prefetch(
            "appearances",
            queryset=_appearances().filter(claim__status=Status.PUBLISHED).select_related("claim"),
            to_attr="public_appearances",
        )
    )


def note_list() -> QuerySet[Note]:
    return Note.objects.defer("search_vector").select_related("video").order_by("title", "id")


def note_detail() -> QuerySet[Note]:
    return note_list().prefetch_related("links")


def notes_linking_to(slug: str) -> QuerySet[Note]:
    """The backlinks of a page: notes with a wikilink to `slug`."""
    return Note.objects.linking_to(slug).select_related("video").order_by("title", "id")


def claims_in_topic(slug: str) -> QuerySet[Claim]:
    return claim_list().filter(topics__slug=slug)
