"""The editors' desk in Chromium: a claim's page side by side at 1280 px and usable at 390 px,
the duplicate hint as the editor types, and the claims list's video filter.

Everything the database needs happens before Playwright starts and after it stops: Django
refuses ORM calls while Playwright's event loop runs (see tests/test_pages_browser.py).
"""

import pytest
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from claims.models import Stance
from tests.factories import (
    AppearanceFactory,
    ArgumentFactory,
    EditorFactory,
    PublishedClaimFactory,
    SpeakerFactory,
    VideoFactory,
)
from tests.test_pages_browser import CHROMIUM, CHROMIUM_ARGS, PHONE, TIMEOUT_MS

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDE = {"width": 1280, "height": 900}
LONG = "A long quote that goes on and on about open models and their safety " * 4


@pytest.fixture
def desk(live_server):
    """A published claim with appearances and arguments both ways, and an editor's session."""
    video = VideoFactory(youtube_id="oX7OduG1YmI", title="Open source in AI development")
    other = VideoFactory(title="Smartphone cameras")
    speaker = SpeakerFactory(name="A speaker with a rather long name")
    claim = PublishedClaimFactory(text="Open-sourcing AI models makes them safer.")
    for second in (2525, 2600):
        AppearanceFactory(
            claim=claim, video=video, start_seconds=second, quote=LONG, speaker=speaker
        )
    AppearanceFactory(claim=PublishedClaimFactory(text="Phone lenses are tiny."), video=other)
    for stance in (Stance.FOR, Stance.AGAINST):
        ArgumentFactory(
            claim=claim,
            stance=stance,
            video=video,
            text=LONG,
            source_url="https://e.org/" + "x" * 80,
        )
    client = Client()
    client.force_login(EditorFactory())
    return {
        "origin": live_server.url,
        "session": client.cookies["sessionid"].value,
        "claim": claim.pk,
        "other": other.pk,
    }


def tab(playwright, desk, viewport):
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([{"name": "sessionid", "value": desk["session"], "url": desk["origin"]}])
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return browser, page, errors


def test_for_and_against_side_by_side_at_1280_and_stacked_at_390(desk):
    url = f"{desk['origin']}/admin/claims/claim/{desk['claim']}/change/"
    measured = {}
    with sync_playwright() as playwright:
        for name, viewport in (("wide", WIDE), ("phone", PHONE)):
            browser, page, errors = tab(playwright, desk, viewport)
            try:
                page.goto(url)
                measured[name] = {
                    "width": page.evaluate("document.documentElement.scrollWidth"),
                    "for": page.locator("#arguments-group").bounding_box(),
                    "against": page.locator("#arguments-2-group").bounding_box(),
                    # The appearances' table fits too, rather than scrolling in its box.
                    "table": page.evaluate(
                        "(() => { const box = document.querySelector("
                        "'#appearances-group .tabular');"
                        " return box.scrollWidth - box.clientWidth; })()"
                    ),
                    "errors": errors,
                }
            finally:
                browser.close()

    wide, phone = measured["wide"], measured["phone"]
    print({name: (m["width"], m["table"]) for name, m in measured.items()})
    assert wide["width"] <= WIDE["width"]
    assert wide["table"] == 0
    assert wide["for"]["y"] == wide["against"]["y"]
    assert wide["against"]["x"] >= wide["for"]["x"] + wide["for"]["width"]
    assert phone["width"] <= PHONE["width"]
    assert phone["against"]["y"] >= phone["for"]["y"] + phone["for"]["height"]
    assert wide["errors"] == phone["errors"] == []


def test_the_add_form_hints_at_duplicates_as_the_editor_types(desk):
    with sync_playwright() as playwright:
        browser, page, errors = tab(playwright, desk, WIDE)
        try:
            page.goto(f"{desk['origin']}/admin/claims/claim/add/")
            expect(page.locator(".duplicate-none")).to_be_visible()
            page.locator("#id_text").press_sequentially("Open-sourcing AI models makes them safe")
            hint = page.locator(".duplicate-hint li")
            expect(hint).to_have_count(1)
            text = hint.inner_text()
            expect(page.locator(".duplicate-none")).to_be_hidden()
        finally:
            browser.close()
    assert text.startswith(f"#{desk['claim']} Open-sourcing AI models makes them safer.")
    assert errors == []


def test_the_claims_list_filters_by_a_video_chosen_in_its_autocomplete_box(desk):
    with sync_playwright() as playwright:
        browser, page, errors = tab(playwright, desk, WIDE)
        try:
            page.goto(f"{desk['origin']}/admin/claims/claim/")
            page.locator("#changelist-filter .select2-selection").first.click()
            page.locator(".select2-search__field").fill("smartph")
            option = page.locator(".select2-results__option", has_text="Smartphone cameras")
            with page.expect_navigation():
                option.click()
            url = page.url
            listed = page.locator("#result_list tbody tr").all_inner_texts()
        finally:
            browser.close()
    assert url.endswith(f"?video={desk['other']}")
    assert len(listed) == 1 and "Phone lenses are tiny." in listed[0]
    assert errors == []


def test_a_history_page_fits_1280_and_390_whatever_its_reasons_say(desk):
    """A change reason may name a note by a slug of 60 characters and no space ("Extracted from
    note using_api_keys_to_connect_notion_…"): the history page still fits the screen, its
    table scrolling in its own box on a phone."""
    record = PublishedClaimFactory().history.first()
    record.history_change_reason = "Extracted from note " + "a_long_note_slug_" * 6
    record.save(update_fields=["history_change_reason"])
    url = f"{desk['origin']}/admin/claims/claim/{record.id}/history/"
    widths = {}
    with sync_playwright() as playwright:
        for name, viewport in (("wide", WIDE), ("phone", PHONE)):
            browser, page, errors = tab(playwright, desk, viewport)
            try:
                page.goto(url)
                expect(page.locator("#change-history")).to_contain_text("a_long_note_slug_")
                widths[name] = page.evaluate("document.documentElement.scrollWidth")
            finally:
                browser.close()
            assert errors == []
    assert widths == {"wide": WIDE["width"], "phone": PHONE["width"]}


def test_the_appearances_times_show_whole_at_1280_and_390(desk):
    """A time typed as 00:42:05 is read whole in its box, on a phone's larger font too."""
    url = f"{desk['origin']}/admin/claims/claim/{desk['claim']}/change/"
    hidden = {}
    with sync_playwright() as playwright:
        for name, viewport in (("wide", WIDE), ("phone", PHONE)):
            browser, page, errors = tab(playwright, desk, viewport)
            try:
                page.goto(url)
                # How many pixels of each time's text its box cuts off.
                hidden[name] = page.evaluate(
                    "Array.from(document.querySelectorAll('#appearances-group"
                    " input[name$=seconds]')).filter(input => input.value)"
                    ".map(input => [input.value, input.scrollWidth - input.clientWidth])"
                )
            finally:
                browser.close()
            assert errors == []
    print(hidden)
    assert ["00:42:05", 0] in hidden["wide"]
    assert hidden["phone"] == hidden["wide"] == [[value, 0] for value, _ in hidden["wide"]]
