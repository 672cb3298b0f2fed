"""Writes to claims, appearances and arguments.

Status changes go through the transitions below and nowhere else: each checks the current
state, refuses an illegal move with `TransitionError`, and leaves a history row naming the
actor, the old and new state and the reason, in the same transaction as the change.
"""

from collections.abc import Iterable, Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from simple_history.models import HistoricalChanges
from simple_history.utils import bulk_create_with_history

from claims.models import Appearance, Argument, Claim, Speaker, Stance, Status
from claims.search import search_index_refresh_on_commit
from notes import revisions
from notes.models import Note, Video
from notes.parsing import ParsedNote, slugify_title
from notes.services import topic_get_or_create

Actor = AbstractBaseUser | None


class TransitionError(Exception):
    """A status change that is not allowed from the object's current state."""


# From which states each target state may be reached.
_ALLOWED_FROM: dict[str, set[str]] = {
    Status.PUBLISHED: {Status.DRAFT, Status.RETRACTED},
    Status.RETRACTED: {Status.DRAFT, Status.PUBLISHED},
    Status.DRAFT: set(),
}


def _save(item, *, actor: Actor, reason: str, fields: Iterable[str] | None = None):
    """Validate and save `item`, its history row naming `actor` and `reason`."""
    item._history_user = actor
    item._change_reason = reason
    item.full_clean()
    item.save(update_fields=None if fields is None else list(fields))
    return item


def _transition(
    item: Claim | Argument, *, to: Status, actor: Actor, reason: str = "", extra_fields=()
) -> None:
    old = item.status
    if old not in _ALLOWED_FROM[to]:
        kind = item._meta.verbose_name
        raise TransitionError(f"{kind.capitalize()} #{item.pk} is {old}; it cannot become {to}.")
    item.status = to
    item.retraction_reason = reason if to == Status.RETRACTED else ""
    _save(
        item,
        actor=actor,
        reason=f"{old} → {to}" + (f": {reason}" if reason else ""),
        fields=["status", "retraction_reason", "updated_at", *extra_fields],
    )


@transaction.atomic
def claim_create(
    *, text: str, topics: Iterable[str] = (), actor: Actor = None, reason: str = "Created"
) -> Claim:
    """A new draft claim, filed under the topics with the given slugs."""
    claim = _save(Claim(text=text), actor=actor, reason=reason)
    claim.topics.set([topic_get_or_create(slug=slug) for slug in topics])
    return claim


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
    return _save(appearance, actor=actor, reason="Created")


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
    return _save(argument, actor=actor, reason="Created")


@transaction.atomic
def speaker_get_or_create(*, name: str, actor: Actor = None) -> Speaker:
    slug = slugify_title(name)
    speaker = Speaker.objects.filter(slug=slug).first()
    return speaker or _save(Speaker(slug=slug, name=name), actor=actor, reason="Created")


