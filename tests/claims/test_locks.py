"""Publishing a claim and moving its last appearance away take turns, with real transactions.

Each race holds one writer's transaction open after its change, starts the other writer in a
thread, and checks that it waits for the commit and then sees the change: a published claim
never loses its last appearance.
"""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from claims import services
from claims.models import Status
from tests.factories import AppearanceFactory, ClaimFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite locks the whole database, not rows"
    ),
]


def in_thread(call) -> tuple[threading.Thread, list]:
    """Run `call` in a thread, on its own connection; its outcome lands in the list."""
    outcome: list = []

    def run():
        try:
            outcome.append(call())
        except (services.TransitionError, ValidationError) as error:
            outcome.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def held_open_while(first, second) -> list:
    """Run `first` in a transaction kept open until `second`, in a thread, has had time to
    reach the lock; return what `second` came to."""
    with transaction.atomic():
        first()
        thread, outcome = in_thread(second)
        time.sleep(0.5)
        assert thread.is_alive(), "the second writer did not wait for the first"
    thread.join(timeout=10)
    return outcome


def test_moving_the_last_appearance_waits_for_a_publish_and_is_refused():
    claim = ClaimFactory()
    appearance = AppearanceFactory(claim=claim)
    other = ClaimFactory()

    (outcome,) = held_open_while(
        lambda: services.claim_publish(claim=claim, actor=None),
        lambda: services.appearance_update(
            appearance=appearance, changes={"claim": other}, actor=None
        ),
    )

    assert isinstance(outcome, ValidationError)
    claim.refresh_from_db()
    assert claim.status == Status.PUBLISHED
    assert list(claim.appearances.all()) == [appearance]


def test_publishing_waits_for_its_last_appearance_to_leave_and_is_refused():
    claim = ClaimFactory()
    appearance = AppearanceFactory(claim=claim)
    other = ClaimFactory()

    (outcome,) = held_open_while(
        lambda: services.appearance_update(
            appearance=appearance, changes={"claim": other}, actor=None
        ),
        lambda: services.claim_publish(claim=claim, actor=None),
    )

    assert isinstance(outcome, services.TransitionError)
    assert "has no appearance" in str(outcome)
    claim.refresh_from_db()
    assert claim.status == Status.DRAFT
