"""Writes to claims, appearances and arguments.

Status changes go through the transitions below and nowhere else, along the spec's moves:
draft → published | discarded, published → retracted, retracted → published (a restore). Each
checks the current state, refuses an illegal move with `TransitionError`, and leaves a history
row naming the actor, the old and new state and the reason, in the same transaction as the
change. Nothing that was never public can become retracted, and a retracted claim is readable by
id, so a draft has no side door to the public.

Content changes go through the `*_update` services, which take the changed fields and apply them
in `_update`, the one place where a claim's, an appearance's or an argument's fields change.

Writers lock a claim before its appearances, so that publishing a claim and moving its last
appearance away take turns: a published claim always has an appearance.
"""

import hashlib
import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import DataError, OperationalError, connection, models, transaction
from django.db.models import F, Func, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import MD5, Concat
from django.utils import timezone
from simple_history.models import HistoricalChanges

from claims import extraction, search
from claims.models import (
    APPEARANCE_FIELDS,
    ARGUMENT_FIELDS,
    CLAIM_FIELDS,
    Appearance,
    Argument,
    Claim,
    Speaker,
    Stance,
    Status,
)
from claims.search import search_index_refresh_on_commit
from notes import revisions
from notes.models import Note, Video
from notes.parsing import ParsedNote, Sentence, slugify_title
from notes.services import topic_get_or_create, topic_name_from_link, topics_get_or_create

logger = logging.getLogger(__name__)

Actor = AbstractBaseUser | None
#: Field name → new value; a related object may be given as an instance or as its id.
Changes = Mapping[str, object]


class TransitionError(Exception):
    """A status change that is not allowed from the object's current state."""


class VersionConflict(Exception):
    """An edit based on a version of `item` that is no longer its current one.

    `item` is the object as it is now (its `version` the current one), `expected` the version
    the edit was based on; nothing was changed.
    """

    def __init__(self, *, item: models.Model, expected: int):
        self.item = item
        self.expected = expected
        kind = item._meta.verbose_name.capitalize()
        super().__init__(
            f"{kind} #{item.pk} was changed meanwhile: it is at version {item.version}, and "
            f"this change was based on version {expected}. Nothing was saved; look at the "
            "current version and make the change again."
        )


#: What has a `version`: one more with each change saved through these services.
VERSIONED = (Claim, Appearance, Argument)


#: Each transition: the one state it starts from, the state it leads to, and its past tense.
_MOVES: dict[str, tuple[Status, Status, str]] = {
    "publish": (Status.DRAFT, Status.PUBLISHED, "published"),
    "discard": (Status.DRAFT, Status.DISCARDED, "discarded"),
    "retract": (Status.PUBLISHED, Status.RETRACTED, "retracted"),
    "restore": (Status.RETRACTED, Status.PUBLISHED, "restored"),
}

#: What to do instead, when an editor tries a move from the wrong state.
_HINTS: dict[tuple[str, Status], str] = {
    ("publish", Status.RETRACTED): "restore it instead, with a reason",
    ("retract", Status.DRAFT): "discard a draft instead",
    ("discard", Status.PUBLISHED): "retract it instead, with a reason",
    ("restore", Status.DRAFT): "publish it instead",
}


def _check_move(item: Claim | Argument, verb: str) -> None:
    start, _, done = _MOVES[verb]
    if item.status != start:
        kind = item._meta.verbose_name
        hint = _HINTS.get((verb, item.status))
        raise TransitionError(
            f"{kind.capitalize()} #{item.pk} is {item.status}; only a {start} {kind} can be "
            f"{done}" + (f": {hint}." if hint else ".")
        )


def _transition(
    item: Claim | Argument,
    verb: str,
    *,
    actor: Actor,
    reason: str = "",
    extra_fields=(),
    contribution_id: int | None = None,
) -> None:
    _check_move(item, verb)
    old = item.status
    _, item.status, _ = _MOVES[verb]
    item.retraction_reason = reason if item.status == Status.RETRACTED else ""
    _save(
        item,
        actor=actor,
        reason=f"{old} → {item.status}" + (f": {reason}" if reason else ""),
        fields=["status", "retraction_reason", "updated_at", *extra_fields],
        contribution_id=contribution_id,
    )


def _stamp(item, *, actor: Actor, reason: str, contribution_id: int | None) -> None:
    """What the history row of the next save of `item` records besides its fields."""
    item._history_user = actor
    item._change_reason = reason
    # Read by `claims.models.stamp_contribution` as the history row is written.
    item._history_contribution_id = contribution_id


