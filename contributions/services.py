"""Writes to contributions: one service per move of the state machine.

    pending → approved | rejected | changes_requested | withdrawn
    changes_requested → pending (the author edits and resubmits) | withdrawn

Each move locks the contribution's row, checks the caller's role (`NotAllowed`, a 403), the
version the caller saw (`StaleVersion`, a 409: someone moved it meanwhile, or the same decision
came twice) and the current state (`IllegalMove`, a 409), then saves the new state with a
higher `version` and writes its `ModerationLog` row in the same transaction. The author's mail
about a decision is sent once the transaction has committed, never on a rollback.

Approval applies the proposal through `claims.services`, credited to the contribution's author
in the history; anything that no longer holds (the claim argued about was retracted, the
corrected target moved on) refuses the approval as a conflict and changes nothing.
"""

import logging
from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.roles import is_contributor, is_moderator
from claims import services as claims_services
from claims.models import Claim
from contributions import payloads
from contributions.models import (
    Contribution,
    Kind,
    ModerationLog,
    ReasonCode,
    State,
    TargetType,
)
from contributions.quotas import QuotaExceeded, quota_check
from notes.models import Video

logger = logging.getLogger(__name__)

__all__ = [
    "ApplyConflict",
    "ContributionError",
    "IllegalMove",
    "NotAllowed",
    "QuotaExceeded",
    "StaleVersion",
    "contribution_approve",
    "contribution_reject",
    "contribution_request_changes",
    "contribution_resubmit",
    "contribution_submit",
    "contribution_withdraw",
]


class ContributionError(Exception):
    """A move the caller may not make, or not now."""


class NotAllowed(ContributionError):
    """The caller lacks the role (or is not the author) for this move."""


class IllegalMove(ContributionError):
    """The move does not start from the contribution's current state."""


class StaleVersion(IllegalMove):
    """The caller decided on a version of the contribution that is no longer current."""


class ApplyConflict(IllegalMove):
    """The proposal cannot be applied as it stands: what it is based on changed.

    `current` and `proposed` hold the target's values and the proposed ones, for a correction
    whose base version is not the target's; `errors` what no longer holds, per field.
    """

    def __init__(
        self,
        message: str,
        *,
        current: Mapping | None = None,
        proposed: Mapping | None = None,
        errors: Mapping | None = None,
    ) -> None:
        super().__init__(message)
        self.current = dict(current or {})
        self.proposed = dict(proposed or {})
        self.errors = dict(errors or {})


#: Each move: the states it starts from, the state it leads to, and who makes it.
_MOVES: dict[str, tuple[tuple[State, ...], State, str]] = {
    "approve": ((State.PENDING,), State.APPROVED, "moderator"),
    "reject": ((State.PENDING,), State.REJECTED, "moderator"),
    "request_changes": ((State.PENDING,), State.CHANGES_REQUESTED, "moderator"),
    "withdraw": ((State.PENDING, State.CHANGES_REQUESTED), State.WITHDRAWN, "author"),
    "resubmit": ((State.CHANGES_REQUESTED,), State.PENDING, "author"),
}
_PAST = {
    "approve": "approved",
    "reject": "rejected",
    "request_changes": "sent back for changes",
    "withdraw": "withdrawn",
    "resubmit": "resubmitted",
}


def _locked(contribution: Contribution) -> Contribution:
    return Contribution.objects.select_for_update().get(pk=contribution.pk)


def _check(contribution: Contribution, verb: str, *, actor, version: int) -> None:
    """Refuse the move for the wrong caller (403), a stale version or the wrong state (409)."""
    starts, _, who = _MOVES[verb]
    if who == "moderator":
        if not is_moderator(actor):
            raise NotAllowed("Only moderators may decide on contributions.")
        if actor.pk == contribution.author_id:
            raise NotAllowed("Nobody decides on their own contribution: another moderator will.")
    elif actor is None or actor.pk != contribution.author_id or not actor.is_active:
        raise NotAllowed("Only its author may do this.")
    if version != contribution.version:
        raise StaleVersion(
            f"Contribution #{contribution.pk} is at version {contribution.version}, not "
            f"{version}: it changed since you read it (now {contribution.status}); "
            "read it again before deciding."
        )
    if contribution.status not in starts:
        raise IllegalMove(
            f"Contribution #{contribution.pk} is {contribution.status}; only a "
            f"{' or '.join(starts)} contribution can be {_PAST[verb]}."
        )


