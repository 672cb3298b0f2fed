"""Settings for the API benchmark: the site's base settings, with a bare view beside the API."""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
