"""What every page's navigation asks of the viewer's roles."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.roles import is_moderator


def roles(request: HttpRequest) -> dict:
    """`viewer_is_moderator`, asked of the database only when a page reads it (a signed-in
    user's navigation), once per request."""

    def ask() -> bool:
        if not hasattr(request, "viewer_is_moderator"):
            request.viewer_is_moderator = is_moderator(request.user)
        return request.viewer_is_moderator

    return {"viewer_is_moderator": SimpleLazyObject(ask)}
