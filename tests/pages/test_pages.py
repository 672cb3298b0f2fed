"""The public pages, read as an anonymous reader: what each shows, what none ever shows, and
how they answer addresses that name nothing."""

import json
import re
from html import unescape

import pytest
from django.test import Client

from claims import services
from claims.models import Argument, Claim, Status
from tests.api import worked_example as ex
from tests.factories import NoteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader() -> Client:
    return Client()


def text_of(response) -> str:
    """The page's visible text, tags dropped and entities decoded, spaces collapsed."""
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def json_ld_of(response) -> dict:
    (block,) = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S
    )
    return json.loads(block)


# Every page, published ------------------------------------------------------------------------


def test_home_lists_recent_claims_videos_and_topics(reader, example):
    response = reader.get("/")

    text = text_of(response)
    assert ex.CLAIM_TEXT in text
    assert ex.VIDEO_TITLE in text
    assert "AI safety" in text and "Open source" in text
    assert 'role="search"' in response.content.decode()
    assert f'href="/claims/{example.claim.pk}/"' in response.content.decode()


def test_video_page_shows_the_timeline_claims_and_argument_evidence(reader, example):
    response = reader.get(f"/videos/{ex.VIDEO_ID}/")

    html = response.content.decode()
    text = text_of(response)
    assert f"<h1>{ex.VIDEO_TITLE}</h1>" in html
    # Three marks to scale (the video lasts 3725 s): against 00:41:40, claim 00:42:05, for 00:42:14.
    marks = re.findall(
        r'<a class="timeline__mark timeline__mark--(\w+)" href="([^"]+)" data-seconds="(\d+)"', html
    )
    assert marks == [
        ("against", f"{ex.WATCH_URL}&amp;t=2500s", "2500"),
        ("claim", f"{ex.WATCH_URL}&amp;t=2525s", "2525"),
        ("for", f"{ex.WATCH_URL}&amp;t=2534s", "2534"),
    ]
    assert 'viewBox="0 0 3725 30"' in html
    # They all fall within 00:41:40–00:43:23: a zoomed strip, 10 s of margin each side.
    assert 'viewBox="2490 0 123 30"' in html
    assert "Zoomed in on 00:41:30–00:43:33" in html
    assert '<rect x="2525" y="1" width="78" height="8"/>' in html
    assert "Claim at 00:42:05: Open-sourcing AI models makes them safer" in html
    assert re.search(r"Mark Zuckerberg · 1 for ?, 1 against", text)
    assert ex.QUOTE in text
    assert f"00:41:40 Argument against {ex.AGAINST_TEXT}" in text.replace("Play from ", "")
    assert "Sign in to contribute" in text
    assert "claims/player.js" in html


def test_video_page_renders_its_notes_with_timestamps_that_seek(reader, example):
    html = reader.get(f"/videos/{ex.VIDEO_ID}/").content.decode()

    notes = html.split('id="notes-heading"')[1]
    assert re.search(
        rf'<a class="timestamp" href="{re.escape(ex.WATCH_URL)}&amp;t=2525s" data-seconds="2525"'
        r"[^>]*>00:42:05</a>",
        notes,
    )
    assert f'href="/notes/{ex.NOTE_SLUG}/"' in html
    assert '<a class="wikilink wikilink--note" href="/notes/llama_release_cadence/"' in html


def test_claim_page_shows_appearances_and_arguments_side_by_side(reader, example):
    response = reader.get(f"/claims/{example.claim.pk}/")

    html = response.content.decode()
    text = text_of(response)
    assert f"<h1>{ex.CLAIM_TEXT}</h1>" in html
    assert "1 argument for and 1 against" in text
    assert '<rect class="balance__for" x="0" y="0" width="50" height="6"/>' in html
    for_side, against_side = re.findall(r'<section class="arguments__side.*?</section>', html, re.S)
    assert ex.FOR_TEXT in for_side and ex.AGAINST_TEXT not in for_side
    assert ex.AGAINST_TEXT in against_side
    assert f'href="{ex.WATCH_URL}&amp;t=2534s">00:42:14–00:42:41</a>' in for_side
    assert f'href="{ex.AGAINST_SOURCE}" rel="nofollow noopener">example.org</a>' in against_side
    assert ex.DRAFT_ARGUMENT_TEXT not in html
    assert "This claim was retracted" not in text
    assert "Sign in to contribute" in text


