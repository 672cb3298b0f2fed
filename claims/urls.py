"""The public reader pages, the feed and what search engines read."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from claims import views
from claims.feeds import NewClaimsFeed
from claims.sitemaps import SITEMAPS

app_name = "pages"

urlpatterns = [
    path("", views.home, name="home"),
    path("videos/<str:youtube_id>/", views.video, name="video"),
    path("claims/<int:pk>/", views.claim, name="claim"),
    path("speakers/<str:slug>/", views.speaker, name="speaker"),
    path("notes/<str:slug>/", views.note, name="note"),
    path("topics/<str:slug>/", views.topic, name="topic"),
    path("search/", views.search, name="search"),
    path("feeds/claims/", views.public_page(NewClaimsFeed()), name="feed"),
    path(
        "sitemap.xml",
        views.public_page(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap",
    ),
    path("robots.txt", views.robots_txt, name="robots"),
]
