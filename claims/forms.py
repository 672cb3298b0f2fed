"""Form pieces the editors' admin uses."""

from django import forms

from notes.parsing import format_timestamp, parse_timestamp

#: The largest id a bigint column holds.
MAX_ID = 2**63 - 1


class TimestampField(forms.IntegerField):
    """Seconds into a video, typed as `00:42:05`, `42:05` or plain seconds (`2525`)."""

    widget = forms.TextInput(attrs={"placeholder": "00:42:05", "size": 10})
    default_error_messages = {
        "invalid": "Enter a time as HH:MM:SS, MM:SS or a number of seconds.",
    }

    def to_python(self, value):
        if isinstance(value, str) and ":" in value:
            try:
                return parse_timestamp(value.strip())
            except ValueError as error:
                raise forms.ValidationError(str(error), code="invalid") from None
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, int) and value >= 0:
            return format_timestamp(value)
        return value


class RetractForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Shown to readers who follow an old link to what you retract.",
    )


class RestoreForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why it is public again; recorded in its history.",
    )


class DiscardForm(forms.Form):
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Optional; recorded in its history.",
    )


class ClaimChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, claim) -> str:
        return f"#{claim.pk} ({claim.get_status_display()}): {claim}"


class MergeForm(forms.Form):
    keep = ClaimChoiceField(
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        help_text=(
            "The others point at this one as its duplicates: a published one is retracted, "
            "a draft discarded."
        ),
    )

    def __init__(self, *args, claims, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = claims


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field, as Django's documentation shows it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class NoteUploadForm(forms.Form):
    files = MultipleFileField(
        label="Notes",
        help_text="Markdown notes (.md) in the vault's format; choose as many as you like.",
    )
    extract_claims = forms.BooleanField(
        required=False,
        help_text="Make a draft claim of each timestamped sentence, for review.",
    )
    dry_run = forms.BooleanField(
        required=False, help_text="Report what would happen, and save nothing."
    )


class TriageDecisionForm(forms.Form):
    """One decision on one draft of the triage page."""

    DECISIONS = [("publish", "Publish"), ("discard", "Discard"), ("merge", "Merge")]

    draft = forms.IntegerField(min_value=1, max_value=MAX_ID)
    decision = forms.ChoiceField(choices=DECISIONS)
    keep = forms.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="The claim a merged draft becomes part of.",
    )
    focus = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "merge" and not cleaned.get("keep"):
            self.add_error("keep", "Say which claim the draft is merged into.")
        return cleaned
