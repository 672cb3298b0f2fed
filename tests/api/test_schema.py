"""The OpenAPI schema: valid, complete, and true to what the API answers.

The schemathesis run sends generated requests (valid and invalid) to every GET operation of the
schema, through the WSGI application, against the worked example, and checks each answer: no
server error, and status, content type, headers and body as the schema documents them.
"""

import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from rest_framework.throttling import AnonRateThrottle
from schemathesis.config._checks import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES

from accounts import services as account_services
from config import throttling
from config.wsgi import application

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

LIST_OPERATIONS = {
    "/api/v1/arguments/",
    "/api/v1/claims/",
    "/api/v1/claims/{id}/history/",
    "/api/v1/notes/",
    "/api/v1/search/",
    "/api/v1/speakers/",
    "/api/v1/topics/",
    "/api/v1/videos/",
}


@pytest.fixture
def schema(api) -> dict:
    response = api.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def parameter(operation: dict, name: str) -> dict:
    (found,) = [p for p in operation["parameters"] if p["name"] == name]
    return found


def test_schema_is_valid_openapi(schema):
    validate(schema)


PUBLIC_READS = {
    (path, "get")
    for path in [
        *LIST_OPERATIONS,
        "/api/v1/annotations/{id}/",
        "/api/v1/arguments/{id}/",
        "/api/v1/claims/{id}/",
        "/api/v1/notes/{slug}/",
        "/api/v1/speakers/{slug}/",
        "/api/v1/topics/{slug}/",
        "/api/v1/videos/{youtube_id}/",
        "/api/v1/videos/{youtube_id}/annotations/",
    ]
}
#: The caller's own API tokens (accounts/api.py): never public, never cached.
TOKEN_OPERATIONS = {
    ("/api/v1/auth/tokens/", "get"),
    ("/api/v1/auth/tokens/", "post"),
    ("/api/v1/auth/tokens/logout-all/", "post"),
    ("/api/v1/auth/tokens/{prefix}/", "delete"),
}


#: Proposals and their moderation (contributions/api.py): contributors only, never cached.
CONTRIBUTION_OPERATIONS = {
    ("/api/v1/contributions/", "get"),
    ("/api/v1/contributions/", "post"),
    ("/api/v1/contributions/{id}/", "get"),
    ("/api/v1/contributions/{id}/", "patch"),
    ("/api/v1/contributions/{id}/approve/", "post"),
    ("/api/v1/contributions/{id}/reject/", "post"),
    ("/api/v1/contributions/{id}/request-changes/", "post"),
    ("/api/v1/contributions/{id}/withdraw/", "post"),
}


def public_reads(schema: dict):
    for path, method, operation in operations(schema):
        if (path, method) in PUBLIC_READS:
            yield path, method, operation


def test_schema_documents_every_endpoint_and_only_reads_publicly(schema):
    assert {(path, method) for path, method, _ in operations(schema)} == (
        PUBLIC_READS | TOKEN_OPERATIONS | CONTRIBUTION_OPERATIONS
    )
    for path, method in (TOKEN_OPERATIONS | CONTRIBUTION_OPERATIONS) - {
        ("/api/v1/auth/tokens/", "post")
    }:
        assert {} not in schema["paths"][path][method]["security"], (path, method)
    # Creating a token takes a password (Basic or in the body) or a session, never a token.
    assert schema["paths"]["/api/v1/auth/tokens/"]["post"]["security"] == [
        {"basicAuth": []},
        {"cookieAuth": []},
        {},
    ]


def test_every_operation_has_a_summary(schema):
    missing = [(path, method) for path, method, op in operations(schema) if not op.get("summary")]

    assert missing == []


def test_every_parameter_is_described(schema):
    missing = [
        (path, p["name"])
        for path, _, op in operations(schema)
        for p in op.get("parameters", [])
        if not p.get("description")
    ]

    assert missing == []


