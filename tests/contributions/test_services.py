"""The state machine of contributions: every move, who may make it, and what approval applies."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from claims.models import Appearance, Argument, Claim, Status
from contributions import services
from contributions.models import Contribution, Kind, ModerationLog, State
from contributions.quotas import QuotaExceeded
from notes.models import Video
from tests.contributions.conftest import VIDEO, new_claim_payload
from tests.factories import ContributorFactory, PublishedClaimFactory

pytestmark = pytest.mark.django_db

#: Each move, the keyword arguments it needs besides contribution, actor and version, and who
#: makes it.
MOVES = {
    "approve": (services.contribution_approve, {}, "moderator"),
    "reject": (
        services.contribution_reject,
        {"reason_code": "spam", "note": "An ad."},
        "moderator",
    ),
    "request_changes": (
        services.contribution_request_changes,
        {"note": "Give the exact second."},
        "moderator",
    ),
    "withdraw": (services.contribution_withdraw, {}, "author"),
    "resubmit": (services.contribution_resubmit, {"payload": new_claim_payload()}, "author"),
}
#: The legal moves: (from, verb) → to. Every other pair is refused.
LEGAL = {
    (State.PENDING, "approve"): State.APPROVED,
    (State.PENDING, "reject"): State.REJECTED,
    (State.PENDING, "request_changes"): State.CHANGES_REQUESTED,
    (State.PENDING, "withdraw"): State.WITHDRAWN,
    (State.CHANGES_REQUESTED, "resubmit"): State.PENDING,
    (State.CHANGES_REQUESTED, "withdraw"): State.WITHDRAWN,
}


def _in_state(contribution: Contribution, state: State) -> Contribution:
    Contribution.objects.filter(pk=contribution.pk).update(status=state, version=3)
    contribution.refresh_from_db()
    return contribution


def _move(verb, contribution, *, contributor, moderator, version=None):
    service, extra, who = MOVES[verb]
    return service(
        contribution=contribution,
        actor=moderator if who == "moderator" else contributor,
        version=contribution.version if version is None else version,
        **extra,
    )


def test_submit_makes_a_pending_contribution_with_its_first_log_row(proposal, contributor):
    assert proposal.status == State.PENDING
    assert proposal.version == 1
    assert proposal.author == contributor
    log = list(proposal.decisions.values_list("old_state", "new_state", "actor"))
    assert log == [("", State.PENDING, contributor.pk)]


@pytest.mark.parametrize("persona", ["unconfirmed", "deactivated"])
def test_submit_refuses_users_who_are_not_contributors(request, persona):
    user = request.getfixturevalue(persona)
    with pytest.raises(services.NotAllowed):
        services.contribution_submit(author=user, kind=Kind.NEW_CLAIM, payload=new_claim_payload())
    assert not Contribution.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"video": "short"}, "video"),
        ({"start_seconds": -1}, "start_seconds"),
        ({"start_seconds": 10, "end_seconds": 5}, "end_seconds"),
        ({"text": "   "}, "text"),
        ({"topics": ["no_such_topic"]}, "topics"),
        ({"video": VIDEO, "start_seconds": 5 * 3600}, "start_seconds"),
    ],
)
def test_submit_refuses_what_the_admin_refuses(contributor, published_claim, payload, field):
    with pytest.raises(ValidationError) as refused:
        services.contribution_submit(
            author=contributor, kind=Kind.NEW_CLAIM, payload=new_claim_payload(**payload)
        )
    assert field in refused.value.message_dict
    assert not Contribution.objects.exists()


@pytest.mark.parametrize("state", State.values)
@pytest.mark.parametrize("verb", MOVES)
def test_every_move_from_every_state(proposal, contributor, moderator, state, verb):
    contribution = _in_state(proposal, state)
    logged = ModerationLog.objects.count()
    target = LEGAL.get((state, verb))

    if target is None:
        with pytest.raises(services.IllegalMove):
            _move(verb, contribution, contributor=contributor, moderator=moderator)
        contribution.refresh_from_db()
        assert (contribution.status, contribution.version) == (state, 3)
        assert ModerationLog.objects.count() == logged
    else:
        moved = _move(verb, contribution, contributor=contributor, moderator=moderator)
        moved.refresh_from_db()
        assert (moved.status, moved.version) == (target, 4)
        last = moved.decisions.last()
        actor = moderator if MOVES[verb][2] == "moderator" else contributor
        assert (last.old_state, last.new_state, last.actor) == (state, target, actor)


@pytest.mark.parametrize("verb", ["approve", "reject", "request_changes"])
def test_a_stale_or_repeated_decision_is_refused_and_changes_nothing(
    proposal, contributor, moderator, verb
):
    with pytest.raises(services.StaleVersion):
        _move(verb, proposal, contributor=contributor, moderator=moderator, version=2)
    _move(verb, proposal, contributor=contributor, moderator=moderator)
    claims = Claim.objects.count()
    with pytest.raises(services.StaleVersion):
        _move(verb, proposal, contributor=contributor, moderator=moderator, version=1)
    proposal.refresh_from_db()
    assert proposal.version == 2
    assert Claim.objects.count() == claims
    assert proposal.decisions.count() == 2


@pytest.mark.parametrize("verb", ["approve", "reject", "request_changes"])
@pytest.mark.parametrize("persona", ["contributor", "other_contributor", "deactivated"])
def test_only_moderators_decide(request, proposal, verb, persona):
    actor = request.getfixturevalue(persona)
    service, extra, _ = MOVES[verb]
    with pytest.raises(services.NotAllowed):
        service(contribution=proposal, actor=actor, version=1, **extra)
    proposal.refresh_from_db()
    assert proposal.status == State.PENDING


@pytest.mark.parametrize("persona", ["editor", "superuser"])
def test_editors_and_superusers_decide_too(request, proposal, persona):
    actor = request.getfixturevalue(persona)
    services.contribution_reject(contribution=proposal, actor=actor, version=1, reason_code="spam")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.reviewer) == (State.REJECTED, actor)


def test_nobody_decides_on_their_own_contribution(moderator):
    own = services.contribution_submit(
        author=moderator, kind=Kind.NEW_CLAIM, payload=new_claim_payload()
    )
    with pytest.raises(services.NotAllowed):
        services.contribution_approve(contribution=own, actor=moderator, version=1)


@pytest.mark.parametrize("verb", ["withdraw", "resubmit"])
def test_only_the_author_withdraws_or_resubmits(proposal, other_contributor, moderator, verb):
    contribution = _in_state(proposal, State.CHANGES_REQUESTED)
    for actor in (other_contributor, moderator):
        with pytest.raises(services.NotAllowed):
            _move(verb, contribution, contributor=actor, moderator=moderator)


def test_reject_needs_a_known_reason_code(proposal, moderator):
    with pytest.raises(ValidationError) as refused:
        services.contribution_reject(
            contribution=proposal, actor=moderator, version=1, reason_code="boring"
        )
    assert "reason_code" in refused.value.message_dict


def test_request_changes_needs_a_note(proposal, moderator):
    with pytest.raises(ValidationError) as refused:
        services.contribution_request_changes(
            contribution=proposal, actor=moderator, version=1, note="  "
        )
    assert "note" in refused.value.message_dict


def test_resubmit_replaces_the_payload_and_checks_it(proposal, contributor, moderator):
    services.contribution_request_changes(
        contribution=proposal, actor=moderator, version=1, note="Which second?"
    )
    with pytest.raises(ValidationError):
        services.contribution_resubmit(
            contribution=proposal,
            actor=contributor,
            version=2,
            payload=new_claim_payload(start_seconds=-5),
        )
    services.contribution_resubmit(
        contribution=proposal, actor=contributor, version=2, payload=new_claim_payload(text="B")
    )
    proposal.refresh_from_db()
    assert (proposal.status, proposal.version, proposal.payload["text"]) == (
        State.PENDING,
        3,
        "B",
    )


# What approval applies ------------------------------------------------------------------------


def test_approving_a_new_claim_publishes_it_in_a_new_video_credited_to_its_author(
    proposal, contributor, moderator, speaker, topic
):
    approved = services.contribution_approve(contribution=proposal, actor=moderator, version=1)

    claim = Claim.objects.get(text="Small models will run on every phone")
    appearance = claim.appearances.get()
    video = Video.objects.get(youtube_id="abcdefghijk")
    assert claim.status == Status.PUBLISHED
    assert (appearance.video, appearance.start_seconds) == (video, 61)
    assert approved.applied == [
        {"type": "video", "id": video.pk, "action": "created"},
        {"type": "claim", "id": claim.pk, "action": "created"},
        {"type": "appearance", "id": appearance.pk, "action": "created"},
    ]
    assert {row.history_user for row in claim.history.all()} == {contributor}
    assert {row.contribution_id for row in claim.history.all()} == {proposal.pk}
    assert {row.contribution_id for row in appearance.history.all()} == {proposal.pk}
    assert [row.history_change_reason for row in claim.history.order_by("history_id")] == [
        f"Contribution #{proposal.pk}, approved by moderator",
        "draft → published",
    ]


def test_a_new_claim_with_a_known_speaker_topic_and_quote(contributor, moderator, speaker, topic):
    proposal = services.contribution_submit(
        author=contributor,
        kind=Kind.NEW_CLAIM,
        payload=new_claim_payload(
            speaker="mark_zuckerberg", topics=["ai_safety"], quote="Every phone.", end_seconds=70
        ),
    )
    services.contribution_approve(contribution=proposal, actor=moderator, version=1)
    claim = Claim.objects.get(text="Small models will run on every phone")
    appearance = claim.appearances.get()
    assert (appearance.speaker, appearance.quote, appearance.end_seconds) == (
        speaker,
        "Every phone.",
        70,
    )
    assert list(claim.topics.all()) == [topic]


def test_approving_a_new_argument_publishes_it(contributor, moderator, published_claim):
    proposal = services.contribution_submit(
        author=contributor,
        kind=Kind.NEW_ARGUMENT,
        payload={
            "claim": published_claim.pk,
            "stance": "against",
            "text": "Weights can be fine-tuned to remove safeguards.",
            "source_url": "https://example.org/paper",
        },
    )
    approved = services.contribution_approve(contribution=proposal, actor=moderator, version=1)
    argument = Argument.objects.get(text__startswith="Weights")
    assert (argument.status, argument.claim, argument.stance) == (
        Status.PUBLISHED,
        published_claim,
        "against",
    )
    assert approved.applied == [{"type": "argument", "id": argument.pk, "action": "created"}]
    assert argument.history.first().history_user == contributor


def test_approving_a_correction_changes_the_target(contributor, moderator, published_claim):
    appearance = published_claim.appearances.get()
    proposal = services.contribution_submit(
        author=contributor,
        kind=Kind.CORRECTION,
        target_type="appearance",
        target_id=appearance.pk,
        base_version=getattr(appearance, "version", 1),
        payload={"changes": {"start_seconds": 2530}, "reason": "It starts five seconds later."},
    )
    services.contribution_approve(contribution=proposal, actor=moderator, version=1)
    appearance.refresh_from_db()
    assert appearance.start_seconds == 2530
    assert appearance.history.first().history_user == contributor


def test_a_correction_past_the_videos_end_is_refused(contributor, published_claim):
    appearance = published_claim.appearances.get()
    with pytest.raises(ValidationError) as refused:
        services.contribution_submit(
            author=contributor,
            kind=Kind.CORRECTION,
            target_type="appearance",
            target_id=appearance.pk,
            base_version=1,
            payload={"changes": {"start_seconds": 5 * 3600}, "reason": "Later."},
        )
    assert "changes.start_seconds" in refused.value.message_dict


def test_approving_a_flag_retracts_the_target_with_its_reason(
    contributor, moderator, published_claim
):
    proposal = services.contribution_submit(
        author=contributor,
        kind=Kind.FLAG,
        target_type="claim",
        target_id=published_claim.pk,
        payload={"reason_code": "not_a_claim", "comment": "A question, not a claim."},
    )
    services.contribution_approve(contribution=proposal, actor=moderator, version=1)
    published_claim.refresh_from_db()
    assert published_claim.status == Status.RETRACTED
    assert published_claim.retraction_reason.startswith(
        "Flagged as not a claim: A question, not a claim."
    )


def test_approving_a_duplicate_flag_merges_the_claims(contributor, moderator, published_claim):
    original = PublishedClaimFactory(text="Open models are safer")
    Appearance.objects.create(claim=original, video=Video.objects.get(), start_seconds=10)
    proposal = services.contribution_submit(
        author=contributor,
        kind=Kind.FLAG,
        target_type="claim",
        target_id=published_claim.pk,
        payload={"reason_code": "duplicate", "comment": "", "duplicate_of": original.pk},
    )
    services.contribution_approve(contribution=proposal, actor=moderator, version=1)
    published_claim.refresh_from_db()
    assert (published_claim.status, published_claim.merged_into) == (Status.RETRACTED, original)
    assert original.appearances.count() == 2


def test_an_approval_that_no_longer_holds_is_a_conflict_and_changes_nothing(
    contributor, moderator, published_claim
):
    proposal = services.contribution_submit(
        author=contributor,
        kind=Kind.NEW_ARGUMENT,
        payload={
            "claim": published_claim.pk,
            "stance": "for",
            "text": "Yes.",
            "video": VIDEO,
            "start_seconds": 30,
        },
    )
    Claim.objects.filter(pk=published_claim.pk).update(
        status=Status.RETRACTED, retraction_reason="Gone"
    )
    arguments = Argument.objects.count()
    with pytest.raises(services.ApplyConflict) as conflict:
        services.contribution_approve(contribution=proposal, actor=moderator, version=1)
    assert "claim" in conflict.value.errors
    proposal.refresh_from_db()
    assert (proposal.status, proposal.version) == (State.PENDING, 1)
    assert Argument.objects.count() == arguments


# Mail -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["approve", "reject", "request_changes"])
def test_the_author_gets_a_mail_after_each_decision_commits(
    proposal, contributor, moderator, mailoutbox, django_capture_on_commit_callbacks, verb
):
    with django_capture_on_commit_callbacks(execute=True):
        _move(verb, proposal, contributor=contributor, moderator=moderator)
        assert mailoutbox == []
    (mail,) = mailoutbox
    assert mail.to == [contributor.email]
    assert f"#{proposal.pk}" in mail.subject
    if verb == "reject":
        assert "Reason: Spam." in mail.body
        assert "An ad." in mail.body


def test_the_mail_links_the_contribution_at_the_sites_address(
    proposal, contributor, moderator, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://claimtrack.example"

    with django_capture_on_commit_callbacks(execute=True):
        _move("approve", proposal, contributor=contributor, moderator=moderator)

    (mail,) = mailoutbox
    assert mail.body.splitlines()[-2:] == [
        f"Details: https://claimtrack.example/contributions/{proposal.pk}/",
        f"In the API: https://claimtrack.example/api/v1/contributions/{proposal.pk}/",
    ]


def test_a_mail_asking_for_changes_links_the_edit_page(
    proposal, contributor, moderator, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://claimtrack.example"

    with django_capture_on_commit_callbacks(execute=True):
        _move("request_changes", proposal, contributor=contributor, moderator=moderator)

    (mail,) = mailoutbox
    assert (
        "Edit it to send it back to the queue, or withdraw it: "
        f"https://claimtrack.example/contributions/{proposal.pk}/edit/"
    ) in mail.body.splitlines()


@pytest.mark.parametrize(
    ("verb", "said"),
    [
        ("approve", "was approved."),
        ("reject", "was rejected."),
        ("request_changes", "was sent back to you for changes."),
    ],
)
def test_the_mail_says_what_was_decided_in_a_sentence(
    proposal, contributor, moderator, mailoutbox, django_capture_on_commit_callbacks, verb, said
):
    with django_capture_on_commit_callbacks(execute=True):
        _move(verb, proposal, contributor=contributor, moderator=moderator)
    (mail,) = mailoutbox
    assert f"your new claim (contribution #{proposal.pk}) {said}" in mail.body


def test_no_mail_when_the_decision_rolls_back(
    proposal, moderator, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.contribution_reject(
            contribution=proposal, actor=moderator, version=1, reason_code="spam"
        )
        raise RuntimeError("rolled back")
    assert callbacks == []
    assert mailoutbox == []
    proposal.refresh_from_db()
    assert proposal.status == State.PENDING


def test_withdrawing_sends_no_mail(
    proposal, contributor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.contribution_withdraw(contribution=proposal, actor=contributor, version=1)
    assert mailoutbox == []


# Quotas ---------------------------------------------------------------------------------------


def _submit(author):
    return services.contribution_submit(
        author=author, kind=Kind.NEW_CLAIM, payload=new_claim_payload()
    )


def test_at_most_max_pending_waiting(settings, contributor, moderator):
    settings.CONTRIBUTION_MAX_PENDING = 2
    first = _submit(contributor)
    _submit(contributor)
    with pytest.raises(QuotaExceeded) as refused:
        _submit(contributor)
    assert refused.value.resets_at is None
    services.contribution_reject(contribution=first, actor=moderator, version=1, reason_code="spam")
    _submit(contributor)
    assert Contribution.objects.count() == 3


def test_the_daily_limit_resets_24_hours_after_the_oldest(settings, contributor, time_machine):
    settings.CONTRIBUTION_DAILY_LIMIT = 2
    time_machine.move_to("2030-01-07 09:00:00+00:00", tick=False)
    first = _submit(contributor)
    time_machine.shift(timedelta(hours=1))
    _submit(contributor)
    with pytest.raises(QuotaExceeded) as refused:
        _submit(contributor)
    assert refused.value.resets_at == first.created_at + timedelta(hours=24)
    assert refused.value.wait_seconds == 23 * 3600
    time_machine.shift(timedelta(hours=23))
    _submit(contributor)


def test_each_approval_raises_the_daily_limit_up_to_the_cap(settings, moderator):
    settings.CONTRIBUTION_DAILY_LIMIT = 1
    settings.CONTRIBUTION_DAILY_LIMIT_CAP = 2
    author = ContributorFactory()
    for _ in range(2):
        services.contribution_approve(contribution=_submit(author), actor=moderator, version=1)
        Contribution.objects.filter(author=author).update(created_at="2000-01-01T00:00:00Z")
    _submit(author)
    _submit(author)
    with pytest.raises(QuotaExceeded):
        _submit(author)
