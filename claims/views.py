"""The public reader pages: home, videos, claims, speakers, notes, topics and search.

Every page reads through `claims.selectors`, which decide what the public may see, and goes
through `notes.http.conditional_page`: the same ETag, Last-Modified, 304 and shared cache as the
API, for anonymous readers. Pages render with no inline script; the video page alone may load
YouTube's player (see `YOUTUBE_POLICY`).
"""

import json
from urllib.parse import urlencode

from csp.decorators import csp_update
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from claims import selectors
from claims.page_links import claim_review, wikilink_to_page
from notes import revisions, routing
from notes.http import conditional_page
from notes.models import Channel, Note
from notes.rendering import render_note_html
from notes.selectors import resolve_link_targets
from notes.services import topic_name_from_slug

#: Rows of a list page (a speaker's claims, a topic's, search results).
PAGE_SIZE = 20
#: Longer queries are refused with a message: no reader types more, and each costs the index.
SEARCH_MAX_CHARS = 300

#: The video page embeds YouTube's privacy-enhanced player through the IFrame Player API: its
#: script comes from www.youtube.com, and the player's frame from youtube-nocookie.com.
YOUTUBE_POLICY = {
    "script-src": ["https://www.youtube.com", "https://s.ytimg.com"],
    "frame-src": ["https://www.youtube-nocookie.com", "https://www.youtube.com"],
}


#: The kinds of content (`notes.revisions.KINDS`) a claim's page shows: where it was made (videos,
#: speakers), its topics, and its arguments, each with its premise's balance.
CLAIM_PAGE_KINDS = ("claims", "arguments", "speakers", "topics", "videos")


def public_page(
    view=None, *, kinds: tuple[str, ...] = revisions.KINDS, detail_of: str | None = None
):
    """A public page built from `kinds` of content (all unless said), or the detail of the
    object of kind `detail_of` its URL names: GET or HEAD only, with validators, 304s and the
    shared cache.

    What it reads, the content revision included, may come from a replica (`notes.routing`).
    """
    if view is None:
        return lambda view: public_page(view, kinds=kinds, detail_of=detail_of)
    return require_safe(
        routing.public_view(conditional_page(view, kinds=kinds, detail_of=detail_of))
    )


def render_notes(notes: list[Note]) -> dict[int, SafeString]:
    """Each note's sanitized HTML, its wikilinks pointing at the public pages, by note id.

    The notes must come with their `links` prefetched (`selectors.note_detail`): all targets
    are resolved in two queries.
    """
    targets = resolve_link_targets(link.target_slug for note in notes for link in note.links.all())
    # Safe: render_note_html sanitizes the note with nh3.
    return {
        note.pk: mark_safe(
            render_note_html(
                note.body_markdown,
                video_id=note.video.youtube_id,
                link_for=lambda slug: wikilink_to_page(slug, targets.get(slug)),
            )
        )
        for note in notes
    }


def _page(request: HttpRequest, rows, *, size: int = PAGE_SIZE) -> Page:
    """The page of `rows` that `?page=` asks for; a page number that is not one is the first,
    one past the end the last."""
    return Paginator(rows, size).get_page(request.GET.get("page"))


def _json_ld(data: dict) -> SafeString:
    """JSON for a `<script type="application/ld+json">` block: `<`, `>` and `&` escaped, so
    that no text in it can close the element."""
    text = json.dumps(data, ensure_ascii=False)
    # Safe: JSON escapes quotes and backslashes, and every character that could end the block
    # is escaped here.
    return mark_safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@public_page
def home(request: HttpRequest) -> HttpResponse:
    page = selectors.home_page()
    return TemplateResponse(request, "claims/home.html", {"page": page})


@csp_update(YOUTUBE_POLICY)
@public_page
def video(request: HttpRequest, youtube_id: str) -> HttpResponse:
    page = selectors.video_page(youtube_id)
    if page is None:
        raise Http404("No video has this YouTube id.")
    rendered = render_notes(page.notes)
    context = {
        "page": page,
        "video": page.video,
        "notes": [(note, rendered[note.pk]) for note in page.notes],
        "title": page.video.title,
        "description": f"The claims made in “{page.video.title}”, on a timeline, with the "
        "arguments for and against each.",
        "og_type": "video.other",
    }
    return TemplateResponse(request, "claims/video.html", context)