def _save(
    item,
    *,
    actor: Actor,
    reason: str,
    fields: Iterable[str] | None = None,
    contribution_id: int | None = None,
):
    """Validate and save `item`, its history row naming `actor`, `reason` and the contribution.

    Saving a stored claim, appearance or argument makes its next version, counted from the
    stored one (read locked: a caller may hold a copy read before another change).
    """
    _stamp(item, actor=actor, reason=reason, contribution_id=contribution_id)
    if fields is not None:
        fields = list(fields)
    if isinstance(item, VERSIONED) and not item._state.adding:
        stored = type(item)._base_manager.select_for_update().filter(pk=item.pk)
        item.version = stored.values_list("version", flat=True).get() + 1
        if fields is not None:
            fields.append("version")
    item.full_clean()
    item.save(update_fields=fields)
    return item


def _check_version(item, expected_version: int | None) -> None:
    """Refuse a change based on another version than `item`'s (locked by the caller)."""
    if expected_version is not None and item.version != expected_version:
        raise VersionConflict(item=item, expected=expected_version)


def _required(reason: str, what: str) -> str:
    if not reason.strip():
        raise TransitionError(f"Say why the {what}.")
    return reason.strip()


def _pk(value: object) -> object:
    return value.pk if isinstance(value, models.Model) else value


def _locked(model: type[models.Model], item: models.Model):
    return model.objects.select_for_update().get(pk=item.pk)


def _update(
    item,
    changes: Changes,
    *,
    editable: Sequence[str],
    actor: Actor,
    reason: str,
    expected_version: int | None,
    contribution_id: int | None,
):
    """Apply `changes` to `item` (locked by the caller) and save it with one history row, as
    its next version.

    The one place where the fields of claims, appearances and arguments change. Values equal
    to the stored ones are no change; when nothing changes, nothing is written. A change based
    on another version than the stored one (`expected_version`) is refused with
    `VersionConflict`, even one that would change nothing.
    """
    _check_version(item, expected_version)
    not_editable = sorted(set(changes) - set(editable))
    if not_editable:
        raise ValueError(
            f"{', '.join(not_editable)} cannot be changed by an edit; "
            "statuses change through publish, retract, restore and discard."
        )
    changed: list[str] = []
    relations: dict[str, set[object]] = {}
    for name, value in changes.items():
        field = item._meta.get_field(name)
        if field.many_to_many:
            wanted = {_pk(each) for each in value}
            if wanted != set(getattr(item, name).values_list("pk", flat=True)):
                relations[name] = wanted
        elif field.is_relation:
            if getattr(item, field.attname) != _pk(value):
                setattr(item, field.attname, _pk(value))
                changed.append(name)
        elif getattr(item, name) != value:
            setattr(item, name, value)
            changed.append(name)
    if not changed and not relations:
        return item

    _stamp(item, actor=actor, reason=reason, contribution_id=contribution_id)
    item.version += 1
    changed.append("version")
    item.full_clean()
    # The history row written by the save below records the new relations with the new
    # fields: one row per edit, not one more per relation changed.
    item.skip_history_when_saving = True
    try:
        for name, wanted in relations.items():
            getattr(item, name).set(wanted)
    finally:
        del item.skip_history_when_saving
    if any(field.name == "updated_at" for field in item._meta.concrete_fields):
        changed.append("updated_at")
    item.save(update_fields=changed)
    return item


@transaction.atomic
def claim_create(
    *,
    text: str,
    topics: Iterable[str] = (),
    actor: Actor = None,
    reason: str = "Created",
    contribution_id: int | None = None,
) -> Claim:
    """A new draft claim, filed under the topics with the given slugs."""
    claim = _save(Claim(text=text), actor=actor, reason=reason, contribution_id=contribution_id)
    claim.topics.set([topic_get_or_create(slug=slug) for slug in topics])
    return claim


@transaction.atomic
def claim_update(
    *,
    claim: Claim,
    changes: Changes,
    actor: Actor,
    reason: str = "Edited",
    expected_version: int | None = None,
    contribution_id: int | None = None,
) -> Claim:
    """Change a claim's `text` and `topics` (Topic objects or ids), whatever its status; with
    `expected_version`, only if the claim is still at that version (else `VersionConflict`)."""
    claim = _locked(Claim, claim)
    return _update(
        claim,
        changes,
        editable=CLAIM_FIELDS,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
        contribution_id=contribution_id,
    )


@transaction.atomic
def appearance_create(
    *,
    claim: Claim,
    video: Video,
    start_seconds: int,
    end_seconds: int | None = None,
    speaker: Speaker | None = None,
    quote: str = "",
    note: Note | None = None,
    actor: Actor = None,
    reason: str = "Created",
    contribution_id: int | None = None,
) -> Appearance:
    """Record that `claim` was made in `video` at `start_seconds`."""
    appearance = Appearance(
        claim=claim,
        video=video,
        start_seconds=start_seconds,
        end_seconds=end_seconds,
        speaker=speaker,
        quote=quote,
        note=note,
    )
    return _save(appearance, actor=actor, reason=reason, contribution_id=contribution_id)


