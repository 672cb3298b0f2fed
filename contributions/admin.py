"""The moderators' queue in the admin: contributions by kind, state and age, each shown beside
what it would change, with the published claims most like it, and decided there through
`contributions.services`.

Moderators, editors and superusers (`accounts.roles.is_moderator`) see the queue; nobody edits a
contribution in a form. A decision is one of the buttons of its page, which post the
contribution's `version` as the page showed it: a decision on a contribution that moved since
(decided by someone else, withdrawn, edited by its author) is refused, and so is the same
decision sent twice.
"""

import json
from dataclasses import dataclass, field
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from accounts.roles import is_moderator
from claims import selectors as claim_selectors
from claims.models import Claim
from contributions import payloads, services
from contributions.models import Contribution, Kind, ModerationLog, ReasonCode, State
from notes.admin import ReadOnlyAdminMixin
from notes.admin_scale import ScaleAdminMixin

#: How many published claims like a proposal its page lists.
SIMILAR_SHOWN = 5


class AgeFilter(admin.SimpleListFilter):
    """How long ago a contribution was proposed."""

    title = "age"
    parameter_name = "age"
    AGES = {
        "day": ("Under a day", timedelta(days=1), False),
        "week": ("Under a week", timedelta(days=7), False),
        "older_than_week": ("A week or more", timedelta(days=7), True),
        "older_than_month": ("30 days or more", timedelta(days=30), True),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _, _) in self.AGES.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.AGES:
            return queryset
        _, age, older = self.AGES[self.value()]
        since = timezone.now() - age
        if older:
            return queryset.filter(created_at__lte=since)
        return queryset.filter(created_at__gt=since)


class DecisionForm(forms.Form):
    """One decision on a contribution, made on the version its page showed."""

    DECISIONS = {
        "approve": "Approve",
        "reject": "Reject",
        "request_changes": "Request changes",
    }

    decision = forms.ChoiceField(choices=list(DECISIONS.items()))
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason_code = forms.ChoiceField(
        choices=[("", "—"), *ReasonCode.choices],
        required=False,
        help_text="Required to reject.",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        required=False,
        help_text="Sent to the author; required to request changes.",
    )


@dataclass
class Review:
    """What a moderator weighs: the proposal beside the current object, and similar claims."""

    #: `(field, current value, proposed value)`; current is None for something new.
    rows: list[tuple[str, object, object]] = field(default_factory=list)
    #: What the proposal is about, as it is now (the claim argued about, the target).
    current: object = None
    current_label: str = ""
    #: Why approving would be refused as things stand, if it would.
    warning: str = ""
    similar: list[Claim] = field(default_factory=list)


def review(contribution: Contribution) -> Review:
    payload = contribution.payload
    found = Review()
    if contribution.kind == Kind.NEW_CLAIM:
        found.rows = [(name, None, value) for name, value in payload.items()]
        found.similar = claim_selectors.similar_claims(payload["text"], limit=SIMILAR_SHOWN)
    elif contribution.kind == Kind.NEW_ARGUMENT:
        found.rows = [(name, None, value) for name, value in payload.items()]
        found.current = Claim.objects.filter(pk=payload["claim"]).first()
        found.current_label = "The claim it argues about"
    else:
        target = payloads.public_target(contribution.target_type, contribution.target_id)
        found.current = target
        found.current_label = f"The {contribution.target_label}, as it is now"
        if target is None:
            found.warning = (
                f"The {contribution.target_label} is no longer public: approving will be refused."
            )
        if contribution.kind == Kind.CORRECTION:
            values = payloads.current_values(contribution.target_type, target) if target else {}
            found.rows = [
                ("version", getattr(target, "version", None), contribution.base_version),
                *((name, values.get(name), value) for name, value in payload["changes"].items()),
                ("reason", None, payload["reason"]),
            ]
            if target is not None and target.version != contribution.base_version:
                found.warning = (
                    f"The {contribution.target_label} changed since this correction was "
                    f"written (it is at version {target.version}, the correction is based on "
                    f"version {contribution.base_version}): approving will be refused; reject "
                    "it or request changes."
                )
        else:
            found.rows = [(name, None, value) for name, value in payload.items()]
            if isinstance(target, Claim):
                found.similar = claim_selectors.similar_claims(
                    target.text, limit=SIMILAR_SHOWN, exclude_ids=[target.pk]
                )
    return found


class ModerationLogInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The contribution's moves so far, oldest first."""

    model = ModerationLog
    fields = ["created_at", "old_state", "new_state", "actor", "reason_code", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "move"
    verbose_name_plural = "moves"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_view_permission(self, request, obj=None):
        return is_moderator(request.user)


@admin.register(Contribution)
class ContributionAdmin(ReadOnlyAdminMixin, ScaleAdminMixin, admin.ModelAdmin):
    """The queue at scale: counted by estimate past the threshold and never in total, each row
    drawn from the contribution and its author alone (no per-row query), kept in order by
    `contribution_age_idx`."""

    list_display = ["id", "kind", "status", "summary", "author", "target", "age", "version"]
    list_display_links = ["id", "summary"]
    list_filter = ["kind", "status", AgeFilter]
    list_select_related = ["author"]
    search_fields = ["=id", "author__username"]
    # A queue: the longest waiting first.
    ordering = ["created_at", "id"]
    fields = [
        "kind",
        "status",
        "author",
        "target",
        "base_version",
        "version",
        "reviewer",
        "created_at",
        "decided_at",
        "proposal",
        "applied",
    ]
    readonly_fields = fields
    inlines = [ModerationLogInline]
    change_form_template = "admin/contributions/contribution/change_form.html"

    # Who sees the queue: moderators, editors and superusers; nobody adds, edits or deletes.

    def has_module_permission(self, request):
        return is_moderator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_moderator(request.user)

    @admin.display(description="proposal")
    def summary(self, contribution: Contribution) -> str:
        payload = contribution.payload
        text = payload.get("text") or payload.get("reason") or payload.get("comment") or ""
        if contribution.kind == Kind.FLAG:
            text = f"{ReasonCode(payload['reason_code']).label}: {text}".rstrip(": ")
        return text if len(text) <= 80 else f"{text[:79]}…"

    @admin.display(description="about")
    def target(self, contribution: Contribution) -> str:
        if contribution.kind == Kind.NEW_ARGUMENT:
            return f"claim #{contribution.payload['claim']}"
        return contribution.target_label or "—"

    @admin.display(description="waiting", ordering="created_at")
    def age(self, contribution: Contribution) -> str:
        return timesince(contribution.created_at)

    @admin.display(description="proposal as sent")
    def proposal(self, contribution: Contribution) -> str:
        return format_html(
            "<pre>{}</pre>", json.dumps(contribution.payload, indent=2, ensure_ascii=False)
        )

    def get_urls(self):
        decide = path(
            "<path:object_id>/decide/",
            self.admin_site.admin_view(self.decide_view),
            name="contributions_contribution_decide",
        )
        return [decide, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        contribution = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if contribution is not None:
            context |= {
                "review": review(contribution),
                "decidable": contribution.status == State.PENDING,
                "decision_form": DecisionForm(initial={"version": contribution.version}),
                "decide_url": reverse(
                    "admin:contributions_contribution_decide", args=[contribution.pk]
                ),
            }
        return super().change_view(request, object_id, form_url, context)

    def decide_view(self, request: HttpRequest, object_id: str):
        """Approve, reject or request changes, through the services; back to the page with
        what was done, or why it was refused."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not is_moderator(request.user):
            raise PermissionDenied
        contribution = self.get_object(request, unquote(object_id))
        if contribution is None:
            raise Http404
        page = reverse("admin:contributions_contribution_change", args=[contribution.pk])
        form = DecisionForm(request.POST)
        if not form.is_valid():
            for name, errors in form.errors.items():
                self.message_user(request, f"{name}: {' '.join(errors)}", messages.ERROR)
            return HttpResponseRedirect(page)
        decision = form.cleaned_data["decision"]
        arguments = {
            "contribution": contribution,
            "actor": request.user,
            "version": form.cleaned_data["version"],
            "note": form.cleaned_data["note"],
        }
        try:
            if decision == "approve":
                services.contribution_approve(**arguments)
            elif decision == "reject":
                services.contribution_reject(
                    **arguments, reason_code=form.cleaned_data["reason_code"]
                )
            else:
                services.contribution_request_changes(**arguments)
        except services.ApplyConflict as conflict:
            self.message_user(request, _conflict_message(conflict), messages.ERROR)
            return HttpResponseRedirect(page)
        except (services.ContributionError, ValidationError) as error:
            self.message_user(request, _refusal(error), messages.ERROR)
            return HttpResponseRedirect(page)
        done = {"approve": "Approved", "reject": "Rejected", "request_changes": "Sent back"}
        self.message_user(
            request, f"{done[decision]} contribution #{contribution.pk}.", messages.SUCCESS
        )
        return HttpResponseRedirect(reverse("admin:contributions_contribution_changelist"))


def _refusal(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _conflict_message(conflict: services.ApplyConflict) -> str:
    parts = [str(conflict)]
    for name in conflict.proposed:
        parts.append(
            f"{name}: now {conflict.current.get(name)!r}, proposed {conflict.proposed[name]!r}."
        )
    for name, errors in conflict.errors.items():
        parts.append(f"{name}: {' '.join(errors)}")
    return " ".join(parts)