@public_page(kinds=CLAIM_PAGE_KINDS, detail_of="claims")
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    page = selectors.claim_page(pk)
    if page is None:
        raise Http404("No public claim has this id.")
    context = {
        "page": page,
        "claim": page.claim,
        "json_ld": _json_ld(claim_review(request, page.claim)) if page.is_public else None,
        "title": page.claim.text if page.is_public else f"Retracted: {page.claim.text}",
        "description": (
            f"{len(page.arguments_for)} arguments for and {len(page.arguments_against)} "
            f"against the claim “{page.claim.text}”, with where and by whom it was made."
            if page.is_public
            else f"This claim was retracted: {page.claim.retraction_reason}"
        ),
        "og_type": "article",
    }
    return TemplateResponse(request, "claims/claim.html", context)


@public_page(kinds=("speakers", "claims", "videos"))
def speaker(request: HttpRequest, slug: str) -> HttpResponse:
    person = get_object_or_404(selectors.speaker_list(), slug=slug)
    appearances = _page(request, selectors.speaker_appearances(person))
    context = {
        "speaker": person,
        "appearances": appearances,
        "title": person.name,
        "description": f"The published claims {person.name} made, across videos, with links "
        "to each moment.",
        "og_type": "profile",
    }
    return TemplateResponse(request, "claims/speaker.html", context)


# Wikilinks lead to notes, channels (the videos' kind) and topic pages named by their slugs.
@public_page(kinds=("notes", "videos"))
def note(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.note_detail().filter(slug=slug).first()
    if found is None:
        raise Http404("No note has this slug.")
    context = {
        "note": found,
        "note_html": render_notes([found])[found.pk],
        "backlinks": list(selectors.notes_linking_to(found.slug)),
        "title": found.title,
        "description": f"Notes on “{found.video.title}”, with timestamps and links.",
        "og_type": "article",
    }
    return TemplateResponse(request, "claims/note.html", context)


@public_page
def topic(request: HttpRequest, slug: str) -> HttpResponse:
    """A wikilink target's page: a topic's claims, a channel's videos, and what links to it.

    A slug that names a note is that note's page.
    """
    target = resolve_link_targets([slug]).get(slug)
    if isinstance(target, Note):
        return redirect("pages:note", slug=slug)
    topic_row = selectors.topic_named(slug)
    backlinks = list(selectors.notes_linking_to(slug))
    if target is None and topic_row is None and not backlinks:
        raise Http404("Nothing is called this and nothing links to it.")
    if topic_row is not None:
        name = topic_row.name
    elif isinstance(target, Channel):
        name = target.name
    else:
        name = topic_name_from_slug(slug)
    context = {
        "slug": slug,
        "name": name,
        "channel": target if isinstance(target, Channel) else None,
        "videos": list(selectors.video_list().filter(channel=target))
        if isinstance(target, Channel)
        else [],
        "claims": _page(request, selectors.claims_in_topic(slug).order_by("-published_at", "-id"))
        if topic_row is not None
        else None,
        "backlinks": backlinks,
        "title": name,
        "description": f"Claims and notes about {name}.",
    }
    return TemplateResponse(request, "claims/topic.html", context)


@public_page(kinds=("claims", "arguments", "notes"))
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").replace("\x00", "").strip()
    kind = request.GET.get("type") if request.GET.get("type") in ("claim", "note") else None
    context = {
        "q": q,
        "kind": kind,
        "too_long": len(q) > SEARCH_MAX_CHARS,
        "results": None,
        "pagination_query": urlencode({"q": q, **({"type": kind} if kind else {})}),
        "title": f"Search: {q}" if q else "Search",
    }
    if q and not context["too_long"]:
        context["results"] = _page(request, selectors.search(q, kind))
    return TemplateResponse(request, "claims/search.html", context)


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /search/",
        # The contributors' and moderators' pages: each asks to log in first.
        "Disallow: /contribute/",
        "Disallow: /contributions/",
        "Disallow: /moderation/",
        f"Sitemap: {request.build_absolute_uri(reverse('pages:sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
