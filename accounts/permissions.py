"""DRF permissions for the roles of `accounts.roles`.

A request without credentials is answered 401 (DRF does so when no authenticator accepted the
request), one whose user lacks the role 403.
"""

from rest_framework.permissions import BasePermission

from accounts.roles import is_contributor, is_moderator


class IsActiveUser(BasePermission):
    """Any logged-in user whose account is active, whatever their role."""

    message = "This account is inactive."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_active)


class IsContributor(BasePermission):
    """Contributors: active users with a confirmed e-mail address, and superusers."""

    message = "Only contributors may do this: log in with an account whose e-mail is confirmed."

    def has_permission(self, request, view) -> bool:
        return is_contributor(request.user)


class IsModerator(BasePermission):
    """Moderators, editors and superusers."""

    message = "Only moderators may do this."

    def has_permission(self, request, view) -> bool:
        return is_moderator(request.user)