@transaction.atomic
def appearance_update(
    *,
    appearance: Appearance,
    changes: Changes,
    actor: Actor,
    reason: str = "Edited",
    expected_version: int | None = None,
    contribution_id: int | None = None,
) -> Appearance:
    """Change an appearance, or move it to another claim (`changes["claim"]`); with
    `expected_version`, only if it is still at that version (else `VersionConflict`).

    Moving the only appearance of a published claim away is refused (ValidationError, from
    `Appearance.clean`), with that claim locked so that it cannot be published meanwhile.
    """
    claim_id = Appearance.objects.values_list("claim_id", flat=True).get(pk=appearance.pk)
    _locked(Claim, Claim(pk=claim_id))
    appearance = _locked(Appearance, appearance)
    if appearance.claim_id != claim_id:
        raise TransitionError(
            f"Appearance #{appearance.pk} was moved to another claim meanwhile; try again."
        )
    return _update(
        appearance,
        changes,
        editable=APPEARANCE_FIELDS,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
        contribution_id=contribution_id,
    )


@transaction.atomic
def argument_create(
    *,
    claim: Claim,
    stance: Stance,
    text: str,
    video: Video | None = None,
    start_seconds: int | None = None,
    end_seconds: int | None = None,
    source_url: str = "",
    speaker: Speaker | None = None,
    premise: Claim | None = None,
    actor: Actor = None,
    reason: str = "Created",
    contribution_id: int | None = None,
) -> Argument:
    """A draft argument for or against `claim`, with its evidence."""
    argument = Argument(
        claim=claim,
        stance=stance,
        text=text,
        video=video,
        start_seconds=start_seconds,
        end_seconds=end_seconds,
        source_url=source_url,
        speaker=speaker,
        premise=premise,
    )
    return _save(argument, actor=actor, reason=reason, contribution_id=contribution_id)


@transaction.atomic
def argument_update(
    *,
    argument: Argument,
    changes: Changes,
    actor: Actor,
    reason: str = "Edited",
    expected_version: int | None = None,
    contribution_id: int | None = None,
) -> Argument:
    """Change an argument's text, stance or evidence, or move it to another claim; with
    `expected_version`, only if it is still at that version (else `VersionConflict`)."""
    argument = _locked(Argument, argument)
    return _update(
        argument,
        changes,
        editable=ARGUMENT_FIELDS,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
        contribution_id=contribution_id,
    )


@transaction.atomic
def speaker_get_or_create(
    *, name: str, actor: Actor = None, contribution_id: int | None = None
) -> Speaker:
    slug = slugify_title(name)
    speaker = Speaker.objects.filter(slug=slug).first()
    if speaker is not None:
        return speaker
    return _save(
        Speaker(slug=slug, name=name),
        actor=actor,
        reason="Created",
        contribution_id=contribution_id,
    )


def _check_grounded(claim: Claim, verb: str) -> None:
    """A public claim is grounded in a moment of a video: refuse one without an appearance."""
    if not claim.appearances.exists():
        raise TransitionError(
            f"Claim #{claim.pk} has no appearance: add where and when it was made "
            f"before it can be {_MOVES[verb][2]}."
        )


@transaction.atomic
def claim_publish(*, claim: Claim, actor: Actor, contribution_id: int | None = None) -> Claim:
    """Make a draft public; it needs at least one appearance."""
    claim = _locked(Claim, claim)
    _check_move(claim, "publish")
    _check_grounded(claim, "publish")
    claim.published_at = timezone.now()
    _transition(
        claim,
        "publish",
        actor=actor,
        extra_fields=["published_at"],
        contribution_id=contribution_id,
    )
    return claim


@transaction.atomic
def claim_retract(
    *, claim: Claim, actor: Actor, reason: str, contribution_id: int | None = None
) -> Claim:
    """Hide a published claim from public lists, keeping it and saying why at its address."""
    reason = _required(reason, "claim is retracted")
    claim = _locked(Claim, claim)
    _transition(claim, "retract", actor=actor, reason=reason, contribution_id=contribution_id)
    return claim


@transaction.atomic
def claim_restore(
    *, claim: Claim, actor: Actor, reason: str, contribution_id: int | None = None
) -> Claim:
    """Make a retracted claim public again, saying why; it needs at least one appearance."""
    reason = _required(reason, "claim is restored")
    claim = _locked(Claim, claim)
    _check_move(claim, "restore")
    if claim.merged_into_id is not None:
        raise TransitionError(
            f"Claim #{claim.pk} was merged into claim #{claim.merged_into_id}, which holds its "
            "appearances and arguments now; it cannot be restored."
        )
    _check_grounded(claim, "restore")
    _transition(claim, "restore", actor=actor, reason=reason, contribution_id=contribution_id)
    return claim


@transaction.atomic
def claim_discard(
    *,
    claim: Claim,
    actor: Actor,
    reason: str = "",
    contribution_id: int | None = None,
) -> Claim:
    """Throw a draft away for good. It stays in the database, never public, so that
    extracting claims from its note again does not bring it back."""
    claim = _locked(Claim, claim)
    _transition(
        claim, "discard", actor=actor, reason=reason.strip(), contribution_id=contribution_id
    )
    return claim


