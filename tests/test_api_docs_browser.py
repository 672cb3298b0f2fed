"""The API's Swagger UI and Redoc pages render in a real browser with no network but this site.

Chromium loads each page from pytest-django's `live_server` (which serves static files through
`django.contrib.staticfiles`, so the drf-spectacular sidecar's bundles come from this site) with
every request to any other host refused and recorded: the docs must not depend on a CDN, a font
service or a validator badge.

Debian's chromium is used (`/usr/bin/chromium`), never a browser downloaded by Playwright; CI
installs it. Each test starts and stops Playwright itself: its sync API keeps an event loop
running in the test's thread, and Django refuses ORM calls (the database flush after a
`live_server` test) while one runs.
"""

from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Response, Route, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: Long enough for a busy 2-core machine to parse the multi-megabyte Swagger and Redoc bundles
#: and render the schema: Redoc took over 5 s there while the suite ran beside it.
RENDER_TIMEOUT_MS = 30_000

# The browser context's default timeout covers navigation and actions, not `expect()`, which
# keeps its own 5 s default unless told.
expect.set_options(timeout=RENDER_TIMEOUT_MS)

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
    # As every transactional test of the suite: a plain flush after the test would let
    # post_migrate refill the content types, which the next serialized test then loads again.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class OfflinePage:
    """A browser page that may only talk to the live server; it records everything else."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.external_requests: list[str] = []
        self.failed_responses: list[str] = []
        self.script_errors: list[str] = []
        page.route("**/*", self._route)
        page.on("pageerror", lambda error: self.script_errors.append(str(error)))
        page.on("console", self._check_console)
        page.on("response", self._check_response)

    def _route(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == self.origin:
            route.continue_()
        else:
            self.external_requests.append(url)
            route.abort("blockedbyclient")

    def _check_console(self, message) -> None:
        """A script, style or worker the Content-Security-Policy refuses is an error; Redoc's
        logo from its CDN is refused on purpose (templates/drf_spectacular/redoc.html)."""
        text = message.text
        if "Content Security Policy" in text and "https://cdn.redoc.ly/" not in text:
            self.script_errors.append(text)

    def _check_response(self, response: Response) -> None:
        if response.status >= 400:
            self.failed_responses.append(f"{response.status} {response.url}")

    def open(self, path: str) -> None:
        self.page.goto(f"{self.origin}{path}", wait_until="networkidle")

    def assert_offline_and_clean(self) -> None:
        assert self.external_requests == []
        assert self.failed_responses == []
        assert self.script_errors == []


@pytest.fixture
def offline_page(live_server, tmp_path) -> Iterator[OfflinePage]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # Service workers would fetch outside the page's routes; the docs need none.
        context = browser.new_context(
            service_workers="block", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(RENDER_TIMEOUT_MS)
        page = context.new_page()
        offline = OfflinePage(page, live_server.url)
        try:
            yield offline
        finally:
            # Kept with the test's temporary files, to see what the browser saw; a browser
            # that died cannot take it, and its failure is already reported.
            with suppress(PlaywrightError):
                page.screenshot(path=tmp_path / "page.png")
            browser.close()


def test_swagger_ui_lists_the_operations_without_the_network(offline_page):
    offline_page.open("/api/v1/docs/")

    page = offline_page.page
    claims_list = page.locator(".opblock-summary-path", has_text="/api/v1/claims/").first
    expect(claims_list).to_be_visible()
    expect(page.locator(".opblock-get").first).to_be_visible()
    expect(page.locator(".info .title")).to_contain_text("Claimtrack API")
    offline_page.assert_offline_and_clean()


def test_redoc_shows_the_api_without_the_network(offline_page):
    offline_page.open("/api/v1/redoc/")

    page = offline_page.page
    expect(page.get_by_role("heading", name="Claimtrack API", level=1)).to_be_visible()
    expect(page.get_by_text("List published claims").first).to_be_attached()
    offline_page.assert_offline_and_clean()
