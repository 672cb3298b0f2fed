"""The reader pages in a real browser: the reader's journey with and without JavaScript, notes
full of hostile markup, accessibility checked by axe-core, and screenshots at phone and desktop
sizes.

Chromium loads the pages from pytest-django's `live_server` holding the demo (`load_demo`). It
reaches nothing else: YouTube's IFrame Player API script is answered by a fake player written
below (which records every seek), the embed's frame by a blank page, and every other request
outside the site is refused and recorded. Debian's chromium is used, as in
tests/test_api_docs_browser.py, whose notes on Playwright's event loop apply here too.

Screenshots of every page type at both sizes are written to `screenshots/` in the repository
(ignored by git) by `test_every_page_type_passes_axe_at_phone_and_desktop_sizes`.
"""

import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from claims.models import Claim, Status
from notes.importer import import_vault
from notes.models import Note, Video

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: A busy 2-core machine running the suite beside the browser can be slow to render.
TIMEOUT_MS = 30_000
SCREENSHOTS = Path(settings.BASE_DIR) / "screenshots"
CORPUS = Path(settings.BASE_DIR).parent / "shared" / "corpus"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}

SEED_VIDEO = "oX7OduG1YmI"
SEED_CLAIM = "Open-sourcing AI models makes them safer"

expect.set_options(timeout=TIMEOUT_MS)

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
    # serialized_rollback: the flush after each test would drop the groups migrations made.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

#: Stands in for https://www.youtube.com/iframe_api: a player that is ready at once, records
#: each seek in `window.fakePlayer.seeks`, and reports the time it was sent to.
FAKE_PLAYER = """
window.fakePlayer = { seeks: [], played: 0, frame: null };
window.YT = {
  PlayerState: { PLAYING: 1, PAUSED: 2 },
  Player: function (frame, options) {
    var now = 0;
    window.fakePlayer.frame = frame.getAttribute("src");
    this.seekTo = function (seconds) { window.fakePlayer.seeks.push(seconds); now = seconds; };
    this.playVideo = function () {
      window.fakePlayer.played += 1;
      options.events.onStateChange({ data: 1 });
    };
    this.getCurrentTime = function () { return now; };
    setTimeout(function () { options.events.onReady({}); }, 0);
  }
};
window.onYouTubeIframeAPIReady();
"""


@dataclass
class Reader:
    """A browser tab that reaches only the live server and the fake YouTube."""

    page: Page
    origin: str
    refused: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        self.page.goto(f"{self.origin}{path}", wait_until="load")

    def assert_clean(self) -> None:
        assert self.console_errors == []
        assert self.script_errors == []
        assert self.dialogs == []


def _route(reader: Reader, route: Route) -> None:
    url = route.request.url
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" == reader.origin:
        route.continue_()
    elif url.startswith("https://www.youtube.com/iframe_api"):
        route.fulfill(body=FAKE_PLAYER, content_type="text/javascript")
    elif url.startswith("https://www.youtube-nocookie.com/embed/"):
        route.fulfill(body="<!DOCTYPE html><title>Fake player</title>", content_type="text/html")
    else:
        reader.refused.append(url)
        route.abort("blockedbyclient")


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_reader(browser, live_server, tmp_path):
    """Opens a tab: `open_reader(viewport=..., javascript=...)`."""
    contexts = []

    def open_(*, viewport: dict = DESKTOP, javascript: bool = True) -> Reader:
        context = browser.new_context(
            viewport=viewport, java_script_enabled=javascript, service_workers="block"
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        reader = Reader(page, live_server.url)
        page.route("**/*", lambda route: _route(reader, route))
        page.on(
            "console",
            lambda message: message.type == "error" and reader.console_errors.append(message.text),
        )
        page.on("pageerror", lambda error: reader.script_errors.append(str(error)))

        def dismiss(dialog) -> None:
            reader.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dismiss)
        return reader

    yield open_
    for number, context in enumerate(contexts):
        for page in context.pages:
            with suppress(Exception):
                page.screenshot(path=tmp_path / f"page-{number}.png")
        context.close()


@dataclass
class Demo:
    claim_pk: int
    #: One address of each page type, by name.
    pages: dict[str, str]


