"""The editors' admin for speakers, claims, appearances and arguments.

Every write goes through `claims.services`: statuses change only by the actions of the lists
(publish, restore, retract, discard, merge), which check each transition and record it, and the
change forms, their inlines and the history page's Revert call the create and update services
instead of saving the form's instance.
"""

from collections.abc import Callable
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.http import (
    Http404,
    HttpRequest,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

from claims import selectors, services
from claims.extraction import LOW_SCORE
from claims.forms import (
    MAX_ID,
    DiscardForm,
    MergeForm,
    NoteUploadForm,
    RestoreForm,
    RetractForm,
    TimestampField,
    TriageDecisionForm,
    VersionedForm,
)
from claims.models import (
    PREMISE_NOT_ITS_CLAIM,
    Appearance,
    Argument,
    Claim,
    Speaker,
    Stance,
    Status,
)
from claims.search import claims_matching, search_index_failures
from notes import admin as notes_admin
from notes.admin import HistoryAdmin, admin_link_for
from notes.admin_scale import ScaleAdminMixin
from notes.importer import NOTE_SUFFIXES, ImportReport, UploadedNote, import_notes
from notes.models import Channel, Note, Topic, Video
from notes.rendering import render_note_html

TIME_LABELS = {"start_seconds": "Start", "end_seconds": "End"}
#: How many similar published claims the triage page suggests for each draft (keys 1 to 3).
TRIAGE_SUGGESTIONS = 3
#: How many similar published claims the claim form shows, and of how long a text.
DUPLICATE_HINTS = 5
SIMILAR_TEXT_CHARS = 2000


def time_link(anchor: Appearance | Argument) -> str:
    """`00:42:05–00:43:23` linking to the video at the start second, or a dash."""
    if anchor.url is None:
        return "—"
    label = anchor.timestamp
    if anchor.end_timestamp:
        label = f"{label}–{anchor.end_timestamp}"
    return format_html(
        '<a class="timestamp" href="{}" target="_blank" rel="noopener">{}</a>', anchor.url, label
    )


class TimestampInputMixin:
    """Lets editors type times as `00:42:05` while the database keeps seconds, and source
    addresses without a scheme (taken as https, as Django 6 will)."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in TIME_LABELS:
            return TimestampField(required=not db_field.null, label=TIME_LABELS[db_field.name])
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def counted(count: int, opts) -> str:
    """`1 claim`, `2 claims`: a count with the model's name in the right number."""
    return f"{count} {ngettext(opts.verbose_name, opts.verbose_name_plural, count)}"


def is_id(value: str) -> bool:
    """Whether a query parameter is a row id: ASCII digits, within a bigint."""
    return value.isascii() and value.isdigit() and int(value) <= MAX_ID


def refusal(item: Claim | Argument, error: Exception) -> str:
    """Why a service refused to change `item`, naming it."""
    if isinstance(error, ValidationError):
        return f"{item._meta.verbose_name.capitalize()} #{item.pk}: {' '.join(error.messages)}"
    return str(error)


#: How the admin writes each model: its editable fields, and the services that create and
#: update it. A create service takes the editable fields as keyword arguments.
WRITES = {
    Claim: (services.CLAIM_FIELDS, services.claim_create, services.claim_update),
    Appearance: (
        services.APPEARANCE_FIELDS,
        services.appearance_create,
        services.appearance_update,
    ),
    Argument: (services.ARGUMENT_FIELDS, services.argument_create, services.argument_update),
}


def create_through_service(row, values: dict, *, actor, reason: str) -> None:
    """Create a `row` a form filled in through its model's service, from `values`, and let
    `row` stand for the created object (the admin goes on using it)."""
    _, create, _ = WRITES[type(row)]
    created = create(**values, actor=actor, reason=reason)
    row.pk = created.pk
    row._state.adding = False
    row._state.db = created._state.db


def update_through_service(
    row, changes: dict, *, actor, reason: str, expected_version: int | None
) -> None:
    """Apply the `changes` of a form opened at `expected_version` to the stored `row` through
    its model's service."""
    fields, _, update = WRITES[type(row)]
    changes = {name: value for name, value in changes.items() if name in fields}
    if not changes:
        return
    update(
        **{row._meta.model_name: row},
        changes=changes,
        actor=actor,
        reason=reason,
        # Checked (locked) by the form already; a mismatch here rolls the whole save back.
        expected_version=expected_version,
    )


def row_values(row) -> dict:
    """The editable fields of a row a form filled in."""
    return {name: getattr(row, name) for name in WRITES[type(row)][0]}


class VersionedFormMixin:
    """Change forms and inline rows that carry the version they were opened at
    (`VersionedForm`), and refuse to save over a change made since."""

    form = VersionedForm

    def saves_changes(self, request, obj) -> bool:
        """Whether the page saves: not when it shows a version on the history page, or an
        object to someone who may only view it."""
        reverting = getattr(request, "reverting_to_version", None) is not None
        return not reverting and self.has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self.saves_changes(request, obj):
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], "opened_version"]}), *rest]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        # A read-only field the page does not show: the admin leaves it out of the form.
        return readonly if self.saves_changes(request, obj) else [*readonly, "opened_version"]


