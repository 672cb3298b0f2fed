"""Root URLs: the editors' admin, accounts, the public API on one router, and the public pages."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from claims.api import views
from config import api

admin.site.site_header = "Claimtrack editors"
admin.site.site_title = "Claimtrack"
admin.site.index_title = "Curate notes, claims and arguments"

router = DefaultRouter()
router.register("videos", views.VideoViewSet, basename="video")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("arguments", views.ArgumentViewSet, basename="argument")
router.register("speakers", views.SpeakerViewSet, basename="speaker")
router.register("notes", views.NoteViewSet, basename="note")
router.register("topics", views.TopicViewSet, basename="topic")
router.register("annotations", views.AnnotationViewSet, basename="annotation")
router.register("search", views.SearchViewSet, basename="search")

# Swagger UI and Redoc style their pages with inline styles, and Redoc searches in a worker it
# makes from a blob; their scripts are this site's own (the split view loads Swagger UI's
# settings as a script file rather than inline).
docs_policy = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})

api_urls = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        docs_policy(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path("redoc/", docs_policy(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
    path("auth/", include("accounts.urls")),
    path("contributions/", include("contributions.urls")),
    *router.urls,
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1", RedirectView.as_view(url="/api/v1/", permanent=True, query_string=True)),
    path("api/v1/", include((api_urls, "api"))),
    re_path(r"^api/", api.not_found),
    path("", include("contributions.urls_pages")),
    path("", include("claims.urls")),
]