def _move(
    contribution: Contribution,
    verb: str,
    *,
    actor,
    reason_code: str = "",
    note: str = "",
    extra_fields=(),
) -> Contribution:
    _, new_state, who = _MOVES[verb]
    old_state = contribution.status
    contribution.status = new_state
    contribution.version += 1
    fields = ["status", "version", "updated_at", *extra_fields]
    if who == "moderator":
        contribution.reviewer = actor
        contribution.decided_at = timezone.now()
        fields += ["reviewer", "decided_at"]
    contribution.full_clean()
    contribution.save(update_fields=fields)
    log = ModerationLog(
        contribution=contribution,
        old_state=old_state,
        new_state=new_state,
        actor=actor,
        reason_code=reason_code,
        note=note,
    )
    log.full_clean()
    log.save()
    if who == "moderator":
        transaction.on_commit(lambda: _notify_author(log.pk), robust=True)
    return contribution


# Submission ----------------------------------------------------------------------------------


@transaction.atomic
def contribution_submit(
    *,
    author: AbstractBaseUser,
    kind: str,
    payload: Mapping,
    target_type: str = "",
    target_id: int | None = None,
    base_version: int | None = None,
) -> Contribution:
    """A new pending contribution by `author`, within their quotas (`QuotaExceeded`)."""
    if not is_contributor(author):
        raise NotAllowed(
            "Only contributors may propose: log in with an account whose e-mail is confirmed."
        )
    payload = payloads.normalize(kind, payload)
    payloads.check(
        kind, payload, target_type=target_type, target_id=target_id, base_version=base_version
    )
    _check_base_version(kind, target_type, target_id, base_version)
    # One submission at a time per author, so that the counts below hold until the insert.
    get_user_model().objects.select_for_update().filter(pk=author.pk).values_list("pk").get()
    quota_check(author)
    contribution = Contribution(
        kind=kind,
        author=author,
        payload=payload,
        target_type=target_type,
        target_id=target_id,
        base_version=base_version,
    )
    contribution.full_clean()
    contribution.save()
    ModerationLog.objects.create(
        contribution=contribution, old_state="", new_state=State.PENDING, actor=author
    )
    return contribution


def _check_base_version(kind, target_type, target_id, base_version) -> None:
    """A correction is written against the target's current version: one based on another
    would be refused on approval, so it is refused now, while its author can look again."""
    if kind != Kind.CORRECTION:
        return
    current = payloads.public_target(target_type, target_id).version
    if base_version != current:
        raise ValidationError(
            {
                "base_version": [
                    f"The {target_type} is at version {current}: read it again and base your "
                    "correction on that."
                ]
            }
        )


@transaction.atomic
def contribution_resubmit(
    *,
    contribution: Contribution,
    actor: AbstractBaseUser,
    version: int,
    payload: Mapping,
    base_version: int | None = None,
    note: str = "",
) -> Contribution:
    """The author's edited proposal, back in the queue (changes_requested → pending)."""
    contribution = _locked(contribution)
    _check(contribution, "resubmit", actor=actor, version=version)
    payload = payloads.normalize(contribution.kind, payload)
    if contribution.kind == Kind.CORRECTION and base_version is not None:
        contribution.base_version = base_version
    payloads.check(
        contribution.kind,
        payload,
        target_type=contribution.target_type,
        target_id=contribution.target_id,
        base_version=contribution.base_version,
    )
    _check_base_version(
        contribution.kind,
        contribution.target_type,
        contribution.target_id,
        contribution.base_version,
    )
    contribution.payload = payload
    return _move(
        contribution,
        "resubmit",
        actor=actor,
        note=note.strip(),
        extra_fields=["payload", "base_version"],
    )


@transaction.atomic
def contribution_withdraw(
    *, contribution: Contribution, actor: AbstractBaseUser, version: int
) -> Contribution:
    """The author takes back a contribution that is waiting."""
    contribution = _locked(contribution)
    _check(contribution, "withdraw", actor=actor, version=version)
    return _move(contribution, "withdraw", actor=actor)


# Decisions -----------------------------------------------------------------------------------


@transaction.atomic
def contribution_approve(
    *, contribution: Contribution, actor: AbstractBaseUser, version: int, note: str = ""
) -> Contribution:
    """Accept a pending contribution and apply it; `applied` records what it created or changed."""
    contribution = _locked(contribution)
    _check(contribution, "approve", actor=actor, version=version)
    contribution.applied = _apply(contribution, moderator=actor)
    return _move(contribution, "approve", actor=actor, note=note.strip(), extra_fields=["applied"])