@pytest.mark.parametrize("path", sorted(LIST_OPERATIONS))
def test_every_list_documents_its_bounded_page_size(schema, path):
    page_size = parameter(schema["paths"][path]["get"], "page_size")

    assert page_size["in"] == "query"
    assert page_size["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}


def test_claim_list_documents_each_filter_and_the_ordering_choices(schema):
    operation = schema["paths"]["/api/v1/claims/"]["get"]

    assert {p["name"] for p in operation["parameters"]} == {
        "video",
        "speaker",
        "topic",
        "q",
        "stance",
        "ordering",
        "cursor",
        "page_size",
    }
    non_blank = {"minLength": 1, "pattern": r"\S"}
    assert parameter(operation, "ordering")["schema"] == {
        "type": "string",
        "enum": ["-id", "-published_at", "id", "published_at"],
        **non_blank,
    }
    assert parameter(operation, "stance")["schema"]["enum"] == ["against", "for"]
    assert parameter(operation, "q")["schema"] == {"type": "string", **non_blank}
    assert parameter(operation, "video")["schema"] == {
        "type": "string",
        "pattern": "^[A-Za-z0-9_-]{11}$",
        "minLength": 1,
    }
    for name in ("speaker", "topic"):
        assert parameter(operation, name)["schema"] == {
            "type": "string",
            "pattern": r"^[-\w]+$",
            "maxLength": 200,
            "minLength": 1,
        }, name
    assert parameter(operation, "cursor")["schema"] == {
        "type": "string",
        "pattern": "^[A-Za-z0-9+/]+={0,2}$",
        "minLength": 1,
    }


#: Every filter whose value must name a row, by operation; `schemathesis.toml` expects a 400
#: for schema-valid requests to exactly these operations.
KEY_FILTERS = {
    "/api/v1/claims/": {"video", "speaker", "topic", "cursor"},
    "/api/v1/arguments/": {"claim", "speaker", "video"},
    "/api/v1/videos/": {"channel"},
}


def test_the_schema_says_which_filter_values_must_name_something(schema):
    must_name = {
        path: {
            p["name"]
            for p in operation.get("parameters", [])
            if p["in"] == "query" and "answers 400" in p["description"]
        }
        for path, _, operation in operations(schema)
    }

    assert {path: names for path, names in must_name.items() if names} == KEY_FILTERS
    claim = parameter(schema["paths"]["/api/v1/arguments/"]["get"], "claim")
    assert claim["schema"] == {"type": "integer", "minimum": 1}
    assert claim["description"] == (
        "Arguments about this published claim (its id). A value that names nothing answers 400."
    )


def test_schemathesis_expects_a_400_to_valid_requests_only_where_keys_must_exist():
    config = tomllib.loads((ROOT / "schemathesis.toml").read_text(encoding="utf-8"))

    operation, contributions = config["operations"]
    assert sorted(operation["include-name"]) == sorted(f"GET {path}" for path in KEY_FILTERS)
    # Every contribution operation names rows (claims, targets, contributions) or moves a state.
    assert contributions["include-path-regex"] == "^/api/v1/contributions/"
    assert contributions["checks"] == operation["checks"]
    assert operation["checks"] == {
        "positive_data_acceptance": {
            "expected-statuses": [
                *POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES[:2],
                "400",
                *POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES[2:],
            ]
        }
    }


def test_every_public_read_documents_its_errors_in_the_one_shape(schema):
    error = {"$ref": "#/components/schemas/Error"}
    for path, _, operation in public_reads(schema):
        responses = operation["responses"]
        assert {"200", "400", "404", "429"} <= set(responses), path
        for code in ("400", "404", "429"):
            contents = responses[code]["content"].values()
            assert [content["schema"] for content in contents] == [error] * len(contents), path
        assert responses["429"]["headers"]["Retry-After"]["required"] is True
        assert {"ETag", "Last-Modified"} <= set(responses["200"]["headers"]), path
    assert schema["components"]["schemas"]["Error"]["required"] == [
        "code",
        "detail",
        "errors",
        "status",
    ]


def test_annotation_operations_document_the_web_annotation_media_type(schema):
    media_type = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
    for path in ("/api/v1/annotations/{id}/", "/api/v1/videos/{youtube_id}/annotations/"):
        assert list(schema["paths"][path]["get"]["responses"]["200"]["content"]) == [media_type]


# Schemathesis --------------------------------------------------------------------------------


@pytest.fixture
def api_schema(example, monkeypatch):
    """The served schema, loaded through the WSGI application the fuzzer will call.

    The rate limit is lifted, or the fuzzer's burst would be answered 429 before reaching
    the views (the limit has tests of its own). Requests through the WSGI handler close the
    database connection when they finish; Django's test client stops that, and so does this,
    or the test's transaction would go with the connection.
    """
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": None})
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


fuzzed = schemathesis.pytest.from_fixture("api_schema")


@fuzzed.include(method="GET").parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_every_get_operation_answers_as_documented(case):
    # Every check, with `schemathesis.toml` as `st run` reads it.
    case.call_and_validate()


@pytest.fixture
def contributor_token(contributor) -> str:
    _, key = account_services.token_create(user=contributor)
    return key


@fuzzed.include(path_regex="^/api/v1/contributions/").parametrize()
@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_every_contribution_operation_answers_as_documented(case, contributor_token):
    # One account makes every call of the run: its rate limit (tested on its own in
    # tests/api/test_http.py) would otherwise answer 429 to the last ones.
    throttling.UserRateThrottle.cache.clear()
    case.call_and_validate(headers={"Authorization": f"Token {contributor_token}"})


# The docs pages ------------------------------------------------------------------------------


class _Resources(HTMLParser):
    """Every address a page loads: script and image sources, stylesheets and icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "img", "iframe") and attributes.get("src"):
            self.urls.append(attributes["src"])
        if tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/api/v1/docs/",
            [
                "/static/drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png",
                "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
                "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
                "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
                # Swagger UI's settings, as a script of their own: the policy runs no inline one.
                "/api/v1/docs/?script=",
            ],
        ),
        ("/api/v1/redoc/", ["/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"]),
    ],
)
def test_docs_pages_load_only_files_this_site_serves(api, url, expected):
    html = api.get(url).content.decode()
    resources = _Resources()
    resources.feed(html)

    assert resources.urls == expected
    for address in resources.urls:
        if address.startswith("/static/"):
            assert finders.find(address.removeprefix("/static/")), address
        else:
            script = api.get(address)
            assert script["Content-Type"] == "application/javascript"
            html += script.content.decode()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script>" not in html
    assert "/api/v1/schema/" in html
