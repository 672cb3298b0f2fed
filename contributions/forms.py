"""The contribute forms of the pages: what a person fills in, turned into the data the API takes.

These forms hold no rule of their own. Every field is optional to Django; a form only turns
what was typed into the API's JSON (a time typed as `HH:MM:SS` or as seconds, topics separated
by commas, a correction's changed fields only), which the views then pass through the API's
own input serializers (`contributions.serializers.read_proposal`, `read_edit`) and
`contributions.services`, and it shows the messages those return beside the fields they name.
The `required` attributes only spare a round trip in the browser.
"""

import re
from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from claims.models import Stance
from contributions.models import Contribution, Kind, ReasonCode, TargetType
from contributions.payloads import CORRECTABLE, current_values
from contributions.serializers import INPUTS, flat_errors
from notes.parsing import format_timestamp, parse_timestamp

#: Where an error the API names by its field is shown on the page: the form's field of that
#: name, or these; anything else is an error of the whole form.
_ERROR_FIELDS = {"start_seconds": "start", "end_seconds": "end"}
_SECONDS = re.compile(r"[0-9]+")
_OMIT = object()


def error_messages(error: Exception) -> dict[str, list[str]]:
    """A refusal's messages by field, as the API's error shape lists them."""
    if isinstance(error, ValidationError):
        return flat_errors(error.detail)
    if isinstance(error, DjangoValidationError) and hasattr(error, "error_dict"):
        return flat_errors(error.message_dict)
    return {"non_field_errors": [str(message) for message in getattr(error, "messages", [error])]}


def _text(label: str, *, rows: int = 3, required: bool = False, help_text: str = "") -> forms.Field:
    return _char(label, forms.Textarea, required, help_text, rows=rows, cols=60)


def _line(label: str, *, required: bool = False, help_text: str = "", **attrs) -> forms.Field:
    return _char(label, forms.TextInput, required, help_text, **attrs)


def _char(label: str, widget: type[forms.Widget], required: bool, help_text: str, **attrs):
    """A text field the API's serializer validates: the browser is told it is required, the
    form is not, so that a missing value is refused in the API's words."""
    if required:
        attrs["required"] = True
    return forms.CharField(
        label=label, required=False, strip=True, help_text=help_text, widget=widget(attrs=attrs)
    )


def _time(label: str, *, required: bool = False) -> forms.Field:
    return _line(
        label,
        required=required,
        help_text="As HH:MM:SS (00:42:05), MM:SS or a number of seconds (2525).",
        inputmode="numeric",
        autocomplete="off",
    )


def _seconds_or_raw(raw: str):
    """Seconds from what was typed; what is neither a time nor a number goes on as typed, for
    the API's check to name."""
    if _SECONDS.fullmatch(raw):
        return int(raw)
    try:
        return parse_timestamp(raw)
    except ValueError:
        return raw


def _slugs(raw: str) -> list[str]:
    return [slug.strip() for slug in raw.split(",") if slug.strip()]


class ContributeForm(forms.Form):
    """A form of one kind of proposal; `api_data()` is what the API would be sent."""

    kind: str = ""
    #: Fields typed as a time: sent as `start` when `HH:MM:SS`, else as `start_seconds`.
    time_fields: tuple[str, ...] = ()
    list_fields: tuple[str, ...] = ()

    def show_errors(self, errors: Mapping[str, list[str]]) -> None:
        """Each message beside the field it names, the rest above the form."""
        for name, messages in errors.items():
            field = name if name in self.fields else _ERROR_FIELDS.get(name, name.split(".")[0])
            if field not in self.fields or isinstance(self.fields[field].widget, forms.HiddenInput):
                field = None
            for message in messages:
                self.add_error(field, message.replace("`", ""))

    def api_data(self, *, for_edit: bool = False) -> dict:
        """The fields filled in, in the API's terms: for an edit, the proposal less what
        names it (`kind`, the target)."""
        serializer = INPUTS[self.kind]()
        data: dict = {} if for_edit else {"kind": self.kind}
        for name in self.fields:
            raw = self.cleaned_data.get(name, "")
            if name in self.time_fields:
                if raw and not _SECONDS.fullmatch(raw):
                    data[name] = raw
                    continue
                name = f"{name}_seconds"
            value = _api_value(serializer.fields.get(name), raw, name in self.list_fields)
            if value is not _OMIT:
                data[name] = value
        return data


def _api_value(field: serializers.Field | None, raw: str, is_list: bool):
    """A blank field as the API's blank: null where it takes one, else an empty text, or left
    out (a number the API wants or not at all)."""
    if is_list:
        return _slugs(raw)
    if raw != "" or field is None:
        return raw
    if field.allow_null:
        return None
    if isinstance(field, serializers.CharField):
        return ""
    return _OMIT


class NewClaimForm(ContributeForm):
    kind = Kind.NEW_CLAIM
    time_fields = ("start", "end")
    list_fields = ("topics",)

    text = _text("The claim", required=True, help_text="One statement, as a reader would quote it.")
    video = _line(
        "YouTube video id",
        required=True,
        help_text="The 11 characters after watch?v= in the video's address.",
        autocomplete="off",
    )
    start = _time("When it is said", required=True)
    end = _time("When it ends (optional)")
    speaker = _line(
        "Speaker (optional)", help_text="A known speaker's name or slug, or a new speaker's name."
    )
    quote = _text("The words as said (optional)")
    topics = _line("Topics (optional)", help_text="Slugs of existing topics, separated by commas.")