@pytest.fixture
def demo(transactional_db) -> Demo:
    """The demo's rows, read before any browser starts: Django refuses ORM calls while
    Playwright's event loop runs, so tests name this fixture before `open_reader`."""
    call_command("load_demo", password="a-long-demo-password", verbosity=0)
    claim = Claim.objects.get(text=SEED_CLAIM)
    retracted = Claim.objects.filter(status=Status.RETRACTED).first()
    note = Note.objects.order_by("slug").first()
    topic = claim.topics.order_by("slug").first()
    speaker = claim.appearances.exclude(speaker=None).first().speaker
    pages = {
        "home": "/",
        "video": f"/videos/{SEED_VIDEO}/",
        "claim": f"/claims/{claim.pk}/",
        "claim-retracted": f"/claims/{retracted.pk}/",
        "speaker": f"/speakers/{speaker.slug}/",
        "note": f"/notes/{note.slug}/",
        "topic": f"/topics/{topic.slug}/",
        "search": "/search/?q=open+models",
        "search-empty": "/search/",
        "not-found": "/claims/999999/",
    }
    return Demo(claim_pk=claim.pk, pages=pages)


# The reader's journey --------------------------------------------------------------------------


def test_reader_journey_with_javascript(demo, open_reader):
    reader = open_reader()
    reader.open("/")

    reader.page.get_by_role(
        "link", name="Open versus closed AI models in the Zuckerberg"
    ).first.click()
    expect(reader.page).to_have_url(re.compile(f"/videos/{SEED_VIDEO}/$"))
    expect(reader.page.locator("html.player-ready")).to_have_count(1)
    assert reader.page.evaluate("window.fakePlayer.frame").startswith(
        f"https://www.youtube-nocookie.com/embed/{SEED_VIDEO}?enablejsapi=1"
    )

    reader.page.get_by_role("link", name=f"Claim at 00:42:05: {SEED_CLAIM}").click()

    assert reader.page.evaluate("window.fakePlayer.seeks") == [2525]
    assert reader.page.evaluate("window.fakePlayer.played") == 1
    expect(reader.page).to_have_url(re.compile(f"/videos/{SEED_VIDEO}/$"))
    current = reader.page.locator(".moment.is-current")
    expect(current.first).to_contain_text(SEED_CLAIM)
    expect(reader.page.get_by_role("status")).to_have_text("Playing from 00:42:05.")

    # The list's timestamps seek too, and the marks answer the keyboard.
    reader.page.locator("#moments-heading ~ ol .timestamp").first.click()
    reader.page.get_by_role("link", name=re.compile("^Argument for at 00:42:14")).focus()
    reader.page.keyboard.press("Enter")
    assert reader.page.evaluate("window.fakePlayer.seeks") == [2525, 2500, 2534]

    reader.page.locator(".moment--claim").filter(has_text=SEED_CLAIM).get_by_role(
        "link", name=SEED_CLAIM
    ).click()
    expect(reader.page).to_have_url(re.compile(f"/claims/{demo.claim_pk}/$"))
    _assert_arguments_side_by_side(reader.page, side_by_side=True)
    evidence = reader.page.locator(".arguments__side--for").get_by_role(
        "link", name="00:42:14–00:42:41"
    )
    assert evidence.get_attribute("href") == (
        f"https://www.youtube.com/watch?v={SEED_VIDEO}&t=2534s"
    )
    assert reader.refused == []
    reader.assert_clean()


def test_reader_journey_without_javascript(demo, open_reader):
    reader = open_reader(viewport=PHONE, javascript=False)
    reader.open("/")

    reader.page.get_by_role(
        "link", name="Open versus closed AI models in the Zuckerberg"
    ).first.click()
    expect(reader.page).to_have_url(re.compile(f"/videos/{SEED_VIDEO}/$"))
    expect(reader.page.locator(".player__fallback")).to_be_visible()
    mark = reader.page.get_by_role("link", name=f"Claim at 00:42:05: {SEED_CLAIM}")
    assert mark.get_attribute("href") == f"https://www.youtube.com/watch?v={SEED_VIDEO}&t=2525s"

    # Without the player, a time opens YouTube at that second (refused here: no network).
    with suppress(Exception):
        mark.click(timeout=5_000)
    reader.page.wait_for_timeout(500)
    assert f"https://www.youtube.com/watch?v={SEED_VIDEO}&t=2525s" in reader.refused

    reader.open(f"/videos/{SEED_VIDEO}/")
    reader.page.locator(".moment--claim").filter(has_text=SEED_CLAIM).get_by_role(
        "link", name=SEED_CLAIM
    ).click()
    expect(reader.page).to_have_url(re.compile(f"/claims/{demo.claim_pk}/$"))
    _assert_arguments_side_by_side(reader.page, side_by_side=False)
    against = reader.page.locator(".arguments__side--against").get_by_role("link", name="00:41:40")
    assert against.get_attribute("href") == f"https://www.youtube.com/watch?v={SEED_VIDEO}&t=2500s"
    assert reader.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    reader.assert_clean()


