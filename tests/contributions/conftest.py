"""Fixtures of the contribution tests: public content to propose about, proposals ready-made."""

import pytest
from django.core.cache import cache

from claims.models import Status
from contributions import services
from contributions.models import Kind
from tests.factories import (
    AppearanceFactory,
    ArgumentFactory,
    PublishedClaimFactory,
    SpeakerFactory,
    TopicFactory,
    VideoFactory,
)

VIDEO = "oX7OduG1YmI"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def published_claim(db, django_capture_on_commit_callbacks):
    """A published claim made at 00:42:05 in a known video, with one published argument.

    Its search vector, which similar claims are found by on PostgreSQL, is written as on commit.
    """
    with django_capture_on_commit_callbacks(execute=True):
        claim = PublishedClaimFactory(text="Open-sourcing AI models makes them safer")
        video = VideoFactory(youtube_id=VIDEO, duration_seconds=4 * 3600)
        AppearanceFactory(claim=claim, video=video, start_seconds=2525)
        ArgumentFactory(claim=claim, video=video, status=Status.PUBLISHED)
    return claim


@pytest.fixture
def topic(db):
    return TopicFactory(slug="ai_safety", name="AI safety")


@pytest.fixture
def speaker(db):
    return SpeakerFactory(slug="mark_zuckerberg", name="Mark Zuckerberg")


def new_claim_payload(**overrides) -> dict:
    return {
        "video": "abcdefghijk",
        "start_seconds": 61,
        "end_seconds": None,
        "text": "Small models will run on every phone",
        "speaker": "",
        "quote": "",
        "topics": [],
        **overrides,
    }


@pytest.fixture
def proposal(contributor):
    """A pending new claim by `contributor`, in an unknown video."""
    return services.contribution_submit(
        author=contributor, kind=Kind.NEW_CLAIM, payload=new_claim_payload()
    )
