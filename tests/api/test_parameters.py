"""Query parameters: every filter matches and misses, ordering keeps to its whitelist, pages are
bounded, and anything the API does not take is a 400 (or a 404 for a page that is not there) in
the one error shape, never a 500."""

import base64
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from claims import services
from claims.models import Argument, Claim, Stance
from tests.api import bulk
from tests.api import worked_example as ex
from tests.api.helpers import API, assert_error
from tests.factories import SpeakerFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def second(example, django_capture_on_commit_callbacks):
    """A second published claim: another video, speaker and topic, argued only against."""
    with django_capture_on_commit_callbacks(execute=True):
        return _second(example)


def _second(example):
    claim = ex.build_published_claim(
        "Robots will fold laundry by 2030",
        example.other_video,
        start_seconds=61,
        speaker=example.interviewer,
        topics=("robotics",),
    )
    argument = services.argument_create(
        claim=claim,
        stance=Stance.AGAINST,
        text="Cloth is hard to grasp.",
        video=example.other_video,
        start_seconds=75,
        speaker=example.interviewer,
    )
    services.argument_publish(argument=argument, actor=None)
    claim.against = Argument.objects.get(pk=argument.pk)
    return claim


def with_query(url: str, **params) -> str:
    """`url` with `params` added to the query string it may already have."""
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def ids(response) -> list:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


# Filters -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("video=oX7OduG1YmI", ["claim"]),
        ("video=otherVid_01", ["second"]),
        ("speaker=mark_zuckerberg", ["claim"]),
        ("speaker=cleo_abram", ["second"]),
        ("topic=open_source", ["claim"]),
        ("topic=robotics", ["second"]),
        ("stance=for", ["claim"]),
        ("stance=against", ["second", "claim"]),
        ("q=safer", ["claim"]),
        ("q=laundry", ["second"]),
        ("q=cloth", ["second"]),
        ("q=tulips", []),
        ("video=oX7OduG1YmI&speaker=cleo_abram", []),
        ("topic=robotics&stance=against", ["second"]),
    ],
)
def test_claim_filter_matches_only_its_claims(api, example, second, query, expected):
    named = {"claim": example.claim.pk, "second": second.pk}

    assert ids(api.get(f"/api/v1/claims/?{query}")) == [named[name] for name in expected]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("video=nosuchvideo", {"video": ["No video has this YouTube id."]}),
        ("speaker=nobody", {"speaker": ["No speaker has this slug."]}),
        ("topic=nothing", {"topic": ["No topic has this slug."]}),
        (
            "stance=neutral",
            {"stance": ["Select a valid choice. neutral is not one of the available choices."]},
        ),
    ],
)
def test_claim_filter_with_an_unknown_value_is_a_bad_request(api, example, query, errors):
    response = api.get(f"/api/v1/claims/?{query}")

    assert_error(response, 400, "invalid", errors=errors)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("claim={claim}", ["against", "for"]),
        ("claim={second}", ["second_against"]),
        ("stance=for", ["for"]),
        ("stance=against", ["against", "second_against"]),
        ("speaker=mark_zuckerberg", ["for"]),
        ("speaker=cleo_abram", ["second_against"]),
        ("video=oX7OduG1YmI", ["against", "for"]),
        ("video=otherVid_01", ["second_against"]),
        ("claim={claim}&stance=against", ["against"]),
        ("claim={second}&stance=for", []),
    ],
)
def test_argument_filter_matches_only_its_arguments(api, example, second, query, expected):
    named = {
        "for": example.argument_for.pk,
        "against": example.argument_against.pk,
        "second_against": second.against.pk,
    }
    query = query.format(claim=example.claim.pk, second=second.pk)

    assert ids(api.get(f"/api/v1/arguments/?{query}")) == [named[name] for name in expected]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("claim=999999", {"claim": ["No published claim has this id."]}),
        ("claim=abc", {"claim": ["No published claim has this id."]}),
        ("speaker=nobody", {"speaker": ["No speaker has this slug."]}),
        ("video=nosuchvideo", {"video": ["No video has this YouTube id."]}),
        (
            "stance=neutral",
            {"stance": ["Select a valid choice. neutral is not one of the available choices."]},
        ),
    ],
)
def test_argument_filter_with_an_unknown_value_is_a_bad_request(api, example, query, errors):
    response = api.get(f"/api/v1/arguments/?{query}")

    assert_error(response, 400, "invalid", errors=errors)


