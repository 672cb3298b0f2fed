"""Two editors saving the same claim at once, with real transactions on PostgreSQL: one save
is applied, the other is told, and no update is lost."""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from claims import services
from claims.models import Claim
from tests.factories import ClaimFactory, EditorFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite locks the whole database, not rows"
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
CONFLICT = "after you opened it"


def editor_client(username: str) -> Client:
    client = Client()
    client.force_login(EditorFactory(username=username))
    return client


def save(client: Client, claim: Claim, text: str, opened: int) -> tuple[int, str]:
    """Post the claim's change form; the status and the form's errors, on its own connection."""
    try:
        response = client.post(
            reverse("admin:claims_claim_change", args=[claim.pk]),
            {**NO_INLINES, "text": text, "opened_version": str(opened)},
        )
        errors = ""
        if response.status_code == 200:
            errors = " ".join(response.context["adminform"].form.non_field_errors())
        return response.status_code, errors
    finally:
        connections.close_all()


def test_a_save_waits_for_a_change_in_progress_and_is_then_told():
    claim = ClaimFactory(text="As opened.")
    client = editor_client("second_editor")
    outcome: list = []

    with transaction.atomic():
        services.claim_update(claim=claim, changes={"text": "Saved first."}, actor=None)
        thread = threading.Thread(
            target=lambda: outcome.append(save(client, claim, "Saved second.", opened=1))
        )
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "the second save did not wait for the first"
    thread.join(timeout=10)

    ((status, errors),) = outcome
    assert status == 200
    assert CONFLICT in errors and "at version 2 now" in errors
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("Saved first.", 2)


ROUNDS = 10


def at_once(calls) -> list:
    """Run the calls in threads released together; their outcomes, in order."""
    start = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(n: int) -> None:
        start.wait()
        outcomes[n] = calls[n]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_saves_of_the_same_version_at_once_apply_exactly_one():
    claim = ClaimFactory(text="As opened.")
    clients = [editor_client("first_editor"), editor_client("second_editor")]

    for round_ in range(1, ROUNDS + 1):
        opened = Claim.objects.get(pk=claim.pk).version
        texts = [f"Round {round_}, editor {n}." for n in (1, 2)]

        outcomes = at_once(
            [
                lambda n=n: save(clients[n], claim, texts[n], opened)  # noqa: B023
                for n in (0, 1)
            ]
        )

        statuses = sorted(status for status, _ in outcomes)
        assert statuses == [200, 302], outcomes
        winner = next(n for n, (status, _) in enumerate(outcomes) if status == 302)
        loser_errors = outcomes[1 - winner][1]
        assert CONFLICT in loser_errors, loser_errors
        claim.refresh_from_db()
        assert (claim.text, claim.version) == (texts[winner], opened + 1)

    # One history row per applied save: none lost, none doubled.
    assert claim.history.count() == ROUNDS + 1
