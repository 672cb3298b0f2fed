"""Reads of contributions: who sees which, with their decisions in a fixed number of queries."""

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from accounts.roles import is_moderator
from claims.models import Claim
from claims.selectors import similar_claims_for
from contributions import payloads
from contributions.models import Contribution, Kind, ModerationLog, ReasonCode, State, TargetType
from notes.parsing import format_timestamp


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


def moderation_queue(*, kind: str = "", status: str = State.PENDING) -> QuerySet[Contribution]:
    """The moderators' queue: contributions in `status` (of `kind`, if given), the longest
    waiting first (`contribution_queue_idx`)."""
    contributions = contributions_visible_to(None, moderator=True).filter(status=status)
    if kind:
        contributions = contributions.filter(kind=kind)
    return contributions.order_by("created_at", "id")


#: The names of a proposal's fields on the pages.
FIELD_LABELS = {
    "text": "Text",
    "video": "Video",
    "start_seconds": "Start",
    "end_seconds": "End",
    "speaker": "Speaker",
    "quote": "Quote",
    "topics": "Topics",
    "claim": "Claim",
    "stance": "Stance",
    "source_url": "Source",
    "premise": "Premise claim",
    "reason": "Reason",
    "reason_code": "Reason",
    "comment": "Comment",
    "duplicate_of": "Duplicate of claim",
    "version": "Version",
}


def shown(name: str, value) -> str:
    """A payload value as a person reads it: times as HH:MM:SS, lists joined, codes named."""
    if value is None or value == "" or value == []:
        return "—"
    if name in ("start_seconds", "end_seconds") and isinstance(value, int) and value >= 0:
        return format_timestamp(value)
    if name == "topics" and isinstance(value, list):
        return ", ".join(map(str, value))
    if name == "reason_code" and value in ReasonCode.values:
        return ReasonCode(value).label
    if name in ("claim", "premise", "duplicate_of"):
        return f"#{value}"
    return str(value)


@dataclass
class Review:
    """A contribution as its pages show it: each proposed field beside its current value
    (for a correction), what it is about as it is now, and similar published claims."""

    contribution: Contribution
    #: `(label, current, proposed)`, shown; current is None for something new.
    rows: list[tuple[str, str | None, str]] = field(default_factory=list)
    #: The claim argued about, or the target corrected or flagged, as the public sees it now.
    about: object = None
    about_label: str = ""
    #: Why approving would be refused as things stand, if it would.
    warning: str = ""
    similar: list[Claim] = field(default_factory=list)


def reviews(contributions, *, similar: int = 0) -> list[Review]:
    """`contributions` to show, in the same number of queries however many there are: the
    claims argued about, the targets (one query per kind of target and their topics) and, when
    `similar` > 0, that many similar published claims of each new claim."""
    contributions = list(contributions)
    argued = {
        contribution.payload.get("claim")
        for contribution in contributions
        if contribution.kind == Kind.NEW_ARGUMENT
    }
    claims = Claim.objects.published().in_bulk([pk for pk in argued if isinstance(pk, int)])
    targets = {}
    for target_type in TargetType.values:
        ids = {c.target_id for c in contributions if c.target_type == target_type}
        if ids:
            targets[target_type] = payloads.public_targets(target_type, ids)
    like = {}
    if similar:
        made = [item["id"] for c in contributions for item in c.applied if item["type"] == "claim"]
        like = similar_claims_for(
            {c.pk: c.payload.get("text") or "" for c in contributions if c.kind == Kind.NEW_CLAIM},
            limit=similar,
            exclude_ids=made,
        )
    return [
        _review(c, claims=claims, targets=targets, similar=like.get(c.pk, []))
        for c in contributions
    ]


def _review(contribution: Contribution, *, claims, targets, similar) -> Review:
    payload = contribution.payload
    found = Review(contribution, similar=similar)
    if contribution.kind == Kind.CORRECTION:
        target = targets.get(contribution.target_type, {}).get(contribution.target_id)
        values = payloads.current_values(contribution.target_type, target) if target else {}
        found.rows = [
            (
                FIELD_LABELS["version"],
                shown("version", getattr(target, "version", None)),
                shown("version", contribution.base_version),
            ),
            *(
                (FIELD_LABELS.get(name, name), shown(name, values.get(name)), shown(name, value))
                for name, value in payload["changes"].items()
            ),
            (FIELD_LABELS["reason"], None, shown("reason", payload["reason"])),
        ]
    else:
        found.rows = [
            (FIELD_LABELS.get(name, name), None, shown(name, value))
            for name, value in payload.items()
            if value not in ("", None, [])
        ]
    if contribution.kind == Kind.NEW_ARGUMENT:
        found.about = claims.get(payload.get("claim"))
        found.about_label = "The claim it argues about"
        if found.about is None:
            found.warning = "The claim it argues about is no longer public."
    elif contribution.target_type:
        target = targets.get(contribution.target_type, {}).get(contribution.target_id)
        found.about = target
        found.about_label = f"The {contribution.target_type} it is about, as it is now"
        if target is None:
            found.warning = f"The {contribution.target_label} is no longer public."
        elif contribution.kind == Kind.CORRECTION and target.version != contribution.base_version:
            found.warning = (
                f"The {contribution.target_type} changed since this correction was written (it "
                f"is at version {target.version}, the correction is based on version "
                f"{contribution.base_version}): approving it will be refused."
            )
    return found