@pytest.mark.parametrize(
    ("channel", "expected"), [("cleoabram", [ex.VIDEO_ID]), ("lex_fridman", [ex.OTHER_VIDEO_ID])]
)
def test_video_filter_by_channel_matches_only_its_videos(api, example, channel, expected):
    response = api.get(f"/api/v1/videos/?channel={channel}")

    assert [video["youtube_id"] for video in response.json()["results"]] == expected


def test_video_filter_by_an_unknown_channel_is_a_bad_request(api, example):
    response = api.get("/api/v1/videos/?channel=nobody")

    assert_error(response, 400, "invalid", errors={"channel": ["No channel has this slug."]})


@pytest.mark.parametrize(
    ("url", "known"),
    [
        (
            "/api/v1/claims/",
            "cursor, format, ordering, page_size, q, speaker, stance, topic, video",
        ),
        ("/api/v1/claims/{claim}/", "format"),
        ("/api/v1/arguments/", "claim, format, page, page_size, speaker, stance, video"),
        ("/api/v1/arguments/{argument}/", "format"),
        ("/api/v1/videos/", "channel, format, page, page_size"),
        ("/api/v1/videos/oX7OduG1YmI/", "format"),
        ("/api/v1/videos/oX7OduG1YmI/annotations/", "format"),
        ("/api/v1/speakers/", "format, page, page_size"),
        ("/api/v1/notes/", "format, page, page_size"),
        ("/api/v1/notes/open_source_in_ai_development_and_safety/", "format"),
        ("/api/v1/topics/open_source/", "format"),
        ("/api/v1/annotations/{appearance}/", "format"),
        ("/api/v1/search/?q=safer&", "format, page, page_size, q, type"),
    ],
)
def test_unknown_parameter_is_a_bad_request_naming_it(api, example, url, known):
    url = url.format(
        claim=example.claim.pk,
        argument=example.argument_for.pk,
        appearance=example.claim.appearances.get().pk,
    )
    separator = "" if url.endswith("&") else "?"

    response = api.get(f"{url}{separator}colour=red")

    assert_error(
        response,
        400,
        "invalid",
        errors={"colour": [f"Unknown parameter; this endpoint takes {known}."]},
    )


def test_claims_list_has_no_page_parameter(api, example):
    response = api.get("/api/v1/claims/?page=2")

    assert set(assert_error(response, 400, "invalid")["errors"]) == {"page"}


# Ordering ------------------------------------------------------------------------------------


@pytest.fixture
def three_claims(db, example):
    """The example's claim (published 2025-01-15) and two more, published 2024-01-01 00:00/01."""
    older = bulk.published_claims(2, video=example.video)
    return [older[0].pk, older[1].pk, example.claim.pk]


@pytest.mark.parametrize(
    ("ordering", "order"),
    [
        ("", [2, 1, 0]),
        ("published_at", [0, 1, 2]),
        ("-published_at", [2, 1, 0]),
        ("id", "ascending ids"),
        ("-id", "descending ids"),
    ],
)
def test_claim_list_orders_by_a_whitelisted_field_both_ways(api, three_claims, ordering, order):
    query = f"?ordering={ordering}" if ordering else ""
    if order == "ascending ids":
        expected = sorted(three_claims)
    elif order == "descending ids":
        expected = sorted(three_claims, reverse=True)
    else:
        expected = [three_claims[index] for index in order]

    assert ids(api.get(f"/api/v1/claims/{query}")) == expected


@pytest.mark.parametrize("ordering", ["text", "-status", "published_at,text", ",", "?"])
def test_claim_list_with_an_unknown_ordering_is_a_bad_request(api, example, ordering):
    response = api.get("/api/v1/claims/", {"ordering": ordering})

    assert_error(
        response,
        400,
        "invalid",
        errors={
            "ordering": [
                f"Unknown ordering {ordering!r}; choose from id, -id, published_at, -published_at."
            ]
        },
    )


@pytest.mark.parametrize("url", ["/api/v1/videos/", "/api/v1/arguments/", "/api/v1/notes/"])
def test_lists_without_ordering_refuse_it(api, example, url):
    response = api.get(url, {"ordering": "id"})

    assert set(assert_error(response, 400, "invalid")["errors"]) == {"ordering"}


