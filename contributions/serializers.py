"""The contribution API's input and output, one serializer per kind.

Inputs are strict: a field the kind does not take (`status`, `author`, `version`, …) is a 400,
so that nothing a contributor sends can set what only moderation sets.
"""

import copy
from collections.abc import Mapping

from rest_framework import serializers

from claims.models import Stance
from contributions.models import Contribution, Kind, ReasonCode, State, TargetType
from contributions.payloads import CORRECTABLE, FLAGGABLE, NAME_MAX_LENGTH, TEXT_MAX_LENGTH
from notes.models import YOUTUBE_ID_PATTERN
from notes.parsing import TIMESTAMP_MAX_SECONDS, parse_timestamp

#: The most topics one new claim may be filed under.
MAX_TOPICS = 20


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not declare, naming them."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [f"Unknown field; this takes {', '.join(sorted(writable))}."]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


def _seconds(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=TIMESTAMP_MAX_SECONDS, **kwargs)


def _timestamp(help_text: str) -> serializers.RegexField:
    return serializers.RegexField(
        r"^[0-9]{1,10}:[0-9]{1,2}(:[0-9]{1,2})?$",
        max_length=20,
        required=False,
        help_text=help_text,
    )


class TimesMixin:
    """`start` and `end` as `HH:MM:SS`, in place of `start_seconds` and `end_seconds`."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        for name in ("start", "end"):
            label = attrs.pop(name, None)
            if label is None:
                continue
            if f"{name}_seconds" in attrs:
                raise serializers.ValidationError(
                    {name: [f"Give `{name}` or `{name}_seconds`, not both."]}
                )
            try:
                attrs[f"{name}_seconds"] = parse_timestamp(label)
            except ValueError as error:
                raise serializers.ValidationError({name: [str(error).capitalize() + "."]}) from None
        return attrs


def _text(required: bool = True, **kwargs) -> serializers.CharField:
    return serializers.CharField(
        max_length=TEXT_MAX_LENGTH,
        required=required,
        allow_blank=not required,
        trim_whitespace=True,
        **kwargs,
    )


class NewClaimInput(TimesMixin, StrictSerializer):
    kind = serializers.ChoiceField(Kind.choices)
    video = serializers.RegexField(
        YOUTUBE_ID_PATTERN, help_text="The YouTube id; an unknown video is added on approval."
    )
    start_seconds = _seconds(required=False, help_text="When the claim is made, in seconds.")
    start = _timestamp("When the claim is made, as HH:MM:SS (instead of `start_seconds`).")
    end_seconds = _seconds(required=False, allow_null=True)
    end = _timestamp("Where the claim ends, as HH:MM:SS (instead of `end_seconds`).")
    text = _text(help_text="The claim, as one statement.")
    speaker = serializers.CharField(
        max_length=NAME_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="A speaker's slug, or the name of a speaker not yet known.",
    )
    quote = _text(required=False, help_text="The words as said, if known.")
    topics = serializers.ListField(
        child=serializers.SlugField(allow_unicode=True, max_length=200),
        max_length=MAX_TOPICS,
        required=False,
        help_text="Slugs of existing topics.",
    )


class NewArgumentInput(TimesMixin, StrictSerializer):
    kind = serializers.ChoiceField(Kind.choices)
    claim = serializers.IntegerField(min_value=1, help_text="The published claim argued about.")
    stance = serializers.ChoiceField(Stance.choices)
    text = _text(help_text="The argument.")
    video = serializers.RegexField(
        f"{YOUTUBE_ID_PATTERN}|^$",
        required=False,
        allow_blank=True,
        help_text="Evidence: the YouTube id of a video, with `start_seconds`.",
    )
    start_seconds = _seconds(required=False, allow_null=True)
    start = _timestamp("The evidence's moment as HH:MM:SS (instead of `start_seconds`).")
    end_seconds = _seconds(required=False, allow_null=True)
    end = _timestamp("Where the evidence ends, as HH:MM:SS (instead of `end_seconds`).")
    source_url = serializers.URLField(
        max_length=500, required=False, allow_blank=True, help_text="Evidence: a source's URL."
    )
    speaker = serializers.CharField(max_length=NAME_MAX_LENGTH, required=False, allow_blank=True)
    premise = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="A published claim the argument rests on.",
    )


class CorrectionInput(StrictSerializer):
    kind = serializers.ChoiceField(Kind.choices)
    target_type = serializers.ChoiceField(TargetType.choices)
    target_id = serializers.IntegerField(min_value=1)
    base_version = serializers.IntegerField(
        min_value=1, help_text="The target's `version` your correction is based on."
    )
    changes = serializers.DictField(
        help_text=(
            "The changed fields only, with their new values: a claim's "
            + ", ".join(CORRECTABLE[TargetType.CLAIM])
            + "; an appearance's "
            + ", ".join(CORRECTABLE[TargetType.APPEARANCE])
            + "; an argument's "
            + ", ".join(CORRECTABLE[TargetType.ARGUMENT])
            + ". Times in seconds; a video by YouTube id; a speaker by slug or new name."
        )
    )
    reason = _text(help_text="Why the change is right.")


class FlagInput(StrictSerializer):
    kind = serializers.ChoiceField(Kind.choices)
    target_type = serializers.ChoiceField([(t, TargetType(t).label) for t in FLAGGABLE])
    target_id = serializers.IntegerField(min_value=1)
    reason_code = serializers.ChoiceField(ReasonCode.choices)
    comment = _text(required=False, help_text="Needed when the reason is `other`.")
    duplicate_of = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="For `duplicate` on a claim: the published claim it duplicates.",
    )


INPUTS: dict[str, type[StrictSerializer]] = {
    Kind.NEW_CLAIM: NewClaimInput,
    Kind.NEW_ARGUMENT: NewArgumentInput,
    Kind.CORRECTION: CorrectionInput,
    Kind.FLAG: FlagInput,
}
#: Fields that name what a contribution is, not what it proposes: set once, never edited.
IDENTITY_FIELDS = ("kind", "target_type", "target_id")


def read_proposal(data: Mapping) -> tuple[dict, dict]:
    """A proposal as the API and the pages take it, checked by its kind's input serializer:
    what `contribution_submit` is told it is (`kind`, its target, `base_version`) and its
    payload. A bad field raises DRF's `ValidationError`."""
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in INPUTS:
        raise serializers.ValidationError({"kind": [f"Choose from {', '.join(Kind.values)}."]})
    serializer = INPUTS[kind](data=data)
    serializer.is_valid(raise_exception=True)
    payload = dict(serializer.validated_data)
    identity = {
        name: payload.pop(name) for name in (*IDENTITY_FIELDS, "base_version") if name in payload
    }
    return identity, payload


