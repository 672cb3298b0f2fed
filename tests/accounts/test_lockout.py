"""Brute force: 30 wrong passwords in a row, then the right one, log nobody in, on any login form.

Locked is the pair of a username and a client address (accounts/lockout.py says why), for
`AXES_COOLOFF_TIME` after the last counted failure; the clock is moved past it by hand.
"""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from accounts.lockout import client_address, login_identity
from tests.accounts.conftest import (
    PASSWORD,
    START,
    admin_login,
    logged_in_as,
    site_login,
    token_login,
)
from tests.api.helpers import assert_error

pytestmark = pytest.mark.django_db

WRONG = "not-the-password"
COOL_OFF = timedelta(minutes=15)
THROTTLED_MESSAGE = (
    "Too many failed logins for this account or from your address. Wait 5 minutes, then try again."
)
LOCKED_MESSAGE = (
    "Too many failed logins for this username from your address. Try again in 15 minutes."
)


def test_the_defaults_lock_after_ten_failures_for_fifteen_minutes():
    assert settings.AXES_ENABLED is True
    assert settings.AXES_FAILURE_LIMIT == 10
    assert settings.AXES_COOLOFF_TIME == COOL_OFF
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def assert_lockout_page(response, retry_after: int) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(retry_after)
    assert "no-store" in response["Cache-Control"]
    assert "<h1>Login locked for a while</h1>" in response.text
    ends = (START + COOL_OFF).strftime("%Y-%m-%d %H:%M")
    assert f"You can log in again after {ends} UTC." in response.text


# The admin's login form ----------------------------------------------------------------------


def test_admin_login_is_locked_after_wrong_passwords_until_the_cool_off_ends(client, editor, clock):
    for attempt in range(1, 31):
        response = admin_login(client, "editor", WRONG)
        # The tenth failure is the one that locks.
        assert response.status_code == (200 if attempt < 10 else 429), attempt

    response = admin_login(client, "editor", PASSWORD)

    assert_lockout_page(response, retry_after=15 * 60)
    assert LOCKED_MESSAGE in response.text
    assert logged_in_as(client) is None
    # Attempts while locked are not counted: the lockout still ends when it said.
    assert AccessAttempt.objects.get().failures_since_start == 10

    clock.shift(COOL_OFF - timedelta(seconds=1))
    still = admin_login(client, "editor", PASSWORD)
    assert still.status_code == 429
    assert still["Retry-After"] == "1"
    assert "Try again in 1 minute." in still.text
    assert logged_in_as(client) is None

    clock.shift(timedelta(seconds=2))
    response = admin_login(client, "editor", PASSWORD)

    assert response.status_code == 302
    assert logged_in_as(client) == str(editor.pk)


def test_a_success_resets_the_count_so_only_failures_in_a_row_lock(client, editor, clock):
    for _ in range(9):
        admin_login(client, "editor", WRONG)
    assert admin_login(client, "editor", PASSWORD).status_code == 302
    client.logout()

    for _ in range(9):
        assert admin_login(client, "editor", WRONG).status_code == 200

    assert admin_login(client, "editor", PASSWORD).status_code == 302


def test_the_lock_holds_one_username_at_one_address(client, editor, moderator, clock):
    for _ in range(10):
        admin_login(client, "editor", WRONG, address="10.0.0.1")

    # Another account from the locked address, and the locked account from another address.
    assert admin_login(client, "moderator", PASSWORD, address="10.0.0.1").status_code == 302
    assert logged_in_as(client) == str(moderator.pk)
    client.logout()
    assert admin_login(client, "editor", PASSWORD, address="10.0.0.2").status_code == 302
    assert logged_in_as(client) == str(editor.pk)
    client.logout()
    assert admin_login(client, "editor", PASSWORD, address="10.0.0.1").status_code == 429