@dataclass(frozen=True, slots=True)
class MergeExposure:
    """What merging unpublished claims into a published one makes public."""

    appearances: list[Appearance]
    arguments: list[Argument]


def merge_exposure(*, duplicates: Iterable[Claim]) -> MergeExposure:
    """The appearances and published arguments of the unpublished `duplicates`: merged into a
    published claim, they become public with it."""
    hidden = [claim.pk for claim in duplicates if claim.status != Status.PUBLISHED]
    return MergeExposure(
        appearances=list(
            Appearance.objects.filter(claim__in=hidden)
            .select_related("video")
            .order_by("claim_id", "start_seconds", "id")
        ),
        arguments=list(
            Argument.objects.published().filter(claim__in=hidden).order_by("claim_id", "id")
        ),
    )


def _ids(label: str, items: Sequence[models.Model]) -> str:
    """`received appearance #3`, `received appearances #3, #4`: the label in the items' number
    (it ends in the singular noun, given an `s` for several), or "" for none."""
    if not items:
        return ""
    return f"{label}{'s' if len(items) > 1 else ''} {', '.join(f'#{item.pk}' for item in items)}"


@transaction.atomic
def claim_merge(
    *,
    keep: Claim,
    duplicates: Sequence[Claim],
    actor: Actor,
    contribution_id: int | None = None,
) -> Claim:
    """Fold duplicate claims into `keep`.

    Their appearances, arguments and topics move to `keep`, arguments resting on them rest on
    `keep` instead, and each duplicate points at `keep`: a published one is retracted, so old
    links still lead somewhere, and a draft is discarded, since nobody ever saw it. Merging
    drafts into a published claim makes what they held public; `keep`'s history names it all.
    """
    ids = [claim.pk for claim in duplicates if claim.pk != keep.pk]
    if not ids:
        raise TransitionError("Choose at least one other claim to merge into the one kept.")
    # In id order, so that two merges of overlapping claims queue instead of deadlocking.
    locked = {
        claim.pk: claim
        for claim in Claim.objects.select_for_update().filter(pk__in=[keep.pk, *ids]).order_by("pk")
    }
    keep = locked[keep.pk]
    others = [locked[pk] for pk in ids]
    if keep.status not in (Status.DRAFT, Status.PUBLISHED):
        raise TransitionError(
            f"Claim #{keep.pk} is {keep.status}; keep a draft or published claim."
        )
    for claim in others:
        if claim.status not in (Status.DRAFT, Status.PUBLISHED):
            raise TransitionError(
                f"Claim #{claim.pk} is {claim.status}; only draft and published claims can be "
                "merged into another."
            )
    published = [c.pk for c in others if c.status == Status.PUBLISHED]
    if published and keep.status != Status.PUBLISHED:
        raise TransitionError(
            f"Claim #{published[0]} is published but claim #{keep.pk}, the one kept, is not: "
            "publish it first, or keep the published one."
        )
    exposed = (
        merge_exposure(duplicates=others)
        if keep.status == Status.PUBLISHED
        else MergeExposure(appearances=[], arguments=[])
    )

    # The duplicates leave the public first, so that their last appearances may leave them.
    reason = f"Merged into claim #{keep.pk}"
    merged = ", ".join(f"#{claim.pk} ({claim.status})" for claim in others)
    for claim in others:
        claim.merged_into = keep
        verb = "retract" if claim.status == Status.PUBLISHED else "discard"
        _transition(
            claim,
            verb,
            actor=actor,
            reason=reason,
            extra_fields=["merged_into"],
            contribution_id=contribution_id,
        )

    appearances = list(Appearance.objects.filter(claim__in=others).order_by("id"))
    for appearance in appearances:
        appearance.claim = keep
        _save(
            appearance,
            actor=actor,
            reason=reason,
            fields=["claim"],
            contribution_id=contribution_id,
        )
    arguments = list(Argument.objects.filter(claim__in=others).order_by("id"))
    for argument in arguments:
        argument.claim = keep
        if argument.premise_id == keep.pk:
            argument.premise = None
        _save(
            argument,
            actor=actor,
            reason=reason,
            fields=["claim", "premise", "updated_at"],
            contribution_id=contribution_id,
        )
    for argument in Argument.objects.filter(premise__in=others):
        argument.premise = None if argument.claim_id == keep.pk else keep
        _save(
            argument,
            actor=actor,
            reason=reason,
            fields=["premise", "updated_at"],
            contribution_id=contribution_id,
        )
    # Recorded by the history row of `keep` below, with the appearances and arguments.
    keep.skip_history_when_saving = True
    try:
        keep.topics.add(*{topic for claim in others for topic in claim.topics.all()})
    finally:
        del keep.skip_history_when_saving

    received = "; ".join(
        part
        for part in (
            _ids("received appearance", appearances),
            _ids("received argument", arguments),
            _ids("made public appearance", exposed.appearances),
            _ids("made public argument", exposed.arguments),
        )
        if part
    )
    _save(
        keep,
        actor=actor,
        reason=f"Merged in claim{'s' if len(others) > 1 else ''} {merged}"
        + (f": {received}" if received else ""),
        fields=["updated_at"],
        contribution_id=contribution_id,
    )
    return keep


