"""Writes about accounts: roles granted, API tokens created and revoked."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken, get_digest_token
from knox.settings import CONSTANTS, knox_settings

from accounts.roles import CONTRIBUTORS


class TokenLimitReached(Exception):
    """The user already holds as many unexpired tokens as one may."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"You already hold {limit} unexpired API tokens, the most one may; "
            "revoke one before creating another."
        )
        self.limit = limit


class TokenNotFound(LookupError):
    """No unexpired token of this user has that prefix."""


@transaction.atomic
def role_grant(*, user: AbstractBaseUser, role: str) -> None:
    """Put `user` in the group of `role` (see `accounts.roles`); nothing if already there."""
    group = Group.objects.filter(name=role).first()
    if group is None:
        raise LookupError(f"There is no {role} group yet: run `manage.py migrate`.")
    user.groups.add(group)


@transaction.atomic
def email_confirm(*, user: AbstractBaseUser, email: str) -> EmailAddress:
    """Make `email` `user`'s confirmed primary address, as if they had followed the link.

    For accounts that commands create (the demo's, tests'): allauth's sign-in lets nobody in
    without a confirmed address. An active user becomes a contributor, as on confirmation.
    """
    address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
    if address is None:
        address = EmailAddress(user=user, email=email.lower())
    address.verified = True
    address.full_clean()
    address.save()
    address.set_as_primary()
    if user.is_active:
        role_grant(user=user, role=CONTRIBUTORS)
    return address


@transaction.atomic
def token_create(*, user: AbstractBaseUser) -> tuple[AuthToken, str]:
    """A new API token for `user` and its key, which exists nowhere else from now on.

    The database keeps the key's digest and its first characters (the prefix that names it in
    lists). Expired tokens are deleted first; then the user may hold at most
    `REST_KNOX["TOKEN_LIMIT_PER_USER"]` unexpired ones. The user's row is locked so that parallel
    requests count one after the other.
    """
    get_user_model().objects.select_for_update().get(pk=user.pk)
    now = timezone.now()
    user.auth_token_set.filter(expiry__lte=now).delete()
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if user.auth_token_set.count() >= limit:
        raise TokenLimitReached(limit)
    digest, key = get_digest_token()
    token = AuthToken(
        digest=digest,
        token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
        user=user,
        expiry=now + knox_settings.TOKEN_TTL,
    )
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def token_revoke(*, user: AbstractBaseUser, prefix: str) -> None:
    """Delete `user`'s token named by `prefix`; another user's is not found."""
    deleted, _ = user.auth_token_set.filter(token_key=prefix, expiry__gt=timezone.now()).delete()
    if not deleted:
        raise TokenNotFound(prefix)


@transaction.atomic
def token_revoke_all(*, user: AbstractBaseUser) -> int:
    """Delete every token of `user`; how many there were."""
    deleted, _ = user.auth_token_set.all().delete()
    return deleted
