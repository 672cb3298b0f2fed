"""The moderators' queue in the admin: who sees it, its filters, each proposal beside what it
would change with the similar claims, and decisions through the services, on the version the
page showed."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from claims import services as claims_services
from claims.models import Claim, Status
from contributions import services
from contributions.models import Contribution, Kind, State
from tests.contributions.conftest import new_claim_payload
from tests.factories import GroundedClaimFactory, PublishedClaimFactory, UserFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:contributions_contribution_changelist")


def page_of(contribution: Contribution) -> str:
    return reverse("admin:contributions_contribution_change", args=[contribution.pk])


def decide_url(contribution: Contribution) -> str:
    return reverse("admin:contributions_contribution_decide", args=[contribution.pk])


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def said(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def correction(author, claim: Claim, text: str) -> Contribution:
    return services.contribution_submit(
        author=author,
        kind=Kind.CORRECTION,
        target_type="claim",
        target_id=claim.pk,
        base_version=claim.version,
        payload={"changes": {"text": text}, "reason": "The words as said."},
    )


# Who sees the queue ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["moderator", "editor", "superuser"])
def test_moderators_editors_and_superusers_see_the_queue(request, proposal, persona):
    client = as_user(request.getfixturevalue(persona))

    listed = client.get(QUEUE)
    shown = client.get(page_of(proposal))
    index = client.get(reverse("admin:index"))

    assert listed.status_code == shown.status_code == 200
    assert [row.pk for row in listed.context["cl"].result_list] == [proposal.pk]
    assert "Contributions and moderation" in index.content.decode()


@pytest.mark.parametrize(
    "persona", ["contributor", "other_contributor", "unconfirmed", "deactivated"]
)
def test_anyone_else_is_sent_to_the_admin_login(request, proposal, persona):
    client = as_user(request.getfixturevalue(persona))

    for url in (QUEUE, page_of(proposal)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    response = client.post(decide_url(proposal), {"decision": "approve", "version": "1"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == State.PENDING


def test_anonymous_is_sent_to_the_admin_login(client, proposal):
    response = client.post(decide_url(proposal), {"decision": "approve", "version": "1"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert client.get(QUEUE).status_code == 302


def test_staff_outside_the_roles_may_neither_see_nor_decide(proposal):
    client = as_user(UserFactory(username="staff", is_staff=True))

    assert client.get(QUEUE).status_code == 403
    assert client.get(page_of(proposal)).status_code == 403
    response = client.post(decide_url(proposal), {"decision": "approve", "version": "1"})
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == State.PENDING


def test_nobody_adds_edits_or_deletes_a_contribution_in_the_admin(proposal, moderator, editor):
    for user in (moderator, editor):
        client = as_user(user)
        assert client.get(reverse("admin:contributions_contribution_add")).status_code == 403
        delete = reverse("admin:contributions_contribution_delete", args=[proposal.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert client.post(page_of(proposal), {"status": "approved"}).status_code == 403
    proposal.refresh_from_db()
    assert (proposal.status, proposal.version) == (State.PENDING, 1)


def test_moderators_read_content_and_change_none(moderator, published_claim):
    client = as_user(moderator)
    claim_page = reverse("admin:claims_claim_change", args=[published_claim.pk])

    assert client.get(claim_page).status_code == 200
    assert client.post(claim_page, {"text": "Moderated."}).status_code == 403
    assert client.get(reverse("admin:claims_claim_add")).status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    draft = GroundedClaimFactory()
    changelist = client.get(reverse("admin:claims_claim_changelist"))
    assert changelist.status_code == 200
    assert changelist.context["action_form"] is None
    for model, action, item in [
        ("claim", "retract", published_claim),
        ("claim", "publish", draft),
        ("claim", "merge", published_claim),
        ("argument", "retract", published_claim.arguments.get()),
    ]:
        client.post(
            reverse(f"admin:claims_{model}_changelist"),
            {
                "action": action,
                ACTION_CHECKBOX_NAME: [item.pk, draft.pk],
                "confirm": "yes",
                "reason": "Moderated.",
                "keep": draft.pk,
            },
        )
    published_claim.refresh_from_db()
    draft.refresh_from_db()
    assert (published_claim.text, published_claim.status, draft.status) == (
        "Open-sourcing AI models makes them safer",
        Status.PUBLISHED,
        Status.DRAFT,
    )
    assert published_claim.arguments.get().status == Status.PUBLISHED


def test_editors_keep_their_powers(editor, published_claim):
    client = as_user(editor)
    claim_page = reverse("admin:claims_claim_change", args=[published_claim.pk])
    data = {
        "text": "Edited by an editor.",
        "opened_version": str(published_claim.version),
        "appearances-TOTAL_FORMS": "0",
        "appearances-INITIAL_FORMS": "0",
        "arguments-TOTAL_FORMS": "0",
        "arguments-INITIAL_FORMS": "0",
        "arguments-2-TOTAL_FORMS": "0",
        "arguments-2-INITIAL_FORMS": "0",
    }

    assert client.post(claim_page, data).status_code == 302

    published_claim.refresh_from_db()
    assert published_claim.text == "Edited by an editor."


# The queue's filters ----------------------------------------------------------------------------


def test_the_queue_filters_by_kind_state_and_age(contributor, other_contributor, moderator):
    client = as_user(moderator)
    fresh = services.contribution_submit(
        author=contributor, kind=Kind.NEW_CLAIM, payload=new_claim_payload()
    )
    old = services.contribution_submit(
        author=other_contributor,
        kind=Kind.NEW_CLAIM,
        payload=new_claim_payload(text="Open models need open data"),
    )
    Contribution.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    services.contribution_reject(contribution=fresh, actor=moderator, version=1, reason_code="spam")
    claim = PublishedClaimFactory(text="A claim to correct")
    fix = correction(contributor, claim, "A claim, corrected")

    def listed(query: str) -> list[int]:
        response = client.get(f"{QUEUE}?{query}")
        assert response.status_code == 200
        return [row.pk for row in response.context["cl"].result_list]

    # Oldest first: a queue.
    assert listed("") == [old.pk, fresh.pk, fix.pk]
    assert listed("kind__exact=correction") == [fix.pk]
    assert listed("status__exact=pending") == [old.pk, fix.pk]
    assert listed("status__exact=rejected") == [fresh.pk]
    assert listed("age=day") == [fresh.pk, fix.pk]
    assert listed("age=older_than_week") == [old.pk]
    assert listed("age=older_than_month") == []
    assert listed("status__exact=pending&kind__exact=new_claim&age=week") == []


# A contribution's page ----------------------------------------------------------------------------


def test_a_correction_shows_the_current_values_beside_the_proposed(contributor, moderator):
    claim = PublishedClaimFactory(text="Open weights are safer")
    fix = correction(contributor, claim, "Open weights are safer, mostly")

    response = as_user(moderator).get(page_of(fix))

    review = response.context["review"]
    assert review.rows == [
        ("version", 1, 1),
        ("text", "Open weights are safer", "Open weights are safer, mostly"),
        ("reason", None, "The words as said."),
    ]
    assert review.current == claim
    assert review.warning == ""
    page = response.content.decode()
    assert "<td>Open weights are safer, mostly</td>" in page
    assert 'name="version" value="1"' in page


def test_a_correction_overtaken_by_an_edit_warns_before_anyone_approves(
    contributor, moderator, editor
):
    claim = PublishedClaimFactory(text="Open weights are safer")
    fix = correction(contributor, claim, "Open weights are safer, mostly")
    claims_services.claim_update(claim=claim, changes={"text": "Edited first."}, actor=editor)

    response = as_user(moderator).get(page_of(fix))

    review = response.context["review"]
    assert review.rows[:2] == [
        ("version", 2, 1),
        ("text", "Edited first.", "Open weights are safer, mostly"),
    ]
    assert review.warning.startswith("The claim #")
    assert "it is at version 2, the correction is based on version 1" in review.warning


def test_a_new_claim_lists_the_published_claims_like_it(
    contributor, moderator, django_capture_on_commit_callbacks
):
    # On PostgreSQL similar claims are found by their search vectors, written on commit.
    with django_capture_on_commit_callbacks(execute=True):
        alike = PublishedClaimFactory(text="Small models will run on every laptop")
        PublishedClaimFactory(text="Nothing in common here")
    proposal = services.contribution_submit(
        author=contributor, kind=Kind.NEW_CLAIM, payload=new_claim_payload()
    )

    response = as_user(moderator).get(page_of(proposal))

    assert [claim.pk for claim in response.context["review"].similar] == [alike.pk]
    assert "Small models will run on every laptop" in response.content.decode()


def test_a_decided_contribution_offers_no_decision(proposal, moderator):
    services.contribution_reject(
        contribution=proposal, actor=moderator, version=1, reason_code="spam"
    )

    page = as_user(moderator).get(page_of(proposal)).content.decode()

    assert "there is nothing to decide" in page
    assert 'value="approve"' not in page


# Decisions ----------------------------------------------------------------------------------------


def test_approving_in_the_admin_publishes_the_claim_credited_to_its_author(
    proposal, contributor, moderator
):
    client = as_user(moderator)

    response = client.post(decide_url(proposal), {"decision": "approve", "version": "1"})

    assert response.status_code == 302
    assert response["Location"] == QUEUE
    proposal.refresh_from_db()
    assert (proposal.status, proposal.reviewer, proposal.version) == (
        State.APPROVED,
        moderator,
        2,
    )
    claim = Claim.objects.get(text="Small models will run on every phone")
    assert claim.status == Status.PUBLISHED
    latest = claim.history.first()
    assert (latest.history_user, latest.contribution_id) == (contributor, proposal.pk)
    assert said(client.get(QUEUE)) == [("success", f"Approved contribution #{proposal.pk}.")]


def test_rejecting_in_the_admin_records_the_reason_and_note(proposal, moderator):
    client = as_user(moderator)

    response = client.post(
        decide_url(proposal),
        {"decision": "reject", "version": "1", "reason_code": "spam", "note": "An advert."},
    )

    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == State.REJECTED
    last = proposal.decisions.order_by("id").last()
    assert (last.reason_code, last.note, last.actor) == ("spam", "An advert.", moderator)


def test_requesting_changes_in_the_admin_sends_it_back(proposal, moderator):
    client = as_user(moderator)

    client.post(
        decide_url(proposal),
        {"decision": "request_changes", "version": "1", "note": "Give the quote."},
    )

    proposal.refresh_from_db()
    assert proposal.status == State.CHANGES_REQUESTED
    assert proposal.decisions.order_by("id").last().note == "Give the quote."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "reject"}, "Choose from duplicate"),
        ({"decision": "request_changes"}, "Say what the author should change."),
        ({"decision": "approve", "version": "0"}, "version:"),
        ({"decision": "publish"}, "decision:"),
    ],
)
def test_an_incomplete_decision_is_refused_with_a_message(proposal, moderator, data, message):
    client = as_user(moderator)

    response = client.post(decide_url(proposal), {"version": "1", **data}, follow=True)

    assert response.status_code == 200
    ((level, text),) = said(response)
    assert level == "error" and message in text
    proposal.refresh_from_db()
    assert (proposal.status, proposal.version) == (State.PENDING, 1)


def test_a_stale_or_repeated_decision_is_refused_and_changes_nothing(proposal, moderator, editor):
    first, second = as_user(moderator), as_user(editor)
    first.post(decide_url(proposal), {"decision": "approve", "version": "1"})

    response = second.post(
        decide_url(proposal),
        {"decision": "reject", "version": "1", "reason_code": "spam"},
        follow=True,
    )

    ((level, text),) = said(response)
    assert level == "error"
    assert text.startswith(f"Contribution #{proposal.pk} is at version 2, not 1")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.version) == (State.APPROVED, 2)
    assert Claim.objects.filter(text="Small models will run on every phone").count() == 1
    assert proposal.decisions.count() == 2


def test_a_correction_overtaken_by_an_edit_is_refused_showing_both_values(
    contributor, moderator, editor
):
    claim = PublishedClaimFactory(text="Open weights are safer")
    fix = correction(contributor, claim, "Open weights are safer, mostly")
    claims_services.claim_update(claim=claim, changes={"text": "Edited first."}, actor=editor)

    response = as_user(moderator).post(
        decide_url(fix), {"decision": "approve", "version": "1"}, follow=True
    )

    ((level, text),) = said(response)
    assert level == "error"
    assert "text: now 'Edited first.', proposed 'Open weights are safer, mostly'." in text
    assert "version: now 2, proposed 1." in text
    claim.refresh_from_db()
    fix.refresh_from_db()
    assert (claim.text, fix.status) == ("Edited first.", State.PENDING)


def test_a_moderator_cannot_decide_on_their_own_contribution(moderator):
    own = services.contribution_submit(
        author=moderator, kind=Kind.NEW_CLAIM, payload=new_claim_payload()
    )

    response = as_user(moderator).post(
        decide_url(own), {"decision": "approve", "version": "1"}, follow=True
    )

    ((level, text),) = said(response)
    assert (level, text) == (
        "error",
        "Nobody decides on their own contribution: another moderator will.",
    )
    own.refresh_from_db()
    assert own.status == State.PENDING


def test_a_decision_is_a_post(proposal, moderator):
    assert as_user(moderator).get(decide_url(proposal)).status_code == 405