class NewArgumentForm(ContributeForm):
    kind = Kind.NEW_ARGUMENT
    time_fields = ("start", "end")

    claim = forms.CharField(required=False, widget=forms.HiddenInput)
    stance = forms.ChoiceField(
        label="It argues", choices=Stance.choices, required=False, widget=forms.RadioSelect
    )
    text = _text("The argument", required=True)
    video = _line(
        "Evidence: YouTube video id",
        help_text="A video where the argument is made; give a source address, a video, or both.",
        autocomplete="off",
    )
    start = _time("When it is said in that video")
    end = _time("When it ends (optional)")
    source_url = forms.CharField(
        label="Evidence: source address",
        required=False,
        strip=True,
        help_text="A web page or paper that makes the argument (http or https).",
        widget=forms.URLInput,
    )
    speaker = _line("Speaker (optional)", help_text="Who makes the argument, by name or slug.")
    premise = _line(
        "Premise claim (optional)",
        help_text="The number of a published claim the argument rests on, from its address.",
        inputmode="numeric",
    )


class FlagForm(ContributeForm):
    kind = Kind.FLAG

    reason_code = forms.ChoiceField(
        label="What is wrong",
        choices=[("", "Choose a reason"), *ReasonCode.choices],
        required=False,
        widget=forms.Select(attrs={"required": True}),
    )
    comment = _text("Comment", help_text="Needed when the reason is Other.")
    duplicate_of = _line(
        "Duplicate of (for a duplicate claim)",
        help_text="The number of the published claim this one repeats, from its address.",
        inputmode="numeric",
    )

    def __init__(self, *args, target_type: str, target_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.target = {"target_type": target_type, "target_id": target_id}
        if target_type != TargetType.CLAIM:
            del self.fields["duplicate_of"]

    def api_data(self, *, for_edit: bool = False) -> dict:
        return {**({} if for_edit else self.target), **super().api_data(for_edit=for_edit)}


#: How a correctable field is typed on the page.
_CORRECTION_FIELDS = {
    "text": lambda: _text("Text", required=True),
    "topics": lambda: _line("Topics", help_text="Slugs of existing topics, separated by commas."),
    "video": lambda: _line("YouTube video id", autocomplete="off"),
    "start_seconds": lambda: _time("When it is said"),
    "end_seconds": lambda: _time("When it ends"),
    "speaker": lambda: _line("Speaker", help_text="A known speaker's slug, or a new name."),
    "quote": lambda: _text("The words as said"),
    "stance": lambda: forms.ChoiceField(
        label="It argues", choices=Stance.choices, required=False, widget=forms.RadioSelect
    ),
    "source_url": lambda: _line("Source address", inputmode="url"),
    "premise": lambda: _line(
        "Premise claim",
        help_text="A published claim's number; empty for none.",
        inputmode="numeric",
    ),
}


class CorrectionForm(ContributeForm):
    """The target's correctable fields, filled with their current values; the fields changed
    are sent as `changes`, with the version of the target they were read from."""

    kind = Kind.CORRECTION

    reason = _text(
        "Why this is right", required=True, help_text="A source or a time that shows it."
    )
    base_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, target_type: str, target, **kwargs) -> None:
        self.target_type = target_type
        self.target = target
        self.current = current_values(target_type, target)
        initial = {name: _shown(name, value) for name, value in self.current.items()}
        initial["base_version"] = target.version
        super().__init__(*args, initial={**initial, **kwargs.pop("initial", {})}, **kwargs)
        correctable = {}
        for name in CORRECTABLE[target_type]:
            correctable[name] = _CORRECTION_FIELDS[name]()
            correctable[name].current_shown = _shown(name, self.current[name]) or "(none)"
        self.fields = {**correctable, **self.fields}

    def changes(self) -> dict:
        """The fields whose typed value differs from the current one, in the API's terms."""
        found = {}
        for name, current in self.current.items():
            raw = self.cleaned_data.get(name) or ""
            if name == "topics":
                value = sorted(set(_slugs(raw)))
            elif name in ("start_seconds", "end_seconds", "premise"):
                value = None if raw == "" else _seconds_or_raw(raw)
            else:
                value = raw
            if value != current:
                found[name] = value
        return found

    def api_data(self, *, for_edit: bool = False) -> dict:
        data = {
            "changes": self.changes(),
            "reason": self.cleaned_data.get("reason") or "",
            "base_version": self.cleaned_data.get("base_version"),
        }
        if for_edit:
            return data
        return {
            "kind": self.kind,
            "target_type": self.target_type,
            "target_id": self.target.pk,
            **data,
        }

    def show_errors(self, errors: Mapping[str, list[str]]) -> None:
        if "base_version" in errors:
            # Shown again on the target's current version, beside its current values: sent
            # again, the correction is based on what its author has now seen.
            self.data = self.data.copy()
            self.data[self.add_prefix("base_version")] = str(self.target.version)
        super().show_errors(
            {name.removeprefix("changes."): messages for name, messages in errors.items()}
        )


def _shown(name: str, value) -> str:
    """A current value as the form shows it."""
    if value is None:
        return ""
    if name in ("start_seconds", "end_seconds"):
        return format_timestamp(value)
    if name == "topics":
        return ", ".join(value)
    return str(value)


def initial_from_payload(contribution: Contribution) -> dict:
    """An edit form's values: the proposal as it was sent."""
    payload = contribution.payload
    if contribution.kind == Kind.CORRECTION:
        return {
            **{name: _shown(name, value) for name, value in payload["changes"].items()},
            "reason": payload["reason"],
        }
    initial = {name: _shown(name, value) for name, value in payload.items()}
    for name in ("start", "end"):
        if f"{name}_seconds" in payload:
            initial[name] = _shown("start_seconds", payload[f"{name}_seconds"])
    return initial