@transaction.atomic
def argument_publish(
    *, argument: Argument, actor: Actor, contribution_id: int | None = None
) -> Argument:
    """Make a draft argument public (with its claim, once that is published)."""
    argument = _locked(Argument, argument)
    _transition(argument, "publish", actor=actor, contribution_id=contribution_id)
    return argument


@transaction.atomic
def argument_retract(
    *, argument: Argument, actor: Actor, reason: str, contribution_id: int | None = None
) -> Argument:
    reason = _required(reason, "argument is retracted")
    argument = _locked(Argument, argument)
    _transition(argument, "retract", actor=actor, reason=reason, contribution_id=contribution_id)
    return argument


@transaction.atomic
def argument_restore(
    *, argument: Argument, actor: Actor, reason: str, contribution_id: int | None = None
) -> Argument:
    reason = _required(reason, "argument is restored")
    argument = _locked(Argument, argument)
    _transition(argument, "restore", actor=actor, reason=reason, contribution_id=contribution_id)
    return argument


@transaction.atomic
def argument_discard(
    *,
    argument: Argument,
    actor: Actor,
    reason: str = "",
    contribution_id: int | None = None,
) -> Argument:
    argument = _locked(Argument, argument)
    _transition(
        argument, "discard", actor=actor, reason=reason.strip(), contribution_id=contribution_id
    )
    return argument


#: What a revert brings back: content, never a status. Not a claim's topics either: the rows
#: of claims extracted in bulk recorded none, so an old version would seem to have none.
REVERTED_FIELDS = {Claim: ("text",), Appearance: APPEARANCE_FIELDS, Argument: ARGUMENT_FIELDS}
_UPDATES = {Claim: claim_update, Appearance: appearance_update, Argument: argument_update}


@transaction.atomic
def history_revert(*, record: HistoricalChanges, actor: Actor):
    """Bring back the content one of an object's history rows recorded (`REVERTED_FIELDS`),
    through its update service.

    Never a status, its reason, a publication date or a merge pointer: those move only through
    the transitions, so a revert to a version with another status leaves the status as it is.
    Whatever the update service refuses is refused (ValidationError, TransitionError). The
    revert is itself a change, recorded with its actor, so it can be reverted in turn.
    """
    model = record.instance_type
    reason = f"Reverted to version {record.history_id} of {record.history_date:%Y-%m-%d %H:%M:%S}"
    instance = record.instance
    if not model.objects.filter(pk=instance.pk).exists():
        # A deleted object comes back with its content, and as a draft if it has a status.
        if hasattr(instance, "status"):
            instance.status = Status.DRAFT
            instance.retraction_reason = ""
        if isinstance(instance, Claim):
            instance.merged_into = None
            instance.published_at = None
        # Its versions go on from the last one it had, so none is ever given twice.
        last = model.history.filter(id=instance.pk).aggregate(last=models.Max("version"))
        instance.version = last["last"] + 1
        instance._state.adding = True
        return _save(instance, actor=actor, reason=reason)
    changes = {
        name: getattr(instance, model._meta.get_field(name).attname)
        for name in REVERTED_FIELDS[model]
    }
    return _UPDATES[model](
        **{model._meta.model_name: instance}, changes=changes, actor=actor, reason=reason
    )


@transaction.atomic
def claims_extract_from_note(*, note: Note, parsed: ParsedNote, actor: Actor = None) -> int:
    """Turn the timestamped sentences of a note into draft claims, each scored by
    `claims.extraction.claim_likeness`.

    A sentence of fewer than `extraction.MIN_WORDS` words is no claim and makes no draft.
    Near-identical sentences of the note become one draft with an appearance for each. A
    sentence already drawn from this note at this second (in the same words, whatever their
    case and punctuation) is skipped, wherever its claim went since (published, merged or
    discarded), and so is one near-identical to a draft of this note that an editor discarded:
    re-running never duplicates drafts nor brings back discarded ones. A new sentence
    near-identical to a draft of this note still waiting for an editor joins that draft as
    another appearance. Returns how many drafts were created.
    """
    return claims_extract_from_notes(notes=[(note, parsed)], actor=actor)[note.pk]


