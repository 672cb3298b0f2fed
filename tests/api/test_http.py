"""HTTP as a client expects it: validators and 304s, CORS for reads from any page, and a rate
limit answering 429 with Retry-After."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils.http import http_date

from claims import services
from notes import http as http_module
from notes import revisions
from notes import services as note_services
from tests.api import worked_example as ex
from tests.api.helpers import assert_error
from tests.factories import AppearanceFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/api/v1/claims/",
    "/api/v1/claims/{claim}/",
    "/api/v1/claims/{claim}/?format=jsonld",
    "/api/v1/arguments/",
    "/api/v1/arguments/{argument}/",
    "/api/v1/videos/",
    "/api/v1/videos/oX7OduG1YmI/",
    "/api/v1/videos/oX7OduG1YmI/annotations/",
    "/api/v1/speakers/",
    "/api/v1/speakers/mark_zuckerberg/",
    "/api/v1/notes/",
    f"/api/v1/notes/{ex.NOTE_SLUG}/",
    "/api/v1/topics/open_source/",
    "/api/v1/annotations/{appearance}/",
    "/api/v1/search/?q=safer",
]


@pytest.fixture
def urls(example):
    """The public endpoints, with the example's keys filled in."""
    keys = {
        "claim": example.claim.pk,
        "argument": example.argument_for.pk,
        "appearance": example.claim.appearances.get().pk,
    }
    return [url.format(**keys) for url in ENDPOINTS]


# Conditional GET -----------------------------------------------------------------------------


def kinds_of(url: str) -> tuple[str, ...]:
    """The kinds of content the endpoint at `url` says its answers are built from."""
    match = resolve(urlsplit(url).path)
    return match.func.cls.kinds_of(match.func.actions["get"])


def revision_of(url: str) -> revisions.Revision:
    """The revision the endpoint at `url` says its answer is built from."""
    match = resolve(urlsplit(url).path)
    action = match.func.actions["get"]
    detail = match.func.cls.detail_for(action, match.kwargs)
    return revisions.current_of(match.func.cls.kinds_of(action), detail=detail)


def test_every_read_carries_an_etag_and_last_modified(api, urls):
    for url in urls:
        last_modified = http_date(revision_of(url).changed_at.timestamp())

        response = api.get(url)

        assert response.status_code == 200, url
        assert response["ETag"].startswith('"') and response["ETag"].endswith('"'), url
        assert response["Last-Modified"] == last_modified, url


def test_every_url_has_its_own_etag(api, urls):
    etags = {api.get(url)["ETag"] for url in [*urls, "/api/v1/claims/?page_size=1"]}

    assert len(etags) == len(urls) + 1


def test_the_same_url_keeps_its_etag_while_nothing_changes(api, urls):
    for url in urls:
        assert api.get(url)["ETag"] == api.get(url)["ETag"], url


def test_if_none_match_with_the_current_etag_answers_304_without_a_body(api, urls):
    for url in urls:
        etag = api.get(url)["ETag"]

        response = api.get(url, HTTP_IF_NONE_MATCH=etag)

        assert response.status_code == 304, url
        assert response.content == b"", url
        assert response["ETag"] == etag, url


@pytest.mark.parametrize("header", ["W/{etag}", '"stale", {etag}'])
def test_if_none_match_accepts_weak_tags_and_lists(api, example, header):
    etag = api.get("/api/v1/claims/")["ETag"]

    response = api.get("/api/v1/claims/", HTTP_IF_NONE_MATCH=header.format(etag=etag))

    assert response.status_code == 304


@pytest.mark.parametrize(
    ("url", "status"),
    [("/api/v1/claims/", 200), ("/api/v1/claims/0/", 404), ("/api/v1/claims/?colour=red", 400)],
)
def test_if_none_match_star_never_hides_the_real_answer(api, example, url, status):
    assert api.get(url, HTTP_IF_NONE_MATCH="*").status_code == status


def test_if_none_match_with_another_urls_etag_answers_200(api, example):
    other = api.get("/api/v1/videos/")["ETag"]

    response = api.get("/api/v1/claims/", HTTP_IF_NONE_MATCH=other)

    assert response.status_code == 200
    assert response.json()["results"][0]["id"] == example.claim.pk


def test_if_modified_since_last_modified_answers_304(api, urls):
    for url in urls:
        last_modified = api.get(url)["Last-Modified"]

        response = api.get(url, HTTP_IF_MODIFIED_SINCE=last_modified)

        assert response.status_code == 304, url
        assert response.content == b"", url


