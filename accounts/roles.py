"""Who may do what: the roles of the spec, as Django groups (made by accounts/migrations).

- contributor (group `Contributors`): every registered, active user who confirmed an e-mail
  address (added on confirmation), and the editors and superusers that commands create. To stop
  someone contributing, deactivate the account: confirming another address would otherwise put
  them back in the group.
- moderator (group `Moderators`): reviews contributions; may view, never change, content.
- editor (group `Editors`, made by claims/migrations/0002): curates everything in the admin.
- superuser: everything.

This module imports nothing of the other apps, so that any of them may ask it.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

CONTRIBUTORS = "Contributors"
MODERATORS = "Moderators"
EDITORS = "Editors"

AnyUser = AbstractBaseUser | AnonymousUser


def is_contributor(user: AnyUser | None) -> bool:
    """Whether `user` may propose contributions: active, and a contributor or a superuser."""
    return _active(user) and (user.is_superuser or _in_group(user, CONTRIBUTORS))


def is_moderator(user: AnyUser | None) -> bool:
    """Whether `user` may review contributions: active, and a moderator, editor or superuser."""
    return _active(user) and (user.is_superuser or _in_group(user, MODERATORS, EDITORS))


def is_editor(user: AnyUser | None) -> bool:
    """Whether `user` curates content: active, and an editor or a superuser."""
    return _active(user) and (user.is_superuser or _in_group(user, EDITORS))


def _active(user: AnyUser | None) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _in_group(user: AbstractBaseUser, *names: str) -> bool:
    return user.groups.filter(name__in=names).exists()