def test_a_forwarded_for_header_does_not_escape_the_lock_without_trusted_proxies(
    client, editor, clock
):
    for n in range(10):
        admin_login(client, "editor", WRONG, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    response = admin_login(client, "editor", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert response.status_code == 429
    assert AccessAttempt.objects.get().ip_address == "10.0.0.1"


def test_behind_a_trusted_proxy_the_address_it_saw_is_the_client(client, editor, clock, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for _ in range(10):
        admin_login(client, "editor", WRONG, HTTP_X_FORWARDED_FOR="spoofed, 192.0.2.7")

    assert AccessAttempt.objects.get().ip_address == "192.0.2.7"
    locked = admin_login(client, "editor", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.7")
    assert locked.status_code == 429
    other = admin_login(client, "editor", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.7, 192.0.2.8")
    assert other.status_code == 302


def test_with_axes_switched_off_nothing_is_locked(client, editor, settings):
    settings.AXES_ENABLED = False
    for _ in range(30):
        admin_login(client, "editor", WRONG)

    assert admin_login(client, "editor", PASSWORD).status_code == 302
    assert AccessAttempt.objects.count() == 0


# The site's sign-in form (allauth) -----------------------------------------------------------


def test_site_login_is_locked_by_axes_alone(client, contributor, clock, allauth_limits_off):
    for attempt in range(1, 31):
        response = site_login(client, "contributor", WRONG)
        assert response.status_code == (200 if attempt < 10 else 429), attempt

    response = site_login(client, "contributor", PASSWORD)

    assert_lockout_page(response, retry_after=15 * 60)
    assert logged_in_as(client) is None

    clock.shift(COOL_OFF + timedelta(seconds=1))
    assert site_login(client, "contributor", PASSWORD).status_code == 302
    assert logged_in_as(client) == str(contributor.pk)


def test_site_login_by_e_mail_counts_against_the_same_account(
    client, contributor, clock, allauth_limits_off
):
    for n in range(10):
        login = "contributor" if n % 2 else "Contributor@Example.org"
        site_login(client, login, WRONG)

    assert site_login(client, "contributor", PASSWORD).status_code == 429
    assert site_login(client, "contributor@example.org", PASSWORD).status_code == 429
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["contributor"]


def test_site_login_with_every_limit_on_refuses_then_lets_in(client, contributor, clock):
    for _ in range(30):
        site_login(client, "contributor", WRONG)

    # allauth's limits come first: 30 logins a minute from one address…
    response = site_login(client, "contributor", PASSWORD)

    assert response.status_code == 429
    assert "<h1>Too many requests</h1>" in response.text
    assert logged_in_as(client) is None

    # …then 5 failures per account in 5 minutes, after which axes had counted only 5.
    clock.shift(timedelta(minutes=1))
    response = site_login(client, "contributor", PASSWORD)
    assert response.status_code == 200
    assert "Wait 5 minutes, then try again." in response.text
    assert logged_in_as(client) is None
    assert AccessAttempt.objects.get().failures_since_start == 5

    clock.shift(timedelta(minutes=4, seconds=1))
    assert site_login(client, "contributor", PASSWORD).status_code == 302
    assert logged_in_as(client) == str(contributor.pk)


def test_allauth_limits_failures_per_account_and_says_how_long_to_wait(
    client, contributor, clock, settings
):
    settings.AXES_ENABLED = False
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"):
        site_login(client, "contributor", WRONG, address=address)

    # From yet another address, the right password: allauth counts per account, not address.
    response = site_login(client, "contributor", PASSWORD, address="10.0.0.6")

    assert response.status_code == 200
    assert THROTTLED_MESSAGE in response.text
    assert logged_in_as(client) is None
    clock.shift(timedelta(minutes=5, seconds=1))
    assert site_login(client, "contributor", PASSWORD, address="10.0.0.6").status_code == 302


# The API's token endpoint --------------------------------------------------------------------


def test_token_creation_is_locked_after_wrong_passwords(
    anonymous, contributor, clock, allauth_limits_off
):
    for attempt in range(1, 31):
        response = token_login(anonymous, "contributor", WRONG)
        assert response.status_code == (401 if attempt < 10 else 429), attempt

    response = token_login(anonymous, "contributor", PASSWORD)

    body = assert_error(response, 429, "locked_out", {})
    assert body["detail"] == LOCKED_MESSAGE
    assert response["Retry-After"] == str(15 * 60)

    clock.shift(COOL_OFF + timedelta(seconds=1))
    assert token_login(anonymous, "contributor", PASSWORD).status_code == 201


def test_token_creation_with_every_limit_on_refuses_then_lets_in(anonymous, contributor, clock):
    for _ in range(30):
        token_login(anonymous, "contributor", WRONG)

    response = token_login(anonymous, "contributor", PASSWORD)

    body = assert_error(response, 429, "too_many_login_attempts", {})
    assert body["detail"] == THROTTLED_MESSAGE
    assert response["Retry-After"] == "300"

    clock.shift(COOL_OFF + timedelta(seconds=1))
    assert token_login(anonymous, "contributor", PASSWORD).status_code == 201


def test_wrong_passwords_in_the_body_count_too(anonymous, contributor, clock, allauth_limits_off):
    for _ in range(10):
        anonymous.post(
            "/api/v1/auth/tokens/",
            {"username": "contributor", "password": WRONG},
            REMOTE_ADDR="10.0.0.1",
        )

    response = token_login(anonymous, "contributor", PASSWORD)

    assert_error(response, 429, "locked_out", {})


def test_an_unknown_username_is_answered_like_a_known_one(anonymous, clock, allauth_limits_off):
    answers = [token_login(anonymous, "nobody", WRONG).status_code for _ in range(11)]

    assert answers == [401] * 9 + [429] * 2


# The pieces ----------------------------------------------------------------------------------


def request_from(remote_addr: str | None, forwarded_for: str | None = None) -> HttpRequest:
    request = HttpRequest()
    if remote_addr is not None:
        request.META["REMOTE_ADDR"] = remote_addr
    if forwarded_for is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return request


@pytest.mark.parametrize(
    ("proxies", "remote_addr", "forwarded_for", "expected"),
    [
        (0, "10.0.0.1", "192.0.2.1", "10.0.0.1"),
        (1, "10.0.0.1", "192.0.2.1", "192.0.2.1"),
        (1, "10.0.0.1", "anything, 192.0.2.1", "192.0.2.1"),
        (2, "10.0.0.1", "192.0.2.9, 192.0.2.1, 10.0.0.2", "192.0.2.1"),
        (1, "10.0.0.1", None, "10.0.0.1"),
        # Not an address (a proxy that passes on what the client wrote): the connection's.
        (1, "10.0.0.1", "not-an-address", "10.0.0.1"),
        (1, "10.0.0.1", "192.0.2.1\x00", "10.0.0.1"),
        (0, "2001:DB8::1", None, "2001:db8::1"),
        (0, None, None, None),
    ],
)
def test_client_address_follows_the_apis_trust_rule(
    settings, proxies, remote_addr, forwarded_for, expected
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}

    assert client_address(request_from(remote_addr, forwarded_for)) == expected


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        ({"username": "Contributor"}, "contributor"),
        ({"username": " contributor "}, "contributor"),
        # An address of exactly one account stands for its username.
        (
            {"email": "CONTRIBUTOR@example.org", "username": "CONTRIBUTOR@example.org"},
            "contributor",
        ),
        ({"username": "stranger@example.org"}, "stranger@example.org"),
        ({"username": "x" * 300}, "x" * 255),
        ({}, None),
        (None, None),
    ],
)
def test_login_identity_names_the_account(contributor, credentials, expected):
    assert login_identity(HttpRequest(), credentials) == expected


def test_the_lockout_page_offers_a_password_reset(client, editor, clock):
    for _ in range(10):
        admin_login(client, "editor", WRONG)

    page = admin_login(client, "editor", PASSWORD).text

    assert re.search(rf'href="{reverse("account_reset_password")}"', page)
