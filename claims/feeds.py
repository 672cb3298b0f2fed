"""The Atom feed of newly published claims."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from claims.models import Claim

FEED_ITEMS = 50


class NewClaimsFeed(Feed):
    feed_type = Atom1Feed
    title = "Claimtrack: newly published claims"
    subtitle = "Claims made in videos, with the arguments for and against each."

    def link(self) -> str:
        return reverse("pages:home")

    def items(self):
        return (
            Claim.objects.published()
            .only("id", "text", "published_at", "updated_at")
            .order_by("-published_at", "-id")[:FEED_ITEMS]
        )

    def item_title(self, item: Claim) -> str:
        return item.text

    def item_description(self, item: Claim) -> str:
        return item.text

    def item_link(self, item: Claim) -> str:
        return reverse("pages:claim", args=[item.pk])

    def item_pubdate(self, item: Claim):
        return item.published_at

    def item_updateddate(self, item: Claim):
        return item.updated_at
