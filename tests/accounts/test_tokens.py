"""API tokens: made by password or session, shown once, stored hashed, listed, revoked, expiring."""

import hashlib
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db import connection
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import services
from tests.accounts.conftest import PASSWORD, START, TOKENS, basic, token_login
from tests.api.helpers import assert_error, iso

pytestmark = pytest.mark.django_db

TTL = timedelta(days=30)


def create_token(user) -> str:
    """A new token's key, as its owner would get it."""
    return services.token_create(user=user)[1]


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# Creating ------------------------------------------------------------------------------------


def test_a_token_is_created_with_http_basic_and_shown_once(anonymous, contributor, clock):
    response = token_login(anonymous, "contributor", PASSWORD)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "prefix", "created", "expiry"}
    assert len(body["token"]) == 64
    assert body["prefix"] == body["token"][:15]
    assert (body["created"], body["expiry"]) == (iso(START), iso(START + TTL))
    assert "no-store" in response["Cache-Control"]
    listed = with_token(body["token"]).get(TOKENS).json()
    assert listed == [{"prefix": body["prefix"], "created": iso(START), "expiry": iso(START + TTL)}]
    assert body["token"] not in with_token(body["token"]).get(TOKENS).text


@pytest.mark.parametrize("login", ["contributor", "contributor@example.org"])
def test_a_token_is_created_with_username_or_e_mail_in_the_body(anonymous, contributor, login):
    response = anonymous.post(TOKENS, {"username": login, "password": PASSWORD}, format="json")

    assert response.status_code == 201
    assert AuthToken.objects.get().user == contributor


def test_a_password_login_for_a_token_moves_last_login(anonymous, contributor, clock):
    token_login(anonymous, "contributor", PASSWORD)

    contributor.refresh_from_db()
    assert contributor.last_login == START


def test_a_logged_in_session_creates_a_token_with_its_csrf_token(contributor):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(contributor)

    refused = browser.post(TOKENS)
    assert_error(refused, 403, "permission_denied", {})
    assert "CSRF" in refused.json()["detail"]

    csrf = browser.get("/accounts/password/change/").cookies["csrftoken"].value
    response = browser.post(TOKENS, HTTP_X_CSRFTOKEN=csrf)

    assert response.status_code == 201
    assert AuthToken.objects.get().user == contributor


def test_a_token_cannot_create_tokens(contributor):
    response = with_token(create_token(contributor)).post(TOKENS)

    body = assert_error(response, 403, "permission_denied", {})
    assert body["detail"] == (
        "A token cannot create tokens: use your password or a logged-in session."
    )
    assert AuthToken.objects.count() == 1


def test_no_credentials_answer_401_with_the_basic_challenge(anonymous):
    response = anonymous.post(TOKENS)

    assert_error(response, 401, "not_authenticated", {})
    assert response["WWW-Authenticate"] == 'Basic realm="Claimtrack API tokens"'


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"username": "contributor"}, {"password": ["Give both username and password."]}),
        ({"password": PASSWORD}, {"username": ["Give both username and password."]}),
        ({"username": "x" * 255, "password": PASSWORD}, None),
        ({"username": "contributor\x00", "password": PASSWORD}, None),
    ],
)
def test_a_malformed_body_answers_400(anonymous, contributor, body, errors):
    response = anonymous.post(TOKENS, body, format="json")

    assert_error(response, 400, "invalid", errors)
    assert AuthToken.objects.count() == 0


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!",
        "Basic",
        "Basic " + "Zm9v",
        basic("contri\x00butor", PASSWORD),
        basic("contributor@example.org\x00", PASSWORD),
        basic("contributor", PASSWORD + "\x00"),
    ],
)
def test_a_malformed_basic_header_answers_401(anonymous, contributor, header):
    response = anonymous.post(TOKENS, HTTP_AUTHORIZATION=header)

    assert_error(response, 401, "authentication_failed", {})
    assert AuthToken.objects.count() == 0


