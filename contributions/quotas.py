"""How many contributions one contributor may have waiting, and may make in 24 hours.

Counted in the database, under a lock on the contributor's user row taken by
`contributions.services.contribution_submit`: every gunicorn worker counts the same rows, and
parallel submissions from one contributor count one after the other, so a burst cannot pass
the limit.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from contributions.models import Contribution, State

WINDOW = timedelta(hours=24)
#: Waiting for someone: a moderator (pending) or the author (changes requested).
OPEN_STATES = (State.PENDING, State.CHANGES_REQUESTED)


class QuotaExceeded(Exception):
    """Over a limit until `resets_at` (None: until a waiting contribution is decided)."""

    def __init__(self, message: str, resets_at: datetime | None) -> None:
        super().__init__(message)
        self.resets_at = resets_at

    @property
    def wait_seconds(self) -> int | None:
        if self.resets_at is None:
            return None
        return max(1, int((self.resets_at - timezone.now()).total_seconds() + 0.999))


def daily_limit(author) -> int:
    """The configured daily limit, plus one per approved contribution, up to the cap."""
    base = settings.CONTRIBUTION_DAILY_LIMIT
    cap = max(base, settings.CONTRIBUTION_DAILY_LIMIT_CAP)
    approved = Contribution.objects.by(author).filter(status=State.APPROVED)[:cap].count()
    return min(base + approved, cap)


def quota_check(author, *, now: datetime | None = None) -> None:
    """Refuse (`QuotaExceeded`) one more contribution from `author`; call with their row locked."""
    now = now or timezone.now()
    mine = Contribution.objects.by(author)
    limit = settings.CONTRIBUTION_MAX_PENDING
    if mine.filter(status__in=OPEN_STATES).count() >= limit:
        raise QuotaExceeded(
            f"You have {limit} contributions waiting, the most one may: this resets as soon as "
            "a moderator decides one of them or you withdraw one.",
            None,
        )
    limit = daily_limit(author)
    recent = mine.filter(created_at__gt=now - WINDOW).order_by("created_at")
    if recent.count() >= limit:
        # A rolling window: the limit resets when the oldest of them turns 24 hours old.
        oldest = recent.values_list("created_at", flat=True)[: recent.count() - limit + 1]
        resets_at = list(oldest)[-1] + WINDOW
        raise QuotaExceeded(
            f"You made {limit} contributions in the last 24 hours, your daily limit; you may "
            f"make another at {resets_at:%Y-%m-%d %H:%M:%S} UTC.",
            resets_at,
        )
