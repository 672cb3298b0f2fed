"""The whole site, plus the bare view the API's throughput is measured against."""

import os
from functools import cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns

#: Where `api_bench.py` writes the body of the API page the bare view answers with.
BARE_BODY_ENV = "BENCH_BARE_BODY"


@cache
def _bare_body() -> bytes:
    # Read on the first request, not at import: the file is the API's own answer, fetched
    # from the running server before the bare view is first asked for.
    return Path(os.environ[BARE_BODY_ENV]).read_bytes()


def bare(request: HttpRequest) -> HttpResponse:
    """A precomputed JSON body through Django's middleware: no DRF, no ORM, no database."""
    return HttpResponse(_bare_body(), content_type="application/json")


urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *site_urlpatterns]