@transaction.atomic
def claim_publish(*, claim: Claim, actor: Actor) -> Claim:
    """Make a draft (or a retracted claim, restored) public."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.merged_into_id is not None:
        raise TransitionError(
            f"Claim #{claim.pk} was merged into claim #{claim.merged_into_id}; publish that one."
        )
    if claim.published_at is None:
        claim.published_at = timezone.now()
    _transition(claim, to=Status.PUBLISHED, actor=actor, extra_fields=["published_at"])
    return claim


@transaction.atomic
def claim_retract(*, claim: Claim, actor: Actor, reason: str) -> Claim:
    """Hide a claim from public lists, keeping it and saying why at its address."""
    if not reason.strip():
        raise TransitionError("Say why the claim is retracted.")
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    _transition(claim, to=Status.RETRACTED, actor=actor, reason=reason.strip())
    return claim


@transaction.atomic
def claim_merge(*, keep: Claim, duplicates: Sequence[Claim], actor: Actor) -> Claim:
    """Fold duplicate claims into `keep`.

    Their appearances, arguments and topics move to `keep`, arguments resting on them rest on
    `keep` instead, and each duplicate is retracted pointing at `keep`, so old links still lead
    somewhere.
    """
    ids = [claim.pk for claim in duplicates if claim.pk != keep.pk]
    if not ids:
        raise TransitionError("Choose at least one other claim to merge into the one kept.")
    locked = {c.pk: c for c in Claim.objects.select_for_update().filter(pk__in=[keep.pk, *ids])}
    keep = locked[keep.pk]
    others = [locked[pk] for pk in ids]
    if keep.status == Status.RETRACTED:
        raise TransitionError(f"Claim #{keep.pk} is retracted; keep a draft or published claim.")
    published = [c.pk for c in others if c.status == Status.PUBLISHED]
    if published and keep.status != Status.PUBLISHED:
        raise TransitionError(
            f"Claim #{published[0]} is published but claim #{keep.pk}, the one kept, is not: "
            "publish it first, or keep the published one."
        )

    reason = f"Merged into claim #{keep.pk}"
    for appearance in Appearance.objects.filter(claim__in=others):
        appearance.claim = keep
        _save(appearance, actor=actor, reason=reason, fields=["claim"])
    for argument in Argument.objects.filter(claim__in=others):
        argument.claim = keep
        if argument.premise_id == keep.pk:
            argument.premise = None
        _save(argument, actor=actor, reason=reason, fields=["claim", "premise", "updated_at"])
    for argument in Argument.objects.filter(premise__in=others):
        argument.premise = None if argument.claim_id == keep.pk else keep
        _save(argument, actor=actor, reason=reason, fields=["premise", "updated_at"])
    keep.topics.add(*{topic for claim in others for topic in claim.topics.all()})

    for claim in others:
        claim.merged_into = keep
        _transition(
            claim, to=Status.RETRACTED, actor=actor, reason=reason, extra_fields=["merged_into"]
        )
    return keep


@transaction.atomic
def argument_publish(*, argument: Argument, actor: Actor) -> Argument:
    argument = Argument.objects.select_for_update().get(pk=argument.pk)
    _transition(argument, to=Status.PUBLISHED, actor=actor)
    return argument


@transaction.atomic
def argument_retract(*, argument: Argument, actor: Actor, reason: str) -> Argument:
    if not reason.strip():
        raise TransitionError("Say why the argument is retracted.")
    argument = Argument.objects.select_for_update().get(pk=argument.pk)
    _transition(argument, to=Status.RETRACTED, actor=actor, reason=reason.strip())
    return argument


@transaction.atomic
def history_revert(*, record: HistoricalChanges, actor: Actor):
    """Bring an object back to the state one of its history rows recorded.

    The revert is itself a change, recorded with its actor, so it can be reverted in turn.
    """
    instance = record.instance
    # A deleted object comes back as a new row; an existing one is updated in place.
    instance._state.adding = not type(instance).objects.filter(pk=instance.pk).exists()
    instance._history_user = actor
    instance._change_reason = f"Reverted to the version of {record.history_date:%Y-%m-%d %H:%M:%S}"
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def claims_extract_from_note(*, note: Note, parsed: ParsedNote, actor: Actor = None) -> int:
    """Turn each timestamped sentence of a note into a draft claim with one appearance.

    A sentence already drawn from this note at this second is skipped, wherever its claim
    went since (published, merged or discarded), so re-running never duplicates drafts.
    Returns how many drafts were created.
    """
    # Locked first, so that two imports extracting from one note at once take turns: the
    # second then sees the drafts the first one made.
    Note.objects.select_for_update().filter(pk=note.pk).values_list("pk").get()
    seen = set(note.appearances.values_list("start_seconds", "quote"))
    fresh = []
    for sentence in parsed.sentences:
        if (sentence.seconds, sentence.text) in seen:
            continue
        seen.add((sentence.seconds, sentence.text))
        fresh.append(sentence)
    if not fresh:
        return 0

    # Built in bulk, with history rows, because a long note yields hundreds of sentences;
    # the values are valid by construction and the database constraints still hold them.
    claims = bulk_create_with_history(
        [Claim(text=sentence.text) for sentence in fresh],
        Claim,
        default_user=actor,
        default_change_reason=f"Extracted from note {note.slug}",
    )
    bulk_create_with_history(
        [
            Appearance(
                claim=claim,
                video_id=note.video_id,
                start_seconds=sentence.seconds,
                quote=sentence.text,
                note=note,
            )
            for claim, sentence in zip(claims, fresh, strict=True)
        ],
        Appearance,
        default_user=actor,
        default_change_reason=f"Extracted from note {note.slug}",
    )
    topics = {
        slug: topic_get_or_create(slug=slug) for sentence in fresh for slug in sentence.link_slugs
    }
    Claim.topics.through.objects.bulk_create(
        Claim.topics.through(claim=claim, topic=topics[slug])
        for claim, sentence in zip(claims, fresh, strict=True)
        for slug in dict.fromkeys(sentence.link_slugs)
    )
    # Bulk creation sends no post_save: the search index and the revision hear of it here.
    search_index_refresh_on_commit(claim_ids=[claim.pk for claim in claims])
    revisions.bump()
    return len(claims)
