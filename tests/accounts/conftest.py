"""Fixtures of the accounts tests: a clean cache, a clock to move, login helpers."""

import base64
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.urls import reverse

#: Every persona's password (tests/factories.py).
PASSWORD = "a-long-test-password"
TOKENS = "/api/v1/auth/tokens/"
#: A whole minute, so that allauth's per-minute windows start with the test.
START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth counts its rate limits in the cache: no test inherits another's attempts."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock(time_machine):
    """Time stands still at START until the test moves it (`clock.shift(timedelta)`)."""
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def allauth_limits_off(settings):
    """allauth's own rate limits switched off, so that axes alone decides."""
    settings.ACCOUNT_RATE_LIMITS = False


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def site_login(client, login: str, password: str, address: str = "10.0.0.1"):
    """A POST to allauth's sign-in form."""
    return client.post(
        reverse("account_login"), {"login": login, "password": password}, REMOTE_ADDR=address
    )


def admin_login(client, username: str, password: str, address: str = "10.0.0.1", **headers):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        **headers,
    )


def token_login(api, username: str, password: str, address: str = "10.0.0.1"):
    """A token requested with HTTP Basic credentials."""
    return api.post(TOKENS, HTTP_AUTHORIZATION=basic(username, password), REMOTE_ADDR=address)


def logged_in_as(client) -> str | None:
    """The id of the user the client's session is logged in as, if any."""
    return client.session.get("_auth_user_id")
