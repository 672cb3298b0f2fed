"""The contributors' and moderators' pages: the contribute forms, "my contributions" and the
moderation queue.

They take what the API takes and make the moves it makes: every proposal, edit and decision
goes through the API's input serializers (`contributions.serializers`) and one service of
`contributions.services`, so the pages and the API refuse and accept the same things, with the
same messages. Who may do what is the API's rule too: contributors propose and see their own
contributions (another's is a 404), moderators, editors and superusers
(`accounts.roles.is_moderator`) decide, nobody on their own. Every page is a signed-in user's
alone: never kept by a cache (`private_page`).
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.exceptions import ValidationError

from accounts.roles import is_contributor, is_moderator
from claims.models import Claim, Stance
from contributions import selectors, services
from contributions.forms import (
    CorrectionForm,
    FlagForm,
    NewArgumentForm,
    NewClaimForm,
    error_messages,
    initial_from_payload,
)
from contributions.models import Contribution, Kind, ReasonCode, State, TargetType
from contributions.payloads import FLAGGABLE, public_target
from contributions.serializers import (
    ApproveInput,
    RejectInput,
    RequestChangesInput,
    VersionInput,
    read_edit,
    read_proposal,
)
from notes.parsing import format_timestamp

#: Contributions per page of "my contributions" and of the queue.
PAGE_SIZE = 20
#: Similar published claims shown with a new claim (as many as the API lists).
SIMILAR_SHOWN = 5
#: Each decision of the queue: its serializer and its service.
DECISIONS = {
    "approve": (ApproveInput, services.contribution_approve, "Approved"),
    "reject": (RejectInput, services.contribution_reject, "Rejected"),
    "request-changes": (
        RequestChangesInput,
        services.contribution_request_changes,
        "Sent back for changes:",
    ),
}
_REFUSALS = (ValidationError, DjangoValidationError)


def private_page(view):
    """A signed-in user's page: anonymous visitors are sent to log in first, and no cache keeps
    the answer (`Cache-Control: private, no-store`), a 404 included."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return TemplateResponse(request, "404.html", status=404)

    return never_cache(login_required(wrapped))


def contributors_only(view):
    """Refuse, with a page saying why, a signed-in user who may not contribute (no confirmed
    e-mail address): the API's `IsContributor`."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_contributor(request.user):
            return TemplateResponse(request, "contributions/not_contributor.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def moderators_only(view):
    """Moderators, editors and superusers: the API's `is_moderator`; others get a 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_moderator(request.user):
            return TemplateResponse(request, "403.html", status=403)
        request.viewer_is_moderator = True
        return view(request, *args, **kwargs)

    return wrapped