def test_claim_page_embeds_the_apis_claim_review(reader, example):
    response = reader.get(f"/claims/{example.claim.pk}/")

    review = json_ld_of(response)
    assert review == reader.get(f"/api/v1/claims/{example.claim.pk}/?format=jsonld").json()
    assert review["url"] == f"http://testserver/claims/{example.claim.pk}/"


def test_an_argument_resting_on_a_claim_links_it_with_its_balance(reader, example):
    premise = ex.build_published_claim(
        "Open code gets more reviewers", example.video, start_seconds=9
    )
    services.argument_create(
        claim=premise, stance="against", text="Nobody reads it", source_url="https://a.example"
    )
    services.argument_publish(argument=premise.arguments.get(), actor=None)
    example.argument_for.premise = premise
    example.argument_for.save()

    html = reader.get(f"/claims/{example.claim.pk}/").content.decode()

    assert (
        f'Rests on the claim <a href="/claims/{premise.pk}/">Open code gets more reviewers</a>'
    ) in html
    assert "(0 for, 1 against)" in html


def test_a_premise_that_is_not_published_is_not_shown(reader, example):
    example.argument_for.premise = example.draft_claim
    example.argument_for.save()

    html = reader.get(f"/claims/{example.claim.pk}/").content.decode()
    api = reader.get(f"/api/v1/claims/{example.claim.pk}/").json()

    assert ex.DRAFT_CLAIM_TEXT not in html
    assert "Rests on the claim" not in html
    assert api["arguments_for"][0]["premise"] is None


def test_speaker_page_lists_their_claims_with_links_to_each_moment(reader, example):
    response = reader.get("/speakers/mark_zuckerberg/")

    html = response.content.decode()
    assert "<h1>Mark Zuckerberg</h1>" in html
    assert f'href="{ex.WATCH_URL}&amp;t=2525s">00:42:05</a>' in html
    assert f'href="/claims/{example.claim.pk}/">{ex.CLAIM_TEXT}</a>' in html
    # The draft claim (00:01:40) is his too, and is not shown.
    assert ex.DRAFT_CLAIM_TEXT not in html
    assert "1 published claim made" in text_of(response)


def test_note_page_renders_the_note_with_links_to_pages_and_its_backlinks(reader, example):
    response = reader.get(f"/notes/{ex.NOTE_SLUG}/")

    html = response.content.decode()
    assert f"<h1>{ex.NOTE_TITLE}</h1>" in html
    assert re.search(
        rf'<a class="timestamp" href="{re.escape(ex.WATCH_URL)}&amp;t=2525s" data-seconds="2525"'
        r"[^>]*>00:42:05</a>",
        html,
    )
    assert '<a class="wikilink wikilink--note" href="/notes/llama_release_cadence/"' in html
    assert '<a class="wikilink wikilink--channel" href="/topics/cleoabram/"' in html
    assert f'<a class="wikilink wikilink--topic" href="/topics/{ex.UNRESOLVED_SLUG}/"' in html
    backlinks = html.split('id="backlinks-heading"')[1]
    assert f'href="/notes/{ex.COMPANION_SLUG}/">{ex.COMPANION_TITLE}</a>' in backlinks


def test_topic_page_lists_its_published_claims_and_the_notes_linking_to_it(reader, example):
    text = text_of(reader.get("/topics/open_source/"))

    assert ex.CLAIM_TEXT in text
    assert ex.DRAFT_CLAIM_TEXT not in text


def test_unresolved_topic_page_lists_the_notes_linking_to_it(reader, example):
    response = reader.get(f"/topics/{ex.UNRESOLVED_SLUG}/")

    assert "<h1>Advantages and risks of ai technology</h1>" in response.content.decode()
    assert ex.NOTE_TITLE in text_of(response)