@transaction.atomic
def contribution_reject(
    *,
    contribution: Contribution,
    actor: AbstractBaseUser,
    version: int,
    reason_code: str,
    note: str = "",
) -> Contribution:
    """Refuse a pending contribution, with a reason code from `ReasonCode` and a note."""
    if reason_code not in ReasonCode.values:
        raise ValidationError({"reason_code": [f"Choose from {', '.join(ReasonCode.values)}."]})
    contribution = _locked(contribution)
    _check(contribution, "reject", actor=actor, version=version)
    return _move(contribution, "reject", actor=actor, reason_code=reason_code, note=note.strip())


@transaction.atomic
def contribution_request_changes(
    *, contribution: Contribution, actor: AbstractBaseUser, version: int, note: str
) -> Contribution:
    """Send a pending contribution back to its author, saying what to change."""
    if not note.strip():
        raise ValidationError({"note": ["Say what the author should change."]})
    contribution = _locked(contribution)
    _check(contribution, "request_changes", actor=actor, version=version)
    return _move(contribution, "request_changes", actor=actor, note=note.strip())


# Applying an approved proposal ---------------------------------------------------------------


def _credit(contribution: Contribution, moderator) -> dict:
    """What every claims service is told about who made the change and why."""
    return {
        "actor": contribution.author,
        "reason": f"Contribution #{contribution.pk}, approved by {moderator.get_username()}",
        "contribution_id": contribution.pk,
    }


def _apply(contribution: Contribution, *, moderator) -> list[dict]:
    try:
        payloads.check(
            contribution.kind,
            contribution.payload,
            target_type=contribution.target_type,
            target_id=contribution.target_id,
            base_version=contribution.base_version,
        )
    except ValidationError as error:
        raise ApplyConflict(
            f"Contribution #{contribution.pk} no longer holds as proposed; reject it or request "
            "changes.",
            errors=error.message_dict,
        ) from None
    apply = {
        Kind.NEW_CLAIM: _apply_new_claim,
        Kind.NEW_ARGUMENT: _apply_new_argument,
        Kind.CORRECTION: _apply_correction,
        Kind.FLAG: _apply_flag,
    }[contribution.kind]
    try:
        return apply(contribution, contribution.payload, _credit(contribution, moderator))
    except (ValidationError, claims_services.TransitionError) as error:
        if isinstance(error, ValidationError):
            messages = (
                error.message_dict
                if hasattr(error, "error_dict")
                else {"non_field_errors": error.messages}
            )
        else:
            messages = {"non_field_errors": [str(error)]}
        raise ApplyConflict(
            f"Contribution #{contribution.pk} cannot be applied as it stands.", errors=messages
        ) from None


def _video(youtube_id: str, applied: list[dict]) -> Video | None:
    existed = Video.objects.filter(youtube_id=youtube_id).exists() if youtube_id else True
    video = payloads.resolve_video(youtube_id)
    if not existed:
        applied.append({"type": "video", "id": video.pk, "action": "created"})
    return video


def _apply_new_claim(contribution, payload, credit) -> list[dict]:
    applied: list[dict] = []
    video = _video(payload["video"], applied)
    speaker = payloads.resolve_speaker(payload.get("speaker") or "", credit=credit)
    claim = claims_services.claim_create(
        text=payload["text"].strip(), topics=payload.get("topics") or [], **credit
    )
    appearance = claims_services.appearance_create(
        claim=claim,
        video=video,
        start_seconds=payload["start_seconds"],
        end_seconds=payload.get("end_seconds"),
        speaker=speaker,
        quote=(payload.get("quote") or "").strip(),
        **credit,
    )
    claims_services.claim_publish(
        claim=claim, actor=credit["actor"], contribution_id=credit["contribution_id"]
    )
    applied += [
        {"type": "claim", "id": claim.pk, "action": "created"},
        {"type": "appearance", "id": appearance.pk, "action": "created"},
    ]
    return applied


def _apply_new_argument(contribution, payload, credit) -> list[dict]:
    applied: list[dict] = []
    video = _video(payload.get("video") or "", applied)
    premise = payload.get("premise")
    argument = claims_services.argument_create(
        claim=Claim.objects.get(pk=payload["claim"]),
        stance=payload["stance"],
        text=payload["text"].strip(),
        video=video,
        start_seconds=payload.get("start_seconds") if video else None,
        end_seconds=payload.get("end_seconds") if video else None,
        source_url=payload.get("source_url") or "",
        speaker=payloads.resolve_speaker(payload.get("speaker") or "", credit=credit),
        premise=None if premise is None else Claim.objects.get(pk=premise),
        **credit,
    )
    claims_services.argument_publish(
        argument=argument, actor=credit["actor"], contribution_id=credit["contribution_id"]
    )
    applied.append({"type": "argument", "id": argument.pk, "action": "created"})
    return applied


