"""Form pieces the editors' admin uses."""

from django import forms
from django.core.exceptions import ValidationError

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


class OpenedVersionField(forms.IntegerField):
    """The version of its object a change form was opened at, posted back hidden.

    Never a change itself: only the fields the editor edits make a form changed.
    """

    widget = forms.HiddenInput

    def has_changed(self, initial, data) -> bool:
        return False


class VersionedForm(forms.ModelForm):
    """A change form (or inline row) for a claim, appearance or argument that refuses to save
    over a change made since it was opened.

    It carries the version it was opened at; a form that changes something is checked against
    the stored version, read locked so that the check holds until the admin's transaction
    commits the change: of two editors who opened the same version, the second to save is told,
    and nothing of the first is overwritten.
    """

    opened_version = OpenedVersionField(required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The admin leaves the field out of a form it shows read-only.
        self.versioned = "opened_version" in self.fields
        if self.versioned and self.instance.pk is not None:
            self.fields["opened_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.versioned and self.instance.pk is not None and self.has_changed():
            self._check_version(cleaned.get("opened_version"))
        return cleaned

    def _check_version(self, opened: int | None) -> None:
        model = type(self.instance)
        kind = model._meta.verbose_name.capitalize()
        label = f"{kind} #{self.instance.pk}"
        if opened is None:
            raise ValidationError(
                f"{label}: this form does not say which version it was opened at, so saving it "
                "could overwrite someone else's change. Open it again and make your change.",
                code="no_version",
            )
        stored = model._base_manager.select_for_update().filter(pk=self.instance.pk)
        current = stored.values_list("version", flat=True).first()
        if current is None or current == opened:
            return  # A deleted row is the admin's own 404 to tell.
        latest = model.history.filter(id=self.instance.pk).select_related("history_user").first()
        by = f" by {latest.history_user}" if latest and latest.history_user else ""
        raise ValidationError(
            f"{label} was changed{by} after you opened it (you opened version {opened}; it is "
            f"at version {current} now). Nothing was saved. Open it again to see that change, "
            "then make yours.",
            code="version_conflict",
        )


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