class ServiceWritesMixin(VersionedFormMixin):
    """Change forms, inlines and history reverts that write through the claims services.

    The history page shows a version read-only: its Revert restores that version's content
    through `services.history_revert`, never its status.
    """

    object_history_form_template = "admin/claims/revert.html"

    def save_model(self, request, obj, form, change):
        reason = self.change_reason(request, change)
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            update_through_service(
                obj,
                changes,
                actor=request.user,
                reason=reason,
                expected_version=form.cleaned_data.get("opened_version"),
            )
        else:
            values = self.created_values(obj, form)
            create_through_service(obj, values, actor=request.user, reason=reason)

    def created_values(self, obj, form) -> dict:
        """What the create service takes, from an add form."""
        return row_values(obj)

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields (a claim's topics) were saved with the object, by its service.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)  # Fills the rows in; the services save them.
        opened = {
            inline.instance.pk: inline.cleaned_data.get("opened_version")
            for inline in formset.initial_forms
        }
        for row in formset.new_objects:
            create_through_service(
                row,
                row_values(row),
                actor=request.user,
                reason=self.change_reason(request, False),
            )
        for row, changed in formset.changed_objects:
            update_through_service(
                row,
                {name: getattr(row, name) for name in changed},
                actor=request.user,
                reason=self.change_reason(request, True),
                expected_version=opened[row.pk],
            )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if getattr(request, "reverting_to_version", None) is None:
            return readonly
        # The history page shows a version; a revert takes its content as a whole.
        shown = flatten_fieldsets(self.get_fieldsets(request, obj))
        return [*readonly, *(name for name in shown if name not in readonly)]

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "POST":
            context = {
                "reverted_fields": services.REVERTED_FIELDS[self.model],
                **(extra_context or {}),
            }
            return super().history_form_view(request, object_id, version_id, context)
        history = self.model.history.model
        try:
            record = history.objects.get(id=unquote(object_id), history_id=version_id)
        except (history.DoesNotExist, ValueError, ValidationError):
            raise Http404 from None
        may_revert = self.has_change_history_permission(request, record.instance)
        if not may_revert or self.revert_disabled(request, record.instance):
            raise PermissionDenied
        kind = self.opts.verbose_name
        try:
            item = services.history_revert(record=record, actor=request.user)
        except (ValidationError, services.TransitionError) as error:
            self.message_user(
                request, f"Not reverted: {refusal(record.instance, error)}", messages.ERROR
            )
            return HttpResponseRedirect(
                reverse(f"admin:claims_{self.opts.model_name}_history", args=[record.id])
            )
        self.log_change(request, item, f"Reverted to version {version_id}")
        self.message_user(
            request, f"Reverted {kind} #{item.pk} to version {version_id}.", messages.SUCCESS
        )
        old_status = getattr(record, "status", None)
        if old_status is not None and old_status != item.status:
            self.message_user(
                request,
                f"Its status stays {item.status} (it was {old_status} in that version): a revert "
                "restores content only. Change the status with the actions of the list.",
                messages.WARNING,
            )
        return HttpResponseRedirect(
            reverse(f"admin:claims_{self.opts.model_name}_change", args=[item.pk])
        )


@admin.register(Speaker)
class SpeakerAdmin(HistoryAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class AppearanceInline(VersionedFormMixin, TimestampInputMixin, admin.TabularInline):
    model = Appearance
    fields = ["video", "start_seconds", "end_seconds", "time", "speaker", "quote", "note"]
    readonly_fields = ["time"]
    autocomplete_fields = ["video", "speaker", "note"]
    extra = 0
    can_delete = False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "quote":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 40})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("video", "speaker", "note")

    @admin.display(description="watch")
    def time(self, appearance: Appearance) -> str:
        return time_link(appearance)


class StanceArgumentInline(VersionedFormMixin, TimestampInputMixin, admin.StackedInline):
    """The arguments of one stance; a new one gets that stance without asking."""

    model = Argument
    fk_name = "claim"
    stance: Stance
    fields = [
        "text",
        ("video", "start_seconds", "end_seconds", "time"),
        "source_url",
        ("speaker", "premise"),
        ("status", "retraction_reason"),
    ]
    readonly_fields = ["time", "status", "retraction_reason"]
    autocomplete_fields = ["video", "speaker", "premise"]
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(stance=self.stance)
            .select_related("video", "speaker", "premise")
        )

    def get_formset(self, request, obj=None, **kwargs):
        stance = self.stance

        class StanceForm(VersionedForm):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.instance.stance = stance

            def clean(self):
                cleaned = super().clean()
                # Django leaves an inline's own foreign key out of the constraint checks (an add
                # page has no claim yet), so the one constraint that names the claim is here.
                premise = cleaned.get("premise")
                if premise is not None and premise.pk == self.instance.claim_id:
                    self.add_error("premise", PREMISE_NOT_ITS_CLAIM)
                return cleaned

        kwargs["form"] = StanceForm
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="watch")
    def time(self, argument: Argument) -> str:
        return time_link(argument)


