"""A contribution's whole journey in Chromium, without JavaScript help: a contributor proposes a
claim from a video's page, finds it in "my contributions", a moderator approves it in the
queue, and the claim's page is public. axe-core checks each new page on the way.

The browser, the tabs that reach only the live server and the demo's rows are those of
tests/test_pages_browser.py; the accounts are made before any browser starts (Django refuses
ORM calls while Playwright's event loop runs).
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.factories import ContributorFactory
from tests.test_pages_browser import (  # noqa: F401
    CHROMIUM,
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    SEED_VIDEO,
    Reader,
    browser,
    demo,
    open_reader,
)

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-test-password"
PROPOSED = "Open model weights let small labs audit frontier systems"


@pytest.fixture
def accounts(demo):  # noqa: F811 (the fixture imported above)
    """A contributor and the demo's moderator, with their passwords."""
    ContributorFactory(username="walker", password=PASSWORD)
    moderator = get_user_model().objects.get(username="moderator")
    moderator.set_password(PASSWORD)
    moderator.save(update_fields=["password"])
    return {"contributor": "walker", "moderator": "moderator"}


def log_in(reader: Reader, username: str, next_path: str) -> None:
    reader.open(f"/accounts/login/?next={next_path}")
    reader.page.locator('input[name="login"]').fill(username)
    reader.page.locator('input[name="password"]').fill(PASSWORD)
    reader.page.locator('form button[type="submit"], form input[type="submit"]').last.click()
    expect(reader.page).to_have_url(re.compile(f"{re.escape(next_path)}$"))


def assert_accessible(reader: Reader, axe: Axe, name: str, *, javascript: bool) -> None:
    """Nothing wider than the screen, a screenshot in `screenshots/`, and, where scripts run (axe
    needs them), no serious axe violation."""
    viewport = reader.page.viewport_size
    SCREENSHOTS.mkdir(exist_ok=True)
    reader.page.screenshot(
        path=SCREENSHOTS / f"{name}-{viewport['width']}x{viewport['height']}.png", full_page=True
    )
    width = reader.page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], name
    if not javascript:
        return
    results = axe.run(reader.page)
    serious = [
        f"{violation['id']}: {violation['help']}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == [], name


@pytest.mark.parametrize(
    ("viewport", "javascript"), [(DESKTOP, True), (PHONE, False)], ids=["desktop", "phone-no-js"]
)
def test_a_claim_proposed_from_a_video_is_approved_and_becomes_public(
    accounts,
    open_reader,  # noqa: F811 (the fixture imported above)
    viewport,
    javascript,
):
    axe = Axe()
    contributor = open_reader(viewport=viewport, javascript=javascript)
    log_in(contributor, accounts["contributor"], f"/videos/{SEED_VIDEO}/")

    contributor.page.get_by_role("link", name="Propose a claim made in this video").click()
    expect(contributor.page.get_by_role("heading", level=1)).to_have_text("Propose a claim")
    expect(contributor.page.get_by_label("YouTube video id")).to_have_value(SEED_VIDEO)
    assert_accessible(contributor, axe, "contribute-claim", javascript=javascript)
    contributor.page.get_by_label("The claim").fill(PROPOSED)
    contributor.page.get_by_label("When it is said").fill("00:44:10")
    contributor.page.get_by_role("button", name="Send for review").click()

    expect(contributor.page).to_have_url(re.compile(r"/contributions/\d+/$"))
    expect(contributor.page.get_by_role("status")).to_contain_text("waiting for a moderator")
    number = re.search(r"/contributions/(\d+)/$", contributor.page.url).group(1)
    contributor.page.get_by_role("link", name="My contributions").first.click()
    entry = contributor.page.locator(f"#contribution-{number}")
    expect(entry).to_contain_text(PROPOSED)
    expect(entry).to_contain_text("Pending")
    expect(entry).to_contain_text("00:44:10")
    assert_accessible(contributor, axe, "my-contributions", javascript=javascript)

    moderator = open_reader(viewport=viewport, javascript=javascript)
    log_in(moderator, accounts["moderator"], "/moderation/")
    item = moderator.page.locator(f"#contribution-{number}")
    expect(item).to_contain_text(PROPOSED)
    expect(item).to_contain_text("Proposed by walker")
    assert_accessible(moderator, axe, "moderation", javascript=javascript)
    moderator.page.get_by_role("button", name=f"Approve contribution #{number}").click()
    expect(moderator.page.get_by_role("status")).to_contain_text(
        f"Approved contribution #{number}."
    )
    expect(moderator.page.locator(f"#contribution-{number}")).to_have_count(0)

    contributor.open(f"/contributions/{number}/")
    expect(contributor.page.locator(".state")).to_have_text("Approved")
    contributor.page.get_by_role("link", name=re.compile(r"^the claim #\d+$")).click()
    expect(contributor.page).to_have_url(re.compile(r"/claims/\d+/$"))
    claim_path = contributor.page.url.removeprefix(contributor.origin)

    visitor = open_reader(viewport=viewport, javascript=javascript)
    visitor.open(claim_path)
    expect(visitor.page.get_by_role("heading", level=1)).to_have_text(PROPOSED)
    expect(visitor.page.locator(".appearances")).to_contain_text("00:44:10")
    expect(visitor.page.get_by_role("link", name="Sign in to contribute")).to_be_visible()
    for reader in (contributor, moderator, visitor):
        assert reader.refused == []
        reader.assert_clean()
