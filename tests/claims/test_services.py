"""Status transitions, merging and reverting: each change checked and recorded."""

import pytest

from claims import services
from claims.models import Appearance, Argument, Claim, Stance, Status
from tests.factories import (
    AppearanceFactory,
    ArgumentFactory,
    ClaimFactory,
    PublishedClaimFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


def test_publish_draft_records_actor_and_transition(editor):
    claim = ClaimFactory()

    services.claim_publish(claim=claim, actor=editor)

    claim.refresh_from_db()
    assert claim.status == Status.PUBLISHED
    assert claim.published_at is not None
    latest = claim.history.latest()
    assert latest.history_user == editor
    assert latest.history_change_reason == "draft → published"


def test_publish_twice_is_refused_and_changes_nothing(editor):
    claim = PublishedClaimFactory()
    versions = claim.history.count()

    with pytest.raises(services.TransitionError, match="is published; it cannot become published"):
        services.claim_publish(claim=claim, actor=editor)

    assert claim.history.count() == versions


def test_retract_requires_a_reason(editor):
    claim = PublishedClaimFactory()
    with pytest.raises(services.TransitionError, match="Say why"):
        services.claim_retract(claim=claim, actor=editor, reason="  ")
    claim.refresh_from_db()
    assert claim.status == Status.PUBLISHED


def test_retract_then_restore_clears_the_reason(editor):
    claim = PublishedClaimFactory()

    services.claim_retract(claim=claim, actor=editor, reason="Misquoted.")
    claim.refresh_from_db()
    assert (claim.status, claim.retraction_reason) == (Status.RETRACTED, "Misquoted.")
    assert claim.history.latest().history_change_reason == "published → retracted: Misquoted."

    services.claim_publish(claim=claim, actor=editor)
    claim.refresh_from_db()
    assert (claim.status, claim.retraction_reason) == (Status.PUBLISHED, "")


def test_merge_moves_appearances_arguments_topics_and_retracts_duplicates(editor):
    keep = PublishedClaimFactory(text="Open models are safer.")
    duplicate = PublishedClaimFactory(text="Open-source AI is safer.")
    draft_duplicate = ClaimFactory(text="Opening models makes them safer.")
    appearance = AppearanceFactory(claim=duplicate, start_seconds=2525)
    draft_appearance = AppearanceFactory(claim=draft_duplicate, start_seconds=2603)
    argument = ArgumentFactory(claim=duplicate, stance=Stance.AGAINST)
    resting_on_duplicate = ArgumentFactory(claim=PublishedClaimFactory(), premise=duplicate)
    topic = TopicFactory(slug="ai_safety")
    duplicate.topics.add(topic)

    services.claim_merge(keep=keep, duplicates=[duplicate, draft_duplicate], actor=editor)

    assert set(keep.appearances.all()) == {appearance, draft_appearance}
    assert list(keep.arguments.all()) == [argument]
    assert list(keep.topics.all()) == [topic]
    resting_on_duplicate.refresh_from_db()
    assert resting_on_duplicate.premise == keep
    for merged in (duplicate, draft_duplicate):
        merged.refresh_from_db()
        assert merged.status == Status.RETRACTED
        assert merged.merged_into == keep
        assert merged.retraction_reason == f"Merged into claim #{keep.pk}"
    assert appearance.history.latest().history_user == editor


def test_merge_clears_a_premise_that_would_point_at_its_own_claim(editor):
    keep = PublishedClaimFactory()
    duplicate = PublishedClaimFactory()
    argument = ArgumentFactory(claim=keep, premise=duplicate)

    services.claim_merge(keep=keep, duplicates=[duplicate], actor=editor)

    argument.refresh_from_db()
    assert argument.premise is None


def test_merge_refuses_to_hide_a_published_claim_behind_a_draft(editor):
    keep = ClaimFactory()
    published = PublishedClaimFactory()
    AppearanceFactory(claim=published)

    with pytest.raises(services.TransitionError, match="publish it first"):
        services.claim_merge(keep=keep, duplicates=[published], actor=editor)

    published.refresh_from_db()
    assert published.status == Status.PUBLISHED
    assert published.appearances.count() == 1


def test_merge_needs_another_claim(editor):
    keep = ClaimFactory()
    with pytest.raises(services.TransitionError, match="at least one other claim"):
        services.claim_merge(keep=keep, duplicates=[keep], actor=editor)


def test_merged_claim_cannot_be_published_again(editor):
    keep = PublishedClaimFactory()
    duplicate = PublishedClaimFactory()
    services.claim_merge(keep=keep, duplicates=[duplicate], actor=editor)

    with pytest.raises(services.TransitionError, match=f"merged into claim #{keep.pk}"):
        services.claim_publish(claim=duplicate, actor=editor)


def test_argument_publish_and_retract(editor):
    argument = ArgumentFactory()
    services.argument_publish(argument=argument, actor=editor)
    argument.refresh_from_db()
    assert argument.status == Status.PUBLISHED

    services.argument_retract(argument=argument, actor=editor, reason="Source withdrawn.")
    argument.refresh_from_db()
    assert (argument.status, argument.retraction_reason) == (Status.RETRACTED, "Source withdrawn.")


def test_revert_restores_an_earlier_text_and_is_itself_recorded(editor):
    claim = ClaimFactory(text="Open models are safer.")
    original = claim.history.earliest()
    claim.text = "Open models are much safer."
    claim.save()

    services.history_revert(record=original, actor=editor)

    claim.refresh_from_db()
    assert claim.text == "Open models are safer."
    latest = claim.history.latest()
    assert latest.history_user == editor
    assert latest.history_change_reason.startswith("Reverted to the version of")
    assert claim.history.count() == 3


def test_revert_brings_back_a_deleted_appearance(editor):
    appearance = AppearanceFactory(start_seconds=2525)
    pk = appearance.pk
    appearance.delete()
    deletion = Appearance.history.filter(id=pk).latest()
    before_deletion = deletion.prev_record

    services.history_revert(record=before_deletion, actor=editor)

    assert Appearance.objects.get(pk=pk).start_seconds == 2525


def test_create_services_validate_and_record(editor):
    claim = services.claim_create(text="A claim.", topics=["ai_safety"], actor=editor)
    argument = services.argument_create(
        claim=claim, stance=Stance.FOR, text="A reason.", source_url="https://example.org/"
    )
    assert [t.slug for t in claim.topics.all()] == ["ai_safety"]
    assert claim.history.latest().history_user == editor
    assert Argument.objects.get(pk=argument.pk).status == Status.DRAFT
    assert Claim.objects.drafts().count() == 1
