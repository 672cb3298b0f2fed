"""The whole site, plus the bare views the API's throughput is measured against."""

import os
from functools import cache
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns

#: The folder where a benchmark writes the bodies the bare views answer with, as `<name>.json`.
BARE_DIR_ENV = "BENCH_BARE_DIR"


@cache
def _bare_body(name: str) -> bytes:
    # Read on the first request, not at import: each file is the API's own answer, fetched
    # from the running server before its bare view is first asked for.
    try:
        return (Path(os.environ[BARE_DIR_ENV]) / f"{name}.json").read_bytes()
    except (KeyError, OSError):
        raise Http404(f"no bare body {name!r}") from None


def bare(request: HttpRequest, name: str) -> HttpResponse:
    """A precomputed JSON body through Django's middleware: no DRF, no ORM, no database."""
    return HttpResponse(_bare_body(name), content_type="application/json")


urlpatterns = [path("bench/bare/<slug:name>/", bare, name="bench-bare"), *site_urlpatterns]