@transaction.atomic
def claims_extract_from_notes(
    *, notes: Sequence[tuple[Note, ParsedNote]], actor: Actor = None
) -> dict[int, int]:
    """`claims_extract_from_note` for many notes at once, in a constant number of queries.

    Returns how many drafts were created, by note id.
    """
    # Locked first, so that two imports extracting from one note at once take turns: the
    # second then sees the drafts the first one made.
    ids = [note.pk for note, _ in notes]
    list(Note.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
    drawn = _drawn_from(ids)
    # Each group: near-identical fresh sentences of one note, which become one draft.
    groups: list[tuple[Note, list[_Candidate]]] = []
    # Sentences that join a draft drawn from their note before: each with that draft's id.
    joining: list[tuple[Note, _Candidate, int]] = []
    for note, parsed in notes:
        fresh = []
        before = drawn.get(note.pk, _Drawn())
        for sentence in parsed.sentences:
            candidate = _Candidate.of(sentence)
            if (sentence.seconds, candidate.key) in before.seen:
                continue
            before.seen.add((sentence.seconds, candidate.key))
            if len(candidate.words) < extraction.MIN_WORDS:
                continue
            if any(candidate.near(words) for words in before.discarded):
                continue
            draft = next((pk for pk, words in before.drafts if candidate.near(words)), None)
            if draft is not None:
                joining.append((note, candidate, draft))
            else:
                fresh.append(candidate)
        groups.extend(
            (note, [fresh[index] for index in group])
            for group in extraction.group_near_identical_words([item.word_set for item in fresh])
        )
    counts = dict.fromkeys(ids, 0)
    if not groups and not joining:
        return counts

    claim_ids, indexed = _drafts_written([group for _, group in groups])
    drawn_to = [
        *(
            (claim_id, note, candidate)
            for claim_id, (note, group) in zip(claim_ids, groups, strict=True)
            for candidate in group
        ),
        *((draft, note, candidate) for note, candidate, draft in joining),
    ]
    appearance_ids = _appearances_written(drawn_to)
    # A new claim's history row is read through its first appearance, made just above,
    # which names its note.
    fresh = len(drawn_to) - len(joining)
    firsts: dict[int, int] = {}
    for (claim_id, _, _), pk in zip(drawn_to[:fresh], appearance_ids[:fresh], strict=True):
        firsts.setdefault(claim_id, pk)
    _history_written(Claim, list(firsts.values()), actor=actor, through="claim")
    _history_written(Appearance, appearance_ids, actor=actor)
    # Named as the notes wrote their links, not as their slugs read.
    names: dict[str, str] = {}
    for _, parsed in notes:
        for link in parsed.links:
            names.setdefault(link.target_slug, topic_name_from_link(link.target))
    topics = topics_get_or_create(
        slugs={slug for _, group in groups for item in group for slug in item.sentence.link_slugs},
        names=names,
    )
    Claim.topics.through.objects.bulk_create(
        Claim.topics.through(claim_id=claim_id, topic_id=topics[slug].pk)
        for claim_id, (_, group) in zip(claim_ids, groups, strict=True)
        for slug in dict.fromkeys(slug for item in group for slug in item.sentence.link_slugs)
    )
    for note, _ in groups:
        counts[note.pk] += 1
    # Bulk creation sends no post_save: the search index and the revision hear of it here. A
    # draft joined by a sentence has one quote more to be found by.
    search_index_refresh_on_commit(
        claim_ids=[*([] if indexed else claim_ids), *(draft for _, _, draft in joining)]
    )
    revisions.bump("claims", "topics")
    return counts


def _drafts_written(groups: list[list["_Candidate"]]) -> tuple[list[int], bool]:
    """Write a draft for each group of near-identical sentences, scored by its first one, and
    return their ids, in the order of `groups`, and whether their search vectors are written.

    Written in bulk because a long note yields hundreds of sentences; the values are valid by
    construction and the database constraints still hold them. On PostgreSQL, one INSERT from
    arrays writes each draft with the vector its quotes (the group's sentences) give it: an
    UPDATE of each new row after would write it twice, and cost more than the insert. Should
    the database refuse a vector, the drafts are written without, for the refresh to index.
    """
    texts = [group[0].sentence.text for group in groups]
    known = _known_texts({group[0].key for group in groups})
    scores = [
        extraction.claim_likeness(text, known=known, words=group[0].words)
        for text, group in zip(texts, groups, strict=True)
    ]
    if connection.vendor != "postgresql":
        claims = Claim.objects.bulk_create(
            Claim(text=text, extraction_score=score)
            for text, score in zip(texts, scores, strict=True)
        )
        return [claim.pk for claim in claims], False
    columns = {"text": texts, "extraction_score": scores}
    quotes = ["\n".join(item.sentence.text for item in group) for group in groups]
    vector = search.new_claim_vector_sql("given.text", "given.quotes", using=connection.alias)
    try:
        with transaction.atomic():
            ids = _inserted(
                Claim,
                columns=columns,
                computed={"search_vector": vector},
                inputs={"quotes": ("text", quotes)},
            )
        return ids, True
    except (DataError, OperationalError):
        # A text the search index cannot take ("string is too long for tsvector").
        logger.warning("The search index refused extracted drafts; they are indexed apart")
    return _inserted(Claim, columns=columns), False


def _inserted(
    model: type[models.Model],
    *,
    columns: Mapping[str, list],
    computed: Mapping[str, tuple[str, list]] = {},
    inputs: Mapping[str, tuple[str, list]] = {},
) -> list[int]:
    """Insert rows into the table of `model` on PostgreSQL, in one statement sending each
    column as one array, and return their ids in the order given (as Django's own bulk insert
    from arrays does). No model instance is made, nor any signal sent.

    `columns` gives each row's value of these fields (by attname), field by field; `computed`
    the SQL (with its parameters) computing these fields from the row's values, named
    `given.<name>`; `inputs` more values of each row for that SQL, which are no fields, each
    with its SQL type. Every other field takes its default, or the time for `auto_now(_add)`.
    """
    quote_name = connection.ops.quote_name
    meta = model._meta
    now = timezone.now()
    same = {
        field.attname: now
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        else field.get_default()
        for field in meta.concrete_fields
        if not field.primary_key and field.attname not in {*columns, *computed}
    }
    arrays = {
        name: (meta.get_field(name).db_type(connection).split("(")[0], values)
        for name, values in columns.items()
    } | dict(inputs)
    targets = [meta.get_field(name).column for name in [*columns, *same, *computed]]
    selected = [
        *(f"given.{name}" for name in columns),
        *(["%s"] * len(same)),
        *(sql for sql, _ in computed.values()),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote_name(meta.db_table)} ({', '.join(map(quote_name, targets))}) "
            f"SELECT {', '.join(selected)} "
            f"FROM unnest({', '.join(f'%s::{kind}[]' for kind, _ in arrays.values())}) "
            f"AS given({', '.join(arrays)}) RETURNING {quote_name(meta.pk.column)}",
            [
                *same.values(),
                *(param for _, params in computed.values() for param in params),
                *(values for _, values in arrays.values()),
            ],
        )
        return [pk for (pk,) in cursor.fetchall()]


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A sentence of a note, with its words, made once: an extraction compares each sentence
    with the note's other sentences and with the drafts drawn from it before."""

    sentence: Sentence
    words: tuple[str, ...]
    word_set: frozenset[str]

    @classmethod
    def of(cls, sentence: Sentence) -> "_Candidate":
        words = tuple(extraction.words_of(sentence.text))
        return cls(sentence, words, frozenset(words))

    @property
    def key(self) -> str:
        """The sentence's `extraction.normalized` text."""
        return " ".join(self.words)

    def near(self, words: frozenset[str]) -> bool:
        return extraction.words_near_identical(self.word_set, words)


