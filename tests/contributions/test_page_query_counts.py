"""Constant cost: "my contributions" and the moderation queue run the same number of SQL
queries for one contribution of each kind as for a full page of them, each with its decisions,
its target or claim, and (in the queue) its similar claims."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from claims.models import Appearance, Argument
from contributions import services
from contributions.models import Kind
from tests.contributions.conftest import new_claim_payload

pytestmark = pytest.mark.django_db


def _propose(author, claim, appearance, argument, rounds: int) -> None:
    """`rounds` contributions of each kind (and each target type), each decided on once."""
    for number in range(rounds):
        services.contribution_submit(
            author=author, kind=Kind.NEW_CLAIM, payload=new_claim_payload(text=f"Claim {number}")
        )
        services.contribution_submit(
            author=author,
            kind=Kind.NEW_ARGUMENT,
            payload={
                "claim": claim.pk,
                "stance": "for",
                "text": f"Argument {number}",
                "source_url": "https://example.org/",
            },
        )
        for target_type, target in (
            ("claim", claim),
            ("appearance", appearance),
            ("argument", argument),
        ):
            changes = {"quote": f"Said {number}"} if target_type == "appearance" else {}
            changes = changes or {"text": f"Corrected {number}"}
            services.contribution_submit(
                author=author,
                kind=Kind.CORRECTION,
                payload={"changes": changes, "reason": "Because"},
                target_type=target_type,
                target_id=target.pk,
                base_version=target.version,
            )
        services.contribution_submit(
            author=author,
            kind=Kind.FLAG,
            payload={"reason_code": "spam", "comment": ""},
            target_type="argument",
            target_id=argument.pk,
        )


def _queries(client: Client, url: str, shows: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('<article class="contribution"') == shows
    return len(queries)


@pytest.fixture
def content(published_claim):
    return (
        published_claim,
        Appearance.objects.get(claim=published_claim),
        Argument.objects.get(claim=published_claim),
    )


@pytest.mark.parametrize(
    ("url", "viewer", "queries"),
    [
        # session, user, contributor?, count, page of contributions (with authors), their
        # decisions, claims argued about, targets: claims and their topics, appearances,
        # arguments; moderator? (for the navigation)
        ("/contributions/", "contributor", 12),
        # session, user, moderator?, count, page, decisions, claims argued about, targets
        # (claims, their topics, appearances, arguments), similar claims (none alike here:
        # one alike would add the query reading them, once for the whole page)
        ("/moderation/", "moderator", 12),
    ],
)
def test_a_page_of_contributions_costs_the_same_whatever_it_shows(
    request, settings, contributor, content, url, viewer, queries
):
    settings.CONTRIBUTION_DAILY_LIMIT = settings.CONTRIBUTION_MAX_PENDING = 100
    client = Client()
    client.force_login(request.getfixturevalue(viewer))

    _propose(contributor, *content, rounds=1)
    few = _queries(client, url, shows=6)
    _propose(contributor, *content, rounds=3)
    many = _queries(client, url, shows=20)

    if url == "/moderation/" and connection.vendor == "postgresql":
        # The trigram search of similar claims sets its threshold for its own transaction:
        # a savepoint, the setting and the release, once for the whole page.
        queries += 3
    assert (few, many) == (queries, queries)
