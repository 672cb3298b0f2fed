"""Triage a freshly imported note with the keyboard alone, in Chromium.

Everything the database needs happens before Playwright starts and after it stops: Django
refuses ORM calls while Playwright's event loop runs (see tests/test_pages_browser.py).
"""

from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import sync_playwright

from claims import services
from claims.models import Appearance, Claim, Status
from notes.importer import import_vault
from notes.models import Note
from tests.factories import AppearanceFactory, EditorFactory, PublishedClaimFactory
from tests.test_pages_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PUBLISHED = ["Open models get audited by thousands of outside researchers."]
SENTENCES = [
    "Open models let researchers find bugs much sooner.",
    "Closed labs keep their safety evaluations secret from the public.",
    "Releasing weights lets small companies build their own products.",
    "Regulators cannot inspect what they are never shown.",
    "Fine-tuning removes the safety training of released models quickly.",
    # The two near an existing published claim, merged into it.
    "Open models get audited by thousands of outside researchers every day.",
    "Open models are audited by thousands of outside researchers.",
    # The rest, discarded.
    "The host laughs at the joke about the coffee machine.",
    "The next episode will be about robotics.",
    "Thanks to the sponsors of this show.",
]
NOTE = "---\ntitle: Keyboard triage\nvideoId: oX7OduG1YmI\n---\n\n" + "\n\n".join(
    f"{sentence} [00:{10 + index:02d}:00]" for index, sentence in enumerate(SENTENCES)
)


def test_an_editor_triages_a_note_with_the_keyboard_only(live_server, tmp_path: Path):
    (tmp_path / "note.md").write_text(NOTE, encoding="utf-8")
    keep = PublishedClaimFactory(text=PUBLISHED[0])
    AppearanceFactory(claim=keep)
    import_vault(
        [tmp_path],
        extract=lambda note, parsed: services.claims_extract_from_note(note=note, parsed=parsed),
    )
    note = Note.objects.get(slug="keyboard_triage")
    assert Claim.objects.drafts().count() == len(SENTENCES)
    client = Client()
    client.force_login(EditorFactory())
    session = client.cookies["sessionid"].value
    url = f"{live_server.url}/admin/claims/claim/triage/{note.pk}/"
    # One key per draft, after moving down to the first near the existing claim (whose
    # suggestions the page fetches once it is selected): two merged into the suggested claim,
    # three discarded, then, back at the top, five published.
    moves = ["j"] * 5
    keys = ["1"] * 2 + ["d"] * 3 + ["p"] * 5

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(TIMEOUT_MS)
            context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
            context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(url)
            assert (
                page.locator(".triage-draft.is-current .triage-text").inner_text() == (SENTENCES[0])
            )
            # Only the current draft's suggestions come with the page, the next one's ahead.
            loaded = page.locator(".triage-similar:not([data-loaded=false])").count()
            for key in moves:
                page.keyboard.press(key)
            current = page.locator(".triage-draft.is-current")
            assert current.locator(".triage-text").inner_text() == SENTENCES[5]
            current.locator('.triage-suggestions button[data-key="1"]').wait_for()
            fetched = current.locator(".triage-suggestions li").first.inner_text()
            for key in keys:
                with page.expect_navigation(wait_until="load"):
                    page.keyboard.press(key)
            done = page.locator(".triage-done").inner_text()
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
        finally:
            browser.close()

    assert done == "No draft left to decide in this note."
    assert errors == []
    assert loaded <= 2
    assert f"#{keep.pk} {PUBLISHED[0]}" in fetched and "alike" in fetched
    assert scroll_width <= 1280
    statuses = dict(Claim.objects.filter(text__in=SENTENCES).values_list("text", "status"))
    assert [statuses[sentence] for sentence in SENTENCES] == (
        [Status.PUBLISHED] * 5 + [Status.DISCARDED] * 5
    )
    merged = Claim.objects.filter(merged_into=keep).values_list("text", flat=True)
    assert sorted(merged) == sorted(SENTENCES[5:7])
    assert Appearance.objects.filter(claim=keep, note=note).count() == 2
    print(f"keystrokes for {len(SENTENCES)} drafts: {len(moves) + len(keys)}")