def _page(request: HttpRequest, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _int(value) -> int | None:
    """A whole number from the query, if it is one a database column can hold."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < 2**63 else None


# Contribute ----------------------------------------------------------------------------------


def _submit(request: HttpRequest, form, context: dict) -> HttpResponse:
    """Show `form`; sent, propose what it holds through the API's input and service, then go
    to the new contribution's page."""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            identity, payload = read_proposal(form.api_data())
            contribution = services.contribution_submit(
                author=request.user, kind=identity.pop("kind"), payload=payload, **identity
            )
        except _REFUSALS as refusal:
            form.show_errors(error_messages(refusal))
            status = 400
        except services.QuotaExceeded as refusal:
            context["quota"] = refusal
            status = 429
        else:
            messages.success(
                request,
                f"Thank you: your {contribution.get_kind_display().lower()} is contribution "
                f"#{contribution.pk}, waiting for a moderator.",
            )
            return redirect("contributions:detail", pk=contribution.pk)
    context = {"form": form, "action": request.get_full_path(), **context}
    return TemplateResponse(request, "contributions/contribute.html", context, status=status)


def _bound(request: HttpRequest) -> dict:
    return {"data": request.POST} if request.method == "POST" else {}


@require_http_methods(["GET", "HEAD", "POST"])
@private_page
@contributors_only
def contribute_claim(request: HttpRequest) -> HttpResponse:
    video = request.GET.get("video", "")
    seconds = _int(request.GET.get("t"))
    initial = {"video": video, "start": "" if seconds is None else format_timestamp(seconds)}
    form = NewClaimForm(initial=initial, **_bound(request))
    context = {
        "title": "Propose a claim",
        "intro": "A claim made in a video: what was said, when, and by whom.",
        "back": reverse("pages:video", args=[video]) if video else None,
    }
    return _submit(request, form, context)


@require_http_methods(["GET", "HEAD", "POST"])
@private_page
@contributors_only
def contribute_argument(request: HttpRequest) -> HttpResponse:
    claim = Claim.objects.published().filter(pk=_int(request.GET.get("claim"))).first()
    if claim is None:
        raise Http404("No published claim has this id.")
    stance = request.GET.get("stance") if request.GET.get("stance") in Stance.values else ""
    form = NewArgumentForm(initial={"claim": claim.pk, "stance": stance}, **_bound(request))
    context = {
        "title": f"Propose an argument {stance}".rstrip() if stance else "Propose an argument",
        "about": claim,
        "about_type": TargetType.CLAIM,
        "about_label": "The claim",
        "back": reverse("pages:claim", args=[claim.pk]),
    }
    return _submit(request, form, context)


def _target(request: HttpRequest, allowed) -> tuple[str, object]:
    """The public claim, appearance or argument the query names (`?claim=ID`, …), else a 404."""
    for target_type in allowed:
        if target_type in request.GET:
            target = public_target(target_type, _int(request.GET[target_type]))
            if target is not None:
                return target_type, target
    raise Http404("Nothing public has this id.")


def _claim_of(target) -> Claim:
    return target if isinstance(target, Claim) else target.claim


@require_http_methods(["GET", "HEAD", "POST"])
@private_page
@contributors_only
def contribute_correction(request: HttpRequest) -> HttpResponse:
    target_type, target = _target(request, TargetType.values)
    form = CorrectionForm(target_type=target_type, target=target, **_bound(request))
    context = {
        "title": f"Suggest a correction to this {target_type}",
        "intro": "Change the fields that are wrong; the others stay as they are.",
        "about": target,
        "about_type": target_type,
        "about_label": f"The {target_type}, as it is now",
        "back": reverse("pages:claim", args=[_claim_of(target).pk]),
    }
    return _submit(request, form, context)


@require_http_methods(["GET", "HEAD", "POST"])
@private_page
@contributors_only
def contribute_flag(request: HttpRequest) -> HttpResponse:
    target_type, target = _target(request, FLAGGABLE)
    form = FlagForm(target_type=target_type, target_id=target.pk, **_bound(request))
    context = {
        "title": f"Flag this {target_type}",
        "intro": "Tell the moderators what is wrong with it.",
        "about": target,
        "about_type": target_type,
        "about_label": f"The {target_type}",
        "back": reverse("pages:claim", args=[_claim_of(target).pk]),
    }
    return _submit(request, form, context)


# My contributions ----------------------------------------------------------------------------


def _own(request: HttpRequest, pk: int) -> Contribution:
    """The signed-in user's contribution `pk`; anybody else's is a 404, as in the API."""
    return get_object_or_404(
        selectors.contributions_visible_to(request.user, moderator=False), pk=pk
    )


@require_http_methods(["GET", "HEAD"])
@private_page
@contributors_only
def contribution_list(request: HttpRequest) -> HttpResponse:
    page = _page(request, selectors.contributions_visible_to(request.user, moderator=False))
    context = {
        "page_obj": page,
        "reviews": selectors.reviews(page.object_list),
        "title": "My contributions",
    }
    return TemplateResponse(request, "contributions/list.html", context)


@require_http_methods(["GET", "HEAD"])
@private_page
@contributors_only
def contribution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = _own(request, pk)
    [review] = selectors.reviews([contribution], similar=SIMILAR_SHOWN)
    context = {"review": review, "title": f"Contribution #{contribution.pk}"}
    return TemplateResponse(request, "contributions/detail.html", context)


@require_POST
@private_page
@contributors_only
def contribution_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = _own(request, pk)
    try:
        data = _decision_data(VersionInput, request)
        services.contribution_withdraw(
            contribution=contribution, actor=request.user, version=data["version"]
        )
    except services.IllegalMove:
        contribution.refresh_from_db()
        messages.error(
            request,
            f"Contribution #{pk} changed since you opened the page (it is now "
            f"{contribution.get_status_display().lower()}): nothing was withdrawn.",
        )
    except (*_REFUSALS, services.NotAllowed) as refusal:
        messages.error(request, _sentence(refusal))
    else:
        messages.success(request, f"Contribution #{pk} is withdrawn.")
    return redirect("contributions:detail", pk=pk)


def _edit_form(contribution: Contribution, data=None):
    initial = initial_from_payload(contribution)
    kind = contribution.kind
    if kind == Kind.NEW_CLAIM:
        return NewClaimForm(data, initial=initial)
    if kind == Kind.NEW_ARGUMENT:
        return NewArgumentForm(data, initial=initial)
    if kind == Kind.FLAG:
        return FlagForm(
            data,
            initial=initial,
            target_type=contribution.target_type,
            target_id=contribution.target_id,
        )
    target = public_target(contribution.target_type, contribution.target_id)
    if target is None:
        return None
    return CorrectionForm(
        data, initial=initial, target_type=contribution.target_type, target=target
    )


@require_http_methods(["GET", "HEAD", "POST"])
@private_page
@contributors_only
def contribution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The author's edit of a contribution sent back for changes, resubmitted as the API's
    PATCH resubmits it."""
    contribution = _own(request, pk)
    if contribution.status != State.CHANGES_REQUESTED:
        messages.error(request, "Only a contribution sent back for changes can be edited.")
        return redirect("contributions:detail", pk=pk)
    form = _edit_form(contribution, request.POST if request.method == "POST" else None)
    if form is None:
        messages.error(
            request,
            f"The {contribution.target_label} is no longer public: this correction cannot be "
            "edited; withdraw it.",
        )
        return redirect("contributions:detail", pk=pk)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = {
            **form.api_data(for_edit=True),
            "version": request.POST.get("version"),
            "note": request.POST.get("note", "").strip(),
        }
        try:
            edit = read_edit(contribution, data)
            services.contribution_resubmit(contribution=contribution, actor=request.user, **edit)
        except _REFUSALS as refusal:
            form.show_errors(error_messages(refusal))
            status = 400
        except services.IllegalMove:
            messages.error(
                request, f"Contribution #{pk} changed since you opened the form: look again."
            )
            return redirect("contributions:detail", pk=pk)
        else:
            messages.success(request, f"Contribution #{pk} is back in the queue.")
            return redirect("contributions:detail", pk=pk)
    [review] = selectors.reviews([contribution])
    context = {
        "form": form,
        "review": review,
        "action": request.get_full_path(),
        "version": contribution.version,
        "title": f"Edit contribution #{contribution.pk}",
        "editing": True,
        "back": reverse("contributions:detail", args=[pk]),
    }
    return TemplateResponse(request, "contributions/contribute.html", context, status=status)


# Moderation ----------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@private_page
@moderators_only
def moderation_queue(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") if request.GET.get("kind") in Kind.values else ""
    status = request.GET.get("status")
    status = status if status in State.values else State.PENDING
    page = _page(request, selectors.moderation_queue(kind=kind, status=status))
    context = {
        "page_obj": page,
        "reviews": selectors.reviews(page.object_list, similar=SIMILAR_SHOWN),
        "kind": kind,
        "status": status,
        "kinds": Kind.choices,
        "statuses": State.choices,
        "reason_codes": ReasonCode.choices,
        "query": urlencode({"kind": kind, "status": status} if kind else {"status": status}),
        "here": request.get_full_path(),
        "title": "Moderation",
    }
    return TemplateResponse(request, "contributions/moderation.html", context)


@require_http_methods(["GET", "HEAD"])
@private_page
@moderators_only
def moderation_item(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = get_object_or_404(
        selectors.contributions_visible_to(request.user, moderator=True), pk=pk
    )
    [review] = selectors.reviews([contribution], similar=SIMILAR_SHOWN)
    context = {
        "review": review,
        "reason_codes": ReasonCode.choices,
        "here": request.get_full_path(),
        "title": f"Moderate contribution #{pk}",
    }
    return TemplateResponse(request, "contributions/moderation_item.html", context)


@require_POST
@private_page
@moderators_only
def moderation_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """One decision on the version of the contribution the moderator saw; back to where they
    were, saying what was done or why nothing was."""
    contribution = get_object_or_404(
        selectors.contributions_visible_to(request.user, moderator=True), pk=pk
    )
    serializer, service, done = DECISIONS[decision]
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("contributions:moderation")
    try:
        data = _decision_data(serializer, request)
        service(contribution=contribution, actor=request.user, **data)
    except services.ApplyConflict as conflict:
        messages.error(request, _conflict(pk, conflict))
    except services.IllegalMove:
        contribution.refresh_from_db()
        messages.error(
            request,
            f"Contribution #{pk} was already decided by someone else, or changed by its author: "
            f"it is now {contribution.get_status_display().lower()}. Nothing was changed.",
        )
    except (*_REFUSALS, services.NotAllowed) as refusal:
        messages.error(request, f"Contribution #{pk}: {_sentence(refusal)}")
    else:
        messages.success(request, f"{done} contribution #{pk}.")
        return redirect(back)
    return redirect(f"{back}#contribution-{pk}")


def _decision_data(serializer, request: HttpRequest) -> dict:
    """The decision's fields, as its API serializer takes them; a blank one is left out, so
    that it is named as missing rather than as a bad choice."""
    fields = serializer().fields
    data = {name: request.POST[name] for name in fields if request.POST.get(name, "").strip()}
    checked = serializer(data=data)
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


_NAMES = {"reason_code": "Reason", "note": "Note", "version": "Version"}


def _sentence(refusal: Exception) -> str:
    if isinstance(refusal, _REFUSALS):
        return " ".join(
            f"{_NAMES.get(name, name.replace('_', ' ').capitalize())}: {' '.join(found)}"
            if name != "non_field_errors"
            else " ".join(found)
            for name, found in error_messages(refusal).items()
        )
    return str(refusal)


def _conflict(pk: int, conflict: services.ApplyConflict) -> str:
    parts = [str(conflict)]
    for name in conflict.proposed:
        parts.append(
            f"{selectors.FIELD_LABELS.get(name, name)}: now "
            f"{selectors.shown(name, conflict.current.get(name))}, proposed "
            f"{selectors.shown(name, conflict.proposed[name])}."
        )
    for name, found in conflict.errors.items():
        parts.append(f"{selectors.FIELD_LABELS.get(name, name)}: {' '.join(found)}")
    return " ".join(parts)
