"""Parallel requests with real threads and transactions on PostgreSQL: a contribution is
applied once however many moderators approve it at the same moment, and a burst of proposals
never passes the contributor's quota."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from claims.models import Claim
from contributions import services
from contributions.models import Contribution, Kind, State
from tests.contributions.conftest import new_claim_payload
from tests.factories import ContributorFactory, ModeratorFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite locks the whole database, not rows"
    ),
]

THREADS = 20


class Crowd:
    """THREADS clients, each on a thread (and database connection) of its own, sending their
    requests together: all wait at a barrier, then go."""

    def __init__(self, clients: list[APIClient]) -> None:
        self.clients = clients
        self.pool = ThreadPoolExecutor(max_workers=len(clients))
        self.barrier = threading.Barrier(len(clients))

    def send(self, request) -> list[int]:
        """`request(client)` from every client at once; their status codes."""

        def one(client):
            self.barrier.wait(timeout=30)
            return request(client).status_code

        return [
            future.result(timeout=60) for future in [self.pool.submit(one, c) for c in self.clients]
        ]

    def close(self) -> None:
        # Each worker thread closes its own connection, or the test database cannot be dropped.
        barrier = threading.Barrier(len(self.clients))

        def close_connection():
            barrier.wait(timeout=30)
            connections.close_all()

        for future in [self.pool.submit(close_connection) for _ in self.clients]:
            future.result(timeout=30)
        self.pool.shutdown()


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def crowd_of_moderators():
    crowd = Crowd([_client(ModeratorFactory(username=f"mod{n}")) for n in range(THREADS)])
    yield crowd
    crowd.close()


ROUNDS = 50


def test_twenty_moderators_approving_at_once_apply_it_exactly_once(crowd_of_moderators):
    author = ContributorFactory(username="author")
    started = time.monotonic()
    for round_ in range(ROUNDS):
        contribution = services.contribution_submit(
            author=author,
            kind=Kind.NEW_CLAIM,
            payload=new_claim_payload(text=f"Claim of round {round_}"),
        )
        Contribution.objects.filter(pk=contribution.pk).update(created_at="2000-01-01T00:00Z")
        address = f"/api/v1/contributions/{contribution.pk}/approve/"

        statuses = crowd_of_moderators.send(
            lambda client, address=address: client.post(address, {"version": 1})
        )

        assert Counter(statuses) == {200: 1, 409: THREADS - 1}, (round_, statuses)
        contribution.refresh_from_db()
        assert (contribution.status, contribution.version) == (State.APPROVED, 2)
        assert contribution.decisions.count() == 2
        assert Claim.objects.filter(text=f"Claim of round {round_}").count() == 1
    print(f"{ROUNDS} rounds of {THREADS} approvals in {time.monotonic() - started:.1f} s")


QUOTA_ROUNDS = 5


def test_a_burst_of_proposals_at_the_quota_edge_never_passes_it(settings):
    settings.CONTRIBUTION_DAILY_LIMIT = 10
    settings.CONTRIBUTION_MAX_PENDING = 100
    author = ContributorFactory(username="author")
    crowd = Crowd([_client(author) for _ in range(THREADS)])
    body = {"kind": "new_claim", **new_claim_payload(end_seconds=70)}
    try:
        for round_ in range(QUOTA_ROUNDS):
            Contribution.objects.all().delete()
            for _ in range(8):
                services.contribution_submit(
                    author=author, kind=Kind.NEW_CLAIM, payload=new_claim_payload()
                )

            statuses = crowd.send(lambda client: client.post("/api/v1/contributions/", body))

            assert Counter(statuses) == {201: 2, 429: THREADS - 2}, (round_, statuses)
            assert Contribution.objects.filter(author=author).count() == 10
    finally:
        crowd.close()
