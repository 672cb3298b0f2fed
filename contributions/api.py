"""`/api/v1/contributions/`: propose, read your proposals, and decide on them.

Every answer is private: never served from nor stored in the shared cache, and marked so no
other cache keeps it (`PrivateApiMixin`). Who sees what: a contributor their own contributions,
moderators (and editors, superusers) all of them; another contributor's is a 404, not a 403.
A move the caller's role does not allow is a 403, a move from the wrong state or on a stale
`version` a 409, and a submission beyond the quotas a 429 saying when it resets.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import PrivateApiMixin
from accounts.permissions import IsContributor
from accounts.roles import is_moderator
from claims.selectors import similar_claims
from config.api import ErrorSerializer, PagePagination
from contributions import services
from contributions.models import Contribution, Kind, State
from contributions.selectors import contributions_visible_to
from contributions.serializers import (
    INPUTS,
    OUTPUTS,
    ApproveInput,
    RejectInput,
    RequestChangesInput,
    VersionInput,
    edit_serializer,
    flat_errors,
    read_edit,
    read_proposal,
    represent,
)

#: How many similar published claims a new claim's answer lists.
SIMILAR_CLAIMS = 5


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "This move is not possible in the contribution's current state."


class QuotaReached(exceptions.Throttled):
    default_code = "quota_exceeded"

    def __init__(self, refusal: services.QuotaExceeded) -> None:
        super().__init__(wait=refusal.wait_seconds)
        self.detail = exceptions.ErrorDetail(str(refusal), code=self.default_code)
        self.resets_at = refusal.resets_at


def _errors(descriptions: dict[int, str]) -> dict[int, OpenApiResponse]:
    return {
        code: OpenApiResponse(ErrorSerializer, description=text)
        for code, text in descriptions.items()
    }


_COMMON_ERRORS = {
    401: "No credentials, or a bad or expired token.",
    403: "Not a contributor (no confirmed e-mail address), or an inactive account.",
}
_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The contribution's id.")


def _output(many: bool = False) -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name="Contribution",
        serializers={kind.value: output for kind, output in OUTPUTS.items()},
        resource_type_field_name="kind",
        many=many,
    )


_OUTPUT = _output()


class ContributionApiMixin(PrivateApiMixin):
    """What every contribution endpoint shares: contributors only, service refusals as HTTP."""

    permission_classes = [IsContributor]

    def handle_exception(self, exc):
        extra = {}
        if isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(
                exc.message_dict
                if hasattr(exc, "error_dict")
                else {"non_field_errors": exc.messages}
            )
        if isinstance(exc, exceptions.ValidationError):
            exc = exceptions.ValidationError(flat_errors(exc.detail))
        elif isinstance(exc, services.NotAllowed):
            exc = exceptions.PermissionDenied(str(exc))
        elif isinstance(exc, services.ApplyConflict):
            extra = {"errors": exc.errors}
            if exc.current or exc.proposed:
                extra.update(current=exc.current, proposed=exc.proposed)
            exc = Conflict(str(exc), code="apply_conflict")
        elif isinstance(exc, services.StaleVersion):
            exc = Conflict(str(exc), code="stale_version")
        elif isinstance(exc, services.IllegalMove):
            exc = Conflict(str(exc), code="illegal_move")
        elif isinstance(exc, services.QuotaExceeded):
            exc = QuotaReached(exc)
        response = super().handle_exception(exc)
        if isinstance(exc, QuotaReached) and exc.resets_at is not None:
            extra["resets_at"] = serializers.DateTimeField().to_representation(exc.resets_at)
        if extra and isinstance(response.data, dict):
            response.data.update(extra)
        return response

    def viewer_is_moderator(self) -> bool:
        if not hasattr(self, "_moderator"):
            self._moderator = is_moderator(self.request.user)
        return self._moderator

    def get_contribution(self, pk: int) -> Contribution:
        contribution = (
            contributions_visible_to(self.request.user, moderator=self.viewer_is_moderator())
            .filter(pk=pk)
            .first()
        )
        if contribution is None:
            raise exceptions.NotFound("No contribution of yours has this id.")
        return contribution

    def respond(self, contribution: Contribution, code: int = status.HTTP_200_OK) -> Response:
        contribution = self.get_contribution(contribution.pk)
        if contribution.kind == Kind.NEW_CLAIM:
            made = [item["id"] for item in contribution.applied if item["type"] == "claim"]
            contribution.similar_claims = similar_claims(
                contribution.payload.get("text") or "", limit=SIMILAR_CLAIMS, exclude_ids=made
            )
        data = represent(contribution, moderator=self.viewer_is_moderator())
        return Response(data, status=code)


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ListFilters(serializers.Serializer):
    kind = serializers.ChoiceField(Kind.choices, required=False)
    status = serializers.ChoiceField(State.choices, required=False)
    author = serializers.CharField(max_length=150, required=False)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
    ordering = serializers.ChoiceField(["created_at", "-created_at"], required=False)


_LIST_PARAMETERS = [
    OpenApiParameter("kind", str, enum=Kind.values, description="Only this kind."),
    OpenApiParameter("status", str, enum=State.values, description="Only in this state."),
    OpenApiParameter(
        "author", str, description="Only by this username (moderators; others see their own)."
    ),
    OpenApiParameter(
        "created_after",
        {"type": "string", "format": "date-time"},
        description="Only those proposed at or after this time (ISO 8601).",
    ),
    OpenApiParameter(
        "created_before",
        {"type": "string", "format": "date-time"},
        description="Only those proposed before this time (ISO 8601).",
    ),
    OpenApiParameter(
        "ordering",
        str,
        enum=["created_at", "-created_at"],
        description="`created_at` for the oldest first (the queue), `-created_at` (default) "
        "for the newest.",
    ),
]


class ContributionListCreateApi(ContributionApiMixin, APIView):
    pagination_class = PagePagination

    @extend_schema(
        summary="List contributions",
        description=(
            "Your own contributions, newest first; moderators, editors and superusers see "
            "everyone's, and filter the queue by kind, state, age and author."
        ),
        parameters=_LIST_PARAMETERS,
        responses={
            200: _output(many=True),
            **_errors(
                {
                    400: "An unknown parameter or a bad filter value.",
                    **_COMMON_ERRORS,
                    404: "A page past the last.",
                }
            ),
        },
    )
    def get(self, request):
        paginator = self.pagination_class()
        allowed = {*ListFilters().fields, "page", "page_size"}
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise exceptions.ValidationError(
                {
                    name: [f"Unknown parameter; this takes {', '.join(sorted(allowed))}."]
                    for name in unknown
                }
            )
        filters = ListFilters(
            data={
                name: value
                for name, value in request.query_params.items()
                if name in ListFilters().fields
            }
        )
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        contributions = contributions_visible_to(request.user, moderator=self.viewer_is_moderator())
        for name in ("kind", "status"):
            if name in wanted:
                contributions = contributions.filter(**{name: wanted[name]})
        if "author" in wanted:
            contributions = contributions.filter(author__username=wanted["author"])
        if "created_after" in wanted:
            contributions = contributions.filter(created_at__gte=wanted["created_after"])
        if "created_before" in wanted:
            contributions = contributions.filter(created_at__lt=wanted["created_before"])
        ordering = wanted.get("ordering", "-created_at")
        contributions = contributions.order_by(ordering, ordering.replace("created_at", "id"))
        page = paginator.paginate_queryset(contributions, request, view=self)
        moderator = self.viewer_is_moderator()
        return paginator.get_paginated_response(
            [represent(contribution, moderator=moderator) for contribution in page]
        )

    @extend_schema(
        summary="Propose a contribution",
        description=(
            "A new claim, a new argument, a correction or a flag, by `kind`. It waits, pending, "
            "for a moderator. A new claim's answer lists the published claims most like it."
        ),
        request=PolymorphicProxySerializer(
            component_name="ContributionProposal",
            serializers={kind.value: proposal for kind, proposal in INPUTS.items()},
            resource_type_field_name="kind",
        ),
        responses={
            201: _OUTPUT,
            **_errors(
                {
                    400: "A missing, unknown or invalid field; see errors.",
                    **_COMMON_ERRORS,
                    429: (
                        "Too many contributions waiting, or made in 24 hours: the detail (and "
                        "`resets_at`, `Retry-After` for the daily limit) says when it resets."
                    ),
                }
            ),
        },
    )
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        identity, payload = read_proposal(data)
        contribution = services.contribution_submit(
            author=request.user,
            kind=identity.pop("kind"),
            payload=payload,
            **identity,
        )
        return self.respond(contribution, status.HTTP_201_CREATED)


class ContributionDetailApi(ContributionApiMixin, APIView):
    @extend_schema(
        summary="Read a contribution",
        description="One contribution with its decisions; another contributor's is a 404.",
        parameters=[_ID],
        responses={200: _OUTPUT, **_errors({**_COMMON_ERRORS, 404: "None of yours has this id."})},
    )
    def get(self, request, pk: int):
        return self.respond(self.get_contribution(pk))

    @extend_schema(
        summary="Edit and resubmit a contribution",
        description=(
            "The author, while changes are requested: the fields given replace the proposal's, "
            "and the contribution is pending again. Send its current `version`."
        ),
        parameters=[_ID],
        request=PolymorphicProxySerializer(
            component_name="ContributionEdit",
            serializers=[edit_serializer(kind) for kind in INPUTS],
            resource_type_field_name=None,
        ),
        responses={
            200: _OUTPUT,
            **_errors(
                {
                    400: "An unknown or invalid field; see errors.",
                    **_COMMON_ERRORS,
                    404: "None of yours has this id.",
                    409: "Not waiting for changes, or `version` is not current.",
                }
            ),
        },
    )
    def patch(self, request, pk: int):
        contribution = self.get_contribution(pk)
        edit = read_edit(contribution, request.data)
        if contribution.author_id != request.user.pk:
            raise services.NotAllowed("Only its author may edit a contribution.")
        contribution = services.contribution_resubmit(
            contribution=contribution, actor=request.user, **edit
        )
        return self.respond(contribution)


def _decision(summary: str, description: str, request_serializer, extra_errors: dict[int, str]):
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[_ID],
        request=request_serializer,
        responses={
            200: _OUTPUT,
            **_errors(
                {
                    400: "A missing or invalid field; see errors.",
                    **_COMMON_ERRORS,
                    404: "No contribution you may see has this id.",
                    409: (
                        "Not possible from the contribution's state, or `version` is not "
                        "current (it changed since you read it, or this decision was made)."
                    ),
                    **extra_errors,
                }
            ),
        },
    )


class _DecisionApi(ContributionApiMixin, APIView):
    input_serializer = VersionInput

    def post(self, request, pk: int):
        contribution = self.get_contribution(pk)
        data = dict(_validated(self.input_serializer, request.data))
        return self.respond(self.decide(contribution, request.user, **data))


class ContributionApproveApi(_DecisionApi):
    input_serializer = ApproveInput

    @_decision(
        "Approve a contribution",
        "Moderators: apply the proposal (published at once, credited to its author) and tell "
        "the author. A correction based on an old version of its target is a 409 whose "
        "`current` and `proposed` show both.",
        ApproveInput,
        {403: "Not a moderator, or your own contribution."},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, contribution, actor, *, version, note=""):
        return services.contribution_approve(
            contribution=contribution, actor=actor, version=version, note=note
        )


class ContributionRejectApi(_DecisionApi):
    input_serializer = RejectInput

    @_decision(
        "Reject a contribution",
        "Moderators: refuse it with a reason code and a note, which the author is mailed.",
        RejectInput,
        {403: "Not a moderator, or your own contribution."},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, contribution, actor, *, version, reason_code, note=""):
        return services.contribution_reject(
            contribution=contribution,
            actor=actor,
            version=version,
            reason_code=reason_code,
            note=note,
        )


class ContributionRequestChangesApi(_DecisionApi):
    input_serializer = RequestChangesInput

    @_decision(
        "Request changes to a contribution",
        "Moderators: send it back to its author with a note saying what to change.",
        RequestChangesInput,
        {403: "Not a moderator, or your own contribution."},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, contribution, actor, *, version, note):
        return services.contribution_request_changes(
            contribution=contribution, actor=actor, version=version, note=note
        )


class ContributionWithdrawApi(_DecisionApi):
    input_serializer = VersionInput

    @_decision(
        "Withdraw a contribution",
        "Its author: take back a contribution that is pending or waiting for changes.",
        VersionInput,
        {403: "Not its author."},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, contribution, actor, *, version):
        return services.contribution_withdraw(
            contribution=contribution, actor=actor, version=version
        )
