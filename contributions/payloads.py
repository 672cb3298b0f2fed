"""What each kind of contribution proposes, checked against the database.

A payload is JSON: ids, slugs and YouTube ids, never objects, so that a proposal keeps its
meaning while it waits. `check` refuses what the admin would refuse (the models' constraints,
well-formed video ids, times in range, targets the public can see) with a `ValidationError`
per field; the services call it on submission and again on approval, since the world may have
changed in between. `resolve_*` turn checked values into the objects the claims services take.
"""

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from claims import services as claims_services
from claims.models import Appearance, Argument, Claim, Speaker, Stance, Status
from contributions.models import Kind, ReasonCode, TargetType
from notes.models import Topic, Video
from notes.parsing import TIMESTAMP_MAX_SECONDS, VIDEO_ID_RE, format_timestamp, slugify_title

TEXT_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 200
#: The fields a correction may change, per target: those editors change, less where the item
#: belongs (its claim, its note); statuses move only through moderation.
_NOT_CORRECTABLE = {"claim", "note"}
CORRECTABLE = {
    target: tuple(name for name in fields if name not in _NOT_CORRECTABLE)
    for target, fields in (
        (TargetType.CLAIM, claims_services.CLAIM_FIELDS),
        (TargetType.APPEARANCE, claims_services.APPEARANCE_FIELDS),
        (TargetType.ARGUMENT, claims_services.ARGUMENT_FIELDS),
    )
}
#: What a flag may be about: something that can be retracted or merged.
FLAGGABLE = (TargetType.CLAIM, TargetType.ARGUMENT)
TARGET_MODELS = {
    TargetType.CLAIM: Claim,
    TargetType.APPEARANCE: Appearance,
    TargetType.ARGUMENT: Argument,
}


#: Every field of each kind's payload, with the value it has when not given (None: required).
FIELDS: dict[str, dict[str, object]] = {
    Kind.NEW_CLAIM: {
        "video": None,
        "start_seconds": None,
        "end_seconds": None,
        "text": None,
        "speaker": "",
        "quote": "",
        "topics": [],
    },
    Kind.NEW_ARGUMENT: {
        "claim": None,
        "stance": None,
        "text": None,
        "video": "",
        "start_seconds": None,
        "end_seconds": None,
        "source_url": "",
        "speaker": "",
        "premise": None,
    },
    Kind.CORRECTION: {"changes": None, "reason": None},
    Kind.FLAG: {"reason_code": None, "comment": "", "duplicate_of": None},
}


def normalize(kind: str, payload: Mapping) -> dict:
    """`payload` with every field of its kind (defaults filled in); unknown fields refused."""
    if kind not in FIELDS:
        raise ValidationError({"kind": [f"Choose from {', '.join(Kind.values)}."]})
    unknown = sorted(set(payload) - set(FIELDS[kind]))
    if unknown:
        raise ValidationError({name: [f"A {kind} has no such field."] for name in unknown})
    return {
        name: payload.get(name, default.copy() if isinstance(default, list) else default)
        for name, default in FIELDS[kind].items()
    }


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)

    def raise_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def public_target(target_type: str, target_id: int | None):
    """The claim, appearance or argument the public can read under that id, or None."""
    found = _public(target_type)
    return None if found is None else found.filter(pk=target_id).first()


def public_targets(target_type: str, target_ids) -> dict:
    """The claims, appearances or arguments the public can read under those ids, by id, with
    what `current_values` reads of them, in a fixed number of queries."""
    found = _public(target_type)
    if found is None:
        return {}
    if target_type == TargetType.CLAIM:
        found = found.prefetch_related("topics")
    else:
        found = found.select_related("claim", "video", "speaker")
    return found.in_bulk(target_ids)


def _public(target_type: str):
    if target_type == TargetType.CLAIM:
        return Claim.objects.published()
    if target_type == TargetType.APPEARANCE:
        return Appearance.objects.select_related("video").filter(claim__status=Status.PUBLISHED)
    if target_type == TargetType.ARGUMENT:
        return Argument.objects.published().filter(claim__status=Status.PUBLISHED)
    return None


def check(
    kind: str,
    payload: Mapping,
    *,
    target_type: str = "",
    target_id: int | None = None,
    base_version: int | None = None,
) -> None:
    """Refuse a payload the admin would refuse: `ValidationError` naming each bad field."""
    errors = _Errors()
    if kind == Kind.NEW_CLAIM:
        _check_new_claim(payload, errors)
    elif kind == Kind.NEW_ARGUMENT:
        _check_new_argument(payload, errors)
    elif kind == Kind.CORRECTION:
        _check_correction(payload, target_type, target_id, base_version, errors)
    elif kind == Kind.FLAG:
        _check_flag(payload, target_type, target_id, errors)
    else:
        errors.add("kind", f"Unknown kind {kind!r}; choose from {', '.join(Kind.values)}.")
    errors.raise_any()


def _text(payload: Mapping, field: str, errors: _Errors, *, required: bool) -> None:
    value = payload.get(field, "")
    if not isinstance(value, str):
        errors.add(field, "Must be text.")
    elif required and not value.strip():
        errors.add(field, "This field may not be blank.")
    elif len(value) > TEXT_MAX_LENGTH:
        errors.add(field, f"At most {TEXT_MAX_LENGTH} characters.")