def test_channel_topic_page_lists_the_channels_videos(reader, example):
    response = reader.get("/topics/cleoabram/")

    assert f'href="/videos/{ex.VIDEO_ID}/">{ex.VIDEO_TITLE}</a>' in response.content.decode()


def test_topic_page_of_a_note_slug_is_the_notes_page(reader, example):
    response = reader.get(f"/topics/{ex.NOTE_SLUG}/")

    assert response.status_code == 302
    assert response["Location"] == f"/notes/{ex.NOTE_SLUG}/"


def test_search_page_marks_matches_and_pages_results(reader, example):
    response = reader.get("/search/?q=safer")

    html = response.content.decode()
    assert "Open-sourcing AI models makes them <mark>safer</mark>" in html
    assert f'href="/claims/{example.claim.pk}/"' in html


def test_search_page_says_a_claim_was_found_through_an_argument(reader, example):
    response = reader.get("/search/?q=malicious&type=claim")

    text = text_of(response)
    assert "Found through an argument about this claim:" in text
    assert "<mark>malicious</mark>" in response.content.decode()


def test_search_page_pages_through_many_results(
    reader, example, django_capture_on_commit_callbacks
):
    # The search index is refreshed as a transaction commits (PostgreSQL).
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(25):
            ex.build_published_claim(f"Zeppelin claim {n}", example.video, start_seconds=n)

    first = reader.get("/search/?q=zeppelin")
    second = reader.get("/search/?q=zeppelin&page=2")

    assert "25 results for “zeppelin”" in text_of(first)
    assert 'href="?q=zeppelin&amp;page=2"' in first.content.decode()
    assert second.content.decode().count('class="result result--claim"') == 5


@pytest.mark.parametrize(
    ("q", "says"),
    [
        ("", "What to search for"),
        ("   ", "What to search for"),
        ("zzzzqqq", "Nothing found for “zzzzqqq”"),
        ("\x00", "What to search for"),
        ('"unbalanced or -- ((( ', "Nothing found"),
        ("x" * 301, "That search is too long"),
        ("safer", "2 results for “safer”"),
    ],
)
def test_search_page_answers_empty_and_absurd_queries_helpfully(reader, example, q, says):
    response = reader.get("/search/", {"q": q, "page": "not-a-number"})

    assert says in text_of(response)


# Retracted, draft, unknown --------------------------------------------------------------------


def test_retracted_claim_page_answers_with_a_banner_and_its_reason(reader, example):
    response = reader.get(f"/claims/{example.retracted.pk}/")

    text = text_of(response)
    assert "This claim was retracted" in text
    assert ex.RETRACTION_REASON in text
    assert "Plateau argument." not in text
    assert "application/ld+json" not in response.content.decode()
    assert "<title>Retracted: " in response.content.decode()


def test_merged_claim_page_links_the_claim_it_was_merged_into(reader, example):
    html = reader.get(f"/claims/{example.merged.pk}/").content.decode()

    assert f'It was merged into <a href="/claims/{example.claim.pk}/">{ex.CLAIM_TEXT}</a>' in html


@pytest.mark.parametrize(
    "url",
    [
        "/claims/{draft}/",
        "/claims/999999/",
        "/claims/abc/",
        "/videos/nonexistent/",
        "/speakers/nobody/",
        # Named only on a retracted claim.
        "/speakers/cleo_abram/",
        "/notes/no_such_note/",
        "/topics/nothing_links_here/",
        "/no/such/page/",
    ],
)
def test_unknown_or_draft_addresses_answer_the_friendly_404(reader, example, url):
    response = reader.get(url.format(draft=example.draft_claim.pk))

    assert response.status_code == 404
    html = response.content.decode()
    assert "Nothing public here" in html
    assert 'href="/static/claims/site.css"' in html
    assert ex.DRAFT_CLAIM_TEXT not in html
    assert "ETag" not in response


def test_the_500_page_renders_without_a_request(example):
    from django.template import loader

    html = loader.get_template("500.html").render()

    assert "Something went wrong on our side" in html


