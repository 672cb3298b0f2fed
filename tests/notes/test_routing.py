"""Which database each read goes to (notes/routing.py), decided without a replica to reach.

The router's decisions are tested here on every run; `tests/test_replica.py` proves them against
a real streaming replica. The `replica` fixture makes the router believe one is configured and
stands in for the content revision each alias holds, so no query can reach the missing alias.
"""

import runpy
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, router
from django.http import HttpResponse
from django.test import RequestFactory

from claims.models import Claim
from config.settings import base
from notes import routing
from notes.models import ContentRevision, Note
from notes.revisions import Revision

CHANGED_AT = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def replica(monkeypatch) -> dict[str, int]:
    """A configured replica, and the revision number each alias holds (both 7 at first)."""
    numbers = {routing.PRIMARY: 7, routing.REPLICA: 7}
    monkeypatch.setattr(routing, "replica_configured", lambda: True)
    monkeypatch.setattr(routing, "_replica_reachable", lambda: True)
    monkeypatch.setattr(
        routing.revisions, "current", lambda *, using: Revision(numbers[using], CHANGED_AT)
    )
    return numbers


def serve(request, *, public: bool = True, write: bool = False):
    """The aliases a view's reads go to, before and after a write, and its response."""
    seen = {}

    def view(request):
        seen["claim"] = router.db_for_read(Claim)
        seen["note"] = router.db_for_read(Note)
        seen["revision"] = router.db_for_read(ContentRevision)
        seen["user"] = router.db_for_read(User)
        if write:
            assert router.db_for_write(Claim) == routing.PRIMARY
            seen["claim after the write"] = router.db_for_read(Claim)
        return HttpResponse()

    if public:
        view = routing.public_view(view)
    response = routing.ReplicaRoutingMiddleware(view)(request)
    return seen, response


def again(method: str, response, path: str = "/claims/1/"):
    """A request from the client that got `response`, sending back its cookies."""
    request = RequestFactory().generic(method, path)
    request.COOKIES = {name: morsel.value for name, morsel in response.cookies.items()}
    return request


def test_public_reads_of_content_come_from_the_replica(replica):
    seen, response = serve(RequestFactory().get("/claims/1/"))

    assert seen == {
        "claim": "replica",
        "note": "replica",
        "revision": "replica",
        # Logins, sessions and tokens are read where they are written, and seen at once.
        "user": "default",
    }
    assert routing.STICKY_COOKIE not in response.cookies


def test_reads_outside_the_public_views_come_from_the_primary(replica):
    # The admin, accounts, API tokens: any view not wrapped as public.
    seen, _ = serve(RequestFactory().get("/admin/claims/claim/"), public=False)

    assert set(seen.values()) == {"default"}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_an_unsafe_request_reads_from_the_primary_and_marks_its_sender(replica, method):
    seen, response = serve(RequestFactory().generic(method, "/api/v1/claims/"))

    assert set(seen.values()) == {"default"}
    assert routing.STICKY_COOKIE in response.cookies
    cookie = response.cookies[routing.STICKY_COOKIE]
    assert (cookie["httponly"], cookie["samesite"], cookie["max-age"]) == (
        True,
        "Lax",
        routing.REVISION_WAIT_SECONDS,
    )


def test_a_safe_request_that_writes_reads_from_the_primary_after_and_marks_its_sender(replica):
    seen, response = serve(RequestFactory().get("/claims/1/"), write=True)

    assert (seen["claim"], seen["claim after the write"]) == ("replica", "default")
    assert routing.STICKY_COOKIE in response.cookies


def test_the_writer_reads_from_the_primary_within_the_sticky_window(replica):
    _, wrote = serve(RequestFactory().post("/api/v1/auth/tokens/"))

    seen, response = serve(again("GET", wrote))

    assert set(seen.values()) == {"default"}
    # Only a write renews the mark.
    assert routing.STICKY_COOKIE not in response.cookies


def test_past_the_window_the_writer_reads_from_the_primary_while_the_replica_lags(
    replica, settings
):
    settings.DATABASE_REPLICA_STICKY_SECONDS = 0
    replica[routing.PRIMARY] = 8  # the write moved the revision; the replica still has 7
    _, wrote = serve(RequestFactory().post("/admin/claims/claim/1/change/"), public=False)

    lagging, _ = serve(again("GET", wrote))
    replica[routing.REPLICA] = 8
    caught_up, _ = serve(again("GET", wrote))

    assert lagging["claim"] == "default"
    assert caught_up["claim"] == "replica"


def test_another_reader_is_not_held_to_the_primary_by_a_write(replica):
    serve(RequestFactory().post("/admin/claims/claim/1/change/"), public=False)

    seen, _ = serve(RequestFactory().get("/claims/1/"))

    assert seen["claim"] == "replica"


@pytest.mark.parametrize("value", ["forged", "8:1765000000.0", ""])
def test_a_mark_the_site_did_not_sign_is_ignored(replica, value):
    request = RequestFactory().get("/claims/1/")
    request.COOKIES = {routing.STICKY_COOKIE: value}

    seen, _ = serve(request)

    assert seen["claim"] == "replica"


def test_a_replica_that_does_not_answer_leaves_every_read_to_the_primary(replica, monkeypatch):
    monkeypatch.setattr(routing, "_replica_reachable", lambda: False)

    seen, response = serve(RequestFactory().get("/claims/1/"))

    assert set(seen.values()) == {"default"}
    assert routing.STICKY_COOKIE not in response.cookies


