"""Versions: every change through the services makes the next one, and an edit based on an old
version is refused; history rows name the contribution behind a change."""

import pytest
from django.db import IntegrityError, transaction

from claims import services
from claims.models import Appearance, Argument, Claim, Speaker, Stance
from tests.factories import (
    AppearanceFactory,
    ArgumentFactory,
    ClaimFactory,
    GroundedClaimFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


def stored_version(item) -> int:
    return type(item).objects.values_list("version", flat=True).get(pk=item.pk)


def history_versions(item) -> list[int]:
    rows = item.history.order_by("history_date", "history_id")
    return list(rows.values_list("version", flat=True))


# Versions ------------------------------------------------------------------------------------


def test_a_created_item_is_at_version_one(editor):
    claim = services.claim_create(text="Open weights are safer.", actor=editor)
    appearance = services.appearance_create(
        claim=claim, video=VideoFactory(), start_seconds=12, actor=editor
    )
    argument = services.argument_create(
        claim=claim,
        stance=Stance.FOR,
        text="Many eyes.",
        source_url="https://a.test/",
        actor=editor,
    )

    assert [stored_version(item) for item in (claim, appearance, argument)] == [1, 1, 1]


def test_each_update_and_transition_makes_the_next_version(editor):
    claim = GroundedClaimFactory()
    argument = ArgumentFactory(claim=claim)
    appearance = claim.appearances.get()

    services.claim_update(claim=claim, changes={"text": "Edited once."}, actor=editor)
    services.claim_publish(claim=claim, actor=editor)
    services.claim_retract(claim=claim, actor=editor, reason="Misquoted.")
    services.claim_restore(claim=claim, actor=editor, reason="Quote checked.")
    services.appearance_update(appearance=appearance, changes={"start_seconds": 30}, actor=editor)
    services.argument_update(argument=argument, changes={"text": "Better reason."}, actor=editor)
    services.argument_publish(argument=argument, actor=editor)
    services.argument_retract(argument=argument, actor=editor, reason="Off topic.")

    assert stored_version(claim) == 5
    assert stored_version(appearance) == 2
    assert stored_version(argument) == 4
    # Each history row records the version it made.
    assert history_versions(claim) == [1, 2, 3, 4, 5]
    assert history_versions(argument)[-3:] == [2, 3, 4]


def test_a_change_to_nothing_keeps_the_version(editor):
    claim = ClaimFactory(text="Same words.")

    services.claim_update(claim=claim, changes={"text": "Same words."}, actor=editor)

    assert stored_version(claim) == 1
    assert claim.history.count() == 1


def test_a_topics_only_change_makes_the_next_version(editor):
    claim = ClaimFactory()
    services.claim_update(claim=claim, changes={"topics": []}, actor=editor)
    assert stored_version(claim) == 1

    services.claim_update(
        claim=claim, changes={"topics": [services.topic_get_or_create(slug="ai")]}, actor=editor
    )

    assert stored_version(claim) == 2


def test_a_stale_copy_still_saves_the_next_stored_version(editor):
    claim = ClaimFactory()
    stale = Claim.objects.get(pk=claim.pk)
    services.claim_update(claim=claim, changes={"text": "Changed elsewhere."}, actor=editor)

    services.claim_discard(claim=stale, actor=editor)

    assert stored_version(claim) == 3


def test_merge_makes_the_next_version_of_everything_it_moves(editor):
    keep = GroundedClaimFactory()
    duplicate = GroundedClaimFactory()
    moved = duplicate.appearances.get()
    argument = ArgumentFactory(claim=duplicate)
    resting = ArgumentFactory(claim=ClaimFactory(), premise=duplicate)

    services.claim_merge(keep=keep, duplicates=[duplicate], actor=editor, contribution_id=77)

    assert stored_version(keep) == 2
    assert stored_version(duplicate) == 2
    assert stored_version(moved) == 2
    assert stored_version(argument) == 2
    assert stored_version(resting) == 2
    for item in (keep, duplicate, moved, argument, resting):
        assert item.history.latest().contribution_id == 77


def test_a_reverted_deleted_claim_goes_on_from_its_last_version(editor):
    claim = ClaimFactory()
    services.claim_update(claim=claim, changes={"text": "Second words."}, actor=editor)
    record = claim.history.latest()
    Claim.objects.filter(pk=claim.pk).delete()

    services.history_revert(record=record, actor=editor)

    assert stored_version(claim) == 3


# Conflicts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "update", "changes"),
    [
        (ClaimFactory, services.claim_update, {"text": "Mine."}),
        (AppearanceFactory, services.appearance_update, {"start_seconds": 99}),
        (ArgumentFactory, services.argument_update, {"text": "Mine."}),
    ],
)
def test_an_update_based_on_an_old_version_is_refused_and_changes_nothing(
    editor, make, update, changes
):
    item = make()
    name = item._meta.model_name
    first = {"claim": {"text": "Theirs."}, "appearance": {"start_seconds": 50}}.get(
        name, {"text": "Theirs."}
    )
    update(**{name: item}, changes=first, actor=editor, expected_version=1)

    with pytest.raises(services.VersionConflict) as conflict:
        update(**{name: item}, changes=changes, actor=editor, expected_version=1)

    assert conflict.value.expected == 1
    assert conflict.value.item.pk == item.pk
    assert conflict.value.item.version == 2
    assert "version 2" in str(conflict.value) and "version 1" in str(conflict.value)
    item.refresh_from_db()
    assert item.version == 2
    for field, value in first.items():
        assert getattr(item, field) == value
    assert item.history.count() == 2