def _video(payload: Mapping, errors: _Errors, *, required: bool) -> Video | None:
    youtube_id = payload.get("video") or ""
    if not youtube_id:
        if required:
            errors.add("video", "Give the YouTube id of the video.")
        return None
    if not isinstance(youtube_id, str) or not VIDEO_ID_RE.fullmatch(youtube_id):
        errors.add("video", "Not a YouTube video id: 11 characters of letters, digits, - and _.")
        return None
    return Video.objects.filter(youtube_id=youtube_id).first()


def _times(payload: Mapping, video: Video | None, errors: _Errors, *, required: bool) -> None:
    start = payload.get("start_seconds")
    end = payload.get("end_seconds")
    for field, value in (("start_seconds", start), ("end_seconds", end)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            errors.add(field, "Must be a whole number of seconds.")
            return
        if not 0 <= value <= TIMESTAMP_MAX_SECONDS:
            errors.add(field, f"Must be from 0 to {TIMESTAMP_MAX_SECONDS} seconds.")
            return
        duration = None if video is None else video.duration_seconds
        if duration is not None and value > duration:
            errors.add(
                field,
                f"The video is {format_timestamp(duration)} long; "
                f"{format_timestamp(value)} is past its end.",
            )
            return
    if start is None and required:
        errors.add("start_seconds", "Give the second (or `start` as HH:MM:SS).")
    if end is not None and (start is None or end < start):
        errors.add("end_seconds", "The end second must be at or after the start second.")


def _speaker(payload: Mapping, errors: _Errors) -> None:
    speaker = payload.get("speaker") or ""
    if not isinstance(speaker, str):
        errors.add("speaker", "Must be a speaker's slug or a new speaker's name.")
    elif len(speaker) > NAME_MAX_LENGTH:
        errors.add("speaker", f"At most {NAME_MAX_LENGTH} characters.")
    elif speaker and not slugify_title(speaker):
        errors.add("speaker", "A speaker's name needs at least one letter or digit.")


def _topics(payload: Mapping, errors: _Errors) -> None:
    topics = payload.get("topics") or []
    if not isinstance(topics, list) or not all(isinstance(slug, str) for slug in topics):
        errors.add("topics", "Must be a list of topic slugs.")
        return
    known = set(Topic.objects.filter(slug__in=topics).values_list("slug", flat=True))
    unknown = [slug for slug in dict.fromkeys(topics) if slug not in known]
    if unknown:
        errors.add("topics", f"No topic has the slug {', '.join(map(repr, unknown))}.")


def _claim_ref(payload: Mapping, field: str, errors: _Errors, *, required: bool):
    pk = payload.get(field)
    if pk is None:
        if required:
            errors.add(field, "Give the id of a published claim.")
        return None
    if isinstance(pk, bool) or not isinstance(pk, int):
        errors.add(field, "Must be a claim's id.")
        return None
    claim = Claim.objects.published().filter(pk=pk).first()
    if claim is None:
        errors.add(field, f"No published claim has the id {pk}.")
    return claim


def _check_new_claim(payload: Mapping, errors: _Errors) -> None:
    _text(payload, "text", errors, required=True)
    _text(payload, "quote", errors, required=False)
    video = _video(payload, errors, required=True)
    _times(payload, video, errors, required=True)
    _speaker(payload, errors)
    _topics(payload, errors)


def _check_evidence(payload: Mapping, errors: _Errors) -> None:
    video = _video(payload, errors, required=False)
    has_video = bool(payload.get("video"))
    _times(payload, video, errors, required=has_video)
    if not has_video and payload.get("start_seconds") is not None:
        errors.add("video", "A start second needs the video it is in.")
    source_url = payload.get("source_url") or ""
    if not source_url:
        return
    try:
        URLValidator(schemes=["http", "https"])(source_url)
    except ValidationError:
        errors.add("source_url", "Enter a valid http or https URL.")
        return
    if len(source_url) > Argument._meta.get_field("source_url").max_length:
        errors.add("source_url", "At most 500 characters.")


def _check_new_argument(payload: Mapping, errors: _Errors) -> None:
    claim = _claim_ref(payload, "claim", errors, required=True)
    if payload.get("stance") not in Stance.values:
        errors.add("stance", f"Choose from {', '.join(Stance.values)}.")
    _text(payload, "text", errors, required=True)
    _check_evidence(payload, errors)
    if not payload.get("video") and not payload.get("source_url"):
        errors.add("non_field_errors", "Give the evidence: a video moment, a source URL or both.")
    _speaker(payload, errors)
    premise = _claim_ref(payload, "premise", errors, required=False)
    if claim is not None and premise is not None and claim.pk == premise.pk:
        errors.add("premise", "An argument cannot rest on the claim it argues for or against.")


def _check_target(target_type: str, target_id: int | None, allowed, errors: _Errors):
    if target_type not in allowed:
        errors.add("target_type", f"Choose from {', '.join(allowed)}.")
        return None
    target = public_target(target_type, target_id)
    if target is None:
        errors.add("target_id", f"No published {target_type} has the id {target_id}.")
    return target


def _check_correction(payload, target_type, target_id, base_version, errors: _Errors) -> None:
    target = _check_target(target_type, target_id, TargetType.values, errors)
    _text(payload, "reason", errors, required=True)
    if base_version is None or base_version < 1:
        errors.add("base_version", "Give the version of the target your correction is based on.")
    changes = payload.get("changes")
    if not isinstance(changes, Mapping) or not changes:
        errors.add("changes", "Give the fields to change, with their new values.")
        return
    if target is None:
        return
    allowed = CORRECTABLE[target_type]
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        errors.add(
            "changes",
            f"{', '.join(unknown)} cannot be corrected on a {target_type}; "
            f"choose from {', '.join(allowed)}.",
        )
        return
    # The changed fields checked with the target's other fields, as the admin checks a form.
    merged = {**current_values(target_type, target), **changes}
    sub = _Errors()
    if "text" in changes:
        _text(merged, "text", sub, required=True)
    if "quote" in changes:
        _text(merged, "quote", sub, required=False)
    if "topics" in changes:
        _topics(merged, sub)
    if "speaker" in changes:
        _speaker(merged, sub)
    if "stance" in changes and merged["stance"] not in Stance.values:
        sub.add("stance", f"Choose from {', '.join(Stance.values)}.")
    if {"video", "start_seconds", "end_seconds", "source_url"} & set(changes):
        if target_type == TargetType.ARGUMENT:
            _check_evidence(merged, sub)
            if not merged.get("video") and not merged.get("source_url"):
                sub.add("video", "Give the evidence: a video moment, a source URL or both.")
        else:
            video = _video(merged, sub, required=True)
            _times(merged, video, sub, required=True)
    if "premise" in changes:
        premise = _claim_ref(merged, "premise", sub, required=False)
        if premise is not None and premise.pk == target.claim_id:
            sub.add("premise", "An argument cannot rest on the claim it argues for or against.")
    for field, messages in sub.by_field.items():
        for message in messages:
            errors.add(f"changes.{field}", message)


def _check_flag(payload, target_type, target_id, errors: _Errors) -> None:
    target = _check_target(target_type, target_id, FLAGGABLE, errors)
    reason = payload.get("reason_code")
    if reason not in ReasonCode.values:
        errors.add("reason_code", f"Choose from {', '.join(ReasonCode.values)}.")
    _text(payload, "comment", errors, required=reason == ReasonCode.OTHER)
    duplicate_of = payload.get("duplicate_of")
    if reason == ReasonCode.DUPLICATE and target_type == TargetType.CLAIM:
        original = _claim_ref(payload, "duplicate_of", errors, required=True)
        if original is not None and target is not None and original.pk == target.pk:
            errors.add("duplicate_of", "A claim cannot duplicate itself.")
    elif duplicate_of is not None:
        errors.add("duplicate_of", "Only a claim flagged as a duplicate names its original.")


def current_values(target_type: str, target) -> dict:
    """The target's correctable fields, in the payload's terms (ids, slugs, YouTube ids)."""
    values = {}
    for field in CORRECTABLE[target_type]:
        if field == "topics":
            values[field] = sorted(topic.slug for topic in target.topics.all())
        elif field == "video":
            values[field] = target.video.youtube_id if target.video_id else ""
        elif field == "speaker":
            values[field] = target.speaker.slug if target.speaker_id else ""
        elif field == "premise":
            values[field] = target.premise_id
        else:
            values[field] = getattr(target, field)
    return values


# From payload values to objects ---------------------------------------------------------------


def resolve_video(youtube_id: str) -> Video | None:
    """The video with that id, created (titled by its id, for an editor to name) if unknown."""
    if not youtube_id:
        return None
    video = Video.objects.filter(youtube_id=youtube_id).first()
    if video is None:
        video = Video(youtube_id=youtube_id, title=f"YouTube video {youtube_id}")
        video.full_clean()
        video.save()
    return video


def resolve_speaker(value: str, *, credit: Mapping) -> Speaker | None:
    """The speaker with that slug, else the speaker of that name (created if new)."""
    if not value:
        return None
    return Speaker.objects.filter(slug=value).first() or claims_services.speaker_get_or_create(
        name=value.strip(), actor=credit["actor"], contribution_id=credit["contribution_id"]
    )


def resolve_changes(target_type: str, changes: Mapping, *, credit: Mapping) -> dict:
    """A correction's changes as `claims.services.*_update` take them."""
    resolved = {}
    for field, value in changes.items():
        if field == "video":
            resolved[field] = resolve_video(value)
        elif field == "speaker":
            resolved[field] = resolve_speaker(value, credit=credit)
        elif field == "topics":
            resolved[field] = list(Topic.objects.filter(slug__in=value))
        elif field == "premise":
            resolved[field] = None if value is None else Claim.objects.get(pk=value)
        elif field in ("source_url", "quote") and value is None:
            resolved[field] = ""
        else:
            resolved[field] = value
    return resolved
