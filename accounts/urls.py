"""The API's token endpoints, under /api/v1/auth/."""

from django.urls import path, re_path

from accounts import api

urlpatterns = [
    path("tokens/", api.TokenListCreateApi.as_view(), name="token-list"),
    path("tokens/logout-all/", api.TokenRevokeAllApi.as_view(), name="token-logout-all"),
    re_path(
        rf"^tokens/(?P<prefix>{api.PREFIX_PATTERN[1:-1]})/$",
        api.TokenRevokeApi.as_view(),
        name="token-detail",
    ),
]
