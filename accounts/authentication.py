"""API token authentication: django-rest-knox's, refusing malformed tokens before any query.

knox decodes the header as UTF-8 and looks the token up as given: a byte that is not UTF-8
answers 500, and a NUL reaches PostgreSQL, which refuses it, also with a 500. Here anything
that is not a token as knox writes them is a 401 without a look at the database, and so is an
expired token (knox deletes it, as it would).
"""

import re
from hmac import compare_digest

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

INVALID_TOKEN = "Invalid or expired token; create a new one at /api/v1/auth/tokens/."


class TokenAuthentication(auth.TokenAuthentication):
    """`Authorization: Token <key>`, the key that `POST /api/v1/auth/tokens/` gave out."""

    def authenticate_credentials(self, token: bytes):
        key = token.decode("latin-1")
        if not _token_pattern().fullmatch(key):
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        digest = hash_token(key)
        for candidate in AuthToken.objects.filter(
            token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH]
        ).select_related("user"):
            if compare_digest(digest, candidate.digest):
                if candidate.expiry is not None and candidate.expiry <= timezone.now():
                    candidate.delete()
                    break
                return self.validate_user(candidate)
        raise exceptions.AuthenticationFailed(INVALID_TOKEN)


def _token_pattern() -> re.Pattern:
    prefix = re.escape(knox_settings.TOKEN_PREFIX)
    return re.compile(f"{prefix}[0-9a-f]{{{knox_settings.AUTH_TOKEN_CHARACTER_LENGTH}}}")


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of this class, as drf-spectacular describes knox's."""

    target_class = "accounts.authentication.TokenAuthentication"
    name = "tokenAuth"