_UPDATES = {
    TargetType.CLAIM: claims_services.claim_update,
    TargetType.APPEARANCE: claims_services.appearance_update,
    TargetType.ARGUMENT: claims_services.argument_update,
}


def _apply_correction(contribution, payload, credit) -> list[dict]:
    target_type = contribution.target_type
    target = payloads.public_target(target_type, contribution.target_id)
    changes = payload["changes"]
    resolved = payloads.resolve_changes(target_type, changes, credit=credit)
    try:
        _UPDATES[target_type](
            **{target_type: target},
            changes=resolved,
            expected_version=contribution.base_version,
            **{**credit, "reason": f"{credit['reason']}: {payload['reason'].strip()}"},
        )
    except claims_services.VersionConflict as conflict:
        raise _version_conflict(contribution, conflict.item) from None
    return [{"type": target_type, "id": target.pk, "action": "changed"}]


def _version_conflict(contribution, target) -> ApplyConflict:
    changes = contribution.payload["changes"]
    values = payloads.current_values(contribution.target_type, target)
    return ApplyConflict(
        f"The {contribution.target_type} is at version {target.version}, not "
        f"{contribution.base_version} as the correction was based on: compare the current "
        "values with the proposed ones, then reject or request changes.",
        current={"version": target.version, **{field: values[field] for field in changes}},
        proposed={"version": contribution.base_version, **changes},
    )


def _apply_flag(contribution, payload, credit) -> list[dict]:
    target_type = contribution.target_type
    target = payloads.public_target(target_type, contribution.target_id)
    reason_code = payload["reason_code"]
    if reason_code == ReasonCode.DUPLICATE and target_type == TargetType.CLAIM:
        keep = Claim.objects.get(pk=payload["duplicate_of"])
        claims_services.claim_merge(
            keep=keep,
            duplicates=[target],
            actor=credit["actor"],
            contribution_id=credit["contribution_id"],
        )
        return [
            {"type": "claim", "id": target.pk, "action": "merged"},
            {"type": "claim", "id": keep.pk, "action": "changed"},
        ]
    label = ReasonCode(reason_code).label.lower()
    comment = (payload.get("comment") or "").strip()
    reason = f"Flagged as {label}" + (f": {comment}" if comment else "")
    reason += f" ({credit['reason']})"
    moved = {
        "actor": credit["actor"],
        "reason": reason,
        "contribution_id": credit["contribution_id"],
    }
    if target_type == TargetType.CLAIM:
        claims_services.claim_retract(claim=target, **moved)
    else:
        claims_services.argument_retract(argument=target, **moved)
    return [{"type": target_type, "id": target.pk, "action": "retracted"}]


# Mail ----------------------------------------------------------------------------------------

_SUBJECTS = {
    State.APPROVED: "Your contribution #{pk} was approved",
    State.REJECTED: "Your contribution #{pk} was rejected",
    State.CHANGES_REQUESTED: "Your contribution #{pk} needs changes",
}

_OUTCOMES = {
    State.APPROVED: "was approved",
    State.REJECTED: "was rejected",
    State.CHANGES_REQUESTED: "was sent back to you for changes",
}


def _notify_author(log_id: int) -> None:
    """Tell the author what was decided; runs after the decision's transaction committed."""
    log = ModerationLog.objects.select_related("contribution__author").get(pk=log_id)
    contribution = log.contribution
    author = contribution.author
    if not author.email:
        return
    lines = [
        f"Hello {author.get_username()},",
        "",
        f"your {contribution.get_kind_display().lower()} (contribution #{contribution.pk}) "
        f"{_OUTCOMES[log.new_state]}.",
    ]
    if log.reason_code:
        lines.append(f"Reason: {log.get_reason_code_display()}.")
    if log.note:
        lines += ["", "The moderator's note:", log.note]
    # A mail is read away from the site, so its links name the site too: the page for people,
    # the API's address for programs.
    page = settings.SITE_URL + reverse("contributions:detail", args=[contribution.pk])
    if log.new_state == State.CHANGES_REQUESTED:
        edit = settings.SITE_URL + reverse("contributions:edit", args=[contribution.pk])
        lines += ["", f"Edit it to send it back to the queue, or withdraw it: {edit}"]
    api = settings.SITE_URL + reverse("api:contribution-detail", args=[contribution.pk])
    lines += ["", f"Details: {page}", f"In the API: {api}"]
    send_mail(
        settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + _SUBJECTS[log.new_state].format(pk=contribution.pk),
        "\n".join(lines),
        None,
        [author.email],
    )
