"""Settings read from the environment: each documented variable, and the refusal of bad values."""

import runpy
from datetime import timedelta

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from config.settings import base


def base_settings(monkeypatch, **environ: str) -> dict:
    """The base settings module, run afresh with these environment variables."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(base.__file__)


def test_no_proxy_is_trusted_by_default(monkeypatch):
    monkeypatch.delenv("DJANGO_TRUSTED_PROXIES", raising=False)

    assert base_settings(monkeypatch)["REST_FRAMEWORK"]["NUM_PROXIES"] == 0


@pytest.mark.parametrize(("raw", "count"), [("0", 0), ("1", 1), (" 2 ", 2)])
def test_trusted_proxies_are_the_proxies_drf_reads_client_addresses_behind(monkeypatch, raw, count):
    settings = base_settings(monkeypatch, DJANGO_TRUSTED_PROXIES=raw)

    assert settings["REST_FRAMEWORK"]["NUM_PROXIES"] == count


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-1", "DJANGO_TRUSTED_PROXIES='-1' must be at least 0."),
        ("one", "DJANGO_TRUSTED_PROXIES='one' is not an integer."),
        ("", "DJANGO_TRUSTED_PROXIES='' is not an integer."),
    ],
)
def test_a_malformed_trusted_proxy_count_stops_start_up(monkeypatch, raw, message):
    with pytest.raises(ImproperlyConfigured) as refused:
        base_settings(monkeypatch, DJANGO_TRUSTED_PROXIES=raw)

    assert str(refused.value) == message


def test_the_response_cache_is_bounded_by_default(monkeypatch):
    monkeypatch.delenv("API_RESPONSE_CACHE_SECONDS", raising=False)
    monkeypatch.delenv("API_RESPONSE_CACHE_MAX_BYTES", raising=False)

    settings = base_settings(monkeypatch)

    assert settings["API_RESPONSE_CACHE_SECONDS"] == 600
    assert settings["API_RESPONSE_CACHE_MAX_BYTES"] == 256 * 1024


@pytest.mark.parametrize("name", ["API_RESPONSE_CACHE_SECONDS", "API_RESPONSE_CACHE_MAX_BYTES"])
def test_response_cache_bounds_are_read_and_must_be_counts(monkeypatch, name):
    assert base_settings(monkeypatch, **{name: "0"})[name] == 0

    with pytest.raises(ImproperlyConfigured, match=f"^{name}='-5' must be at least 0.$"):
        base_settings(monkeypatch, **{name: "-5"})


# API rates ------------------------------------------------------------------------------------


def test_anonymous_and_signed_in_rates_have_defaults(monkeypatch):
    monkeypatch.delenv("API_ANON_RATE", raising=False)
    monkeypatch.delenv("API_USER_RATE", raising=False)

    rates = base_settings(monkeypatch)["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"]

    assert rates == {"anon": "600/minute", "user": "1200/minute"}


@pytest.mark.parametrize("name", ["API_ANON_RATE", "API_USER_RATE"])
@pytest.mark.parametrize(
    ("raw", "rate"), [("30/second", "30/second"), (" 5/Hour ", "5/hour"), ("", None)]
)
def test_rates_are_read_and_empty_switches_them_off(monkeypatch, name, raw, rate):
    rates = base_settings(monkeypatch, **{name: raw})["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"]

    assert rates["anon" if name == "API_ANON_RATE" else "user"] == rate


@pytest.mark.parametrize("raw", ["600", "many/minute", "600/fortnight", "-1/minute"])
def test_a_malformed_rate_stops_start_up(monkeypatch, raw):
    with pytest.raises(ImproperlyConfigured, match=r"^API_USER_RATE=.* is not a rate; "):
        base_settings(monkeypatch, API_USER_RATE=raw)


# The site's address ----------------------------------------------------------------------------


def test_the_site_url_defaults_to_the_local_demo(monkeypatch):
    monkeypatch.delenv("DJANGO_SITE_URL", raising=False)

    assert base_settings(monkeypatch)["SITE_URL"] == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("https://claimtrack.example", "https://claimtrack.example"),
        (" https://claimtrack.example/ ", "https://claimtrack.example"),
        ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
    ],
)
def test_the_site_url_is_read_without_its_trailing_slash(monkeypatch, raw, url):
    assert base_settings(monkeypatch, DJANGO_SITE_URL=raw)["SITE_URL"] == url


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "claimtrack.example",
        "ftp://claimtrack.example",
        "https://",
        "https://claimtrack.example/claims",
        "https://claimtrack.example?x=1",
        "https://user:secret@claimtrack.example",
        "https://claimtrack.example:99999",
        "https://claim track.example",
    ],
)
def test_a_malformed_site_url_stops_start_up(monkeypatch, raw):
    with pytest.raises(ImproperlyConfigured, match=r"^DJANGO_SITE_URL=.* is not a site address; "):
        base_settings(monkeypatch, DJANGO_SITE_URL=raw)


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://127.0.0.1:8000", True),
        ("https://localhost", True),
        ("http://claimtrack.example", True),
        ("https://claimtrack.example", False),
    ],
)
def test_check_deploy_warns_of_a_site_url_a_mailbox_cannot_reach(settings, url, warned):
    settings.SITE_URL = url

    messages = checks.run_checks(include_deployment_checks=True, tags=["mail"])

    assert [message.id for message in messages] == (["contributions.W001"] if warned else [])
    assert not checks.run_checks(tags=["mail"])


# E-mail, lockout and API tokens ---------------------------------------------------------------


def test_mail_goes_to_the_console_without_an_email_url(monkeypatch):
    monkeypatch.delenv("EMAIL_URL", raising=False)
    monkeypatch.delenv("DEFAULT_FROM_EMAIL", raising=False)

    settings = base_settings(monkeypatch)

    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert settings["DEFAULT_FROM_EMAIL"] == "Claimtrack <claimtrack@localhost>"
    assert settings["SERVER_EMAIL"] == settings["DEFAULT_FROM_EMAIL"]
    assert settings["EMAIL_TIMEOUT"] == 10


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp+tls://mailer:p%40ss%3Aword@smtp.example.org:587",
            ("smtp.example.org", 587, "mailer", "p@ss:word", True, False),
        ),
        ("smtp+tls://smtp.example.org", ("smtp.example.org", 587, "", "", True, False)),
        ("smtp+ssl://u:p@smtp.example.org", ("smtp.example.org", 465, "u", "p", False, True)),
        ("SMTP://localhost:1025", ("localhost", 1025, "", "", False, False)),
        ("smtp://localhost/", ("localhost", 25, "", "", False, False)),
    ],
)
def test_an_email_url_names_the_smtp_server(monkeypatch, url, expected):
    settings = base_settings(monkeypatch, EMAIL_URL=url, DEFAULT_FROM_EMAIL="x@example.org")

    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (
        settings["EMAIL_HOST"],
        settings["EMAIL_PORT"],
        settings["EMAIL_HOST_USER"],
        settings["EMAIL_HOST_PASSWORD"],
        settings["EMAIL_USE_TLS"],
        settings["EMAIL_USE_SSL"],
    ) == expected
    assert settings["DEFAULT_FROM_EMAIL"] == "x@example.org"


@pytest.mark.parametrize("url", ["console://", "", "  "])
def test_an_email_url_may_name_the_console(monkeypatch, url):
    settings = base_settings(monkeypatch, EMAIL_URL=url)

    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("imap://u:secret@host", "; its scheme must be one of console, smtp, smtp+tls, smtp+ssl."),
        ("smtp.example.org:587", "; its scheme must be one of console, smtp, smtp+tls, smtp+ssl."),
        ("smtp+tls://u:secret@:587", ": a host, and nothing after it but a port."),
        ("smtp://u:secret@host/mail", ": a host, and nothing after it but a port."),
        ("smtp://u:secret@host?tls=1", ": a host, and nothing after it but a port."),
        ("smtp://u:secret@host:99999", "; its port must be a number up to 65535."),
        ("smtp://u:secret@host:port", "; its port must be a number up to 65535."),
    ],
)
def test_a_malformed_email_url_stops_start_up_without_showing_the_password(
    monkeypatch, url, problem
):
    with pytest.raises(ImproperlyConfigured) as refused:
        base_settings(monkeypatch, EMAIL_URL=url)

    assert str(refused.value) == (
        f"EMAIL_URL must look like smtp+tls://user:password@host:587{problem}"
    )
    assert "secret" not in str(refused.value)


def test_lockout_and_token_defaults(monkeypatch):
    for name in ("AXES_ENABLED", "AXES_FAILURE_LIMIT", "AXES_COOLOFF_MINUTES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("API_TOKEN_TTL_DAYS", raising=False)
    monkeypatch.delenv("API_TOKEN_LIMIT", raising=False)

    settings = base_settings(monkeypatch)

    assert settings["AXES_ENABLED"] is True
    assert settings["AXES_FAILURE_LIMIT"] == 10
    assert settings["AXES_COOLOFF_TIME"] == timedelta(minutes=15)
    assert settings["REST_KNOX"]["TOKEN_TTL"] == timedelta(days=30)
    assert settings["REST_KNOX"]["TOKEN_LIMIT_PER_USER"] == 10


def test_lockout_and_token_settings_are_read(monkeypatch):
    settings = base_settings(
        monkeypatch,
        AXES_ENABLED="0",
        AXES_FAILURE_LIMIT="30",
        AXES_COOLOFF_MINUTES="60",
        API_TOKEN_TTL_DAYS="7",
        API_TOKEN_LIMIT="3",
        DJANGO_TRUSTED_PROXIES="1",
    )

    assert settings["AXES_ENABLED"] is False
    assert settings["AXES_FAILURE_LIMIT"] == 30
    assert settings["AXES_COOLOFF_TIME"] == timedelta(hours=1)
    assert settings["REST_KNOX"]["TOKEN_TTL"] == timedelta(days=7)
    assert settings["REST_KNOX"]["TOKEN_LIMIT_PER_USER"] == 3
    # allauth's limits count client addresses by the API's rule.
    assert settings["ALLAUTH_TRUSTED_PROXY_COUNT"] == 1


@pytest.mark.parametrize(
    "name", ["AXES_FAILURE_LIMIT", "AXES_COOLOFF_MINUTES", "API_TOKEN_TTL_DAYS", "API_TOKEN_LIMIT"]
)
def test_lockout_and_token_counts_must_be_positive(monkeypatch, name):
    with pytest.raises(ImproperlyConfigured, match=f"^{name}='0' must be at least 1.$"):
        base_settings(monkeypatch, **{name: "0"})
