"""Web-search syntax on every search a reader has: the API's search, the claims list's `?q=`
and the search page, on SQLite as on PostgreSQL; drafts are never found."""

import pytest

from tests.factories import ClaimFactory, PublishedClaimFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def claims(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return {
            "open": PublishedClaimFactory(text="Open transformer weights invite audits"),
            "closed": PublishedClaimFactory(text="Closed transformer weights hide flaws"),
            "phones": PublishedClaimFactory(text="Phones take photos"),
            "draft": ClaimFactory(text="Open transformer weights in a draft"),
        }


QUERIES = [
    ("transformers", {"open", "closed"}),
    ('"open transformer"', {"open"}),
    ('"transformer open"', set()),
    ("transformers -closed", {"open"}),
    ("audits or photos", {"open", "phones"}),
    ('-"transformer weights"', {"phones"}),
]


def ids(claims, names) -> set[str]:
    return {str(claims[name].pk) for name in names}


@pytest.mark.parametrize("q, names", QUERIES)
def test_api_search_reads_web_search_syntax(api, claims, q, names):
    response = api.get("/api/v1/search/", {"q": q, "type": "claim"})

    assert response.status_code == 200
    assert {result["id"] for result in response.json()["results"]} == ids(claims, names)


@pytest.mark.parametrize("q, names", QUERIES)
def test_claims_list_q_reads_web_search_syntax(api, claims, q, names):
    response = api.get("/api/v1/claims/", {"q": q})

    assert response.status_code == 200
    assert {str(claim["id"]) for claim in response.json()["results"]} == ids(claims, names)


@pytest.mark.parametrize("q, names", QUERIES)
def test_search_page_reads_web_search_syntax(client, claims, q, names):
    response = client.get("/search/", {"q": q, "type": "claim"})

    assert response.status_code == 200
    page = response.content.decode()
    for name, claim in claims.items():
        assert (f"/claims/{claim.pk}/" in page) == (name in names), name