@dataclass
class _Drawn:
    """What was drawn from a note before: its sentences, each as (second, normalized text),
    the words of those whose draft an editor discarded, and the drafts still waiting."""

    seen: set[tuple[int, str]] = field(default_factory=set)
    discarded: list[frozenset[str]] = field(default_factory=list)
    drafts: list[tuple[int, frozenset[str]]] = field(default_factory=list)


def _drawn_from(note_ids: list[int]) -> dict[int, _Drawn]:
    """What was drawn from each of these notes before, by note id, in one query."""
    drawn: dict[int, _Drawn] = {}
    rows = Appearance.objects.filter(note__in=note_ids).order_by("id")
    for note_id, seconds, quote, claim_id, status in rows.values_list(
        "note", "start_seconds", "quote", "claim", "claim__status"
    ):
        words = extraction.words_of(quote)
        found = drawn.setdefault(note_id, _Drawn())
        found.seen.add((seconds, " ".join(words)))
        if status == Status.DISCARDED:
            found.discarded.append(frozenset(words))
        elif status == Status.DRAFT:
            found.drafts.append((claim_id, frozenset(words)))
    return drawn


def _known_texts(keys: Collection[str]) -> set[str]:
    """Those of these `extraction.normalized` texts that an existing claim has, whatever its
    case and punctuation: the database finds the claims with the same letters, digits and
    uncommon marks, Python keeps those with the same words."""
    digests = {hashlib.md5(_letters(key).encode()).hexdigest() for key in keys}
    if connection.vendor == "postgresql":
        # A lookup of the index of migration 0011 for each digest: given all of them at
        # once, the planner reads every claim instead, computing each one's digest. The
        # LIMIT keeps the lateral subquery from being flattened into such a join.
        table = connection.ops.quote_name(Claim._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT found.text FROM unnest(%s::text[]) AS given(digest) CROSS JOIN LATERAL "
                f"(SELECT claim.text FROM {table} AS claim "
                f"WHERE md5({_Letters.postgresql('claim.text')}) = given.digest LIMIT %s) AS found",
                [sorted(digests), _KNOWN_MATCHES],
            )
            found = [text for (text,) in cursor.fetchall()]
    else:
        found = (
            Claim.objects.alias(letters=MD5(_Letters("text")))
            .filter(letters__in=digests)
            .order_by()
            .values_list("text", flat=True)
        )
    return {extraction.normalized(text) for text in found} & set(keys)


