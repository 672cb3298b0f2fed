"""Filters of the public list endpoints. A value that names nothing is a 400, not an empty list.

Filters across to-many relations use EXISTS subqueries, so a claim made twice in one video is
listed once and no JOIN multiplies the rows a page is cut from.
"""

import django_filters
from django.db.models import Exists, OuterRef, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from claims import selectors
from claims.models import Appearance, Argument, Claim, Speaker, Stance, Status
from claims.search import claims_matching
from notes.models import YOUTUBE_ID_PATTERN, Channel, Topic, Video

#: The keys the filters take, as the schema states them. Slugs are Django's Unicode slugs.
YOUTUBE_ID = {"type": "string", "pattern": YOUTUBE_ID_PATTERN}
SLUG = {"type": "string", "pattern": r"^[-\w]+$", "maxLength": 200}
ID = {"type": "integer", "minimum": 1}


class KeyChoiceFilter(django_filters.ModelChoiceFilter):
    """A row chosen by its public key: a YouTube id, a slug or an id (`to_field_name=None`).

    A key that names no row is refused with a message naming both: "No video has this YouTube
    id." The schema gives the key's form (`key_schema`) and says that a key naming nothing is a
    400, since no schema can list which keys exist.
    """

    def __init__(
        self,
        *args,
        queryset,
        key_schema: dict[str, object],
        to_field_name: str | None = None,
        **kwargs,
    ) -> None:
        opts = queryset.model._meta
        key = (opts.get_field(to_field_name) if to_field_name else opts.pk).verbose_name
        kwargs.setdefault(
            "error_messages", {"invalid_choice": f"No {opts.verbose_name} has this {key}."}
        )
        super().__init__(*args, queryset=queryset, to_field_name=to_field_name, **kwargs)
        # Per filter rather than on the class: a schema given for the class would replace
        # each filter's help text, and the parameter would go undescribed.
        description = f"{self.extra.get('help_text', '')} A value that names nothing answers 400."
        extend_schema_field({**key_schema, "description": description})(self)


class ClaimFilter(django_filters.FilterSet):
    video = KeyChoiceFilter(
        queryset=Video.objects.all(),
        to_field_name="youtube_id",
        key_schema=YOUTUBE_ID,
        method="filter_video",
        help_text="Claims made in this video (its YouTube id).",
    )
    speaker = KeyChoiceFilter(
        queryset=selectors.speaker_list(),
        to_field_name="slug",
        key_schema=SLUG,
        method="filter_speaker",
        help_text="Claims this speaker made (the speaker's slug).",
    )
    topic = KeyChoiceFilter(
        queryset=Topic.objects.all(),
        to_field_name="slug",
        key_schema=SLUG,
        method="filter_topic",
        help_text="Claims filed under this topic (its slug).",
    )
    stance = django_filters.ChoiceFilter(
        choices=Stance.choices,
        method="filter_stance",
        help_text="Claims with at least one published argument of this stance.",
    )
    q = django_filters.CharFilter(
        method="filter_q", help_text="Words to find in claims, their quotes and arguments."
    )

    class Meta:
        model = Claim
        fields = ["video", "speaker", "topic", "stance", "q"]

    def filter_video(self, queryset: QuerySet, name: str, video: Video) -> QuerySet:
        made_in = Appearance.objects.filter(claim=OuterRef("pk"), video=video)
        return queryset.filter(Exists(made_in))

    def filter_speaker(self, queryset: QuerySet, name: str, speaker: Speaker) -> QuerySet:
        made_by = Appearance.objects.filter(claim=OuterRef("pk"), speaker=speaker)
        return queryset.filter(Exists(made_by))

    def filter_topic(self, queryset: QuerySet, name: str, topic: Topic) -> QuerySet:
        filed_under = Claim.topics.through.objects.filter(claim=OuterRef("pk"), topic=topic)
        return queryset.filter(Exists(filed_under))

    def filter_stance(self, queryset: QuerySet, name: str, stance: str) -> QuerySet:
        argued = Argument.objects.filter(
            claim=OuterRef("pk"), stance=stance, status=Status.PUBLISHED
        )
        return queryset.filter(Exists(argued))

    def filter_q(self, queryset: QuerySet, name: str, q: str) -> QuerySet:
        q = q.strip()
        if not q:
            raise ValidationError({"q": ["Give at least one word to search for."]})
        return claims_matching(queryset, q)


class ArgumentFilter(django_filters.FilterSet):
    claim = KeyChoiceFilter(
        queryset=Claim.objects.published(),
        key_schema=ID,
        help_text="Arguments about this published claim (its id).",
        error_messages={"invalid_choice": "No published claim has this id."},
    )
    stance = django_filters.ChoiceFilter(
        choices=Stance.choices, help_text="Only arguments for, or only against, their claim."
    )
    speaker = KeyChoiceFilter(
        queryset=selectors.speaker_list(),
        to_field_name="slug",
        key_schema=SLUG,
        help_text="Arguments this speaker made (the speaker's slug).",
    )
    video = KeyChoiceFilter(
        queryset=Video.objects.all(),
        to_field_name="youtube_id",
        key_schema=YOUTUBE_ID,
        help_text="Arguments whose evidence is in this video (its YouTube id).",
    )

    class Meta:
        model = Argument
        fields = ["claim", "stance", "speaker", "video"]


class VideoFilter(django_filters.FilterSet):
    channel = KeyChoiceFilter(
        queryset=Channel.objects.all(),
        to_field_name="slug",
        key_schema=SLUG,
        help_text="Videos of this channel (its slug).",
    )

    class Meta:
        model = Video
        fields = ["channel"]