def flat_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """Validation messages as the error shape has them: a list of messages per field, the
    fields of nested values named by their path (`topics.2`, `changes.text`)."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(flat_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            if item:
                flat.update(flat_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(message) for message in messages]}


def edit_serializer(kind: str) -> type[StrictSerializer]:
    """What the author may change while asked for changes: the proposal, plus `version`."""
    base = INPUTS[kind]
    fields = {
        name: field for name, field in base._declared_fields.items() if name not in IDENTITY_FIELDS
    }
    fields["version"] = serializers.IntegerField(
        min_value=1, help_text="The contribution's `version` you edited."
    )
    fields["note"] = _text(required=False, help_text="A word to the moderator about the edit.")
    name = f"{base.__name__.removesuffix('Input')}Edit"
    return type(name, (TimesMixin, StrictSerializer), copy.deepcopy(fields))


def read_edit(contribution: Contribution, data: Mapping) -> dict:
    """An author's edit as the API and the pages take it, checked by `edit_serializer`: the
    arguments `contribution_resubmit` takes besides the contribution and its author, the fields
    given replacing the proposal's. A bad field raises DRF's `ValidationError`."""
    serializer = edit_serializer(contribution.kind)(data=data, partial=True)
    serializer.is_valid(raise_exception=True)
    edit = dict(serializer.validated_data)
    if "version" not in edit:
        raise serializers.ValidationError({"version": ["This field is required."]})
    return {
        "version": edit.pop("version"),
        "note": edit.pop("note", ""),
        "base_version": edit.pop("base_version", None),
        "payload": {**contribution.payload, **edit},
    }


# Decisions -----------------------------------------------------------------------------------


class VersionInput(StrictSerializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The contribution's `version` you decided on."
    )


class ApproveInput(VersionInput):
    note = _text(required=False, help_text="A note to the author.")


class RejectInput(VersionInput):
    reason_code = serializers.ChoiceField(ReasonCode.choices)
    note = _text(required=False, help_text="A note to the author.")


class RequestChangesInput(VersionInput):
    note = _text(help_text="What the author should change.")


# Output --------------------------------------------------------------------------------------


class DecisionSerializer(serializers.Serializer):
    old_state = serializers.CharField(
        help_text="The state before the move; empty for the proposal."
    )
    new_state = serializers.ChoiceField(State.choices)
    by = serializers.SerializerMethodField(help_text="`author` or `moderator`.")
    actor = serializers.SerializerMethodField(
        help_text="The username of who made the move; shown to moderators only."
    )
    reason_code = serializers.ChoiceField(ReasonCode.choices, allow_blank=True)
    note = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_by(self, log) -> str:
        return "author" if log.actor_id == log.contribution.author_id else "moderator"

    def get_actor(self, log) -> str | None:
        if self.context.get("viewer_is_moderator") and log.actor is not None:
            return log.actor.get_username()
        return None


class SimilarClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    similarity = serializers.FloatField(help_text="From 0 to 1: the share of words in common.")


class AppliedSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.IntegerField()
    action = serializers.ChoiceField(["created", "changed", "retracted", "merged"])


class ContributionOutput(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(Kind.choices, read_only=True)
    status = serializers.ChoiceField(State.choices, read_only=True)
    version = serializers.IntegerField(
        read_only=True, help_text="Send it with each decision or edit; every move raises it."
    )
    author = serializers.CharField(source="author.username", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    applied = AppliedSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)


def _payload_field(name: str, field: serializers.Field) -> serializers.Field:
    """The output twin of an input field, read from the payload."""
    kwargs = {"source": f"payload.{name}", "read_only": True}
    if isinstance(field, serializers.ListField):
        return serializers.ListField(child=serializers.CharField(), **kwargs)
    if isinstance(field, serializers.DictField):
        return serializers.DictField(**kwargs)
    if isinstance(field, serializers.IntegerField):
        return serializers.IntegerField(allow_null=True, **kwargs)
    return serializers.CharField(**kwargs)


def _output(kind: str, name: str, **extra) -> type[ContributionOutput]:
    proposed = {
        field_name: _payload_field(field_name, field)
        for field_name, field in INPUTS[kind]._declared_fields.items()
        if field_name not in (*IDENTITY_FIELDS, "start", "end", "base_version")
    }
    return type(name, (ContributionOutput,), {**proposed, **extra})


_TARGET = {
    "target_type": serializers.CharField(read_only=True),
    "target_id": serializers.IntegerField(read_only=True),
}
OUTPUTS: dict[str, type[ContributionOutput]] = {
    Kind.NEW_CLAIM: _output(
        Kind.NEW_CLAIM,
        "NewClaimContribution",
        similar_claims=SimilarClaimSerializer(
            many=True,
            read_only=True,
            help_text="Published claims most like this one: likely duplicates.",
        ),
    ),
    Kind.NEW_ARGUMENT: _output(Kind.NEW_ARGUMENT, "NewArgumentContribution"),
    Kind.CORRECTION: _output(
        Kind.CORRECTION,
        "CorrectionContribution",
        **_TARGET,
        base_version=serializers.IntegerField(read_only=True),
    ),
    Kind.FLAG: _output(Kind.FLAG, "FlagContribution", **_TARGET),
}


def represent(contribution: Contribution, *, moderator: bool) -> dict:
    """The contribution as the API reads it back, in its kind's shape."""
    context = {"viewer_is_moderator": moderator}
    return OUTPUTS[contribution.kind](contribution, context=context).data