def test_a_wrong_password_answers_401_and_is_counted(anonymous, contributor):
    response = token_login(anonymous, "contributor", "not-the-password")

    body = assert_error(response, 401, "authentication_failed", {})
    assert body["detail"] == "Wrong username or password."
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.failures_since_start) == ("contributor", 1)
    assert "not-the-password" not in attempt.post_data + attempt.get_data


def test_only_contributors_get_tokens(anonymous, unconfirmed, deactivated):
    unconfirmed_answer = token_login(anonymous, "unconfirmed", PASSWORD)
    deactivated_answer = token_login(anonymous, "deactivated", PASSWORD)

    body = assert_error(unconfirmed_answer, 403, "permission_denied", {})
    assert body["detail"] == (
        "Only contributors may hold API tokens: confirm your e-mail address first."
    )
    body = assert_error(deactivated_answer, 401, "authentication_failed", {})
    assert body["detail"] == "This account is inactive."
    assert AuthToken.objects.count() == 0


def test_a_user_holds_at_most_the_limit_of_unexpired_tokens(anonymous, contributor, clock):
    for _ in range(10):
        assert token_login(anonymous, "contributor", PASSWORD).status_code == 201

    refused = token_login(anonymous, "contributor", PASSWORD)

    body = assert_error(refused, 403, "token_limit", {})
    assert body["detail"] == (
        "You already hold 10 unexpired API tokens, the most one may; "
        "revoke one before creating another."
    )
    # Expired tokens do not count, and are deleted when the next one is made.
    clock.shift(TTL)
    assert token_login(anonymous, "contributor", PASSWORD).status_code == 201
    assert AuthToken.objects.filter(user=contributor).count() == 1


# Storing -------------------------------------------------------------------------------------


def test_the_database_never_holds_a_usable_token(contributor):
    key = create_token(contributor)

    table = AuthToken._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert not any(key in str(value) for value in rows[0])
    stored = AuthToken.objects.get()
    assert stored.digest == hashlib.sha512(key.encode()).hexdigest()
    # Neither the digest nor the stored prefix authenticates.
    for guess in (stored.digest, stored.digest[:64], stored.token_key, stored.token_key + "0" * 49):
        assert_error(with_token(guess).get(TOKENS), 401, "authentication_failed", {})
    assert with_token(key).get(TOKENS).status_code == 200


# Using ---------------------------------------------------------------------------------------


def test_a_token_reads_the_public_api_as_anyone_does(contributor, anonymous):
    key = create_token(contributor)

    with_key = with_token(key).get("/api/v1/claims/")
    without = anonymous.get("/api/v1/claims/")

    assert with_key.status_code == without.status_code == 200
    assert with_key.json() == without.json()