def test_if_modified_since_before_the_last_change_answers_200(api, example):
    changed_at = revisions.current().changed_at

    response = api.get(
        "/api/v1/claims/",
        HTTP_IF_MODIFIED_SINCE=http_date((changed_at - timedelta(seconds=1)).timestamp()),
    )

    assert response.status_code == 200


def test_if_none_match_wins_over_if_modified_since(api, example):
    last_modified = api.get("/api/v1/claims/")["Last-Modified"]

    response = api.get(
        "/api/v1/claims/", HTTP_IF_NONE_MATCH='"stale"', HTTP_IF_MODIFIED_SINCE=last_modified
    )

    assert response.status_code == 200


def test_publishing_a_claim_makes_the_old_etag_stale(api, example):
    old = api.get("/api/v1/claims/")["ETag"]

    services.claim_publish(claim=example.draft_claim, actor=None)
    response = api.get("/api/v1/claims/", HTTP_IF_NONE_MATCH=old)

    assert response.status_code == 200
    assert response["ETag"] != old
    assert example.draft_claim.pk in [claim["id"] for claim in response.json()["results"]]


def test_editing_a_note_makes_the_old_etag_stale(api, example):
    url = f"/api/v1/notes/{ex.NOTE_SLUG}/"
    old = api.get(url)["ETag"]

    example.note.body_markdown = "Rewritten [00:00:07]."
    note_services.note_save(note=example.note, actor=None)
    response = api.get(url, HTTP_IF_NONE_MATCH=old)

    assert response.status_code == 200
    assert response["ETag"] != old
    assert response.json()["body_markdown"] == "Rewritten [00:00:07]."


def _rename(row, field: str, value: str) -> None:
    setattr(row, field, value)
    row.save()


def _rewrite_note(note) -> None:
    note.body_markdown = "Rewritten [00:00:07]."
    note_services.note_save(note=note, actor=None)


#: One visible change of each kind of content, through the path an editor would take.
CHANGES = {
    "claims": lambda ex: services.claim_update(
        claim=ex.claim, changes={"text": "Open models are safer, say some."}, actor=None
    ),
    "arguments": lambda ex: services.argument_update(
        argument=ex.argument_for, changes={"text": "Many eyes find bugs."}, actor=None
    ),
    "speakers": lambda ex: _rename(ex.zuckerberg, "name", "Mark E. Zuckerberg"),
    "topics": lambda ex: _rename(ex.open_source, "name", "Open-source software"),
    "videos": lambda ex: _rename(ex.video, "title", "A renamed interview"),
    "notes": lambda ex: _rewrite_note(ex.note),
}


@pytest.mark.parametrize("kind", revisions.KINDS)
def test_a_change_moves_the_etags_of_what_shows_its_kind_and_no_other(api, example, urls, kind):
    before = {url: api.get(url) for url in urls}

    CHANGES[kind](example)

    moved, changed = set(), set()
    for url in urls:
        after = api.get(url)
        if after["ETag"] != before[url]["ETag"]:
            moved.add(url)
        if after.content != before[url].content:
            changed.add(url)
    assert moved == {url for url in urls if kind in kinds_of(url)}
    # Never a body that changed under an ETag that did not: a client would keep a stale copy.
    assert changed <= moved
    assert changed, "the change shows nowhere"


