"""The invariants of the data model hold in the database itself, not only in forms."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from claims.models import Appearance, Argument, Claim, Stance, Status
from notes.models import Note, Video, WikiLink
from tests.factories import (
    AppearanceFactory,
    ArgumentFactory,
    ChannelFactory,
    ClaimFactory,
    NoteFactory,
    SpeakerFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


def assert_rejected(model, **values):
    """The row cannot be written, whatever validation was skipped on the way.

    PostgreSQL refuses a value longer than its column before any constraint sees it.
    """
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        model.objects.create(**values)


@pytest.mark.parametrize(
    "youtube_id",
    ["short", "twelve_chars", "has space!!", "dollar$sign", "ünïcödé_id1", ""],
)
def test_video_rejects_malformed_youtube_id(youtube_id):
    assert_rejected(Video, youtube_id=youtube_id, title="A talk")


@pytest.mark.parametrize("youtube_id", ["oX7OduG1YmI", "-_-_-_-_-_-", "00012345678"])
def test_video_accepts_well_formed_youtube_id(youtube_id):
    video = Video.objects.create(youtube_id=youtube_id, title="A talk")
    assert Video.objects.get(pk=video.pk).youtube_id == youtube_id


def test_video_youtube_id_is_unique():
    VideoFactory(youtube_id="oX7OduG1YmI")
    assert_rejected(Video, youtube_id="oX7OduG1YmI", title="Again")


def test_video_duration_cannot_be_negative():
    assert_rejected(Video, youtube_id="oX7OduG1YmI", title="A talk", duration_seconds=-1)


def test_slugs_are_unique():
    ChannelFactory(slug="cleoabram")
    speaker = SpeakerFactory(slug="mark")
    note = NoteFactory(slug="a_note")
    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelFactory._meta.model.objects.create(slug="cleoabram", name="Other")
    with pytest.raises(IntegrityError), transaction.atomic():
        type(speaker).objects.create(slug="mark", name="Other")
    assert_rejected(Note, slug="a_note", title="Other", video=note.video)


def test_note_slug_cannot_be_empty():
    assert_rejected(Note, slug="", title="Untitled", video=VideoFactory())


def test_wikilink_is_stored_once_per_note_and_target():
    link = WikiLink.objects.create(note=NoteFactory(), target_slug="topic", label="first")
    assert_rejected(WikiLink, note=link.note, target_slug="topic", label="second")


def test_appearance_start_cannot_be_negative():
    assert_rejected(Appearance, claim=ClaimFactory(), video=VideoFactory(), start_seconds=-1)


def test_appearance_cannot_end_before_it_starts():
    assert_rejected(
        Appearance, claim=ClaimFactory(), video=VideoFactory(), start_seconds=100, end_seconds=99
    )


def test_appearance_may_end_where_it_starts():
    appearance = AppearanceFactory(start_seconds=100, end_seconds=100)
    assert appearance.end_timestamp == "00:01:40"


def test_argument_stance_must_be_for_or_against():
    assert_rejected(
        Argument,
        claim=ClaimFactory(),
        stance="maybe",
        text="Hmm.",
        source_url="https://example.org",
    )


def test_argument_needs_evidence():
    assert_rejected(Argument, claim=ClaimFactory(), stance=Stance.FOR, text="Trust me.")


def test_argument_video_evidence_needs_a_second():
    assert_rejected(
        Argument, claim=ClaimFactory(), stance=Stance.FOR, text="Watch.", video=VideoFactory()
    )


def test_argument_with_only_a_source_url_is_valid():
    argument = ArgumentFactory(video=None, start_seconds=None, source_url="https://example.org/")
    assert argument.url is None
    assert argument.timestamp is None


def test_argument_cannot_rest_on_its_own_claim():
    claim = ClaimFactory()
    assert_rejected(
        Argument,
        claim=claim,
        premise=claim,
        stance=Stance.FOR,
        text="Circular.",
        source_url="https://example.org",
    )


def test_status_must_be_known():
    assert_rejected(Claim, text="A claim.", status="hidden")


def test_retraction_needs_a_reason():
    assert_rejected(Claim, text="A claim.", status=Status.RETRACTED)
    claim = Claim.objects.create(
        text="A claim.", status=Status.RETRACTED, retraction_reason="Wrong."
    )
    assert claim.retraction_reason == "Wrong."


def test_only_retracted_claims_are_merged():
    keep = ClaimFactory()
    assert_rejected(Claim, text="Duplicate.", status=Status.PUBLISHED, merged_into=keep)


def test_constraints_are_reported_as_validation_errors_by_full_clean():
    appearance = Appearance(
        claim=ClaimFactory(), video=VideoFactory(), start_seconds=10, end_seconds=5
    )
    with pytest.raises(ValidationError) as error:
        appearance.full_clean()
    assert "The end second must be at or after the start second." in error.value.messages


def test_time_anchor_labels_and_link():
    video = VideoFactory(youtube_id="oX7OduG1YmI")
    appearance = AppearanceFactory(video=video, start_seconds=2525, end_seconds=2603)
    assert appearance.timestamp == "00:42:05"
    assert appearance.end_timestamp == "00:43:23"
    assert appearance.url == "https://www.youtube.com/watch?v=oX7OduG1YmI&t=2525s"