class ArgumentForInline(StanceArgumentInline):
    stance = Stance.FOR
    verbose_name = "argument for"
    verbose_name_plural = "arguments for"


class ArgumentAgainstInline(StanceArgumentInline):
    stance = Stance.AGAINST
    verbose_name = "argument against"
    verbose_name_plural = "arguments against"


class HasArgumentsFilter(admin.SimpleListFilter):
    title = "arguments"
    parameter_name = "arguments"

    def lookups(self, request, model_admin):
        return [
            ("for", "with arguments for"),
            ("against", "with arguments against"),
            ("none", "without arguments"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "for" | "against" as stance:
                argued = Argument.objects.filter(claim=OuterRef("pk"), stance=stance)
                return queryset.filter(Exists(argued))
            case "none":
                return queryset.filter(~Exists(Argument.objects.filter(claim=OuterRef("pk"))))
        return queryset


class RelatedExistsFilter(admin.SimpleListFilter):
    """Claims with a related object (a topic, a channel), by an `EXISTS` over the relation.

    Django's own filter on a many-valued relation joins it, which makes the list `SELECT
    DISTINCT` over every column and count that exactly: at a million claims, most of a second.
    An `EXISTS` leaves the list's query as it was. The parameter keeps Django's name, so that
    links made for its filter still work. Subclasses name `related_model` (whose rows are the
    choices) and `lookup(value)`, the `EXISTS` subquery for one of them.
    """

    related_model: type[models.Model]

    def lookups(self, request, model_admin):
        return list(self.related_model.objects.order_by("name").values_list("pk", "name"))

    def lookup(self, value: str) -> QuerySet:
        raise NotImplementedError

    def has_output(self) -> bool:
        # Even without choices: a filter without output is not applied, so that a link naming
        # a topic would list every claim.
        return True

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not is_id(value):
            raise IncorrectLookupParameters(f"{self.parameter_name} must be an id")
        return queryset.filter(Exists(self.lookup(value)))


class TopicFilter(RelatedExistsFilter):
    title = "topics"
    parameter_name = "topics__id__exact"
    related_model = Topic

    def lookup(self, value: str) -> QuerySet:
        return Claim.topics.through.objects.filter(claim=OuterRef("pk"), topic=value)


class ChannelFilter(RelatedExistsFilter):
    title = "channel"
    parameter_name = "appearances__video__channel__id__exact"
    related_model = Channel

    def lookup(self, value: str) -> QuerySet:
        return Appearance.objects.filter(claim=OuterRef("pk"), video__channel=value)


class AppearanceAutocompleteFilter(admin.SimpleListFilter):
    """Claims made with one related object of their appearances (a video, a speaker), chosen in
    the admin's autocomplete box: its choices are searched as the editor types, so that no list
    of every video is built (`RelatedOnlyFieldListFilter` would scan the appearances for it).

    Subclasses name `field_name`, a foreign key of `Appearance`.
    """

    template = "admin/claims/autocomplete_filter.html"
    field_name: str

    def lookups(self, request, model_admin):
        return ()

    def has_output(self) -> bool:
        return True

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not is_id(value):
            raise IncorrectLookupParameters(f"{self.parameter_name} must be an id")
        made_with = Appearance.objects.filter(claim=OuterRef("pk"), **{self.field_name: value})
        return queryset.filter(Exists(made_with))

    def choices(self, changelist):
        field = Appearance._meta.get_field(self.field_name)
        widget = AutocompleteSelect(field, changelist.model_admin.admin_site)
        widget.choices = forms.ModelChoiceField(field.related_model.objects.all()).choices
        widget.attrs = {"class": "desk-autocomplete-filter", "id": f"filter-{self.field_name}"}
        others = changelist.get_query_string(remove=[self.parameter_name, PAGE_VAR])
        yield {
            "selected": self.value() is not None,
            "field": widget.render(self.parameter_name, self.value()),
            "hidden": [
                (name, value)
                for name, values in QueryDict(others.removeprefix("?")).lists()
                for value in values
            ],
            "clear_url": others,
        }


class VideoFilter(AppearanceAutocompleteFilter):
    title = "video"
    parameter_name = "video"
    field_name = "video"


class SpeakerFilter(AppearanceAutocompleteFilter):
    title = "speaker"
    parameter_name = "speaker"
    field_name = "speaker"


class StatusFilter(admin.SimpleListFilter):
    """By status; discarded drafts stay out of the list unless asked for."""

    title = "status"
    # Django's own name for a filter on `status`, so that links made for it keep working.
    parameter_name = "status__exact"
    ANY = "any"

    def lookups(self, request, model_admin):
        return [*Status.choices, (self.ANY, "Any, discarded included")]

    def choices(self, changelist):
        choices = list(super().choices(changelist))
        choices[0]["display"] = "Not discarded"
        return choices

    def queryset(self, request, queryset):
        match self.value():
            case None:
                return queryset.exclude(status=Status.DISCARDED)
            case self.ANY:
                return queryset
            case status:
                return queryset.filter(status=status)


class StatusActionsMixin:
    """Publish, restore, retract and discard actions that go through the claims services, one
    item at a time, publishing (or retracting…) what may be and saying why the rest was refused.
    Like merging, they are for those who may change the items: a viewer (a moderator) has none.

    Subclasses name the services: `publish_service(item, actor)`, and
    `restore_service`, `retract_service` and `discard_service(item, actor, reason)`.
    """

    publish_service: Callable
    restore_service: Callable
    retract_service: Callable
    discard_service: Callable

    @admin.action(description="Publish selected %(verbose_name_plural)s", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet):
        self._transition_each(
            request, queryset, lambda item: self.publish_service(item, request.user), "Published"
        )

    @admin.action(
        description="Restore selected retracted %(verbose_name_plural)s…", permissions=["change"]
    )
    def restore(self, request: HttpRequest, queryset: QuerySet):
        """Ask why on an intermediate page, then make each selected retracted item public."""
        return self._with_reason(
            request,
            queryset,
            form_class=RestoreForm,
            action="restore",
            title="Restore: give a reason",
            service=self.restore_service,
            verb="Restored",
        )

    @admin.action(description="Retract selected %(verbose_name_plural)s…", permissions=["change"])
    def retract(self, request: HttpRequest, queryset: QuerySet):
        """Ask for a reason on an intermediate page, then retract each selected item."""
        return self._with_reason(
            request,
            queryset,
            form_class=RetractForm,
            action="retract",
            title="Retract: give a reason",
            service=self.retract_service,
            verb="Retracted",
        )

    @admin.action(
        description="Discard selected draft %(verbose_name_plural)s…", permissions=["change"]
    )
    def discard(self, request: HttpRequest, queryset: QuerySet):
        """Confirm on an intermediate page, then discard each selected draft."""
        return self._with_reason(
            request,
            queryset,
            form_class=DiscardForm,
            action="discard",
            title="Discard drafts",
            service=self.discard_service,
            verb="Discarded",
        )

    def _with_reason(self, request, queryset, *, form_class, action, title, service, verb):
        form = form_class(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._transition_each(
                request, queryset, lambda item: service(item, request.user, reason), verb
            )
            return None
        return TemplateResponse(
            request,
            f"admin/claims/{action}.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "items": queryset,
                "form": form,
                "action": action,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def _transition_each(self, request, items, transition, verb: str) -> None:
        done, refused = 0, []
        for item in items:
            try:
                transition(item)
                done += 1
            except (services.TransitionError, ValidationError) as error:
                refused.append(refusal(item, error))
        if done:
            self.message_user(request, f"{verb} {counted(done, self.opts)}.", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)


#: How many videos or speakers matching a search term the claim search looks at.
MADE_BY_SEARCH_LIMIT = 100


def claim_search(queryset: QuerySet[Claim], term: str) -> QuerySet[Claim]:
    """The admin's claim search (and autocomplete): the full-text index (text, quotes, published
    arguments), each word matching the words it begins, and the claim of that id when the term
    is a number."""
    found = claims_matching(queryset, term, prefix=True)
    if term.isascii() and term.isdigit():
        # A number names a claim, not every video or speaker whose name holds its digits.
        return found | queryset.filter(pk=int(term)) if len(term) < 19 else found
    # Claims made in a video named by its id or title, or by a speaker named: both tables are
    # small, so they are asked first, and the claims only when one of them matched.
    videos = list(
        Video.objects.filter(Q(youtube_id=term) | Q(title__icontains=term)).values_list(
            "pk", flat=True
        )[:MADE_BY_SEARCH_LIMIT]
    )
    speakers = list(
        Speaker.objects.filter(name__icontains=term).values_list("pk", flat=True)[
            :MADE_BY_SEARCH_LIMIT
        ]
    )
    if videos or speakers:
        made = Appearance.objects.filter(Q(video__in=videos) | Q(speaker__in=speakers))
        found = found | queryset.filter(pk__in=made.values("claim_id"))
    return found


def claim_part_search(queryset: QuerySet, term: str) -> QuerySet:
    """Appearances or arguments whose claim the full-text index finds: by the claim's text,
    its quotes or its published arguments."""
    return queryset.filter(claim__in=claims_matching(Claim.objects.all(), term, prefix=True))


@admin.register(Claim)
class ClaimAdmin(ScaleAdminMixin, StatusActionsMixin, ServiceWritesMixin, HistoryAdmin):
    list_display = [
        "id",
        "short_text",
        "status",
        "appearance_count",
        "for_count",
        "against_count",
        "first_seen",
        "created_at",
    ]
    list_display_links = ["id", "short_text"]
    list_filter = [
        StatusFilter,
        VideoFilter,
        SpeakerFilter,
        HasArgumentsFilter,
        TopicFilter,
        ChannelFilter,
    ]
    # What the search box covers; `claim_search` answers it through the full-text index.
    search_fields = [
        "text",
        "appearances__quote",
        "=id",
        "=appearances__video__youtube_id",
        "appearances__video__title",
        "appearances__speaker__name",
    ]
    full_text_search = staticmethod(claim_search)
    # Newest first by the primary key's index: nothing indexes `created_at`.
    ordering = ["-id"]
    autocomplete_fields = ["topics"]
    readonly_fields = [
        "duplicate_hint",
        "status",
        "retraction_reason",
        "merged_into",
        "published_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["text", "duplicate_hint", "topics"]}),
        (
            "Status (change it with the actions of the claim list)",
            {"fields": ["status", "retraction_reason", "merged_into", "published_at"]},
        ),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    inlines = [AppearanceInline, ArgumentForInline, ArgumentAgainstInline]
    actions = ["publish", "restore", "retract", "discard", "merge"]

    def get_urls(self):
        import_notes = path(
            "import-notes/",
            self.admin_site.admin_view(self.import_notes_view),
            name="claims_claim_import_notes",
        )
        triage = path(
            "triage/<int:note_id>/",
            self.admin_site.admin_view(self.triage_view),
            name="claims_claim_triage",
        )
        similar = path(
            "similar/",
            self.admin_site.admin_view(self.similar_view),
            name="claims_claim_similar",
        )
        return [import_notes, triage, similar, *super().get_urls()]

    def similar_view(self, request: HttpRequest):
        """The published claims most like `?text=` (leaving out `?claim=`), as JSON: the claim
        form's duplicate hint, asked again as the editor types."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        text = request.GET.get("text", "")[:SIMILAR_TEXT_CHARS]
        claim = request.GET.get("claim", "")
        exclude = [int(claim)] if is_id(claim) else []
        found = selectors.similar_claims(text, limit=DUPLICATE_HINTS, exclude_ids=exclude)
        return JsonResponse(
            {
                "results": [
                    {
                        "id": match.pk,
                        "text": match.text,
                        "similarity": match.similarity,
                        "url": reverse("admin:claims_claim_change", args=[match.pk]),
                    }
                    for match in found
                ]
            }
        )

    @admin.display(description="similar published claims")
    def duplicate_hint(self, claim: Claim) -> str:
        """The published claims most like this one, so that an editor merges rather than adds
        a duplicate; the claim form's script asks again as the text changes."""
        found = (
            selectors.similar_claims(claim.text, limit=DUPLICATE_HINTS, exclude_ids=[claim.pk])
            if claim.pk is not None
            else []
        )
        items = format_html_join(
            "",
            '<li><a href="{}">#{}</a> {} <span class="similarity">{} alike</span></li>',
            (
                (
                    reverse("admin:claims_claim_change", args=[match.pk]),
                    match.pk,
                    match.text,
                    f"{match.similarity:.2f}",
                )
                for match in found
            ),
        )
        return format_html(
            '<div class="duplicate-hint" data-url="{}" data-claim="{}">'
            '<p class="duplicate-none"{}>None found.</p><ol>{}</ol></div>',
            reverse("admin:claims_claim_similar"),
            claim.pk or "",
            mark_safe(" hidden") if found else "",
            items,
        )

    def triage_view(self, request: HttpRequest, note_id: int):
        """A note's extracted drafts beside the note, each decided with one key: publish,
        discard, merge into a suggested claim, or edit. Moderators may look, not decide."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        note = get_object_or_404(Note.objects.select_related("video"), pk=note_id)
        by_score = request.GET.get("order") == "score"
        hide_low = request.GET.get("hide") == "low"
        options = {
            key: value
            for key, value in (("order", "score" if by_score else ""), ("hide", "low" * hide_low))
            if value
        }
        if request.method == "POST":
            return self._triage_decide(request, note, options)
        drafts = selectors.note_drafts(note, by_score=by_score, hide_low=hide_low)
        focus = request.GET.get("focus", "")
        # Similar claims cost a trigram search each (about a second at a million claims): only
        # the current draft's come with the page; the page's script asks for the others' as
        # they are selected, and without a script each draft links to its page with them.
        current = next((draft for draft in drafts if str(draft.pk) == focus), None)
        current = current or (drafts[0] if drafts else None)
        suggestions = (
            selectors.similar_claims_for({current.pk: current.text}, limit=TRIAGE_SUGGESTIONS)
            if current
            else {}
        )
        url = reverse("admin:claims_claim_triage", args=[note.pk])
        for index, draft in enumerate(drafts):
            following = drafts[index + 1] if index + 1 < len(drafts) else None
            draft.suggestions = suggestions.get(draft.pk)
            draft.next_pk = following.pk if following else None
            draft.focus_url = f"{url}?{urlencode({**options, 'focus': draft.pk})}#draft-{draft.pk}"
        slugs = note.links.values_list("target_slug", flat=True)
        note_html = render_note_html(
            note.body_markdown, video_id=note.video.youtube_id, link_for=admin_link_for(slugs)
        )
        return TemplateResponse(
            request,
            "admin/claims/claim/triage.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Triage the drafts of {note.title}",
                "opts": self.model._meta,
                "note": note,
                # render_note_html sanitizes with nh3: only a whitelist of tags remains.
                "note_html": mark_safe(note_html),
                "drafts": drafts,
                "may_decide": self.has_change_permission(request),
                "by_score": by_score,
                "hide_low": hide_low,
                "low_score": LOW_SCORE,
                "options": options,
                "focus": current.pk if current else "",
                "similar_url": reverse("admin:claims_claim_similar"),
                "suggestions_shown": TRIAGE_SUGGESTIONS,
            },
        )

    def _triage_decide(self, request: HttpRequest, note: Note, options: dict):
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = TriageDecisionForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest(
                "Not a triage decision: "
                + "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
            )
        data = form.cleaned_data
        url = reverse("admin:claims_claim_triage", args=[note.pk])
        if data["focus"]:
            options = {**options, "focus": data["focus"]}
        back = HttpResponseRedirect(f"{url}?{urlencode(options)}" if options else url)
        draft = (
            Claim.objects.drafts()
            .filter(pk=data["draft"], appearances__note=note)
            .defer("search_vector")
            .first()
        )
        if draft is None:
            self.message_user(
                request,
                f"Claim #{data['draft']} is not a draft of this note (any more): nothing done.",
                messages.WARNING,
            )
            return back
        try:
            match data["decision"]:
                case "publish":
                    services.claim_publish(claim=draft, actor=request.user)
                    done = f"Published claim #{draft.pk}."
                case "discard":
                    services.claim_discard(claim=draft, actor=request.user, reason="Triage")
                    done = f"Discarded draft #{draft.pk}."
                case "merge":
                    keep = Claim.objects.filter(pk=data["keep"]).defer("search_vector").first()
                    if keep is None:
                        raise services.TransitionError(f"There is no claim #{data['keep']}.")
                    services.claim_merge(keep=keep, duplicates=[draft], actor=request.user)
                    done = f"Merged draft #{draft.pk} into claim #{keep.pk}."
        except (services.TransitionError, ValidationError) as error:
            self.message_user(request, refusal(draft, error), messages.WARNING)
            return back
        self.message_user(request, done, messages.SUCCESS)
        return back

    def import_notes_view(self, request: HttpRequest):
        """Upload vault notes and import them, as `manage.py import_notes` does with paths."""
        if not request.user.has_perms(["notes.add_note", "notes.change_note"]):
            raise PermissionDenied
        form = NoteUploadForm(request.POST or None, request.FILES or None)
        report, extracted = None, {}
        if request.method == "POST" and form.is_valid():
            if form.cleaned_data["extract_claims"] and not request.user.has_perm(
                "claims.add_claim"
            ):
                raise PermissionDenied
            report, extracted = _import_uploads(
                form.cleaned_data["files"],
                dry_run=form.cleaned_data["dry_run"],
                extract_claims=form.cleaned_data["extract_claims"],
                actor=request.user,
            )
        return TemplateResponse(
            request,
            "admin/claims/import_notes.html",
            {
                **self.admin_site.each_context(request),
                "title": "Import notes",
                "opts": self.model._meta,
                "form": form,
                "report": report,
                "dry_run": report_dry_run(form),
                # The notes drafts were extracted from, each with its triage page.
                "extracted": [] if report is None or report_dry_run(form) else extracted.values(),
            },
        )

    def created_values(self, obj, form) -> dict:
        return {"text": obj.text, "topics": [topic.slug for topic in form.cleaned_data["topics"]]}

    def publish_service(self, claim, actor):
        return services.claim_publish(claim=claim, actor=actor)

    def restore_service(self, claim, actor, reason):
        return services.claim_restore(claim=claim, actor=actor, reason=reason)

    def retract_service(self, claim, actor, reason):
        return services.claim_retract(claim=claim, actor=actor, reason=reason)

    def discard_service(self, claim, actor, reason):
        return services.claim_discard(claim=claim, actor=actor, reason=reason)

    history_list_display = ["status"]

    page_annotations = {
        "appearance_count": Count("appearances", distinct=True),
        "for_count": Count("arguments", filter=Q(arguments__stance=Stance.FOR), distinct=True),
        "against_count": Count(
            "arguments", filter=Q(arguments__stance=Stance.AGAINST), distinct=True
        ),
    }

    def lookup_allowed(self, lookup, value, request):
        # Django allows a lookup across relations when a list filter names its path, which
        # these filters' parameters (Django's own names, kept for old links) do not.
        if lookup in {TopicFilter.parameter_name, ChannelFilter.parameter_name}:
            return True
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="claim", ordering="text")
    def short_text(self, claim: Claim) -> str:
        return str(claim)

    @admin.display(description="made")
    def appearance_count(self, claim: Claim) -> int:
        return claim.appearance_count

    @admin.display(description="for")
    def for_count(self, claim: Claim) -> int:
        return claim.for_count

    @admin.display(description="against")
    def against_count(self, claim: Claim) -> int:
        return claim.against_count

    @property
    def media(self):
        # The video and speaker filters are the admin's autocomplete boxes.
        autocomplete = AutocompleteSelect(Appearance._meta.get_field("video"), self.admin_site)
        filters = forms.Media(
            # After jquery.init.js, which makes the django.jQuery the filters listen with.
            js=[
                "admin/js/jquery.init.js",
                "admin/claims/list_filter.js",
                "admin/claims/duplicate_hint.js",
            ],
            css={"all": ["admin/claims/desk.css"]},
        )
        return super().media + autocomplete.media + filters

    @admin.display(description="first made")
    def first_seen(self, claim: Claim) -> str:
        """The video the claim was first made in, and when, linking to that moment."""
        if not claim.first_appearances:
            return "—"
        appearance = claim.first_appearances[0]
        return format_html(
            '<a class="timestamp" href="{}" target="_blank" rel="noopener">{} at {}</a>',
            appearance.url,
            appearance.video.title or appearance.video.youtube_id,
            appearance.timestamp,
        )

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # One query, one row per claim of the page: its first appearance, chosen by the
        # database (a claim may have been made hundreds of times).
        page = list(changelist.result_list)
        earliest = (
            Appearance.objects.filter(claim=OuterRef("pk"))
            .order_by(F("video__published_on").asc(nulls_last=True), "start_seconds", "id")
            .values("pk")[:1]
        )
        first_ids = (
            Claim.objects.filter(pk__in=[claim.pk for claim in page])
            .order_by()
            .annotate(first_id=Subquery(earliest))
            .values("first_id")
        )
        first = {
            appearance.claim_id: appearance
            for appearance in Appearance.objects.filter(pk__in=first_ids).select_related("video")
        }
        for claim in page:
            claim.first_appearances = [first[claim.pk]] if claim.pk in first else []
        changelist.result_list = page
        return changelist

    @admin.action(description="Merge selected duplicate claims…", permissions=["change"])
    def merge(self, request: HttpRequest, queryset: QuerySet[Claim]):
        claims = queryset.order_by("id")
        if claims.count() < 2:
            self.message_user(request, "Select two or more claims to merge.", messages.WARNING)
            return None
        form = MergeForm(
            request.POST if "confirm" in request.POST else None,
            claims=claims,
            initial={"keep": _default_keeper(claims)},
        )
        if form.is_valid():
            keep = form.cleaned_data["keep"]
            try:
                services.claim_merge(keep=keep, duplicates=list(claims), actor=request.user)
            except services.TransitionError as error:
                self.message_user(request, str(error), messages.ERROR)
                return None
            url = reverse("admin:claims_claim_change", args=[keep.pk])
            self.message_user(
                request,
                format_html(
                    'Merged {} into <a href="{}">claim #{}</a>.',
                    counted(len(claims) - 1, self.opts),
                    url,
                    keep.pk,
                ),
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/claims/claim/merge.html",
            {
                **self.admin_site.each_context(request),
                "title": "Merge duplicate claims",
                "opts": self.model._meta,
                "items": claims,
                "exposure": _merge_exposure(claims),
                "form": form,
                "action": "merge",
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


#: Larger than any note the vault holds; a bigger upload is not a note.
def report_dry_run(form) -> bool:
    return bool(form.is_bound and form.cleaned_data.get("dry_run"))


def _import_uploads(
    files, *, dry_run: bool, extract_claims: bool, actor
) -> tuple[ImportReport, dict[int, tuple[Note, int]]]:
    """Import uploaded notes as `import_notes` imports files, with the same limits; return the
    report and, by note id, each note claims were extracted from with how many drafts."""
    report = ImportReport()
    notes = []
    for upload in files:
        name = Path(upload.name).name
        if Path(name).suffix.lower() not in NOTE_SUFFIXES:
            report.refuse(f"{name}:1: not a markdown note (expected a .md file)")
        else:
            notes.append(UploadedNote(name=name, file=upload))

    extracted: dict[int, tuple[Note, int]] = {}

    def extract(note, parsed) -> int:
        drafts = services.claims_extract_from_note(note=note, parsed=parsed, actor=actor)
        # Keyed by note: a batch written again after a conflict extracts its notes again.
        extracted[note.pk] = (note, drafts)
        return drafts

    report = import_notes(
        notes,
        report=report,
        dry_run=dry_run,
        extract=extract if extract_claims else None,
        index_check=search_index_failures,
        actor=actor,
    )
    return report, extracted


def _merge_exposure(claims: QuerySet[Claim]) -> services.MergeExposure | None:
    """What the merge would make public, when a published claim is kept; None if nothing."""
    if not any(claim.status == Status.PUBLISHED for claim in claims):
        return None
    exposure = services.merge_exposure(duplicates=claims)
    return exposure if exposure.appearances or exposure.arguments else None


def _default_keeper(claims: QuerySet[Claim]) -> Claim:
    """Suggest keeping the oldest published claim, else the oldest one."""
    return claims.filter(status=Status.PUBLISHED).first() or claims.first()


@admin.register(Appearance)
class AppearanceAdmin(ScaleAdminMixin, ServiceWritesMixin, TimestampInputMixin, HistoryAdmin):
    list_display = ["claim", "video", "time", "speaker", "note"]
    list_select_related = ["claim", "video", "speaker", "note"]
    list_filter = ["video__channel", "claim__status"]
    search_fields = ["quote", "claim__text", "video__title", "video__youtube_id"]
    full_text_search = staticmethod(claim_part_search)
    # Newest first by the primary key's index: the model's order sorts every row by video title.
    ordering = ["-id"]
    autocomplete_fields = ["claim", "video", "speaker", "note"]
    readonly_fields = ["time"]
    fields = [
        "claim",
        ("video", "start_seconds", "end_seconds", "time"),
        "speaker",
        "quote",
        "note",
    ]

    @admin.display(description="at", ordering="start_seconds")
    def time(self, appearance: Appearance) -> str:
        return time_link(appearance)


@admin.register(Argument)
class ArgumentAdmin(
    ScaleAdminMixin, StatusActionsMixin, ServiceWritesMixin, TimestampInputMixin, HistoryAdmin
):
    list_display = ["short_text", "stance", "status", "claim", "time", "source"]
    list_select_related = ["claim", "video"]
    list_filter = [StatusFilter, "stance"]
    search_fields = ["text", "claim__text", "source_url"]
    full_text_search = staticmethod(claim_part_search)
    # Newest first by the primary key's index: the model's order sorts every row by its claim.
    ordering = ["-id"]
    autocomplete_fields = ["claim", "video", "speaker", "premise"]
    readonly_fields = ["time", "status", "retraction_reason"]
    fields = [
        "claim",
        "stance",
        "text",
        ("video", "start_seconds", "end_seconds", "time"),
        "source_url",
        ("speaker", "premise"),
        ("status", "retraction_reason"),
    ]
    actions = ["publish", "restore", "retract", "discard"]

    def publish_service(self, argument, actor):
        return services.argument_publish(argument=argument, actor=actor)

    def restore_service(self, argument, actor, reason):
        return services.argument_restore(argument=argument, actor=actor, reason=reason)

    def retract_service(self, argument, actor, reason):
        return services.argument_retract(argument=argument, actor=actor, reason=reason)

    def discard_service(self, argument, actor, reason):
        return services.argument_discard(argument=argument, actor=actor, reason=reason)

    history_list_display = ["status"]

    def lookup_allowed(self, lookup, value, request=None):
        # A claim's page links here filtered by claim.
        return lookup == "claim__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="argument", ordering="text")
    def short_text(self, argument: Argument) -> str:
        return str(argument)

    @admin.display(description="at", ordering="start_seconds")
    def time(self, argument: Argument) -> str:
        return time_link(argument)

    @admin.display(description="source")
    def source(self, argument: Argument) -> str:
        if not argument.source_url:
            return "—"
        return format_html('<a href="{}" rel="noopener">source ↗</a>', argument.source_url)


admin.site.unregister(Video)


@admin.register(Video)
class VideoAdmin(notes_admin.VideoAdmin):
    """The notes app's video admin, with what was claimed and argued in the video."""

    readonly_fields = [*notes_admin.VideoAdmin.readonly_fields, "made_here"]

    @admin.display(description="claims and arguments made here")
    def made_here(self, video: Video) -> str:
        if video.pk is None:
            return "—"
        rows = [
            format_html(
                '<tr><td>{}</td><td>{}</td><td><a href="{}">{}</a></td><td>{}</td></tr>',
                time_link(item),
                "claim" if isinstance(item, Appearance) else f"argument {item.stance}",
                reverse("admin:claims_claim_change", args=[item.claim_id]),
                item.claim.text if isinstance(item, Appearance) else item.text,
                (item.claim if isinstance(item, Appearance) else item).get_status_display(),
            )
            for item in selectors.made_in_video(video)
        ]
        if not rows:
            return "Nothing yet."
        return format_html(
            '<table class="made-here"><thead><tr><th>at</th><th>what</th><th>text</th>'
            "<th>status</th></tr></thead><tbody>{}</tbody></table>",
            mark_safe("".join(rows)),  # each row escaped by format_html above
        )
