"""Conditional GET and the shared response cache, for the API's views and the public pages alike.

The revision of the kinds of content a response is built from (`notes.revisions.current_of`)
moves on every committed change to them, so one cheap read tells whether anything the response
shows may have changed since: a
client's copy is current when its ETag or Last-Modified names the current revision, and a
rendered 200 can be kept under a key naming the revision and served again until it moves. A
representation is an absolute address (responses hold absolute URLs) and the renderer chosen
for it (`json`, `jsonld`, `html`, …), never the raw Accept header, which a client can vary
without end.

All of this holds only while every reader sees the same thing: a request that carries a
logged-in session or an Authorization header may be answered differently (its own
contributions, its login state, a CSRF token), so it is never answered from the shared cache
nor stored in it, and gets no early 304 (`is_anonymous`).

`PublicReadMixin` (config/api.py) applies these functions to the API's DRF views;
`conditional_page` applies them to the page views.
"""

import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache, wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe, quote_etag

from notes import revisions
from notes.revisions import Revision

#: Headers of a response that belong to the request that made it, never to a cached copy.
_PRIVATE_HEADERS = frozenset({"etag", "last-modified", "set-cookie"})


def is_anonymous(request: HttpRequest) -> bool:
    """Whether the request is an anonymous reader's: no credentials that could change the answer.

    A session cookie alone does not count (a visitor who once saw a form keeps one); one that
    maps to a logged-in user does. Without a session cookie nobody is logged in, so
    `request.user` (a query when a session cookie is sent) is read only with one.
    """
    if "HTTP_AUTHORIZATION" in request.META:
        return False
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return True
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


def representation_etag(revision: Revision, address: str, renderer_format: str) -> str:
    """The ETag of one representation of `address` at `revision`."""
    return quote_etag(f"{revision.number}-{_short_hash(f'{address}|{renderer_format}')}")


def client_is_current(request: HttpRequest, revision: Revision, etag: str) -> bool:
    """Whether the client's copy, named by If-None-Match or If-Modified-Since, is `etag`'s."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        # No `*`: it would answer 304 before the view could say the address is a 400 or 404.
        return etag in tags
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(revision.changed_at.timestamp()) <= since


def add_validators(response: HttpResponseBase, revision: Revision, etag: str) -> None:
    response["ETag"] = etag
    response["Last-Modified"] = _last_modified(revision.changed_at)


@lru_cache(maxsize=64)
def _last_modified(changed_at: datetime) -> str:
    # A few revisions are current at a time, and each is answered many times.
    return http_date(changed_at.timestamp())


def response_cache_key(revision: Revision, etag: str) -> str:
    # `changed_at` too: a restored database or a rolled-back test can repeat a number.
    return f"response:{etag}:{revision.changed_at.timestamp()}"


def response_cache_get(key: str) -> tuple[bytes, dict[str, str]] | None:
    """The body and headers kept under `key`, if any."""
    if settings.API_RESPONSE_CACHE_SECONDS <= 0:
        return None
    return cache.get(key)


def response_cache_put(key: str, response: HttpResponse) -> None:
    """Keep a rendered 200 under `key`, unless its body is too large to be worth the memory.

    Every address a client can make up (each search is one) may become an entry, so what one
    entry holds and how long it lives are bounded by settings; past its revision an entry can
    no longer be reached, and only its timeout frees its memory.
    """
    timeout = settings.API_RESPONSE_CACHE_SECONDS
    content = response.content
    if timeout > 0 and len(content) <= settings.API_RESPONSE_CACHE_MAX_BYTES:
        headers = {
            name: value for name, value in response.items() if name.lower() not in _PRIVATE_HEADERS
        }
        cache.set(key, (content, headers), timeout)


def cached_response(content: bytes, headers: dict[str, str]) -> HttpResponse:
    """A response rebuilt from what `response_cache_put` kept."""
    response = HttpResponse(content)
    for name, value in headers.items():
        response[name] = value
    return response


def not_modified(revision: Revision, etag: str) -> HttpResponseNotModified:
    response = HttpResponseNotModified()
    add_validators(response, revision, etag)
    return response


def early_not_modified(
    request: HttpRequest,
    kinds: Iterable[str],
    renderer_format: str,
    *,
    detail: revisions.Detail | None = None,
) -> HttpResponseNotModified | None:
    """A 304 for an anonymous reader whose If-None-Match names the current representation,
    decided from the revision of `kinds` alone, before any view code runs; else None.

    Only If-None-Match: its ETag names the exact address, which answered 200 when the client
    got it, so the 304 cannot hide a 400 or a 404 the way a bare If-Modified-Since could.
    """
    if "HTTP_IF_NONE_MATCH" not in request.META or not is_anonymous(request):
        return None
    revision = revisions.current_of(kinds, detail=detail)
    etag = representation_etag(revision, request.build_absolute_uri(), renderer_format)
    if not client_is_current(request, revision, etag):
        return None
    return not_modified(revision, etag)


def conditional_page(
    view: Callable[..., HttpResponseBase],
    *,
    kinds: Iterable[str] = revisions.KINDS,
    detail_of: str | None = None,
) -> Callable[..., HttpResponseBase]:
    """A public page's view, with validators, 304s and the shared cache for anonymous readers.

    `kinds` are the kinds of content the page shows (all of them unless said); a page that is
    the detail of one object names its kind in `detail_of`, the object being the URL's `pk`
    (see `revisions.current_of`). Only a 200 gets
    validators or is kept: a 404 or a redirect is built anew each time. Pages vary on Cookie,
    since a logged-in reader's page is built for them alone and is not cached.
    """
    kinds = tuple(kinds)

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD") or not is_anonymous(request):
            response = view(request, *args, **kwargs)
            patch_vary_headers(response, ["Cookie"])
            return response
        detail = None if detail_of is None else revisions.detail_of(detail_of, kwargs.get("pk"))
        revision = revisions.current_of(kinds, detail=detail)
        etag = representation_etag(revision, request.build_absolute_uri(), "html")
        if client_is_current(request, revision, etag):
            return not_modified(revision, etag)
        key = response_cache_key(revision, etag)
        kept = response_cache_get(key)
        if kept is not None:
            response = cached_response(*kept)
        else:
            response = view(request, *args, **kwargs)
            if response.status_code == 200:
                if hasattr(response, "render"):
                    response.render()
                if request.method == "GET":
                    response_cache_put(key, response)
        if response.status_code == 200:
            add_validators(response, revision, etag)
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapped


def _short_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
