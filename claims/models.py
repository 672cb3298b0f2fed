"""Speakers, canonical claims, where each claim was made, and the arguments for and against it."""

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from notes.models import Note, Topic, Video
from notes.parsing import format_timestamp


class ContributionStamped(models.Model):
    """What the historical rows of claims, appearances, arguments and speakers add to
    simple-history's: the contribution whose approval made the change, if any.

    A plain integer, not a foreign key: `claims` never imports `contributions`, which sits
    above it, and a history row outlives what it names.
    """

    contribution_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        abstract = True


def _history(**kwargs) -> HistoricalRecords:
    return HistoricalRecords(bases=[ContributionStamped], **kwargs)


def _version_field() -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="1 when created, one more with every change the services make; an edit "
        "based on another version is refused.",
    )


def _version_constraint(prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(version__gte=1), name=f"{prefix}_version_positive")


class Status(models.TextChoices):
    """Where a claim or argument stands; `claims.services` moves it, and only along
    draft → published | discarded, published → retracted, retracted → published."""

    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETRACTED = "retracted", "Retracted"
    DISCARDED = "discarded", "Discarded"


#: What the public has seen: published now, or retracted after being published.
WAS_PUBLIC = (Status.PUBLISHED, Status.RETRACTED)

#: The fields editors change through `claims.services`. Status, its reason, the publication
#: date and the merge pointer are not among them: they move only through the transitions.
CLAIM_FIELDS = ("text", "topics")
APPEARANCE_FIELDS = ("claim", "video", "start_seconds", "end_seconds", "speaker", "quote", "note")
ARGUMENT_FIELDS = (
    "claim",
    "stance",
    "text",
    "video",
    "start_seconds",
    "end_seconds",
    "source_url",
    "speaker",
    "premise",
)

PREMISE_NOT_ITS_CLAIM = "An argument cannot rest on the claim it argues for or against."


class Stance(models.TextChoices):
    FOR = "for", "For"
    AGAINST = "against", "Against"


def _status_constraints(prefix: str) -> list[models.BaseConstraint]:
    """The status invariants claims and arguments share."""
    return [
        models.CheckConstraint(
            condition=Q(status__in=Status.values), name=f"{prefix}_status_valid"
        ),
        models.CheckConstraint(
            condition=~Q(status=Status.RETRACTED) | ~Q(retraction_reason=""),
            name=f"{prefix}_retraction_has_reason",
            violation_error_message="A retracted item needs a retraction reason.",
        ),
    ]


def _time_constraints(prefix: str) -> list[models.BaseConstraint]:
    """Seconds are never negative and a span never ends before it starts."""
    return [
        models.CheckConstraint(
            condition=Q(start_seconds__isnull=True) | Q(start_seconds__gte=0),
            name=f"{prefix}_start_not_negative",
            violation_error_message="The start second cannot be negative.",
        ),
        models.CheckConstraint(
            condition=Q(end_seconds__isnull=True)
            | (Q(start_seconds__isnull=False) & Q(end_seconds__gte=F("start_seconds"))),
            name=f"{prefix}_end_after_start",
            violation_error_message="The end second must be at or after the start second.",
        ),
    ]


class TimeAnchored(models.Model):
    """A span of a video: `video`, `start_seconds` and optional `end_seconds`, with labels."""

    class Meta:
        abstract = True

    @property
    def timestamp(self) -> str | None:
        return None if self.start_seconds is None else format_timestamp(self.start_seconds)

    @property
    def end_timestamp(self) -> str | None:
        return None if self.end_seconds is None else format_timestamp(self.end_seconds)

    @property
    def url(self) -> str | None:
        """The video opened at the start second, or None when there is no time evidence."""
        if self.video_id is None or self.start_seconds is None:
            return None
        return self.video.url_at(self.start_seconds)