def test_the_403_page_is_in_the_sites_style(reader, example):
    from django.template import loader

    html = loader.get_template("403.html").render({}, None)

    assert "Not for this account" in html and "claims/site.css" in html


# Hostile content ------------------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_hostile_text_is_escaped_on_every_page(reader, example, django_capture_on_commit_callbacks):
    example.claim.text = f"Claim {HOSTILE}"
    with django_capture_on_commit_callbacks(execute=True):
        example.claim.save()
    example.zuckerberg.name = f"Mark {HOSTILE}"
    example.zuckerberg.save()
    example.argument_for.text = f"Reason {HOSTILE}"
    example.argument_for.save()
    example.video.title = f"Video {HOSTILE}"
    example.video.save()

    for url in [
        "/",
        f"/videos/{ex.VIDEO_ID}/",
        f"/claims/{example.claim.pk}/",
        "/speakers/mark_zuckerberg/",
        "/search/?q=claim",
        "/topics/open_source/",
        f"/notes/{ex.NOTE_SLUG}/",
    ]:
        html = reader.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url


def test_hostile_text_cannot_close_the_json_ld_block(reader, example):
    example.claim.text = "</script><script>alert(1)</script>"
    example.claim.save()

    response = reader.get(f"/claims/{example.claim.pk}/")

    assert response.content.decode().count("</script>") == 1
    assert json_ld_of(response)["claimReviewed"] == "</script><script>alert(1)</script>"


def test_hostile_note_renders_without_script_handlers_or_javascript_links(reader, example):
    NoteFactory(
        title="Hostile note",
        slug="hostile_note",
        video=example.video,
        body_markdown=(
            '<script>alert(1)</script> <a href="javascript:alert(2)">x</a> '
            '<b onclick="alert(3)">bold</b> [[javascript:alert(4)|evil]] '
            '[[" onmouseover="alert(5)]] [y](javascript:alert(6))\n\n'
            'Said at [00:00:07], see [[" onmouseover="alert(7)|evil]] and [z](javascript:alert(8)).'
        ),
    )

    html = reader.get("/notes/hostile_note/").content.decode()
    body = html.split('class="note-body">')[1].split("</div>")[0]

    assert "<script" not in body
    assert "javascript:" not in "".join(re.findall(r'href="([^"]*)"', body))
    assert not re.search(r"<[^>]*\son\w+=", body)
    assert 'data-seconds="7"' in body


# HTTP: validators, the shared cache, the policy -----------------------------------------------

PAGES = [
    "/",
    f"/videos/{ex.VIDEO_ID}/",
    "/claims/{claim}/",
    "/speakers/mark_zuckerberg/",
    f"/notes/{ex.NOTE_SLUG}/",
    "/topics/open_source/",
    "/search/?q=safer",
    "/sitemap.xml",
    "/feeds/claims/",
]


@pytest.fixture
def pages(example) -> list[str]:
    return [url.format(claim=example.claim.pk) for url in PAGES]


def test_pages_carry_validators_and_answer_304_when_current(reader, pages):
    for url in pages:
        first = reader.get(url)
        assert first.status_code == 200, url
        assert first["ETag"] and first["Last-Modified"], url
        assert "Cookie" in first["Vary"], url
        again = reader.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304, url
        assert again["ETag"] == first["ETag"]


