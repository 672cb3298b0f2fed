"""Proposals from registered users (contributions) and the moderators' decisions on them."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Kind(models.TextChoices):
    NEW_CLAIM = "new_claim", "New claim"
    NEW_ARGUMENT = "new_argument", "New argument"
    CORRECTION = "correction", "Correction"
    FLAG = "flag", "Flag"


class State(models.TextChoices):
    """Where a contribution stands; `contributions.services` moves it, along
    pending → approved | rejected | changes_requested | withdrawn and
    changes_requested → pending | withdrawn."""

    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    WITHDRAWN = "withdrawn", "Withdrawn"


#: States a contribution never leaves.
FINAL_STATES = (State.APPROVED, State.REJECTED, State.WITHDRAWN)


class TargetType(models.TextChoices):
    """What a correction or a flag is about."""

    CLAIM = "claim", "Claim"
    APPEARANCE = "appearance", "Appearance"
    ARGUMENT = "argument", "Argument"


class ReasonCode(models.TextChoices):
    """Why something is flagged, or why a contribution is rejected: one fixed list."""

    DUPLICATE = "duplicate", "Duplicate"
    NOT_A_CLAIM = "not_a_claim", "Not a claim"
    MISATTRIBUTED = "misattributed", "Misattributed"
    WRONG_TIME = "wrong_time", "Wrong time"
    UNSUPPORTED = "unsupported", "Unsupported"
    SPAM = "spam", "Spam"
    OTHER = "other", "Other"


class ContributionQuerySet(models.QuerySet):
    def pending(self) -> "ContributionQuerySet":
        """Contributions waiting for a moderator: the queue."""
        return self.filter(status=State.PENDING)

    def by(self, user) -> "ContributionQuerySet":
        """Contributions `user` proposed."""
        return self.filter(author=user)


class Contribution(models.Model):
    """A proposal: a new claim or argument, a correction of one, or a flag on one.

    `payload` holds the proposal's fields as the API took them (JSON, checked per kind by
    `contributions.payloads`); `target_type` and `target_id` name what a correction or flag is
    about, and `base_version` the version of it the correction was written against.
    `version` counts the moves of the contribution itself: a decision names the version it was
    made on, so a stale or repeated one is refused.
    """

    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=17, choices=State.choices, default=State.PENDING)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contributions"
    )
    payload = models.JSONField(default=dict)
    target_type = models.CharField(max_length=10, choices=TargetType.choices, blank=True)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    base_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The target's version a correction was based on."
    )
    version = models.PositiveIntegerField(default=1)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviewed_contributions",
        help_text="Who made the last decision on it.",
    )
    applied = models.JSONField(
        default=list,
        blank=True,
        help_text="What its approval created or changed: [{type, id, action}].",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ContributionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="contribution_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=State.values), name="contribution_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="contribution_version_positive"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=[Kind.CORRECTION, Kind.FLAG])
                    & Q(target_type__in=TargetType.values)
                    & Q(target_id__isnull=False)
                )
                | (
                    Q(kind__in=[Kind.NEW_CLAIM, Kind.NEW_ARGUMENT])
                    & Q(target_type="")
                    & Q(target_id__isnull=True)
                ),
                name="contribution_target_by_kind",
                violation_error_message=(
                    "A correction or flag names its target; a new claim or argument has none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(kind=Kind.CORRECTION, base_version__isnull=False)
                | (~Q(kind=Kind.CORRECTION) & Q(base_version__isnull=True)),
                name="contribution_base_version_for_corrections",
                violation_error_message="A correction, and only a correction, has a base version.",
            ),
        ]
        indexes = [
            # The moderators' queue: by status and kind, oldest or newest first.
            models.Index(fields=["status", "kind", "created_at"], name="contribution_queue_idx"),
            # The admin's queue, the longest waiting first, whatever the filters: a page walks
            # it rather than sorting every contribution.
            models.Index(fields=["created_at", "id"], name="contribution_age_idx"),
            # A contributor's own list, and the quota's counts of pending and recent ones.
            models.Index(fields=["author", "status", "created_at"], name="contribution_author_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} by {self.author} ({self.status})"

    @property
    def target_label(self) -> str:
        return f"{self.target_type} #{self.target_id}" if self.target_type else ""


class ModerationLog(models.Model):
    """One move of a contribution: from which state to which, by whom, why."""

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="decisions"
    )
    old_state = models.CharField(max_length=17, choices=State.choices, blank=True)
    new_state = models.CharField(max_length=17, choices=State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="moderation_log",
    )
    reason_code = models.CharField(max_length=13, choices=ReasonCode.choices, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contribution", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reason_code="") | Q(reason_code__in=ReasonCode.values),
                name="moderation_log_reason_code_valid",
            ),
        ]
        indexes = [
            # The moderators' log of what they decided, newest first.
            models.Index(fields=["actor", "-created_at"], name="moderation_log_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.contribution_id}: {self.old_state or 'new'} → {self.new_state}"
