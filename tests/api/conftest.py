"""Fixtures of the public API tests: the worked example, a clean throttle, an anonymous client."""

import copy

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import TestCase
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from config.throttling import UserRateThrottle
from tests.api import worked_example


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle history lives in the default cache: no test inherits another's requests."""
    cache.clear()
    yield
    cache.clear()


class Clock:
    """A clock the test moves by hand, for the throttle's timer; it starts on a whole minute."""

    def __init__(self) -> None:
        self.now = 1_699_999_980.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def tiny_rate(monkeypatch) -> Clock:
    """Two anonymous requests a minute, on a clock the test controls.

    DRF copies the rates into `AnonRateThrottle.THROTTLE_RATES` at import, so that is what is
    patched; the cache that holds request history is cleared around every test.
    """
    clock = Clock()
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"})
    monkeypatch.setattr(AnonRateThrottle, "timer", clock)
    return clock


@pytest.fixture
def tiny_user_rate(monkeypatch) -> Clock:
    """Two requests a minute for each signed-in user, on a clock the test controls; anonymous
    readers keep their own rate."""
    clock = Clock()
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/minute"})
    monkeypatch.setattr(UserRateThrottle, "timer", clock)
    return clock


@pytest.fixture
def api():
    """An anonymous reader."""
    return APIClient()


def built_once(django_db_blocker, build):
    """Rows built once for a test module, in a transaction rolled back after it.

    Each test runs in a savepoint inside that transaction (pytest-django's `db`), so whatever
    a test changes is undone before the next, as with Django's `TestCase.setUpTestData`. Use
    it in a module-scoped fixture: `yield from built_once(django_db_blocker, build)`.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            # Search vectors are refreshed on commit; run that work now, as a commit would.
            with TestCase.captureOnCommitCallbacks(execute=True):
                rows = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield rows
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def _worked_example_rows(django_db_setup, django_db_blocker):
    yield from built_once(django_db_blocker, worked_example.build)


@pytest.fixture
def example(_worked_example_rows, db) -> worked_example.WorkedExample:
    """The worked example's rows; the objects are this test's own copies."""
    return copy.deepcopy(_worked_example_rows)
