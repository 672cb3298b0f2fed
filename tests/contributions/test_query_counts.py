"""The contribution list costs the same number of queries whatever its page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contributions import services
from contributions.models import Kind
from tests.contributions.conftest import new_claim_payload

pytestmark = pytest.mark.django_db

ROWS = 120


@pytest.fixture
def many(settings, contributor, moderator):
    settings.CONTRIBUTION_DAILY_LIMIT = settings.CONTRIBUTION_DAILY_LIMIT_CAP = ROWS
    settings.CONTRIBUTION_MAX_PENDING = ROWS
    for n in range(ROWS):
        contribution = services.contribution_submit(
            author=contributor, kind=Kind.NEW_CLAIM, payload=new_claim_payload(text=f"Claim {n}")
        )
        if n % 2:
            services.contribution_request_changes(
                contribution=contribution, actor=moderator, version=1, note="More."
            )


def _queries(api, page_size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/contributions/?page_size={page_size}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    return len(queries)


@pytest.mark.parametrize("persona", ["contributor_api", "moderator_api"])
def test_the_list_costs_the_same_whatever_the_page_size(request, many, persona):
    api = request.getfixturevalue(persona)

    counts = {size: _queries(api, size) for size in (1, 10, 100)}

    # Two role checks (contributor, moderator), the count, the page, its decisions with their
    # actors.
    assert counts == dict.fromkeys(counts, 5)