# Page sizes ----------------------------------------------------------------------------------

LISTS = [
    "/api/v1/claims/",
    "/api/v1/videos/",
    "/api/v1/arguments/",
    "/api/v1/speakers/",
    "/api/v1/notes/",
    "/api/v1/search/?q=safer",
]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("page_size", [1, 100])
def test_page_size_from_1_to_100_is_accepted(api, example, url, page_size):
    everything = api.get(with_query(url, page_size=100)).json()["results"]

    response = api.get(with_query(url, page_size=page_size))

    assert response.status_code == 200
    assert response.json()["results"] == everything[:page_size]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("page_size", ["0", "101", "abc", "-1", "1.5", "²", "１"])
def test_page_size_outside_1_to_100_is_a_bad_request(api, example, url, page_size):
    response = api.get(with_query(url, page_size=page_size))

    assert_error(
        response,
        400,
        "invalid",
        errors={"page_size": ["Must be a whole number from 1 to 100."]},
    )


@pytest.mark.parametrize(
    "query", ["page_size=", "video=", "q=", "q=%20%20", "ordering=", "speaker=&stance=for"]
)
def test_a_parameter_given_without_a_value_is_a_bad_request(api, example, query):
    response = api.get(f"/api/v1/claims/?{query}")

    name = query.split("=")[0]
    assert_error(
        response, 400, "invalid", errors={name: ["Give a value, or leave the parameter out."]}
    )


def test_page_size_cuts_the_page(api, example):
    bulk.speakers(5, claim=example.claim, video=example.video)

    response = api.get("/api/v1/speakers/?page_size=3")

    assert len(response.json()["results"]) == 3
    # With Mark Zuckerberg; the interviewer, named only on a retracted claim, is not listed.
    assert response.json()["count"] == 6


# Cursor pagination ---------------------------------------------------------------------------


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def walk(api, url: str, direction: str = "next") -> tuple[list[int], list[str]]:
    """Every id from `url` on, following `direction` links; and the links followed."""
    seen, links = [], []
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        page = [row["id"] for row in body["results"]]
        seen += page if direction == "next" else page[::-1]
        url = body[direction]
        if url:
            assert url.startswith(f"{API}/")
            links.append(url)
    return seen, links


@pytest.fixture
def tied_claims(db, example):
    """47 published claims, three at a time sharing a publication minute, plus the example's."""
    return bulk.published_claims(47, video=example.video, per_instant=3)


@pytest.mark.parametrize("ordering", [None, "published_at", "-published_at", "id", "-id"])
def test_cursor_pages_walk_every_claim_once_in_order(api, example, tied_claims, ordering):
    claims = Claim.objects.published()
    field = (ordering or "-published_at").lstrip("-")
    descending = (ordering or "-published_at").startswith("-")
    expected = [
        claim.pk
        for claim in sorted(claims, key=lambda c: (getattr(c, field), c.pk), reverse=descending)
    ]
    query = f"&ordering={ordering}" if ordering else ""

    forward, links = walk(api, f"/api/v1/claims/?page_size=4{query}")

    assert forward == expected
    assert len(links) == 11
    assert all("cursor" in parse_qs(urlsplit(link).query) for link in links)


def test_cursor_pages_walk_back_with_previous_links(api, example, tied_claims):
    forward, links = walk(api, "/api/v1/claims/?page_size=5")

    backward, _ = walk(api, links[-1], direction="previous")

    assert backward[::-1] == forward


def test_cursor_page_cost_does_not_count_the_claims(api, example):
    body = api.get("/api/v1/claims/").json()

    assert set(body) == {"next", "previous", "results"}


BAD_CURSOR = "Not a cursor this list gave out; follow its `next` and `previous` links."


@pytest.mark.parametrize(
    ("cursor", "ordering"),
    [
        ("abc", "-published_at"),
        (b64("p=2024"), "-published_at"),
        (b64("p=yesterday"), "published_at"),
        (b64("p=abc"), "id"),
        (b64("p=\x00"), "-id"),
        (b64("o=abc"), "-published_at"),
        (b64("r=abc"), "id"),
    ],
)
def test_bad_cursor_is_a_bad_request_naming_it(api, example, cursor, ordering):
    response = api.get("/api/v1/claims/", {"cursor": cursor, "ordering": ordering})

    assert_error(response, 400, "invalid", errors={"cursor": [BAD_CURSOR]})


