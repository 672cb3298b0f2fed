"""Settings for the test suite: the base settings with a fast password hasher."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Every read asks the database for the revision, so query counts are exact and a change is seen
# at once; tests of the one-second trust set it themselves.
CONTENT_REVISION_TRUST_SECONDS = 0
