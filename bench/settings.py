"""Settings for the benchmarks: the site's base settings, with bare views beside the API.

`BENCH_RESPONSE_CACHE=0` turns every cache into a dummy, so that each response is built from
scratch: the cold site, as the first reader after a change meets it.
"""

from config.settings.base import *  # noqa: F403
from config.settings.base import CACHES, env_bool

ROOT_URLCONF = "bench.urls"

if not env_bool("BENCH_RESPONSE_CACHE", True):
    CACHES = {alias: {"BACKEND": "django.core.cache.backends.dummy.DummyCache"} for alias in CACHES}
