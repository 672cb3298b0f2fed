"""Reads of contributions: who sees which, with their decisions in a fixed number of queries."""

from django.db.models import Prefetch, QuerySet

from accounts.roles import is_moderator
from contributions.models import Contribution, ModerationLog


def contributions_visible_to(user, *, moderator: bool | None = None) -> QuerySet[Contribution]:
    """Every contribution for moderators, editors and superusers; a contributor's own otherwise.

    `moderator` is whether `user` is one, when the caller already asked (`is_moderator`).
    """
    contributions = Contribution.objects.select_related("author").prefetch_related(
        Prefetch("decisions", ModerationLog.objects.select_related("actor").order_by("id"))
    )
    if is_moderator(user) if moderator is None else moderator:
        return contributions
    return contributions.by(user)