def test_a_garbage_cursor_is_a_bad_request(api, example):
    response = api.get("/api/v1/claims/?cursor=garbage")

    assert_error(response, 400, "invalid", errors={"cursor": [BAD_CURSOR]})


def test_cursor_beyond_the_last_claim_is_an_empty_page(api, example):
    response = api.get("/api/v1/claims/", {"cursor": b64("p=" + "9" * 25), "ordering": "id"})

    assert response.status_code == 200
    assert response.json()["results"] == []


# Page-number pagination ----------------------------------------------------------------------


def test_page_numbers_walk_every_speaker_once(api, example):
    bulk.speakers(24, claim=example.claim, video=example.video)
    expected = [
        speaker["slug"] for speaker in api.get("/api/v1/speakers/?page_size=100").json()["results"]
    ]

    first = api.get("/api/v1/speakers/?page_size=10").json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()

    assert first["count"] == second["count"] == third["count"] == 25
    assert len(first["results"]) == len(second["results"]) == 10
    assert len(third["results"]) == 5
    assert first["previous"] is None
    assert first["next"] == f"{API}/speakers/?page=2&page_size=10"
    assert second["previous"] == f"{API}/speakers/?page_size=10"
    assert second["next"] == f"{API}/speakers/?page=3&page_size=10"
    assert third["next"] is None
    walked = [s["slug"] for page in (first, second, third) for s in page["results"]]
    assert walked == expected
    assert len(set(walked)) == 25


@pytest.mark.parametrize(
    ("page", "detail"),
    [
        ("2", "Invalid page."),
        ("0", "Invalid page."),
        ("abc", "Invalid page."),
        ("-1", "Invalid page."),
    ],
)
@pytest.mark.parametrize("url", ["/api/v1/videos/", "/api/v1/notes/", "/api/v1/search/?q=safer&"])
def test_page_beyond_the_last_is_not_found(api, example, url, page, detail):
    separator = "" if url.endswith("&") else "?"

    response = api.get(f"{url}{separator}page={page}")

    body = assert_error(response, 404, "not_found", errors={})
    assert body["detail"] == detail


# Methods -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/claims/",
        "/api/v1/claims/{claim}/",
        "/api/v1/arguments/",
        "/api/v1/videos/oX7OduG1YmI/",
        "/api/v1/notes/",
        "/api/v1/speakers/mark_zuckerberg/",
        "/api/v1/topics/open_source/",
        "/api/v1/search/",
        "/api/v1/",
    ],
)
def test_writes_are_not_allowed(api, example, method, url):
    url = url.format(claim=example.claim.pk)

    response = getattr(api, method)(url, {"text": "x"}, format="json")

    body = assert_error(response, 405, "method_not_allowed", errors={})
    assert body["detail"] == f'Method "{method.upper()}" not allowed.'
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert Claim.objects.count() == 4


# Hostile input -------------------------------------------------------------------------------

ODD_VALUES = [
    "\x00",
    "a\x00b",
    "²",
    "-1",
    "0",
    "9" * 30,
    "1e400",
    "' OR 1=1 --",
    '"',
    "%",
    "\\",
    "../..",
    "ünïcødé ✓",
    "🙂" * 50,
    " ",
    "x" * 2000,
    "<script>",
]
PARAMETERS = {
    "/api/v1/claims/": [
        "video",
        "speaker",
        "topic",
        "q",
        "stance",
        "ordering",
        "cursor",
        "page_size",
    ],
    "/api/v1/arguments/": ["claim", "stance", "speaker", "video", "page", "page_size"],
    "/api/v1/videos/": ["channel", "page", "page_size"],
    "/api/v1/speakers/": ["page", "page_size"],
    "/api/v1/notes/": ["page", "page_size"],
    "/api/v1/search/": ["q", "type", "page", "page_size"],
}


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_parameter_values_never_cause_a_server_error(api, example, value):
    for url, names in PARAMETERS.items():
        for name in names:
            params = {name: value}
            if url == "/api/v1/search/" and name != "q":
                params["q"] = "safer"
            response = api.get(url, params)
            assert response.status_code in (200, 400, 404), (url, name, value)
            if response.status_code != 200:
                assert_error(response, response.status_code, response.json()["code"])


