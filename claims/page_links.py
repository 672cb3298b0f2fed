"""The public pages as other surfaces link to them: the API's rendered notes and ClaimReviews
point readers at pages, never at API addresses."""

from django.http import HttpRequest
from django.urls import reverse

from claims import linked_data
from claims.models import Claim, Stance
from notes.models import Channel, Note


def wikilink_to_page(
    slug: str, target: Note | Channel | None, *, request: HttpRequest | None = None
) -> tuple[str, str]:
    """Where a wikilink leads among the public pages, and its CSS class: a note's page, else
    the topic page of the slug (which lists a channel's videos when it names one). Absolute
    when `request` is given."""
    if isinstance(target, Note):
        kind, path = "note", reverse("pages:note", args=[slug])
    else:
        kind = "channel" if isinstance(target, Channel) else "topic"
        path = reverse("pages:topic", args=[slug])
    href = request.build_absolute_uri(path) if request is not None else path
    return href, f"wikilink wikilink--{kind}"


def claim_review(request: HttpRequest, claim: Claim) -> dict:
    """The ClaimReview of a claim from `selectors.claim_detail`, its `url` the claim's page."""
    arguments = claim.public_arguments
    return linked_data.claim_review(
        claim,
        claim_url=request.build_absolute_uri(reverse("pages:claim", args=[claim.pk])),
        appearances=claim.public_appearances,
        arguments_for=[a for a in arguments if a.stance == Stance.FOR],
        arguments_against=[a for a in arguments if a.stance == Stance.AGAINST],
    )
