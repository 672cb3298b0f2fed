"""Status transitions, merging, editing and reverting: each change checked and recorded."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from claims import services
from claims.models import Appearance, Argument, Claim, Stance, Status
from tests.factories import (
    AppearanceFactory,
    ArgumentFactory,
    ClaimFactory,
    GroundedClaimFactory,
    PublishedClaimFactory,
    TopicFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


def published(**kwargs) -> Claim:
    """A claim published through the service, with its one appearance."""
    return services.claim_publish(claim=GroundedClaimFactory(**kwargs), actor=None)


def retracted(**kwargs) -> Claim:
    return services.claim_retract(claim=published(**kwargs), actor=None, reason="Misquoted.")


def assert_unchanged(item, status: Status, versions: int) -> None:
    item.refresh_from_db()
    assert item.status == status
    assert item.history.count() == versions


# Publishing ----------------------------------------------------------------------------------


def test_publish_draft_records_actor_and_transition(editor):
    claim = GroundedClaimFactory()

    services.claim_publish(claim=claim, actor=editor)

    claim.refresh_from_db()
    assert claim.status == Status.PUBLISHED
    assert claim.published_at is not None
    latest = claim.history.latest()
    assert latest.history_user == editor
    assert latest.history_change_reason == "draft → published"


def test_publish_without_an_appearance_is_refused(editor):
    claim = ClaimFactory()

    with pytest.raises(services.TransitionError) as refused:
        services.claim_publish(claim=claim, actor=editor)

    assert str(refused.value) == (
        f"Claim #{claim.pk} has no appearance: add where and when it was made before it can be "
        "published."
    )
    assert_unchanged(claim, Status.DRAFT, 1)
    assert claim.published_at is None


def test_publish_twice_is_refused_and_changes_nothing(editor):
    claim = published()
    versions = claim.history.count()

    with pytest.raises(services.TransitionError) as refused:
        services.claim_publish(claim=claim, actor=editor)

    assert str(refused.value) == (
        f"Claim #{claim.pk} is published; only a draft claim can be published."
    )
    assert_unchanged(claim, Status.PUBLISHED, versions)


def test_publish_does_not_restore_a_retracted_claim(editor):
    claim = retracted()
    versions = claim.history.count()

    with pytest.raises(services.TransitionError) as refused:
        services.claim_publish(claim=claim, actor=editor)

    assert str(refused.value) == (
        f"Claim #{claim.pk} is retracted; only a draft claim can be published: "
        "restore it instead, with a reason."
    )
    assert_unchanged(claim, Status.RETRACTED, versions)


# Retracting, restoring, discarding ------------------------------------------------------------


def test_retract_requires_a_reason(editor):
    claim = published()
    with pytest.raises(services.TransitionError, match="Say why the claim is retracted"):
        services.claim_retract(claim=claim, actor=editor, reason="  ")
    claim.refresh_from_db()
    assert claim.status == Status.PUBLISHED


def test_a_draft_cannot_be_retracted(editor):
    claim = GroundedClaimFactory()

    with pytest.raises(services.TransitionError) as refused:
        services.claim_retract(claim=claim, actor=editor, reason="Not a claim.")

    assert str(refused.value) == (
        f"Claim #{claim.pk} is draft; only a published claim can be retracted: "
        "discard a draft instead."
    )
    assert_unchanged(claim, Status.DRAFT, 1)
    assert claim.retraction_reason == ""


def test_retract_then_restore_with_its_own_reason(editor):
    claim = published()

    services.claim_retract(claim=claim, actor=editor, reason="Misquoted.")
    claim.refresh_from_db()
    assert (claim.status, claim.retraction_reason) == (Status.RETRACTED, "Misquoted.")
    assert claim.history.latest().history_change_reason == "published → retracted: Misquoted."
    first_published = claim.published_at

    services.claim_restore(claim=claim, actor=editor, reason="The quote was right after all.")

    claim.refresh_from_db()
    assert (claim.status, claim.retraction_reason) == (Status.PUBLISHED, "")
    assert claim.published_at == first_published
    latest = claim.history.latest()
    assert latest.history_user == editor
    assert latest.history_change_reason == ("retracted → published: The quote was right after all.")


def test_restore_requires_a_reason_and_a_retracted_claim(editor):
    claim = retracted()
    versions = claim.history.count()
    with pytest.raises(services.TransitionError, match="Say why the claim is restored"):
        services.claim_restore(claim=claim, actor=editor, reason=" ")
    assert_unchanged(claim, Status.RETRACTED, versions)

    draft = GroundedClaimFactory()
    with pytest.raises(services.TransitionError) as refused:
        services.claim_restore(claim=draft, actor=editor, reason="Why not.")
    assert str(refused.value) == (
        f"Claim #{draft.pk} is draft; only a retracted claim can be restored: publish it instead."
    )
    assert_unchanged(draft, Status.DRAFT, 1)


def test_restore_needs_an_appearance(editor):
    claim = retracted()
    other = published()
    services.appearance_update(
        appearance=claim.appearances.get(), changes={"claim": other}, actor=editor
    )
    versions = claim.history.count()

    with pytest.raises(services.TransitionError, match=r"has no appearance: .* be restored"):
        services.claim_restore(claim=claim, actor=editor, reason="Back.")

    assert_unchanged(claim, Status.RETRACTED, versions)


def test_discard_a_draft_keeps_it_with_the_reason_in_its_history(editor):
    claim = GroundedClaimFactory()

    services.claim_discard(claim=claim, actor=editor, reason="A heading, not a claim.")

    claim.refresh_from_db()
    assert (claim.status, claim.retraction_reason, claim.published_at) == (
        Status.DISCARDED,
        "",
        None,
    )
    latest = claim.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (
        editor,
        "draft → discarded: A heading, not a claim.",
    )
    assert claim.appearances.count() == 1


@pytest.mark.parametrize("move", ["publish", "restore", "retract", "discard"])
def test_a_discarded_draft_stays_discarded(editor, move):
    claim = GroundedClaimFactory()
    services.claim_discard(claim=claim, actor=editor)
    reason = {"reason": "Because."} if move in ("restore", "retract") else {}

    with pytest.raises(services.TransitionError, match=f"Claim #{claim.pk} is discarded; only"):
        getattr(services, f"claim_{move}")(claim=claim, actor=editor, **reason)

    assert_unchanged(claim, Status.DISCARDED, 2)


def test_a_published_claim_cannot_be_discarded(editor):
    claim = published()

    with pytest.raises(services.TransitionError) as refused:
        services.claim_discard(claim=claim, actor=editor)

    assert str(refused.value) == (
        f"Claim #{claim.pk} is published; only a draft claim can be discarded: "
        "retract it instead, with a reason."
    )


def test_argument_moves_follow_the_same_machine(editor):
    argument = ArgumentFactory()
    with pytest.raises(services.TransitionError, match="only a published argument can be"):
        services.argument_retract(argument=argument, actor=editor, reason="No.")

    services.argument_publish(argument=argument, actor=editor)
    services.argument_retract(argument=argument, actor=editor, reason="Source withdrawn.")
    argument.refresh_from_db()
    assert (argument.status, argument.retraction_reason) == (Status.RETRACTED, "Source withdrawn.")

    with pytest.raises(services.TransitionError, match="restore it instead"):
        services.argument_publish(argument=argument, actor=editor)
    services.argument_restore(argument=argument, actor=editor, reason="Source is back.")
    argument.refresh_from_db()
    assert (argument.status, argument.retraction_reason) == (Status.PUBLISHED, "")
    assert argument.history.latest().history_change_reason == (
        "retracted → published: Source is back."
    )

    draft = ArgumentFactory()
    services.argument_discard(argument=draft, actor=editor, reason="Off topic.")
    draft.refresh_from_db()
    assert draft.status == Status.DISCARDED
    with pytest.raises(services.TransitionError, match="is discarded; only a draft"):
        services.argument_publish(argument=draft, actor=editor)


def test_a_published_argument_rests_on_a_public_premise(editor):
    draft_premise = GroundedClaimFactory(text="A draft premise.")
    argument = ArgumentFactory(claim=published(), premise=draft_premise)

    with pytest.raises(ValidationError) as refused:
        services.argument_publish(argument=argument, actor=editor)
    assert refused.value.message_dict == {
        "premise": [
            f"Claim #{draft_premise.pk}, the premise, is draft: a published argument rests on "
            "a published claim."
        ]
    }
    assert_unchanged(argument, Status.DRAFT, 1)

    services.claim_publish(claim=draft_premise, actor=editor)
    services.argument_publish(argument=argument, actor=editor)
    with pytest.raises(ValidationError, match="the premise, is draft"):
        services.argument_update(
            argument=argument, changes={"premise": GroundedClaimFactory()}, actor=editor
        )
    argument.refresh_from_db()
    assert argument.premise == draft_premise


# Merging -------------------------------------------------------------------------------------


def test_merge_moves_everything_retracts_published_duplicates_and_discards_drafts(editor):
    keep = published(text="Open models are safer.")
    duplicate = published(text="Open-source AI is safer.")
    draft_duplicate = ClaimFactory(text="Opening models makes them safer.")
    appearance = duplicate.appearances.get()
    draft_appearance = AppearanceFactory(claim=draft_duplicate, start_seconds=2603)
    argument = ArgumentFactory(claim=duplicate, stance=Stance.AGAINST)
    draft_published_argument = services.argument_publish(
        argument=ArgumentFactory(claim=draft_duplicate), actor=editor
    )
    resting_on_duplicate = ArgumentFactory(claim=published(), premise=duplicate)
    topic = TopicFactory(slug="ai_safety")
    duplicate.topics.add(topic)

    services.claim_merge(keep=keep, duplicates=[duplicate, draft_duplicate], actor=editor)

    assert set(keep.appearances.all()) == {keep.appearances.first(), appearance, draft_appearance}
    assert keep.appearances.count() == 3
    assert set(keep.arguments.all()) == {argument, draft_published_argument}
    assert list(keep.topics.all()) == [topic]
    resting_on_duplicate.refresh_from_db()
    assert resting_on_duplicate.premise == keep
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into, duplicate.retraction_reason) == (
        Status.RETRACTED,
        keep,
        f"Merged into claim #{keep.pk}",
    )
    draft_duplicate.refresh_from_db()
    assert (draft_duplicate.status, draft_duplicate.merged_into) == (Status.DISCARDED, keep)
    assert draft_duplicate.history.latest().history_change_reason == (
        f"draft → discarded: Merged into claim #{keep.pk}"
    )
    assert keep.history.latest().history_change_reason.startswith(
        f"Merged in claims #{duplicate.pk} (published), #{draft_duplicate.pk} (draft): "
    )
    assert appearance.history.latest().history_user == editor


def test_merge_records_in_the_kept_claim_what_it_received_and_made_public(editor):
    keep = published()
    draft = ClaimFactory()
    first = AppearanceFactory(claim=draft)
    second = AppearanceFactory(claim=draft)
    public_argument = services.argument_publish(argument=ArgumentFactory(claim=draft), actor=editor)
    draft_argument = ArgumentFactory(claim=draft)
    versions = keep.history.count()

    services.claim_merge(keep=keep, duplicates=[draft], actor=editor)

    assert keep.history.count() == versions + 1
    latest = keep.history.latest()
    assert latest.history_user == editor
    assert latest.history_change_reason == (
        f"Merged in claim #{draft.pk} (draft): "
        f"received appearances #{first.pk}, #{second.pk}; "
        f"received arguments #{public_argument.pk}, #{draft_argument.pk}; "
        f"made public appearances #{first.pk}, #{second.pk}; "
        f"made public argument #{public_argument.pk}"
    )


def test_merge_exposure_lists_what_unpublished_duplicates_hold():
    keep = PublishedClaimFactory()
    draft = ClaimFactory()
    appearance = AppearanceFactory(claim=draft)
    public_argument = ArgumentFactory(claim=draft, status=Status.PUBLISHED)
    ArgumentFactory(claim=draft, status=Status.DRAFT)
    AppearanceFactory(claim=keep)

    exposure = services.merge_exposure(duplicates=[keep, draft])

    assert (exposure.appearances, exposure.arguments) == ([appearance], [public_argument])


def test_merge_clears_a_premise_that_would_point_at_its_own_claim(editor):
    keep = published()
    duplicate = published()
    argument = ArgumentFactory(claim=keep, premise=duplicate)

    services.claim_merge(keep=keep, duplicates=[duplicate], actor=editor)

    argument.refresh_from_db()
    assert argument.premise is None


def test_merge_refuses_to_hide_a_published_claim_behind_a_draft(editor):
    keep = ClaimFactory()
    duplicate = published()

    with pytest.raises(services.TransitionError, match="publish it first"):
        services.claim_merge(keep=keep, duplicates=[duplicate], actor=editor)

    duplicate.refresh_from_db()
    assert duplicate.status == Status.PUBLISHED
    assert duplicate.appearances.count() == 1


@pytest.mark.parametrize("which", ["keep", "duplicate"])
@pytest.mark.parametrize("status", [Status.RETRACTED, Status.DISCARDED])
def test_merge_refuses_retracted_and_discarded_claims(editor, which, status):
    claim = retracted() if status == Status.RETRACTED else GroundedClaimFactory()
    if status == Status.DISCARDED:
        services.claim_discard(claim=claim, actor=editor)
    other = published()
    keep, duplicate = (claim, other) if which == "keep" else (other, claim)

    with pytest.raises(services.TransitionError, match=f"Claim #{claim.pk} is {status}"):
        services.claim_merge(keep=keep, duplicates=[duplicate], actor=editor)

    assert other.appearances.count() == 1
    assert claim.appearances.count() == 1


def test_merge_needs_another_claim(editor):
    keep = ClaimFactory()
    with pytest.raises(services.TransitionError, match="at least one other claim"):
        services.claim_merge(keep=keep, duplicates=[keep], actor=editor)


def test_a_merged_claim_cannot_be_published_or_restored(editor):
    keep = published()
    duplicate = published()
    services.claim_merge(keep=keep, duplicates=[duplicate], actor=editor)
    AppearanceFactory(claim=duplicate)

    with pytest.raises(services.TransitionError, match="restore it instead"):
        services.claim_publish(claim=duplicate, actor=editor)
    with pytest.raises(services.TransitionError, match=f"merged into claim #{keep.pk}"):
        services.claim_restore(claim=duplicate, actor=editor, reason="Not a duplicate.")


# Editing -------------------------------------------------------------------------------------


def test_claim_update_changes_text_and_topics_in_one_history_row(editor):
    claim = published(text="Open models are safer.")
    topic = TopicFactory(slug="ai_safety")
    versions = claim.history.count()

    services.claim_update(
        claim=claim,
        changes={"text": "Open models are much safer.", "topics": [topic]},
        actor=editor,
        reason="Typo",
    )

    claim.refresh_from_db()
    assert (claim.text, list(claim.topics.all()), claim.status) == (
        "Open models are much safer.",
        [topic],
        Status.PUBLISHED,
    )
    assert claim.history.count() == versions + 1
    latest = claim.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (editor, "Typo")
    assert [row.topic for row in latest.topics.all()] == [topic]


def test_an_update_that_changes_nothing_writes_nothing(editor):
    claim = ClaimFactory(text="Same.")

    services.claim_update(claim=claim, changes={"text": "Same.", "topics": []}, actor=editor)

    assert claim.history.count() == 1


@pytest.mark.parametrize(
    "field", ["status", "retraction_reason", "published_at", "merged_into", "created_at"]
)
def test_an_update_cannot_change_a_status_field(editor, field):
    claim = ClaimFactory()

    with pytest.raises(ValueError, match=f"{field} cannot be changed by an edit"):
        services.claim_update(claim=claim, changes={field: None}, actor=editor)

    assert_unchanged(claim, Status.DRAFT, 1)


def test_an_update_is_validated(editor):
    appearance = AppearanceFactory(start_seconds=100)

    with pytest.raises(ValidationError, match="end second must be at or after"):
        services.appearance_update(appearance=appearance, changes={"end_seconds": 50}, actor=editor)

    appearance.refresh_from_db()
    assert appearance.end_seconds is None


def test_the_last_appearance_of_a_published_claim_cannot_move_away(editor):
    claim = published()
    appearance = claim.appearances.get()
    other = ClaimFactory()

    with pytest.raises(ValidationError) as refused:
        services.appearance_update(appearance=appearance, changes={"claim": other}, actor=editor)

    assert refused.value.message_dict == {
        "claim": [
            f"Claim #{claim.pk} is published and this is its only appearance: give it another "
            "appearance first, or retract it."
        ]
    }
    appearance.refresh_from_db()
    assert appearance.claim == claim


def test_an_appearance_moves_when_its_claim_keeps_another_or_is_not_published(editor):
    claim = published()
    second = AppearanceFactory(claim=claim)
    draft = ClaimFactory()

    services.appearance_update(
        appearance=second, changes={"claim": draft.pk}, actor=editor, reason="Belongs there"
    )
    services.appearance_update(
        appearance=second, changes={"claim": claim, "start_seconds": 12}, actor=editor
    )

    second.refresh_from_db()
    assert (second.claim, second.start_seconds) == (claim, 12)
    assert [row.history_change_reason for row in second.history.order_by("history_id")] == [
        None,
        "Belongs there",
        "Edited",
    ]


def test_argument_update_moves_it_to_another_claim(editor):
    argument = ArgumentFactory(text="More eyes.")
    other = ClaimFactory()

    services.argument_update(
        argument=argument, changes={"claim": other, "stance": Stance.AGAINST}, actor=editor
    )

    argument.refresh_from_db()
    assert (argument.claim, argument.stance, argument.status) == (
        other,
        Stance.AGAINST,
        Status.DRAFT,
    )
    assert argument.history.latest().history_user == editor


def test_create_services_validate_and_record(editor):
    claim = services.claim_create(text="A claim.", topics=["ai_safety"], actor=editor)
    argument = services.argument_create(
        claim=claim, stance=Stance.FOR, text="A reason.", source_url="https://example.org/"
    )
    assert [t.slug for t in claim.topics.all()] == ["ai_safety"]
    assert claim.history.latest().history_user == editor
    assert Argument.objects.get(pk=argument.pk).status == Status.DRAFT
    assert Claim.objects.drafts().count() == 1
    with pytest.raises(ValidationError):
        services.appearance_create(claim=claim, video=VideoFactory(), start_seconds=-1)


# Reverting -----------------------------------------------------------------------------------


def test_revert_restores_an_earlier_text_and_is_itself_recorded(editor):
    claim = ClaimFactory(text="Open models are safer.")
    original = claim.history.earliest()
    services.claim_update(claim=claim, changes={"text": "Open models are vandalised."}, actor=None)

    services.history_revert(record=original, actor=editor)

    claim.refresh_from_db()
    assert claim.text == "Open models are safer."
    latest = claim.history.latest()
    assert latest.history_user == editor
    assert latest.history_change_reason == (
        f"Reverted to version {original.history_id} of {original.history_date:%Y-%m-%d %H:%M:%S}"
    )
    assert claim.history.count() == 3


def test_revert_restores_content_never_a_status(editor):
    claim = GroundedClaimFactory(text="First words.")
    draft_version = claim.history.earliest()
    services.claim_publish(claim=claim, actor=editor)
    services.claim_update(claim=claim, changes={"text": "Second words."}, actor=editor)
    services.claim_retract(claim=claim, actor=editor, reason="Wrong.")
    published_at = Claim.objects.get(pk=claim.pk).published_at

    services.history_revert(record=draft_version, actor=editor)

    claim.refresh_from_db()
    assert (claim.text, claim.status, claim.retraction_reason, claim.published_at) == (
        "First words.",
        Status.RETRACTED,
        "Wrong.",
        published_at,
    )


def test_revert_never_publishes_a_draft_or_unmerges(editor):
    keep = published()
    duplicate = published(text="Duplicate words.")
    version_when_published = duplicate.history.latest()
    services.claim_merge(keep=keep, duplicates=[duplicate], actor=editor)

    services.history_revert(record=version_when_published, actor=editor)

    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (Status.RETRACTED, keep)


def test_revert_cannot_take_the_last_appearance_of_a_published_claim_away(editor):
    draft = ClaimFactory()
    appearance = AppearanceFactory(claim=draft)
    on_draft = appearance.history.latest()
    claim = ClaimFactory()
    services.appearance_update(appearance=appearance, changes={"claim": claim}, actor=editor)
    services.claim_publish(claim=claim, actor=editor)

    with pytest.raises(ValidationError, match="is published and this is its only appearance"):
        services.history_revert(record=on_draft, actor=editor)

    appearance.refresh_from_db()
    assert appearance.claim == claim


def test_revert_brings_back_a_deleted_argument_as_a_draft(editor):
    argument = ArgumentFactory(status=Status.PUBLISHED, text="More eyes.")
    pk = argument.pk
    argument.delete()
    before_deletion = Argument.history.filter(id=pk).latest().prev_record

    services.history_revert(record=before_deletion, actor=editor)

    argument = Argument.objects.get(pk=pk)
    assert (argument.text, argument.status) == ("More eyes.", Status.DRAFT)
    assert argument.history.latest().history_user == editor


def test_revert_brings_back_a_deleted_appearance(editor):
    appearance = AppearanceFactory(start_seconds=2525)
    pk = appearance.pk
    appearance.delete()
    before_deletion = Appearance.history.filter(id=pk).latest().prev_record

    services.history_revert(record=before_deletion, actor=editor)

    assert Appearance.objects.get(pk=pk).start_seconds == 2525


# Re-extraction -------------------------------------------------------------------------------

NOTE = """---
title: A triaged note
videoId: oX7OduG1YmI
---

Open models get safer as more people read them [00:42:05]. Closed models keep bad actors out
[00:41:40].{more}
"""


def test_re_extracting_a_note_does_not_bring_discarded_or_merged_drafts_back(tmp_path, editor):
    path = tmp_path / "note.md"
    path.write_text(NOTE.format(more=""), encoding="utf-8")
    call_command("import_notes", str(tmp_path), "--extract-claims", stdout=io.StringIO())
    safer = Claim.objects.get(text__startswith="Open models get safer")
    closed = Claim.objects.get(text__startswith="Closed models keep")
    services.claim_discard(claim=safer, actor=editor)
    keep = published(text="Closing models keeps them from bad actors.")
    services.claim_merge(keep=keep, duplicates=[closed], actor=editor)
    path.write_text(NOTE.format(more=" A third sentence [00:43:00]."), encoding="utf-8")

    call_command("import_notes", str(tmp_path), "--extract-claims", stdout=io.StringIO())

    assert sorted(Claim.objects.values_list("text", "status")) == sorted(
        [
            (safer.text, Status.DISCARDED),
            (closed.text, Status.DISCARDED),
            (keep.text, Status.PUBLISHED),
            ("A third sentence.", Status.DRAFT),
        ]
    )