class Speaker(models.Model):
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    name = models.CharField(max_length=200)

    history = _history()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="speaker_slug_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class ClaimQuerySet(models.QuerySet):
    def published(self) -> "ClaimQuerySet":
        """Claims the public may read."""
        return self.filter(status=Status.PUBLISHED)

    def drafts(self) -> "ClaimQuerySet":
        """Candidates waiting for an editor."""
        return self.filter(status=Status.DRAFT)

    def for_video(self, video: Video) -> "ClaimQuerySet":
        """Claims made at least once in `video`."""
        return self.filter(appearances__video=video).distinct()


class Claim(models.Model):
    """One canonical statement, however many times and by whomever it was made."""

    text = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    retraction_reason = models.TextField(blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_claims",
        help_text=(
            "Set when this claim was merged into another as its duplicate: a published one is "
            "retracted, a draft discarded."
        ),
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="claims")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Text, quotes and published arguments for full-text search on PostgreSQL, kept by
    # `claims.search` and NULL on SQLite. Derived data: neither serialized into dumps nor
    # recorded in history.
    search_vector = SearchVectorField(null=True, editable=False, serialize=False)
    # How claim-like the sentence a draft was extracted from reads (0–1, see
    # `claims.extraction`); NULL for claims written by hand. Derived from the text when it was
    # extracted: neither dumped nor recorded in history.
    extraction_score = models.FloatField(null=True, blank=True, editable=False, serialize=False)
    version = _version_field()

    objects = ClaimQuerySet.as_manager()
    history = _history(
        excluded_fields=["created_at", "updated_at", "search_vector", "extraction_score"],
        m2m_fields=[topics],
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            *_status_constraints("claim"),
            _version_constraint("claim"),
            models.CheckConstraint(condition=~Q(text=""), name="claim_text_not_empty"),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True)
                | Q(status__in=[Status.RETRACTED, Status.DISCARDED]),
                name="claim_merged_only_when_retracted_or_discarded",
                violation_error_message="Only a retracted or discarded claim can be merged away.",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=F("id")), name="claim_not_merged_into_itself"
            ),
        ]
        indexes = [
            # The public claim list's cursor pages: published claims, newest published first.
            models.Index(
                fields=["status", "-published_at", "-id"], name="claim_status_published_idx"
            ),
        ]
        # `claim_search_vector_gin` (GIN on search_vector), serving `claims.search.search_claims`,
        # is made by migration 0003 on PostgreSQL only; see there why it is not declared here.

    def __str__(self) -> str:
        return self.text if len(self.text) <= 80 else f"{self.text[:79]}…"