def test_a_page_304_costs_one_query(reader, example, django_assert_num_queries):
    etag = reader.get("/")["ETag"]

    with django_assert_num_queries(1):
        response = reader.get("/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304


def test_a_cached_page_costs_one_query_until_the_content_changes(
    reader, example, django_assert_num_queries
):
    first = reader.get("/")

    with django_assert_num_queries(1):
        second = reader.get("/")
    services.claim_publish(claim=example.draft_claim, actor=None)
    third = reader.get("/")

    assert second.content == first.content
    assert third["ETag"] != first["ETag"]
    assert ex.DRAFT_CLAIM_TEXT in third.content.decode()


def test_a_claim_edit_moves_the_pages_showing_claims_and_leaves_a_notes_page_current(
    reader, example
):
    claim_url, note_url = f"/claims/{example.claim.pk}/", f"/notes/{ex.NOTE_SLUG}/"
    claim_etag, note_etag = reader.get(claim_url)["ETag"], reader.get(note_url)["ETag"]
    speaker_etag = reader.get("/speakers/mark_zuckerberg/")["ETag"]

    services.claim_update(claim=example.claim, changes={"text": "Edited claim."}, actor=None)

    assert reader.get(note_url, HTTP_IF_NONE_MATCH=note_etag).status_code == 304
    edited = reader.get(claim_url, HTTP_IF_NONE_MATCH=claim_etag)
    assert edited.status_code == 200
    assert "Edited claim." in edited.content.decode()
    speaker = reader.get("/speakers/mark_zuckerberg/", HTTP_IF_NONE_MATCH=speaker_etag)
    assert speaker.status_code == 200
    assert "Edited claim." in speaker.content.decode()


def test_a_logged_in_reader_is_never_served_from_nor_stored_in_the_shared_cache(
    client, example, editor, django_assert_num_queries
):
    anonymous = Client()
    anonymous.get("/")
    client.force_login(editor)

    response = client.get("/")
    etag = anonymous.get("/")["ETag"]
    conditional = client.get("/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert "ETag" not in response
    assert conditional.status_code == 200
    assert "Cookie" in response["Vary"]


def test_an_api_request_with_credentials_skips_the_shared_cache(client, example, editor):
    url = "/api/v1/claims/"
    etag = Client().get(url)["ETag"]
    client.force_login(editor)

    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    with_token = Client().get(url, HTTP_IF_NONE_MATCH=etag, HTTP_AUTHORIZATION="Token abc")

    assert response.status_code == 200
    assert "ETag" not in response
    assert with_token.status_code != 304


def test_every_response_carries_the_content_security_policy(reader, pages):
    for url in [*pages, "/claims/999999/", "/api/v1/claims/", "/robots.txt"]:
        policy = reader.get(url)["Content-Security-Policy"]
        assert "default-src 'self'" in policy, url
        assert "script-src 'self'" in policy, url
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0], url


def test_only_the_video_page_lets_youtube_in(reader, pages):
    for url in pages:
        policy = reader.get(url)["Content-Security-Policy"]
        youtube = "youtube" in policy
        assert youtube is url.startswith("/videos/"), url
    policy = reader.get(f"/videos/{ex.VIDEO_ID}/")["Content-Security-Policy"]
    assert "frame-src https://www.youtube-nocookie.com" in policy
    assert "https://www.youtube.com" in policy.split("script-src")[1].split(";")[0]


def test_pages_run_no_inline_script(reader, pages):
    for url in pages:
        html = reader.get(url).content.decode()
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        assert all('type="application/ld+json"' in attributes for attributes in inline), url
        assert not re.search(r"\son[a-z]+=", html), url
        assert "style=" not in html, url


def test_pages_have_titles_descriptions_open_graph_and_canonical_links(reader, example):
    html = reader.get(f"/claims/{example.claim.pk}/").content.decode()

    assert f"<title>{ex.CLAIM_TEXT} · Claimtrack</title>" in html
    assert '<meta name="description" content="1 arguments for and 1 against' in html
    assert f'<meta property="og:title" content="{ex.CLAIM_TEXT}">' in html
    assert '<meta property="og:type" content="article">' in html
    assert f'<link rel="canonical" href="http://testserver/claims/{example.claim.pk}/">' in html


# Discoverability ------------------------------------------------------------------------------


def test_sitemap_lists_the_public_pages_only(reader, example):
    xml = reader.get("/sitemap.xml").content.decode()

    locations = set(re.findall(r"<loc>(.*?)</loc>", xml))
    assert f"http://testserver/claims/{example.claim.pk}/" in locations
    assert f"http://testserver/videos/{ex.VIDEO_ID}/" in locations
    assert f"http://testserver/notes/{ex.NOTE_SLUG}/" in locations
    assert "http://testserver/speakers/mark_zuckerberg/" in locations
    assert "http://testserver/speakers/cleo_abram/" not in locations
    assert "http://testserver/topics/open_source/" in locations
    for hidden in (example.draft_claim, example.retracted, example.merged):
        assert f"http://testserver/claims/{hidden.pk}/" not in locations


def test_robots_txt_points_at_the_sitemap(reader, db):
    response = reader.get("/robots.txt")

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()
    assert "Disallow: /admin/" in response.content.decode()
    assert "Disallow: /contributions/" in response.content.decode()


def test_atom_feed_lists_newly_published_claims(reader, example):
    response = reader.get("/feeds/claims/")

    xml = response.content.decode()
    assert response["Content-Type"].startswith("application/atom+xml")
    assert re.findall(r"<title>(.*?)</title>", xml)[1:] == [ex.CLAIM_TEXT]
    assert f"http://testserver/claims/{example.claim.pk}/" in xml


def test_api_without_its_trailing_slash_redirects(reader, db):
    response = reader.get("/api/v1?format=json")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/?format=json"


# Visibility on every surface ------------------------------------------------------------------

#: Every status that is not published and has no page of its own (retracted has one).
HIDDEN_STATUSES = [s for s in Status.values if s not in (Status.PUBLISHED, Status.RETRACTED)]

SURFACES = [
    "/",
    f"/videos/{ex.VIDEO_ID}/",
    "/speakers/mark_zuckerberg/",
    "/topics/open_source/",
    "/topics/ai_safety/",
    "/search/?q=zebra",
    "/search/?q=plateau",
    "/search/?q=merged",
    "/feeds/claims/",
    "/sitemap.xml",
    "/api/v1/claims/",
    "/api/v1/claims/?topic=open_source",
    f"/api/v1/videos/{ex.VIDEO_ID}/",
    f"/api/v1/videos/{ex.VIDEO_ID}/annotations/",
    "/api/v1/arguments/",
    "/api/v1/search/?q=zebra",
    "/api/v1/search/?q=plateau",
    "/api/v1/topics/",
]


@pytest.mark.parametrize("status", HIDDEN_STATUSES)
def test_an_unpublished_claim_appears_on_no_surface(reader, example, status):
    Claim.objects.filter(pk=example.draft_claim.pk).update(status=status)

    for url in SURFACES:
        body = reader.get(url).content.decode()
        assert "Unreviewed zebra" not in body, url
        assert "Zebra counter-argument" not in body, url
    assert reader.get(f"/claims/{example.draft_claim.pk}/").status_code == 404
    assert reader.get(f"/api/v1/claims/{example.draft_claim.pk}/").status_code == 404


@pytest.mark.parametrize("which", ["retracted", "merged"])
def test_a_retracted_or_merged_claim_appears_only_at_its_own_address(reader, example, which):
    claim = getattr(example, which)

    for url in SURFACES:
        body = reader.get(url).content.decode()
        assert claim.text not in body, url
        assert "Plateau argument" not in body, url
    assert reader.get(f"/claims/{claim.pk}/").status_code == 200


@pytest.mark.parametrize("status", [s for s in Status.values if s != Status.PUBLISHED])
def test_an_unpublished_argument_appears_on_no_surface(reader, example, status):
    services.argument_create(
        claim=example.claim, stance="for", text="Quokka reason", source_url="https://q.example"
    )
    Argument.objects.filter(text="Quokka reason").update(status=status, retraction_reason="x")

    for url in [*SURFACES, f"/claims/{example.claim.pk}/", "/search/?q=quokka"]:
        assert "Quokka" not in reader.get(url).content.decode(), url


def test_the_admin_alone_may_set_style_attributes(client, example, editor):
    client.force_login(editor)

    admin = client.get(f"/admin/claims/claim/{example.claim.pk}/history/")
    page = Client().get(f"/claims/{example.claim.pk}/")

    assert "style-src-attr 'unsafe-inline'" in admin["Content-Security-Policy"]
    assert "script-src 'self'" in admin["Content-Security-Policy"]
    assert "style-src-attr" not in page["Content-Security-Policy"]
