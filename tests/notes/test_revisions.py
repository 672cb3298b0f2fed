"""The content revision's deferred bump (once per block, at its end, and only inside one), and
the revisions of each kind of content, which move only when a row of theirs changes."""

import pytest
from django.db import transaction

from notes import revisions
from notes.models import ContentRevision, KindRevision
from tests.factories import (
    AppearanceFactory,
    ArgumentFactory,
    ChannelFactory,
    ClaimFactory,
    NoteFactory,
    SpeakerFactory,
    TopicFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


def number() -> int:
    return ContentRevision.objects.get().number


def test_a_deferred_block_bumps_once_as_it_ends_whatever_it_changed():
    revisions.bump()
    before = number()

    with revisions.deferred():
        ChannelFactory.create_batch(3)
        with revisions.deferred():
            ChannelFactory()
        assert number() == before
    assert number() == before + 1


def test_a_deferred_block_that_changed_nothing_bumps_nothing():
    revisions.bump()
    before = number()

    with revisions.deferred():
        pass

    assert number() == before


def test_a_deferred_block_left_by_an_exception_bumps_nothing_and_forgets_its_changes():
    revisions.bump()
    before = number()

    with pytest.raises(RuntimeError), transaction.atomic(), revisions.deferred():
        ChannelFactory()
        raise RuntimeError("rolled back")
    with revisions.deferred():
        pass

    assert number() == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_deferred_block_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside a transaction"), revisions.deferred():
        pass


# Revisions per kind -------------------------------------------------------------------------


def kind_numbers() -> dict[str, int]:
    return dict(KindRevision.objects.values_list("kind", "number"))


def moved_kinds(before: dict[str, int]) -> set[str]:
    after = kind_numbers()
    return {kind for kind in revisions.KINDS if after.get(kind) != before.get(kind)}


def test_a_bump_without_kinds_moves_every_kind_to_the_sites_number():
    revisions.bump()

    assert kind_numbers() == dict.fromkeys(revisions.KINDS, number())


def test_a_bump_moves_only_the_kinds_it_names_to_the_sites_new_number():
    revisions.bump()
    before = kind_numbers()

    revisions.bump("claims", "topics")

    assert moved_kinds(before) == {"claims", "topics"}
    assert kind_numbers()["claims"] == number() == before["claims"] + 1


def test_a_bump_of_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="Unknown kinds of content: claim"):
        revisions.bump("claim")


def test_current_of_several_kinds_is_their_latest_change():
    revisions.bump()
    revisions.bump("speakers")
    revisions.bump("claims")
    revisions.forget()

    claims, speakers = revisions.current_of(["claims"]), revisions.current_of(["speakers"])

    assert claims.number == speakers.number + 1
    assert revisions.current_of(["speakers", "claims"]) == claims
    assert revisions.current_of(["speakers", "videos"]) == speakers


def test_a_kind_that_never_changed_has_the_revision_before_any_change():
    KindRevision.objects.all().delete()
    revisions.forget()

    assert revisions.current_of(["notes"]).number == 0
    revisions.bump("notes")
    assert revisions.current_of(["notes"]).number == number()


def test_a_deferred_block_bumps_once_for_the_kinds_changed_in_it():
    video = VideoFactory()
    speaker = SpeakerFactory()
    revisions.bump()
    before = kind_numbers()

    with revisions.deferred():
        video.title = "Renamed"
        video.save()
        speaker.name = "Renamed"
        speaker.save()

    assert number() == before["videos"] + 1
    assert moved_kinds(before) == {"videos", "speakers"}


def _edit(instance) -> None:
    instance.save()


@pytest.mark.parametrize(
    "make, change, kind",
    [
        (ChannelFactory, _edit, "videos"),
        (VideoFactory, _edit, "videos"),
        (TopicFactory, _edit, "topics"),
        (NoteFactory, _edit, "notes"),
        (SpeakerFactory, _edit, "speakers"),
        (ClaimFactory, _edit, "claims"),
        (AppearanceFactory, _edit, "claims"),
        (ArgumentFactory, _edit, "arguments"),
        (
            lambda: (ClaimFactory(), TopicFactory()),
            lambda claim_and_topic: claim_and_topic[0].topics.add(claim_and_topic[1]),
            "claims",
        ),
        (SpeakerFactory, lambda speaker: speaker.delete(), "speakers"),
    ],
)
def test_a_change_to_a_row_moves_its_kind_and_no_other(make, change, kind):
    instance = make()
    revisions.bump()
    before = kind_numbers()

    change(instance)

    assert moved_kinds(before) == {kind}
