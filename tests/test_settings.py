"""Settings read from the environment: each documented variable, and the refusal of bad values."""

import runpy

import pytest
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
