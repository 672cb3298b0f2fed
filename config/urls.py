"""Root URLs: the editors' admin, accounts, and the public API on one router."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
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

api_urls = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("auth/", include("accounts.urls")),
    *router.urls,
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include((api_urls, "api"))),
    re_path(r"^api/", api.not_found),
    # Until the public pages exist, the front door is the editors' admin.
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
