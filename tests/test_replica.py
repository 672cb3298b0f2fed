"""Reads from a real PostgreSQL streaming replica (marked `replica`).

Run them with a replica of the test server, as `.ci/run` does:

    url=$(bin/pg-replica start claimtrack)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrack DATABASE_REPLICA_URL=$url \\
        bin/test -m replica
    bin/pg-replica stop "$url"

The replica alias mirrors the test database (`TEST: {"MIRROR": "default"}`, set by the
settings): Django creates `test_claimtrack` on the primary only, and the replica alias reads the
copy the replica streams, under the same name on the replica's port. A row reaches the replica
only once committed, so these tests are transactional, and wait for the replica to replay the
primary's WAL before reading. Lag is made by pausing the replica's replay
(`pg_wal_replay_pause()`); what it received meanwhile is replayed on resume.
"""

import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import services
from claims.models import Claim
from notes import revisions, routing
from tests.factories import EditorFactory, GroundedClaimFactory

pytestmark = [
    pytest.mark.replica,
    pytest.mark.skipif(
        "replica" not in settings.DATABASES,
        reason="needs a streaming replica: DATABASE_REPLICA_URL=$(bin/pg-replica start DB)",
    ),
    pytest.mark.django_db(
        databases=["default", "replica"], transaction=True, serialized_rollback=True
    ),
]

NO_INLINES = {
    "appearances-TOTAL_FORMS": "0",
    "appearances-INITIAL_FORMS": "0",
    "arguments-TOTAL_FORMS": "0",
    "arguments-INITIAL_FORMS": "0",
    "arguments-2-TOTAL_FORMS": "0",
    "arguments-2-INITIAL_FORMS": "0",
}


def sql(alias: str, query: str, *params):
    with connections[alias].cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


def replica_caught_up(timeout: float = 20.0) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    target = sql("default", "select pg_current_wal_lsn()::text")
    deadline = time.monotonic() + timeout
    while not sql("replica", "select pg_last_wal_replay_lsn() >= %s::pg_lsn", target):
        assert time.monotonic() < deadline, f"the replica did not reach {target} in {timeout} s"
        time.sleep(0.02)


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch):
    cache.clear()
    revisions.forget()
    # A replica the test before made unreachable is tried again at once.
    monkeypatch.setattr(routing, "_replica_down_until", 0.0)
    yield
    cache.clear()


@contextmanager
def replay_paused() -> Iterator[None]:
    """The replica, caught up, then replaying none of the primary's changes until the block ends.

    It still receives them, and replays them all on resume.
    """
    replica_caught_up()
    sql("replica", "select pg_wal_replay_pause()::text")
    try:
        deadline = time.monotonic() + 10
        while sql("replica", "select pg_get_wal_replay_pause_state()") != "paused":
            assert time.monotonic() < deadline, "the replica did not pause its replay"
            time.sleep(0.02)
        yield
    finally:
        sql("replica", "select pg_wal_replay_resume()::text")


@pytest.fixture
def lagging():
    """A replica that replays none of the primary's changes until the test ends."""
    with replay_paused():
        yield


def published(text: str) -> Claim:
    return services.claim_publish(claim=GroundedClaimFactory(text=text), actor=None)


@pytest.fixture
def editor_client():
    client = Client()
    client.force_login(EditorFactory(username="editor"))
    return client


def edit_in_admin(client: Client, claim: Claim, text: str) -> None:
    claim.refresh_from_db()
    response = client.post(
        reverse("admin:claims_claim_change", args=[claim.pk]),
        # The form names the version it was opened at (claims.forms.VersionedForm).
        {"text": text, "opened_version": str(claim.version), **NO_INLINES},
    )
    assert response.status_code == 302, response.content[:500]


def revision_of(response) -> int:
    return int(re.fullmatch(r'"(\d+)-\w+"', response["ETag"]).group(1))


def test_the_replica_alias_is_a_server_in_recovery_holding_the_test_database():
    assert sql("replica", "select pg_is_in_recovery()") is True
    assert sql("default", "select pg_is_in_recovery()") is False
    assert sql("replica", "select current_database()") == sql(
        "default", "select current_database()"
    )
    assert sql("replica", "select current_setting('port')") != sql(
        "default", "select current_setting('port')"
    )


@pytest.mark.parametrize("page", ["/api/v1/claims/{pk}/", "/claims/{pk}/", "/api/v1/claims/"])
def test_anonymous_reads_come_from_the_replica_and_none_from_the_primary(page):
    claim = published("Replicas serve reads.")
    replica_caught_up()

    with (
        CaptureQueriesContext(connections["default"]) as on_primary,
        CaptureQueriesContext(connections["replica"]) as on_replica,
    ):
        response = Client().get(page.format(pk=claim.pk))

    assert response.status_code == 200
    assert "Replicas serve reads." in response.content.decode()
    assert any("claims_claim" in query["sql"] for query in on_replica.captured_queries)
    assert any("notes_kindrevision" in query["sql"] for query in on_replica.captured_queries)
    assert on_primary.captured_queries == []


