"""The contribution API's routes, under /api/v1/contributions/."""

from django.urls import path

from contributions import api

urlpatterns = [
    path("", api.ContributionListCreateApi.as_view(), name="contribution-list"),
    path("<int:pk>/", api.ContributionDetailApi.as_view(), name="contribution-detail"),
    path("<int:pk>/approve/", api.ContributionApproveApi.as_view(), name="contribution-approve"),
    path("<int:pk>/reject/", api.ContributionRejectApi.as_view(), name="contribution-reject"),
    path(
        "<int:pk>/request-changes/",
        api.ContributionRequestChangesApi.as_view(),
        name="contribution-request-changes",
    ),
    path("<int:pk>/withdraw/", api.ContributionWithdrawApi.as_view(), name="contribution-withdraw"),
]