def _assert_arguments_side_by_side(page: Page, *, side_by_side: bool) -> None:
    for_side = page.locator(".arguments__side--for")
    against_side = page.locator(".arguments__side--against")
    expect(for_side).to_contain_text("More people can inspect the code")
    expect(against_side).to_contain_text("Keeping models closed")
    left, right = for_side.bounding_box(), against_side.bounding_box()
    if side_by_side:
        assert left["x"] + left["width"] <= right["x"]
        assert abs(left["y"] - right["y"]) < 1
    else:
        assert left["y"] + left["height"] <= right["y"]


# Hostile and real notes ------------------------------------------------------------------------

HOSTILE_NOTE = """---
title: Hostile note
videoId: {video}
---
From: [[cleoabram]]

<script>alert("script tag")</script>
<img src="x" onerror="alert('onerror')">
<a href="javascript:alert('link')">a javascript link</a>
<div onmouseover="alert('hover')" style="background:url(javascript:alert(1))">hover me</div>
<iframe src="javascript:alert('frame')"></iframe>
<svg><script>alert("svg")</script></svg>

A paragraph at [00:00:07] with [[" onclick="alert('wikilink')|a hostile wikilink]],
[[javascript:alert('target')]], [label](javascript:alert('markdown')) and
<a class="timestamp" data-seconds="1" href="javascript:alert('forged')">forged</a>.
"""


@pytest.fixture
def all_notes(demo, tmp_path) -> tuple[list[str], list[str]]:
    """The corpus and a hostile note imported beside the demo: every note's slug, and every
    video with notes."""
    (tmp_path / "hostile.md").write_text(HOSTILE_NOTE.format(video=SEED_VIDEO))
    report = import_vault([CORPUS, tmp_path], extract=None)
    assert report.created >= len(list(CORPUS.glob("*.md"))), report.summary()
    slugs = list(Note.objects.order_by("slug").values_list("slug", flat=True))
    videos = Video.objects.filter(notes__isnull=False).distinct()
    return slugs, list(videos.values_list("youtube_id", flat=True))


def test_corpus_and_hostile_notes_render_with_no_dialog_script_or_console_error(
    all_notes, open_reader
):
    slugs, videos = all_notes
    reader = open_reader()

    for slug in slugs:
        reader.open(f"/notes/{slug}/")
        expect(reader.page.locator("h1")).to_be_visible()
        for link in reader.page.locator(".note-body a").all():
            href = link.get_attribute("href") or ""
            assert not href.lower().startswith("javascript:"), (slug, href)
    for youtube_id in videos:
        reader.open(f"/videos/{youtube_id}/")
        for details in reader.page.locator("details.note-excerpt").all():
            details.locator("summary").click()
        reader.page.mouse.move(10, 10)
    reader.open("/notes/hostile_note/")
    reader.page.get_by_text("hover me").hover()

    assert "hostile_note" in slugs
    hostile = ".note-body script, .note-body iframe, .note-body img, .note-body [style]"
    assert reader.page.locator(hostile).count() == 0
    reader.assert_clean()


# Accessibility and screenshots -----------------------------------------------------------------


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_every_page_type_passes_axe_at_phone_and_desktop_sizes(demo, open_reader, size):
    viewport = PHONE if size == "phone" else DESKTOP
    reader = open_reader(viewport=viewport)
    axe = Axe()
    SCREENSHOTS.mkdir(exist_ok=True)
    serious = {}

    for name, path in demo.pages.items():
        reader.open(path)
        if name == "video":
            expect(reader.page.locator("html.player-ready")).to_have_count(1)
        results = axe.run(reader.page)
        found = [
            f"{violation['id']} ({violation['impact']}): {violation['help']}"
            for violation in results.response["violations"]
            if violation["impact"] in ("serious", "critical")
        ]
        if found:
            serious[name] = found
        assert reader.page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (
            name
        )
        reader.page.screenshot(
            path=SCREENSHOTS / f"{name}-{viewport['width']}x{viewport['height']}.png",
            full_page=True,
        )

    assert serious == {}
    # The 404 page logs its own status; nothing else may complain.
    assert [error for error in reader.console_errors if "404" not in error] == []
    assert reader.script_errors == []