class Appearance(TimeAnchored):
    """A claim being made in a video, at a second, perhaps by a known speaker."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="appearances")
    # Both are the first column of an index below, which serves their look-ups too.
    video = models.ForeignKey(
        Video, on_delete=models.PROTECT, related_name="appearances", db_index=False
    )
    start_seconds = models.IntegerField()
    end_seconds = models.IntegerField(null=True, blank=True)
    speaker = models.ForeignKey(
        Speaker,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appearances",
        db_index=False,
    )
    quote = models.TextField(blank=True, help_text="The words as said, if known.")
    note = models.ForeignKey(
        Note,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appearances",
        help_text="The vault note this appearance was drawn from.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = _version_field()

    history = _history(excluded_fields=["created_at"])

    class Meta:
        ordering = ["video", "start_seconds", "id"]
        constraints = [*_time_constraints("appearance"), _version_constraint("appearance")]
        indexes = [
            # A video's page and API detail: its appearances in time order.
            models.Index(fields=["video", "start_seconds"], name="appearance_video_time_idx"),
            # The claims made in some videos, or by some speakers, read from the index alone:
            # the claims list's `?video=` and `?speaker=`, and the admin's search by a video's
            # title or a speaker's name, which may name tens of thousands of appearances.
            models.Index(fields=["video", "claim"], name="appearance_video_claim_idx"),
            models.Index(fields=["speaker", "claim"], name="appearance_speaker_claim_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.video.youtube_id} at {self.timestamp}"

    def clean(self) -> None:
        # A published claim is grounded in a moment of a video, so its last appearance cannot
        # leave it; the services lock the claim before they validate a move.
        if self.pk is None:
            return
        stored = Appearance.objects.filter(pk=self.pk).values_list("claim_id", flat=True).first()
        if stored is None or stored == self.claim_id:
            return
        left = Claim.objects.filter(pk=stored, status=Status.PUBLISHED)
        if left.exists() and not Appearance.objects.filter(claim_id=stored).exclude(pk=self.pk):
            raise ValidationError(
                {
                    "claim": f"Claim #{stored} is published and this is its only appearance: "
                    "give it another appearance first, or retract it."
                }
            )


class ArgumentQuerySet(models.QuerySet):
    def published(self) -> "ArgumentQuerySet":
        """Arguments the public may read."""
        return self.filter(status=Status.PUBLISHED)


class Argument(TimeAnchored):
    """A reason for or against a claim, with its evidence: a moment of a video and/or a source."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="arguments")
    stance = models.CharField(max_length=7, choices=Stance.choices)
    text = models.TextField()
    speaker = models.ForeignKey(
        Speaker, on_delete=models.SET_NULL, null=True, blank=True, related_name="arguments"
    )
    video = models.ForeignKey(
        Video, on_delete=models.PROTECT, null=True, blank=True, related_name="arguments"
    )
    start_seconds = models.IntegerField(null=True, blank=True)
    end_seconds = models.IntegerField(null=True, blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    premise = models.ForeignKey(
        Claim,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="premise_of",
        help_text="A claim this argument rests on, so that it can be argued in turn.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    retraction_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = _version_field()

    objects = ArgumentQuerySet.as_manager()
    history = _history(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["claim", "stance", "start_seconds", "id"]
        constraints = [
            *_status_constraints("argument"),
            *_time_constraints("argument"),
            _version_constraint("argument"),
            models.CheckConstraint(
                condition=Q(stance__in=Stance.values), name="argument_stance_valid"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="argument_text_not_empty"),
            models.CheckConstraint(
                condition=Q(video__isnull=True, start_seconds__isnull=True)
                | Q(video__isnull=False, start_seconds__isnull=False),
                name="argument_video_and_start_together",
                violation_error_message="Video evidence needs both a video and a start second.",
            ),
            models.CheckConstraint(
                condition=Q(video__isnull=False) | ~Q(source_url=""),
                name="argument_has_evidence",
                violation_error_message="Give the evidence: a video moment, a source URL or both.",
            ),
            models.CheckConstraint(
                condition=~Q(premise=F("claim")),
                name="argument_premise_not_its_claim",
                violation_error_message=PREMISE_NOT_ITS_CLAIM,
            ),
        ]
        indexes = [
            # A claim's detail: its arguments for and against, by stance.
            models.Index(fields=["claim", "stance", "status"], name="argument_claim_stance_idx"),
        ]

    def __str__(self) -> str:
        # The stance is shown beside it wherever it matters (headings say "Argument for: …").
        return self.text if len(self.text) <= 80 else f"{self.text[:79]}…"

    def clean(self) -> None:
        # A published argument shows its premise's text: a premise nobody was shown would go
        # public by that side door.
        if self.status != Status.PUBLISHED or self.premise_id is None:
            return
        premise = Claim.objects.filter(pk=self.premise_id).values_list("status", flat=True)
        status = premise.first()
        if status is not None and status not in WAS_PUBLIC:
            raise ValidationError(
                {
                    "premise": f"Claim #{self.premise_id}, the premise, is {status}: a published "
                    "argument rests on a published claim."
                }
            )


@receiver(pre_create_historical_record)
def stamp_contribution(sender, instance, history_instance, **kwargs) -> None:
    """Record on the history row the contribution `claims.services` saved `instance` for."""
    if isinstance(history_instance, ContributionStamped):
        history_instance.contribution_id = getattr(instance, "_history_contribution_id", None)
