"""Reads about accounts."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone
from knox.models import AuthToken


def token_list(*, user: AbstractBaseUser) -> QuerySet[AuthToken]:
    """`user`'s unexpired API tokens, newest first."""
    return AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by(
        "-created", "token_key"
    )
