"""What every endpoint of the public API shares: one error shape, strict query parameters,
bounded pagination, conditional GET and a bounded response cache.

A client learns about its mistakes: an unknown parameter, filter value, ordering field, format,
cursor or page size answers 400 with a message instead of being silently ignored.
"""

from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.filters import OrderingFilter
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.viewsets import ReadOnlyModelViewSet

from notes import revisions, routing
from notes.http import (
    add_validators,
    cached_response,
    client_is_current,
    early_not_modified,
    is_anonymous,
    representation_etag,
    response_cache_get,
    response_cache_key,
    response_cache_put,
)

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


def exception_handler(exc, context):
    """Every error as `{"status", "code", "detail", "errors"}`.

    `detail` is one sentence for people; `errors` maps each offending field or parameter to
    its messages (empty when the error is not about a field).
    """
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, TooManyFieldsSent):
        # Raised where the query string is first read; Django would answer with an HTML page.
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        exc = exceptions.ParseError(
            f"More than {limit} query parameters; this API reads at most {limit}."
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        detail = "The request has invalid parameters or fields; see errors."
        code = "invalid"
    else:
        errors = {}
        detail = str(exc.detail) if hasattr(exc, "detail") else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    response.data = {
        "status": response.status_code,
        "code": code if isinstance(code, str) else "error",
        "detail": detail,
        "errors": errors,
    }
    return response


def _page_size(request, param: str) -> int:
    raw = request.query_params.get(param)
    if raw is None:
        return DEFAULT_PAGE_SIZE
    # ASCII digits only: "²" is a digit to str.isdigit() but not to int().
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise exceptions.ValidationError(
            {param: [f"Must be a whole number from 1 to {MAX_PAGE_SIZE}."]}
        )
    return int(raw)


def _document_bounds(parameters: list[dict]) -> list[dict]:
    """The pagination parameters with the bounds the API enforces."""
    for parameter in parameters:
        if parameter["name"] == "page_size":
            parameter["schema"].update(minimum=1, maximum=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)
            parameter["description"] = (
                f"Results per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})."
            )
        elif parameter["name"] == "page":
            parameter["schema"]["minimum"] = 1
    return parameters


class PagePagination(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        return _page_size(request, self.page_size_query_param)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return _document_bounds(super().get_schema_operation_parameters(view))


#: A cursor as DRF writes it: the base64 of the position it holds.
CURSOR_PATTERN = r"^[A-Za-z0-9+/]+={0,2}$"


class CursorPagePagination(CursorPagination):
    """Cursor pages: a deep page costs what the first one does (no OFFSET, no COUNT)."""

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "-published_at"
    invalid_cursor_message = (
        "Not a cursor this list gave out; follow its `next` and `previous` links."
    )

    def get_page_size(self, request) -> int:
        return _page_size(request, self.page_size_query_param)

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """The cursor, refusing as invalid a position its ordering field cannot hold.

        A cursor is the client's to edit, and a position such as "2024" for a date would
        otherwise fail inside the query. A bad cursor is a bad parameter: a 400 naming it,
        where DRF answers 404.
        """
        invalid = exceptions.ValidationError(
            {self.cursor_query_param: [self.invalid_cursor_message]}
        )
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise invalid from None
        if cursor is not None and cursor.position is not None:
            field = self._model._meta.get_field(self.ordering[0].removeprefix("-"))
            try:
                field.to_python(cursor.position)
            except DjangoValidationError:
                raise invalid from None
        return cursor

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        """The requested ordering, ending with the primary key.

        The cursor marks a position by the first field alone, and many rows may share it (a
        batch published in one instant): without a unique last key the database may order
        those rows differently from one page's query to the next, repeating some and
        skipping others.
        """
        ordering = tuple(super().get_ordering(request, queryset, view))
        if not any(field.removeprefix("-") in ("id", "pk") for field in ordering):
            ordering += ("-id" if ordering[0].startswith("-") else "id",)
        return ordering

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = _document_bounds(super().get_schema_operation_parameters(view))
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                parameter["schema"]["pattern"] = CURSOR_PATTERN
                parameter["description"] = (
                    "A position in the list, from its `next` or `previous` link; any other "
                    "value answers 400."
                )
        return parameters


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, which builds no filter set for a request naming no filter.

    A filter set builds a form and a field per filter to find that nothing filters, which cost
    a cold list more than its query. Its parameters are named exactly by its filters' names
    (`PublicReadMixin` refuses any other), so a request naming none leaves the list whole.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is not None and filterset_class.base_filters.keys().isdisjoint(
            request.query_params
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


class StrictOrderingFilter(OrderingFilter):
    """`ordering` from the view's documented whitelist; anything else is a 400."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",") if param.strip()]
            context = {"request": request}
            allowed = {name for name, _ in self.get_valid_fields(queryset, view, context)}
            # One minus at most: "--id" would reach the database as a field name.
            invalid = [field for field in fields if field.removeprefix("-") not in allowed]
            if invalid or not fields:
                choices = ", ".join(sorted(f"{name}, -{name}" for name in allowed))
                raise exceptions.ValidationError(
                    {self.ordering_param: [f"Unknown ordering {params!r}; choose from {choices}."]}
                )
            return fields
        return self.get_default_ordering(view)


class ErrorSerializer(serializers.Serializer):
    """The one shape of every error answer (see `exception_handler`)."""

    status = serializers.IntegerField(help_text="The HTTP status code.")
    code = serializers.CharField(
        help_text="What went wrong, for programs: `invalid`, `not_found`, `throttled`, …"
    )
    detail = serializers.CharField(help_text="What went wrong, in one sentence for people.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per offending parameter; empty when the error is not about one.",
    )


_ERROR_RESPONSES = {
    "400": (
        "An unknown parameter, or a filter value, ordering, format, cursor or page size it "
        "does not take; too many parameters."
    ),
    "404": "Nothing public at this address, or a page that does not exist.",
    "429": "Too many requests from this address; `Retry-After` says how many seconds to wait.",
}
_VALIDATOR_HEADERS = {
    "ETag": "The version of this response, for `If-None-Match`.",
    "Last-Modified": "When public content last changed, for `If-Modified-Since`.",
}


class PublicReadSchema(AutoSchema):
    """A public read operation's documented answers: its own, its validators, and its errors."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        ok = responses.get("200")
        if ok is not None and direction == "response":
            ok.setdefault("headers", {}).update(
                {
                    name: {"schema": {"type": "string"}, "description": text, "required": True}
                    for name, text in _VALIDATOR_HEADERS.items()
                }
            )
        for code, description in _ERROR_RESPONSES.items():
            if code not in responses:
                error = OpenApiResponse(ErrorSerializer, description=description)
                responses[code] = self._get_response_for_code(error, code, direction=direction)
        responses["429"]["headers"] = {
            "Retry-After": {
                "schema": {"type": "integer", "minimum": 0},
                "description": "Seconds to wait before the next request.",
                "required": True,
            }
        }
        return responses


class NotModified(exceptions.APIException):
    status_code = status.HTTP_304_NOT_MODIFIED


class CachedResponse(Exception):
    """Raised in `initial` to answer with a response rendered earlier for the same revision."""

    def __init__(self, content: bytes, headers: dict[str, str]) -> None:
        self.content = content
        self.headers = headers


class RendererNegotiation(DefaultContentNegotiation):
    """DRF's choice of renderer, answered with the renderer's own media type.

    DRF would answer `Accept: application/json; x=1` with that very Content-Type, making every
    made-up parameter a representation of its own: a new ETag and cache entry each.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        if (
            format_suffix is None
            and request.META.get("HTTP_ACCEPT", "*/*") == "*/*"
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            # What DRF chooses for a client that names no format and takes anything (most
            # do), without parsing an Accept header into media types for every renderer: that
            # cost a cold page as much as reading its claim.
            return renderers[0], renderers[0].media_type
        renderer, _ = super().select_renderer(request, renderers, format_suffix)
        return renderer, renderer.media_type


class PublicReadMixin:
    """What makes a view a public read endpoint.

    It refuses query parameters it does not know, answers 304 when the client's copy is
    current, and serves a 200 rendered earlier for the same revision without building it anew.
    Both come after DRF's own checks (the rate limit, the format) and the view's, so neither
    hides a 400 or skips the count of a client's requests; the one exception is an
    If-None-Match naming the current ETag of the exact address and renderer, answered 304
    before DRF runs at all (`as_view`): that ETag came with a 200, and the 304 costs less than
    counting it would.

    The revision is that of `revision_kinds`: for each action, the kinds of content
    (`notes.revisions.KINDS`) its answers show; an action not named there depends on all.
    """

    pagination_class = PagePagination
    schema = PublicReadSchema()
    content_negotiation_class = RendererNegotiation
    #: Query parameters the view reads itself, besides filters, ordering and pagination.
    extra_query_params: frozenset[str] = frozenset()
    #: The kinds of content each action's answers are built from.
    revision_kinds: dict[str, tuple[str, ...]] = {}
    #: For an action answering the detail of the object its URL's `pk` names, that object's
    #: kind: its answers then change with that object, not with every object of its kind
    #: (`notes.revisions.current_of`).
    revision_details: dict[str, str] = {}

    @classmethod
    def kinds_of(cls, action: str | None) -> tuple[str, ...]:
        return cls.revision_kinds.get(action, revisions.KINDS)

    @classmethod
    def detail_for(cls, action: str | None, kwargs: dict) -> revisions.Detail | None:
        kind = cls.revision_details.get(action)
        return None if kind is None else revisions.detail_of(kind, kwargs.get("pk"))

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        """The view, answering a current If-None-Match with a 304 before DRF sees the request."""
        view = super().as_view(actions, **initkwargs)
        kinds = {method: cls.kinds_of(action) for method, action in (actions or {}).items()}
        kinds.setdefault("head", kinds.get("get"))
        named = dict(actions or {})
        named.setdefault("head", named.get("get"))
        # An extra action may bring renderers of its own (`@action(renderer_classes=...)`).
        renderer_classes = initkwargs.get("renderer_classes", cls.renderer_classes)

        @wraps(view)
        def conditional_view(request, *args, **kwargs):
            if (
                request.method in ("GET", "HEAD")
                and "HTTP_IF_NONE_MATCH" in request.META
                and kinds.get(request.method.lower())
            ):
                renderer_format = _plain_renderer_format(request, kwargs, renderer_classes)
                if renderer_format is not None:
                    # The revision compared is the one the answer would be built from.
                    method = request.method.lower()
                    with routing.public_reads():
                        response = early_not_modified(
                            request,
                            kinds[method],
                            renderer_format,
                            detail=cls.detail_for(named[method], kwargs),
                        )
                    if response is not None:
                        # As DRF's answer varies: on the renderer, and on the login its
                        # authentication reads from the session.
                        patch_vary_headers(response, ["Accept", "Cookie"])
                        return response
            return view(request, *args, **kwargs)

        return conditional_view

    def dispatch(self, request, *args, **kwargs):
        # Its reads, the revision's included, may come from a replica (see notes.routing).
        with routing.public_reads():
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._reject_unknown_parameters(request)
        if any("\x00" in str(value) for value in kwargs.values()):
            # No key holds a NUL, and PostgreSQL refuses to even compare text with one.
            raise exceptions.NotFound()
        # Only an anonymous reader's answer is the same for everyone (see notes.http).
        if request.method in ("GET", "HEAD") and is_anonymous(request):
            self._revision = revisions.current_of(
                self.kinds_of(self.action), detail=self.detail_for(self.action, self.kwargs)
            )
            self._etag = representation_etag(
                self._revision, request.build_absolute_uri(), request.accepted_renderer.format
            )
            if client_is_current(request, self._revision, self._etag):
                raise NotModified()
            if self._response_is_cacheable(request):
                cached = response_cache_get(response_cache_key(self._revision, self._etag))
                if cached is not None:
                    raise CachedResponse(*cached)

    def perform_content_negotiation(self, request, force=False):
        """The renderer `?format=` or Accept asks for; an unknown `format` is a 400 naming it.

        DRF answers 404 to a format the view lacks, as if the address did not exist: right for
        a suffix (`/claims.xml`), which is part of the path, but not for a query parameter.
        """
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:
            if self.format_kwarg:
                raise
            value = request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
            offered = ", ".join(sorted(renderer.format for renderer in self.get_renderers()))
            raise exceptions.ValidationError(
                {"format": [f"Unknown format {value!r}; this endpoint offers {offered}."]}
            ) from None

    def handle_exception(self, exc):
        if isinstance(exc, CachedResponse):
            response = cached_response(exc.content, exc.headers)
            add_validators(response, self._revision, self._etag)
            return response
        if isinstance(exc, NotModified):
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
            add_validators(response, self._revision, self._etag)
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == status.HTTP_200_OK and hasattr(self, "_etag"):
            add_validators(response, self._revision, self._etag)
            if isinstance(response, Response) and self._response_is_cacheable(request):
                response.render()
                response_cache_put(response_cache_key(self._revision, self._etag), response)
        return response

    def _response_is_cacheable(self, request) -> bool:
        # The browsable API's HTML carries the reader's CSRF token and login state.
        return request.method == "GET" and request.accepted_renderer.format != "api"

    def allowed_query_params(self) -> set[str]:
        allowed = {"format", *self.extra_query_params}
        if getattr(self, "detail", False):
            # One object: pages, filters and orderings of the list mean nothing here.
            return allowed
        paginator = self.paginator
        if paginator is not None:
            allowed |= {
                getattr(paginator, name)
                for name in ("page_query_param", "page_size_query_param", "cursor_query_param")
                if getattr(paginator, name, None)
            }
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None:
            allowed |= set(filterset_class.base_filters)
        if any(issubclass(backend, OrderingFilter) for backend in self.filter_backends):
            allowed.add(OrderingFilter.ordering_param)
        return allowed

    def _reject_unknown_parameters(self, request) -> None:
        allowed = self.allowed_query_params()
        errors = {
            name: [f"Unknown parameter; this endpoint takes {', '.join(sorted(allowed))}."]
            for name in sorted(set(request.query_params) - allowed)
        }
        errors.update(
            (name, ["Give a value, or leave the parameter out."])
            for name, value in request.query_params.items()
            if name in allowed and not value.strip()
        )
        if errors:
            raise exceptions.ValidationError(errors)


def _plain_renderer_format(request, kwargs, renderer_classes) -> str | None:
    """The format of the renderer DRF will choose, when a glance tells: `?format=`, or the
    first renderer for no Accept or `*/*`, or the one whose media type Accept names
    exactly. None when only DRF's negotiation can tell."""
    if "format" in kwargs:
        return None
    query_string = request.META.get("QUERY_STRING", "")
    # Parsed only when it may name a format (`%66ormat` is `format` too).
    if "format" in query_string or "%" in query_string:
        try:
            query = request.GET
        except TooManyFieldsSent:
            # DRF's path answers it in the API's error shape.
            return None
        if "format" in query:
            return query["format"]
    accept = request.headers.get("Accept", "*/*").strip()
    if accept in ("", "*/*"):
        return renderer_classes[0].format
    for renderer in renderer_classes:
        if renderer.media_type == accept:
            return renderer.format
    return None


class PublicReadViewSet(PublicReadMixin, ReadOnlyModelViewSet):
    """A public list and detail endpoint."""


@csrf_exempt
def not_found(request, *args, **kwargs) -> JsonResponse:
    """The API's answer at an address under /api/ that no endpoint serves, in the one shape.

    Exempt from the CSRF check, which would otherwise answer a POST here with an HTML 403: it
    changes nothing, whatever the method.
    """
    return JsonResponse(
        {
            "status": 404,
            "code": "not_found",
            "detail": "No API endpoint at this address; the index is /api/v1/.",
            "errors": {},
        },
        status=404,
    )


def require_non_blank_query_values(result, generator, request, public):
    """drf-spectacular hook: a text query parameter, when given, must hold something.

    The API answers 400 to `?q=` or `?video=` (see `PublicReadMixin`), so the schema says so.
    """
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and schema.get("type") == "string":
                    schema.setdefault("minLength", 1)
                    schema.setdefault("pattern", r"\S")
    return result