def test_an_update_based_on_the_current_version_is_applied(editor):
    claim = ClaimFactory()
    services.claim_update(claim=claim, changes={"text": "Second."}, actor=editor)

    services.claim_update(claim=claim, changes={"text": "Third."}, actor=editor, expected_version=2)

    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("Third.", 3)


def test_a_stale_edit_that_would_change_nothing_is_refused_too(editor):
    claim = ClaimFactory(text="Words.")
    services.claim_update(claim=claim, changes={"text": "Other words."}, actor=editor)

    with pytest.raises(services.VersionConflict):
        services.claim_update(
            claim=claim, changes={"text": "Other words."}, actor=editor, expected_version=1
        )


def test_a_transition_counts_as_a_change_for_the_next_edit(editor):
    claim = GroundedClaimFactory()
    services.claim_publish(claim=claim, actor=editor)

    with pytest.raises(services.VersionConflict):
        services.claim_update(
            claim=claim, changes={"text": "Edit."}, actor=editor, expected_version=1
        )


# Contributions in the history ----------------------------------------------------------------


def test_every_service_records_the_contribution_on_its_history_row(editor):
    video = VideoFactory()
    claim = services.claim_create(text="A claim.", actor=editor, contribution_id=1)
    appearance = services.appearance_create(
        claim=claim, video=video, start_seconds=5, actor=editor, contribution_id=2
    )
    services.claim_update(claim=claim, changes={"text": "B."}, actor=editor, contribution_id=3)
    services.appearance_update(
        appearance=appearance, changes={"start_seconds": 6}, actor=editor, contribution_id=4
    )
    services.claim_publish(claim=claim, actor=editor, contribution_id=5)
    argument = services.argument_create(
        claim=claim,
        stance=Stance.AGAINST,
        text="No.",
        source_url="https://a.test/",
        actor=editor,
        contribution_id=6,
    )
    services.argument_update(
        argument=argument, changes={"text": "No!"}, actor=editor, contribution_id=7
    )
    services.argument_publish(argument=argument, actor=editor, contribution_id=8)
    services.argument_retract(argument=argument, actor=editor, reason="R.", contribution_id=9)
    services.argument_restore(argument=argument, actor=editor, reason="R.", contribution_id=10)
    services.claim_retract(claim=claim, actor=editor, reason="R.", contribution_id=11)
    services.claim_restore(claim=claim, actor=editor, reason="R.", contribution_id=12)
    draft = services.argument_create(
        claim=claim, stance=Stance.FOR, text="Yes.", source_url="https://a.test/", actor=editor
    )
    services.argument_discard(argument=draft, actor=editor, contribution_id=13)
    other = services.claim_create(text="Other.", actor=editor)
    services.claim_discard(claim=other, actor=editor, contribution_id=14)
    speaker = services.speaker_get_or_create(name="Ada Lovelace", actor=editor, contribution_id=15)

    def stamps(item) -> list:
        rows = item.history.order_by("history_date", "history_id")
        return list(rows.values_list("contribution_id", flat=True))

    assert stamps(claim) == [1, 3, 5, 11, 12]
    assert stamps(appearance) == [2, 4]
    assert stamps(argument) == [6, 7, 8, 9, 10]
    assert stamps(draft) == [None, 13]
    assert stamps(other) == [None, 14]
    assert stamps(speaker) == [15]


def test_a_change_without_a_contribution_records_none_after_one_with(editor):
    claim = services.claim_create(text="A claim.", actor=editor, contribution_id=1)

    services.claim_update(claim=claim, changes={"text": "Edited."}, actor=editor)

    assert claim.history.latest().contribution_id is None


def test_items_made_without_the_services_start_at_version_one():
    assert Claim().version == Appearance().version == Argument().version == 1
    assert not hasattr(Speaker(), "version")


def test_the_database_refuses_version_zero():
    claim = ClaimFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(version=0)