#: Claims read with the same letters as one sentence, at most: more than a few say the same.
_KNOWN_MATCHES = 100


def _letters(normalized: str) -> str:
    """What `_Letters` makes of a text with these `extraction.normalized` words, when its
    marks are all common ones."""
    return normalized.replace(" ", "").replace("'", "").replace("’", "")


class _Letters(Func):
    """A text lowercased with its spaces and punctuation dropped: the same for two texts of the
    same words. Looser than that (`a b` and `ab` match), and it drops only the common marks
    (and SQLite lowercases only ASCII), so it may miss a text with other ones."""

    output_field = models.TextField()
    # The common ones: SQLite's parser refuses a few dozen nested calls.
    _MARKS = " .,;:!?\"'’‘“”()-–—…/"

    @classmethod
    def postgresql(cls, column: str) -> str:
        """The SQL on PostgreSQL, as migration 0011 indexes it; translate(), not a regular
        expression, which costs ten times as much on each claim."""
        marks = cls._MARKS.replace("'", "''")
        return f"translate(lower({column}), '{marks}', '')"

    def as_postgresql(self, compiler, connection, **extra):
        template = self.postgresql("%(expressions)s")
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sql(self, compiler, connection, template=None, **extra):
        if template is None:
            template = "lower(%(expressions)s)"
            for mark in self._MARKS:
                literal = mark.replace("'", "''")
                template = f"replace({template}, '{literal}', '')"
        return super().as_sql(compiler, connection, template=template, **extra)


def _appearances_written(drawn_to: list[tuple[int, Note, _Candidate]]) -> list[int]:
    """Write an appearance of each sentence in the claim it was drawn to, and return their
    ids, in the order given."""
    if connection.vendor == "postgresql":
        return _inserted(
            Appearance,
            columns={
                "claim_id": [claim_id for claim_id, _, _ in drawn_to],
                "video_id": [note.video_id for _, note, _ in drawn_to],
                "start_seconds": [item.sentence.seconds for _, _, item in drawn_to],
                "quote": [item.sentence.text for _, _, item in drawn_to],
                "note_id": [note.pk for _, note, _ in drawn_to],
            },
        )
    # Ids rather than objects: a related object costs a descriptor and a check on each save.
    appearances = Appearance.objects.bulk_create(
        Appearance(
            claim_id=claim_id,
            video_id=note.video_id,
            start_seconds=item.sentence.seconds,
            quote=item.sentence.text,
            note_id=note.pk,
        )
        for claim_id, note, item in drawn_to
    )
    return [item.pk for item in appearances]


def _history_written(
    model: type[models.Model], appearance_ids: list[int], *, actor: Actor, through: str = ""
) -> None:
    """The history rows of the rows of `model` just extracted, copied from them by the
    database: building a historical object for each of thousands of drafts in Python would
    cost more than the rest of their import. They are read from appearances `appearance_ids`
    (which name their note), or from the claim each reaches `through`.

    The rows are what `bulk_create_with_history` writes: the tracked fields, the actor, the
    time, `Extracted from note <slug>`, and no contribution.
    """
    history = model.history.model
    prefix = f"{through}__" if through else ""
    tracked = {field.attname: field.name for field in model._meta.concrete_fields}
    values = {
        "history_date": Value(timezone.now(), output_field=models.DateTimeField()),
        "history_change_reason": Concat(
            Value("Extracted from note "), F("note__slug"), output_field=models.TextField()
        ),
        "history_type": Value("+"),
        "history_user_id": Value(actor.pk if actor else None, output_field=models.IntegerField()),
    }
    columns = []
    selected = []
    for history_field in history._meta.concrete_fields:
        if history_field.attname == "history_id":
            continue
        columns.append(history_field.column)
        if history_field.attname in tracked:
            selected.append(F(prefix + tracked[history_field.attname]))
        elif history_field.attname in values:
            selected.append(values[history_field.attname])
        else:
            selected.append(Value(None, output_field=models.BigIntegerField()))
    quote = connection.ops.quote_name
    insert = f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(map(quote, columns))}) "
    # On PostgreSQL, the ids as one array: as many placeholders would cost more to send.
    postgresql = connection.vendor == "postgresql"
    chunk_size = max(len(appearance_ids), 1) if postgresql else _HISTORY_CHUNK
    for start in range(0, len(appearance_ids), chunk_size):
        chunk = appearance_ids[start : start + chunk_size]
        rows = Appearance._base_manager.filter(
            pk__in=RawSQL("SELECT unnest(%s::bigint[])", [chunk]) if postgresql else chunk
        ).order_by("pk")
        sql, params = rows.values_list(*selected).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(insert + sql, params)


#: Ids in one INSERT … SELECT of history rows on SQLite: under its limit on query parameters.
_HISTORY_CHUNK = 900