def test_editing_a_claim_leaves_the_speakers_list_current(api, example):
    etag = api.get("/api/v1/speakers/")["ETag"]

    CHANGES["claims"](example)

    assert api.get("/api/v1/speakers/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert api.get("/api/v1/claims/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_current_etag_is_answered_before_drf_without_a_query(
    api, example, settings, monkeypatch, django_assert_num_queries
):
    settings.CONTENT_REVISION_TRUST_SECONDS = 60
    url = f"/api/v1/claims/{example.claim.pk}/"
    first = api.get(url)
    etag = first["ETag"]

    def refuse(*args, **kwargs):
        raise AssertionError("DRF was asked to answer")

    monkeypatch.setattr("config.api.PublicReadMixin.initial", refuse)
    with django_assert_num_queries(0):
        response = api.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Vary"] == first["Vary"] == "Accept, Cookie, origin"


@pytest.mark.parametrize(
    "url, headers",
    [
        ("/api/v1/claims/", {"HTTP_ACCEPT": "application/json"}),
        ("/api/v1/claims/?format=json", {}),
        ("/api/v1/videos/oX7OduG1YmI/annotations/", {}),
    ],
)
def test_the_early_304_knows_the_renderer_drf_would_choose(api, example, url, headers):
    etag = api.get(url, **headers)["ETag"]

    response = api.get(url, HTTP_IF_NONE_MATCH=etag, **headers)

    assert response.status_code == 304
    assert response["ETag"] == etag


@pytest.mark.parametrize(
    ("url", "headers", "content_type"),
    [
        ("/api/v1/claims/", {}, "application/json"),
        ("/api/v1/claims/", {"HTTP_ACCEPT": "*/*"}, "application/json"),
        ("/api/v1/claims/?format=api", {"HTTP_ACCEPT": "*/*"}, "text/html; charset=utf-8"),
        ("/api/v1/claims/", {"HTTP_ACCEPT": "text/html, */*"}, "text/html; charset=utf-8"),
        ("/api/v1/claims/{claim}/", {"HTTP_ACCEPT": "*/*"}, "application/json"),
        ("/api/v1/claims/{claim}/?format=jsonld", {}, "application/ld+json"),
        (
            "/api/v1/videos/oX7OduG1YmI/annotations/",
            {"HTTP_ACCEPT": "*/*"},
            'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
        ),
    ],
)
def test_a_client_that_takes_anything_gets_the_first_renderer_unless_it_names_one(
    api, example, url, headers, content_type
):
    response = api.get(url.format(claim=example.claim.pk), **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type


def test_an_etag_of_another_renderer_is_not_current(api, example):
    json_etag = api.get("/api/v1/claims/")["ETag"]

    response = api.get("/api/v1/claims/", HTTP_IF_NONE_MATCH=json_etag, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["ETag"] != json_etag


def test_too_many_parameters_with_an_etag_is_still_a_json_bad_request(api, example, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    response = api.get("/api/v1/claims/?a=1&b=2&c=3&d=4", HTTP_IF_NONE_MATCH='"1-abc"')

    assert_error(response, 400, "parse_error", errors={})


def test_a_request_with_credentials_gets_no_early_304(api, example, contributor):
    etag = api.get("/api/v1/claims/")["ETag"]
    api.force_authenticate(contributor)

    response = api.get("/api/v1/claims/", HTTP_IF_NONE_MATCH=etag, HTTP_AUTHORIZATION="Token x")

    assert response.status_code == 200
    assert "ETag" not in response


def test_a_304_costs_one_query(api, example, django_assert_num_queries):
    etag = api.get("/api/v1/claims/?page_size=100")["ETag"]

    with django_assert_num_queries(1):
        response = api.get("/api/v1/claims/?page_size=100", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304


def test_errors_carry_no_validators(api, example):
    response = api.get("/api/v1/claims/?page_size=0")

    assert response.status_code == 400
    assert "ETag" not in response
    assert "Last-Modified" not in response


# The response cache --------------------------------------------------------------------------


class RecordingCache:
    """The cache the API keeps responses in, recording what is stored, and for how long."""

    def __init__(self, cache) -> None:
        self.cache = cache
        self.stored: dict[str, int] = {}

    def get(self, key, default=None):
        return self.cache.get(key, default)

    def set(self, key, value, timeout) -> None:
        self.stored[key] = timeout
        self.cache.set(key, value, timeout)


@pytest.fixture
def response_cache(monkeypatch) -> RecordingCache:
    recording = RecordingCache(http_module.cache)
    monkeypatch.setattr(http_module, "cache", recording)
    return recording


MADE_UP_ACCEPTS = [
    *(f"application/json; x={n}" for n in range(20)),
    *(f"text/x-made-up-{n}, application/json;q=0.5" for n in range(20)),
    *(f"*/*; n={n}" for n in range(20)),
    "*/*",
    "application/json",
    "application/*",
]


def test_made_up_accept_headers_share_one_cache_entry_and_etag(api, example, response_cache):
    responses = [api.get("/api/v1/claims/", HTTP_ACCEPT=accept) for accept in MADE_UP_ACCEPTS]

    assert {response.status_code for response in responses} == {200}
    assert {response["Content-Type"] for response in responses} == {"application/json"}
    assert len({response["ETag"] for response in responses}) == 1
    assert len({response.content for response in responses}) == 1
    assert len(response_cache.stored) == 1


def test_each_renderer_has_its_own_cache_entry_and_etag(api, example, response_cache):
    url = f"/api/v1/claims/{example.claim.pk}/"
    json = api.get(url, HTTP_ACCEPT="application/json")
    jsonld = api.get(url, HTTP_ACCEPT="application/ld+json; profile=x")

    assert jsonld["Content-Type"] == "application/ld+json"
    assert json["ETag"] != jsonld["ETag"]
    assert api.get(url, HTTP_ACCEPT="application/ld+json")["ETag"] == jsonld["ETag"]
    assert api.get(url, HTTP_IF_NONE_MATCH=jsonld["ETag"]).status_code == 200
    assert len(response_cache.stored) == 2


def test_a_response_is_cached_for_the_configured_time(api, example, settings, response_cache):
    settings.API_RESPONSE_CACHE_SECONDS = 42

    api.get("/api/v1/claims/")

    assert list(response_cache.stored.values()) == [42]


def test_a_cache_time_of_zero_caches_nothing(api, example, settings, response_cache):
    settings.API_RESPONSE_CACHE_SECONDS = 0

    first = api.get("/api/v1/claims/")
    second = api.get("/api/v1/claims/")

    assert response_cache.stored == {}
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]


@pytest.mark.parametrize(("spare", "cached"), [(0, True), (-1, False)])
def test_a_body_larger_than_the_limit_is_not_cached(
    api, example, settings, response_cache, spare, cached
):
    size = len(api.get("/api/v1/claims/?page_size=100").content)
    cache.clear()
    response_cache.stored.clear()
    settings.API_RESPONSE_CACHE_MAX_BYTES = size + spare

    first = api.get("/api/v1/claims/?page_size=100")
    with CaptureQueriesContext(connection) as queries:
        second = api.get("/api/v1/claims/?page_size=100")

    # One query reads the revision; building the page takes more.
    assert (len(queries) == 1) is cached
    assert len(response_cache.stored) == (1 if cached else 0)
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]


# CORS ----------------------------------------------------------------------------------------

ORIGIN = "https://example.org"


def test_cross_origin_get_is_allowed_from_any_origin(api, example):
    response = api.get("/api/v1/claims/", HTTP_ORIGIN=ORIGIN)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Expose-Headers"] == "ETag, Last-Modified, Retry-After"
    assert "Access-Control-Allow-Credentials" not in response


def test_cross_origin_errors_are_readable_too(api, example):
    response = api.get("/api/v1/claims/0/", HTTP_ORIGIN=ORIGIN)

    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == "*"


def test_preflight_for_get_is_allowed(api, example):
    response = api.options(
        "/api/v1/claims/",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert response.content == b""


def test_preflight_lets_a_page_send_its_own_validators(api, example):
    response = api.options(
        "/api/v1/claims/",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match, if-modified-since",
    )

    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"if-none-match", "if-modified-since"} <= allowed


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_preflight_for_writes_offers_only_reads(api, example, method):
    response = api.options(
        "/api/v1/claims/", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD=method
    )

    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert method not in response["Access-Control-Allow-Methods"]


def test_cors_is_limited_to_the_api(client, db):
    response = client.get("/admin/login/", HTTP_ORIGIN=ORIGIN)

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


# Rate limit ----------------------------------------------------------------------------------


def test_too_many_requests_answer_429_with_retry_after(api, example, tiny_rate):
    assert api.get("/api/v1/claims/").status_code == 200
    assert api.get("/api/v1/videos/").status_code == 200

    response = api.get("/api/v1/claims/")

    body = assert_error(response, 429, "throttled", errors={})
    assert body["detail"] == "Request was throttled. Expected available in 60 seconds."
    assert response["Retry-After"] == "60"


def test_throttled_client_may_read_again_after_retry_after(api, example, tiny_rate):
    api.get("/api/v1/claims/")
    api.get("/api/v1/claims/")
    tiny_rate.now += 30
    assert api.get("/api/v1/claims/")["Retry-After"] == "30"

    tiny_rate.now += 30

    assert api.get("/api/v1/claims/").status_code == 200


def test_each_address_has_its_own_budget(api, example, tiny_rate):
    for _ in range(2):
        api.get("/api/v1/claims/", REMOTE_ADDR="192.0.2.1")

    assert api.get("/api/v1/claims/", REMOTE_ADDR="192.0.2.1").status_code == 429
    assert api.get("/api/v1/claims/", REMOTE_ADDR="192.0.2.2").status_code == 200


def test_rotating_x_forwarded_for_does_not_escape_the_limit(api, example, tiny_rate):
    statuses = [
        api.get("/api/v1/claims/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(5)
    ]

    assert statuses == [200, 200, 429, 429, 429]


@pytest.fixture
def one_trusted_proxy(settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def test_behind_one_trusted_proxy_the_address_it_saw_is_the_client(
    api, example, tiny_rate, one_trusted_proxy
):
    # A client may write anything into X-Forwarded-For; the proxy appends the address it saw.
    def through_proxy(forwarded_for: str) -> int:
        return api.get(
            "/api/v1/claims/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for
        ).status_code

    assert through_proxy("198.51.100.1, 203.0.113.7") == 200
    assert through_proxy("198.51.100.2, 203.0.113.7") == 200

    assert through_proxy("198.51.100.3, 203.0.113.7") == 429
    assert through_proxy("203.0.113.8") == 200
    assert through_proxy("203.0.113.7, 203.0.113.9") == 200


def test_behind_a_trusted_proxy_a_request_without_x_forwarded_for_counts_its_peer(
    api, example, tiny_rate, one_trusted_proxy
):
    for _ in range(2):
        api.get("/api/v1/claims/", REMOTE_ADDR="192.0.2.1")

    assert api.get("/api/v1/claims/", REMOTE_ADDR="192.0.2.1").status_code == 429
    assert api.get("/api/v1/claims/", REMOTE_ADDR="192.0.2.2").status_code == 200


def test_throttled_response_is_readable_cross_origin(api, example, tiny_rate):
    api.get("/api/v1/claims/")
    api.get("/api/v1/claims/")

    response = api.get("/api/v1/claims/", HTTP_ORIGIN=ORIGIN)

    assert response.status_code == 429
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("persona", ["contributor_api", "editor_api"])
def test_a_signed_in_reader_gets_429_past_the_user_rate(request, example, tiny_user_rate, persona):
    client = request.getfixturevalue(persona)
    assert client.get("/api/v1/claims/").status_code == 200
    assert client.get("/api/v1/videos/").status_code == 200

    response = client.get("/api/v1/claims/")

    body = assert_error(response, 429, "throttled", errors={})
    assert body["detail"] == "Request was throttled. Expected available in 60 seconds."
    assert response["Retry-After"] == "60"
    tiny_user_rate.now += 60
    assert client.get("/api/v1/claims/").status_code == 200


def test_a_signed_in_users_budget_follows_the_account_not_the_address(
    contributor_api, other_contributor_api, example, tiny_user_rate
):
    for address in ("192.0.2.1", "192.0.2.2"):
        assert contributor_api.get("/api/v1/claims/", REMOTE_ADDR=address).status_code == 200

    assert contributor_api.get("/api/v1/claims/", REMOTE_ADDR="192.0.2.3").status_code == 429
    assert other_contributor_api.get("/api/v1/claims/", REMOTE_ADDR="192.0.2.1").status_code == 200


def test_anonymous_readers_are_not_counted_against_the_user_rate(api, example, tiny_user_rate):
    statuses = {api.get("/api/v1/claims/").status_code for _ in range(5)}

    assert statuses == {200}


def test_a_signed_in_reader_is_not_counted_against_the_anonymous_rate(
    api, contributor_api, example, tiny_rate
):
    statuses = {contributor_api.get("/api/v1/claims/").status_code for _ in range(5)}

    assert statuses == {200}
    assert api.get("/api/v1/claims/").status_code == 200


def test_the_default_rate_lets_a_reader_browse(api, example):
    statuses = {api.get("/api/v1/claims/").status_code for _ in range(30)}

    assert statuses == {200}


# The revision a process remembers ---------------------------------------------------------


def test_a_process_rereads_the_revision_only_after_trusting_it_for_a_while(
    api, example, settings, django_assert_num_queries
):
    settings.CONTENT_REVISION_TRUST_SECONDS = 60
    revisions.forget()
    first = revisions.current()

    with django_assert_num_queries(0):
        assert revisions.current() == first

    settings.CONTENT_REVISION_TRUST_SECONDS = 0
    with django_assert_num_queries(1):
        assert revisions.current() == first


def test_a_write_in_this_process_is_seen_at_once_despite_the_trust(api, example, settings):
    settings.CONTENT_REVISION_TRUST_SECONDS = 60
    response = api.get("/api/v1/claims/")
    etag = response["ETag"]

    services.claim_publish(claim=AppearanceFactory(claim__text="A fresh claim.").claim, actor=None)

    assert api.get("/api/v1/claims/", HTTP_IF_NONE_MATCH=etag).status_code == 200