@pytest.mark.parametrize(
    "header",
    [
        "Token " + "0" * 64,
        "Token short",
        "Token ",
        "Token a b",
        "Token " + "é" * 64,
        "Token " + "0" * 63 + "\x00",
    ],
)
def test_a_bad_token_answers_401_on_every_endpoint(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    for url in ("/api/v1/claims/", "/api/v1/videos/", TOKENS):
        response = client.get(url)
        assert_error(response, 401, "authentication_failed", {})
        assert response["WWW-Authenticate"].startswith(("Token", "Basic")), url


def test_an_expired_token_answers_401_and_is_deleted(contributor, clock):
    key = create_token(contributor)
    clock.shift(TTL - timedelta(seconds=1))
    assert with_token(key).get("/api/v1/claims/").status_code == 200

    clock.shift(timedelta(seconds=1))
    response = with_token(key).get("/api/v1/claims/")

    body = assert_error(response, 401, "authentication_failed", {})
    assert body["detail"] == ("Invalid or expired token; create a new one at /api/v1/auth/tokens/.")
    assert response["WWW-Authenticate"] == "Token"
    assert AuthToken.objects.count() == 0


def test_a_deactivated_users_token_answers_401(contributor):
    key = create_token(contributor)
    contributor.is_active = False
    contributor.save()

    response = with_token(key).get(TOKENS)

    assert_error(response, 401, "authentication_failed", {})


# Listing and revoking ------------------------------------------------------------------------


def test_the_list_holds_the_callers_unexpired_tokens_newest_first(
    contributor, other_contributor, clock
):
    old = AuthToken.objects.get(digest=services.token_create(user=contributor)[0].digest)
    clock.shift(timedelta(days=1))
    key = create_token(contributor)
    create_token(other_contributor)
    clock.shift(timedelta(days=29, seconds=1))

    listed = with_token(key).get(TOKENS).json()

    # The first expired after its 30 days; the other contributor's is not listed.
    assert [token["prefix"] for token in listed] == [key[:15]]
    assert old.token_key not in str(listed)


def test_revoking_a_token_ends_it(contributor):
    key = create_token(contributor)
    other_key = create_token(contributor)

    response = with_token(other_key).delete(f"{TOKENS}{key[:15]}/")

    assert response.status_code == 204
    assert_error(with_token(key).get(TOKENS), 401, "authentication_failed", {})
    assert with_token(other_key).get(TOKENS).status_code == 200


def test_another_users_token_cannot_be_revoked(contributor, other_contributor):
    key = create_token(contributor)
    other_key = create_token(other_contributor)

    response = with_token(other_key).delete(f"{TOKENS}{key[:15]}/")

    assert_error(response, 404, "not_found", {})
    assert with_token(key).get(TOKENS).status_code == 200


@pytest.mark.parametrize("prefix", ["0" * 15, "short", "G" * 15, "0" * 16])
def test_revoking_an_unknown_or_malformed_prefix_answers_404(contributor_api, prefix):
    assert_error(contributor_api.delete(f"{TOKENS}{prefix}/"), 404, "not_found", {})


def test_logout_all_revokes_every_token_of_the_caller(contributor, other_contributor):
    keys = [create_token(contributor) for _ in range(3)]
    other_key = create_token(other_contributor)

    response = with_token(keys[0]).post(f"{TOKENS}logout-all/")

    assert response.status_code == 200
    assert response.json() == {"revoked": 3}
    for key in keys:
        assert with_token(key).get(TOKENS).status_code == 401
    assert with_token(other_key).get(TOKENS).status_code == 200


# Who may do what -----------------------------------------------------------------------------

PERSONAS = [
    "anonymous",
    "contributor",
    "other_contributor",
    "unconfirmed",
    "deactivated",
    "moderator",
    "editor",
    "superuser",
]
#: The answer to each persona, authenticated by `force_authenticate`.
EXPECTED = {
    "list": {
        "anonymous": 401,
        "unconfirmed": 200,
        "deactivated": 403,
        **dict.fromkeys(["contributor", "other_contributor", "moderator", "editor"], 200),
        "superuser": 200,
    },
    "create": {
        "anonymous": 401,
        "unconfirmed": 403,
        "deactivated": 403,
        **dict.fromkeys(["contributor", "other_contributor", "moderator", "editor"], 201),
        "superuser": 201,
    },
    # Of the contributor's token: to anyone else it does not exist.
    "revoke": {
        "anonymous": 401,
        "contributor": 204,
        "deactivated": 403,
        **dict.fromkeys(["other_contributor", "unconfirmed", "moderator", "editor"], 404),
        "superuser": 404,
    },
    "logout-all": {
        "anonymous": 401,
        "deactivated": 403,
        **dict.fromkeys(
            ["contributor", "other_contributor", "unconfirmed", "moderator", "editor"], 200
        ),
        "superuser": 200,
    },
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", sorted(EXPECTED))
def test_permission_matrix(request, contributor, persona, operation):
    client = request.getfixturevalue("anonymous" if persona == "anonymous" else f"{persona}_api")
    key = create_token(contributor)

    response = {
        "list": lambda: client.get(TOKENS),
        "create": lambda: client.post(TOKENS),
        "revoke": lambda: client.delete(f"{TOKENS}{key[:15]}/"),
        "logout-all": lambda: client.post(f"{TOKENS}logout-all/"),
    }[operation]()

    expected = EXPECTED[operation][persona]
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert set(response.json()) == {"status", "code", "detail", "errors"}
    token_survives = AuthToken.objects.filter(token_key=key[:15]).exists()
    revoked_it = (operation, persona) in {("revoke", "contributor"), ("logout-all", "contributor")}
    assert token_survives is not revoked_it