class UnreachableReplica:
    """A replica connection that never connects, counting the attempts."""

    def __init__(self) -> None:
        self.attempts = 0

    def ensure_connection(self) -> None:
        self.attempts += 1
        raise OperationalError("connection refused")


@pytest.fixture
def down_replica(monkeypatch) -> tuple[UnreachableReplica, list[float]]:
    """A configured replica that does not answer, and the clock (`[now]`) the router reads."""
    replica = UnreachableReplica()
    now = [1000.0]
    monkeypatch.setattr(routing, "replica_configured", lambda: True)
    monkeypatch.setattr(routing, "connections", {routing.REPLICA: replica})
    monkeypatch.setattr(routing, "_clock", lambda: now[0])
    monkeypatch.setattr(routing, "_replica_down_until", 0.0)
    return replica, now


def test_a_replica_that_failed_is_not_tried_again_for_the_retry_time(down_replica, caplog):
    replica, now = down_replica

    for _ in range(5):
        seen, _ = serve(RequestFactory().get("/claims/1/"))
        assert set(seen.values()) == {"default"}
        now[0] += 5

    assert replica.attempts == 1
    assert caplog.text.count("The replica does not answer; reading from the primary.") == 1


def test_a_replica_that_failed_is_tried_again_after_the_retry_time(down_replica):
    replica, now = down_replica
    serve(RequestFactory().get("/claims/1/"))

    now[0] += routing.REPLICA_RETRY_SECONDS - 0.1
    serve(RequestFactory().get("/claims/1/"))
    assert replica.attempts == 1

    now[0] += 0.1
    serve(RequestFactory().get("/claims/1/"))
    assert replica.attempts == 2


def test_a_writer_past_the_window_does_not_try_a_replica_known_to_be_down(
    down_replica, monkeypatch, settings
):
    replica, _ = down_replica
    serve(RequestFactory().get("/claims/1/"))
    asked = []
    monkeypatch.setattr(
        routing.revisions,
        "current",
        lambda *, using: asked.append(using) or Revision(7, CHANGED_AT),
    )
    _, posted = serve(RequestFactory().post("/claims/1/"))
    settings.DATABASE_REPLICA_STICKY_SECONDS = 0

    seen, _ = serve(again("GET", posted))

    assert seen["claim"] == "default"
    assert asked == [routing.PRIMARY]
    assert replica.attempts == 1


def test_without_a_replica_every_read_comes_from_the_primary_and_nobody_is_marked():
    seen, response = serve(RequestFactory().get("/claims/1/"), write=True)

    assert set(seen.values()) == {"default"}
    assert routing.STICKY_COOKIE not in response.cookies
    _, posted = serve(RequestFactory().post("/api/v1/auth/tokens/"))
    assert routing.STICKY_COOKIE not in posted.cookies


@pytest.mark.django_db
def test_reads_inside_a_transaction_come_from_the_primary(replica):
    # The test runs inside a transaction on the primary, as a service's reads would.
    seen, _ = serve(RequestFactory().get("/claims/1/"))

    assert seen["claim"] == "default"


def test_migrations_run_on_the_primary_only():
    replica_router = routing.ReplicaRouter()

    assert replica_router.allow_migrate("default", "claims", "claim") is True
    assert replica_router.allow_migrate("replica", "claims", "claim") is False
    assert replica_router.allow_migrate("replica", "auth", "user") is False


def base_settings(monkeypatch, **environ: str) -> dict:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(base.__file__)


def test_no_replica_alias_without_a_replica_url(monkeypatch):
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)
    monkeypatch.delenv("DATABASE_REPLICA_STICKY_SECONDS", raising=False)

    settings = base_settings(monkeypatch)

    assert set(settings["DATABASES"]) == {"default"}
    assert settings["DATABASE_REPLICA_STICKY_SECONDS"] == 5.0
    assert set(base_settings(monkeypatch, DATABASE_REPLICA_URL=" ")["DATABASES"]) == {"default"}


def test_a_replica_url_adds_the_replica_alias_mirroring_the_test_database(monkeypatch):
    settings = base_settings(
        monkeypatch,
        DATABASE_URL="postgres://app@db1:5432/claimtrack",
        DATABASE_REPLICA_URL="postgres://app@db2:5433/claimtrack",
        DATABASE_REPLICA_STICKY_SECONDS="2.5",
    )

    replica = settings["DATABASES"]["replica"]
    assert (replica["HOST"], replica["PORT"], replica["NAME"]) == ("db2", 5433, "claimtrack")
    assert replica["TEST"] == {"MIRROR": "default"}
    assert settings["DATABASE_REPLICA_STICKY_SECONDS"] == 2.5
    assert settings["DATABASE_ROUTERS"] == ["notes.routing.ReplicaRouter"]


def test_a_malformed_replica_url_stops_start_up(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match=r"^DATABASE_REPLICA_URL is malformed: "):
        base_settings(monkeypatch, DATABASE_REPLICA_URL="nosuchdb://db2/claimtrack")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-1", "DATABASE_REPLICA_STICKY_SECONDS='-1' must be at least 0."),
        ("soon", "DATABASE_REPLICA_STICKY_SECONDS='soon' is not a number."),
        ("nan", "DATABASE_REPLICA_STICKY_SECONDS='nan' must be at least 0."),
    ],
)
def test_a_malformed_sticky_window_stops_start_up(monkeypatch, raw, message):
    with pytest.raises(ImproperlyConfigured) as refused:
        base_settings(monkeypatch, DATABASE_REPLICA_STICKY_SECONDS=raw)

    assert str(refused.value) == message
