"""sitemap.xml: every public page a search engine should know, from the public selectors."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from claims import selectors
from notes.models import Note


class HomeSitemap(Sitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["pages:home"]

    def location(self, item: str) -> str:
        return reverse(item)


class ClaimSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return selectors.claim_list().prefetch_related(None).only("id", "updated_at").order_by("id")

    def location(self, item) -> str:
        return reverse("pages:claim", args=[item.pk])

    def lastmod(self, item):
        return item.updated_at


class VideoSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return selectors.video_list().select_related(None).only("youtube_id").order_by("id")

    def location(self, item) -> str:
        return reverse("pages:video", args=[item.youtube_id])


class NoteSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Note.objects.only("slug", "updated_at").order_by("id")

    def location(self, item) -> str:
        return reverse("pages:note", args=[item.slug])

    def lastmod(self, item):
        return item.updated_at


class SpeakerSitemap(Sitemap):
    def items(self):
        return selectors.speaker_list().only("slug").order_by("id")

    def location(self, item) -> str:
        return reverse("pages:speaker", args=[item.slug])


class TopicSitemap(Sitemap):
    def items(self):
        return selectors.topic_list().only("slug")

    def location(self, item) -> str:
        return reverse("pages:topic", args=[item.slug])


SITEMAPS = {
    "home": HomeSitemap,
    "claims": ClaimSitemap,
    "videos": VideoSitemap,
    "notes": NoteSitemap,
    "speakers": SpeakerSitemap,
    "topics": TopicSitemap,
}