DETAIL_URLS = [
    "/api/v1/claims/{}/",
    "/api/v1/claims/{}/?format=jsonld",
    "/api/v1/arguments/{}/",
    "/api/v1/videos/{}/",
    "/api/v1/videos/{}/annotations/",
    "/api/v1/speakers/{}/",
    "/api/v1/notes/{}/",
    "/api/v1/topics/{}/",
    "/api/v1/annotations/{}/",
]


@pytest.mark.parametrize("value", [v for v in ODD_VALUES if v not in ("../..", " ")])
@pytest.mark.parametrize("url", DETAIL_URLS)
def test_odd_keys_in_the_path_are_not_found(api, example, url, value):
    response = api.get(url.format(quote(value, safe="")))

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("url", DETAIL_URLS)
def test_detail_of_a_key_that_names_nothing_is_not_found(api, example, url):
    key = "nothingAtAll" if "videos" not in url else "nothingAtAl"

    assert_error(api.get(url.format(key)), 404, "not_found")


@pytest.mark.parametrize(
    ("url", "offered"),
    [
        ("/api/v1/claims/?format=xml", "api, json"),
        ("/api/v1/claims/?format=jsonld", "api, json"),
        ("/api/v1/videos/oX7OduG1YmI/?format=jsonld", "api, json"),
        ("/api/v1/claims/{claim}/?format=xml", "api, json, jsonld"),
        ("/api/v1/videos/oX7OduG1YmI/annotations/?format=json", "api, jsonld"),
        ("/api/v1/search/?q=safer&format=csv", "api, json"),
    ],
)
def test_a_format_the_endpoint_does_not_offer_is_a_bad_request_naming_it(
    api, example, url, offered
):
    response = api.get(url.format(claim=example.claim.pk))

    value = parse_qs(urlsplit(url).query)["format"][0]
    assert_error(
        response,
        400,
        "invalid",
        errors={"format": [f"Unknown format {value!r}; this endpoint offers {offered}."]},
    )


@pytest.mark.parametrize("url", ["/api/v1/claims.xml", "/api/v1/claims/{claim}.xml"])
def test_a_format_suffix_the_endpoint_does_not_offer_is_not_found(api, example, url):
    assert_error(api.get(url.format(claim=example.claim.pk)), 404, "not_found")


def test_jsonld_is_offered_on_the_claim_detail(api, example):
    response = api.get(f"/api/v1/claims/{example.claim.pk}/?format=jsonld")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"


@pytest.mark.parametrize("ordering", ["--id", "--published_at", "-id,--id", "---id", "- id"])
def test_an_ordering_with_more_than_one_minus_is_a_bad_request(api, example, ordering):
    response = api.get("/api/v1/claims/", {"ordering": ordering})

    assert_error(
        response,
        400,
        "invalid",
        errors={
            "ordering": [
                f"Unknown ordering {ordering!r}; choose from id, -id, published_at, -published_at."
            ]
        },
    )


@pytest.mark.parametrize("url", ["/api/v1/claims/", "/api/v1/videos/", "/api/v1/claims/{claim}/"])
def test_more_query_parameters_than_django_parses_is_a_json_bad_request(api, example, url):
    query = "&".join(f"p{number}=1" for number in range(1001))

    response = api.get(f"{url.format(claim=example.claim.pk)}?{query}")

    body = assert_error(response, 400, "parse_error", errors={})
    assert body["detail"] == "More than 1000 query parameters; this API reads at most 1000."


def test_a_new_speaker_is_a_filter_value_at_once(api, example):
    # A speaker is public once heard on a published claim (an unheard one is refused, as
    # `test_visibility` shows).
    newcomer = SpeakerFactory(slug="newcomer", name="Newcomer")
    services.appearance_create(
        claim=example.claim, video=example.video, start_seconds=1, speaker=newcomer
    )
    TopicFactory(slug="fresh", name="Fresh")

    assert ids(api.get("/api/v1/claims/?speaker=newcomer")) == [example.claim.pk]
    assert ids(api.get("/api/v1/claims/?topic=fresh")) == []