def test_a_reader_sees_what_the_replica_has_not_what_the_primary_has(lagging):
    claim = published("Committed on the primary, not replayed yet.")

    anonymous = Client()

    assert anonymous.get(f"/api/v1/claims/{claim.pk}/").status_code == 404
    assert anonymous.get(f"/claims/{claim.pk}/").status_code == 404


def test_writes_and_the_admin_go_to_the_primary(lagging, editor_client):
    claim = published("Before the edit.")

    # The admin reads the primary: the claim, committed after the replica paused, is there.
    assert (
        editor_client.get(reverse("admin:claims_claim_change", args=[claim.pk])).status_code == 200
    )
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        edit_in_admin(editor_client, claim, "After the edit.")

    assert on_replica.captured_queries == []
    assert Claim.objects.using("default").get(pk=claim.pk).text == "After the edit."


def test_a_writer_reads_their_own_write_while_the_replica_lags(editor_client):
    claim = published("Before the edit.")
    replica_caught_up()
    anonymous = Client()
    assert "Before the edit." in anonymous.get(f"/claims/{claim.pk}/").content.decode()

    with replay_paused():
        edit_in_admin(editor_client, claim, "After the edit.")
        with CaptureQueriesContext(connections["replica"]) as on_replica:
            api = editor_client.get(f"/api/v1/claims/{claim.pk}/")
            page = editor_client.get(f"/claims/{claim.pk}/")
        stale = anonymous.get(f"/api/v1/claims/{claim.pk}/")

    assert api.json()["text"] == "After the edit."
    assert "After the edit." in page.content.decode()
    assert on_replica.captured_queries == []
    # Everyone else still reads the lagging replica.
    assert stale.json()["text"] == "Before the edit."


def test_past_the_window_a_writer_reads_the_primary_until_the_replica_has_their_write(
    editor_client, settings
):
    settings.DATABASE_REPLICA_STICKY_SECONDS = 0
    claim = published("Before the edit.")

    with replay_paused():
        edit_in_admin(editor_client, claim, "After the edit.")
        while_lagging = editor_client.get(f"/api/v1/claims/{claim.pk}/")
    replica_caught_up()
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        caught_up = editor_client.get(f"/api/v1/claims/{claim.pk}/")

    assert while_lagging.json()["text"] == "After the edit."
    assert caught_up.json()["text"] == "After the edit."
    assert any("claims_claim" in query["sql"] for query in on_replica.captured_queries)


def test_anonymous_etags_name_the_revision_of_the_replica_that_built_the_response(
    editor_client,
):
    claim = published("Before the edit.")
    replica_caught_up()
    anonymous = Client()
    url = f"/api/v1/claims/{claim.pk}/"
    before = anonymous.get(url)

    with replay_paused():
        edit_in_admin(editor_client, claim, "After the edit.")
        # A claim's detail names its own revision (notes.revisions.current_of).
        primary_revision = revisions.current_of(
            (), detail=("claims", claim.pk), using="default"
        ).number
        lagging = anonymous.get(url)
        lagging_304 = anonymous.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    replica_caught_up()
    after = anonymous.get(url)
    old_copy = anonymous.get(url, HTTP_IF_NONE_MATCH=before["ETag"])

    assert primary_revision > revision_of(before)
    # While the replica lags: its old text under its old revision, never under the primary's.
    assert (lagging.json()["text"], lagging["ETag"]) == ("Before the edit.", before["ETag"])
    assert lagging_304.status_code == 304
    # Caught up: the new text under the new revision, and the old copy is no longer current.
    assert after.json()["text"] == "After the edit."
    assert revision_of(after) == primary_revision
    assert old_copy.status_code == 200
    assert old_copy.json()["text"] == "After the edit."


def test_a_replica_that_does_not_answer_leaves_the_reads_to_the_primary(caplog):
    claim = published("Served all the same.")
    replica = connections["replica"]
    port = replica.settings_dict["PORT"]
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        nobody_listens = unused.getsockname()[1]
    replica.close()
    replica.settings_dict["PORT"] = nobody_listens
    try:
        api = Client().get(f"/api/v1/claims/{claim.pk}/")
        page = Client().get(f"/claims/{claim.pk}/")
    finally:
        replica.close()
        replica.settings_dict["PORT"] = port

    assert api.json()["text"] == "Served all the same."
    assert "Served all the same." in page.content.decode()
    assert "The replica does not answer; reading from the primary." in caplog.text


def test_the_same_page_of_a_lagging_replica_is_never_cached_under_a_newer_revision(
    editor_client,
):
    claim = published("Before the edit.")
    url = f"/claims/{claim.pk}/"

    with replay_paused():
        edit_in_admin(editor_client, claim, "After the edit.")
        # An anonymous reader on the lagging replica fills the shared cache.
        assert "Before the edit." in Client().get(url).content.decode()
    replica_caught_up()
    page = Client().get(url)

    assert "After the edit." in page.content.decode()
    assert routing.STICKY_COOKIE not in page.cookies
