"""The contribute forms, "my contributions" and the moderation queue, as pages.

Each form must propose exactly what the API would from the same input, refuse what the API
refuses with the message beside its field, and create nothing then; decisions go through the
same services, a stale one changing nothing.
"""

import re

import pytest
from django.test import Client

from claims import services as claims_services
from claims.models import Appearance, Argument, Claim, Status
from contributions import services
from contributions.models import Contribution, Kind, ModerationLog, State
from tests.contributions.conftest import VIDEO, new_claim_payload

pytestmark = pytest.mark.django_db

API = "/api/v1/contributions/"
IDENTITY = ("kind", "status", "payload", "target_type", "target_id", "base_version", "version")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def identity(contribution: Contribution) -> dict:
    return {name: getattr(contribution, name) for name in IDENTITY}


def field_errors(html: str, field: str) -> str:
    """The messages shown beside `field`."""
    found = re.search(rf'<div class="field__error" id="id_{field}_error">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", " ", found.group(1)).strip() if found else ""


def propose_via_api(user, body: dict) -> Contribution:
    """What the API makes of `body`, proposed by `user`."""
    client = logged_in(user)
    response = client.post(API, body, content_type="application/json")
    assert response.status_code == 201, response.content
    return Contribution.objects.get(pk=response.json()["id"])


def created(response) -> Contribution:
    assert response.status_code == 302, response.content.decode()[:2000]
    match = re.fullmatch(r"/contributions/(\d+)/", response["Location"])
    assert match, response["Location"]
    return Contribution.objects.get(pk=int(match.group(1)))


# Contribute forms ------------------------------------------------------------------------------


def test_a_claim_proposed_on_the_page_is_the_one_the_api_would_make(
    contributor, other_contributor, published_claim, speaker, topic
):
    page = logged_in(contributor).post(
        f"/contribute/claim/?video={VIDEO}&t=2525",
        {
            "text": "Closed models are easier to govern",
            "video": VIDEO,
            "start": "00:42:10",
            "end": "2540",
            "speaker": speaker.slug,
            "quote": "It is easier to govern",
            "topics": f"{topic.slug}",
        },
    )
    api = propose_via_api(
        other_contributor,
        {
            "kind": "new_claim",
            "text": "Closed models are easier to govern",
            "video": VIDEO,
            "start": "00:42:10",
            "end_seconds": 2540,
            "speaker": speaker.slug,
            "quote": "It is easier to govern",
            "topics": [topic.slug],
        },
    )

    contribution = created(page)
    assert identity(contribution) == identity(api)
    assert contribution.payload["start_seconds"] == 2530
    assert contribution.author == contributor
    assert ModerationLog.objects.filter(contribution=contribution).count() == 1


def test_the_claim_form_prefills_the_video_and_the_time(contributor, published_claim):
    html = logged_in(contributor).get(f"/contribute/claim/?video={VIDEO}&t=2525").content.decode()

    assert f'name="video" value="{VIDEO}"' in html
    assert 'name="start" value="00:42:05"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_after_proposing_a_claim_its_page_lists_the_similar_published_claims(
    contributor, published_claim
):
    client = logged_in(contributor)
    response = client.post(
        "/contribute/claim/",
        {"text": "Open-sourcing AI models makes them much safer", "video": VIDEO, "start": "61"},
        follow=True,
    )

    html = response.content.decode()
    assert response.redirect_chain[-1][0].startswith("/contributions/")
    assert "waiting for a moderator" in html
    similar = html.split("Similar published claims")[1]
    assert f'href="/claims/{published_claim.pk}/"' in similar


def test_an_invalid_claim_shows_each_message_beside_its_field_and_creates_nothing(
    contributor, published_claim
):
    response = logged_in(contributor).post(
        "/contribute/claim/",
        {"text": "", "video": "not a video id", "start": "00:99:99", "end": ""},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert field_errors(html, "text") == "This field may not be blank."
    assert field_errors(html, "video").startswith("This value does not match")
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_text_helptext id_text_error"' in html
    assert "The proposal was not sent" in html
    assert Contribution.objects.count() == 0


@pytest.mark.parametrize(
    ("start", "says"),
    [
        ("05:00:00", "past its end"),
        ("00:99:99", "Minutes must be 0-59, got 99."),
        ("soon", "does not match"),
    ],
)
def test_a_bad_time_is_named_beside_the_start(contributor, published_claim, start, says):
    response = logged_in(contributor).post(
        "/contribute/claim/", {"text": "Late", "video": VIDEO, "start": start}
    )

    assert response.status_code == 400
    assert says in field_errors(response.content.decode(), "start")
    assert Contribution.objects.count() == 0


def test_the_daily_quota_shows_when_it_resets_and_creates_nothing(settings, contributor, db):
    settings.CONTRIBUTION_DAILY_LIMIT = 1
    client = logged_in(contributor)
    body = {"text": "Small models will run on every phone", "video": "abcdefghijk", "start": "61"}
    created(client.post("/contribute/claim/", body))

    response = client.post("/contribute/claim/", body)

    html = response.content.decode()
    assert response.status_code == 429
    assert "You cannot propose more just now" in html
    assert "your daily limit" in html
    assert "You may propose again from" in html
    assert Contribution.objects.count() == 1


def test_the_pending_quota_says_it_resets_when_one_is_decided(settings, contributor, db):
    settings.CONTRIBUTION_MAX_PENDING = 0

    response = logged_in(contributor).post(
        "/contribute/claim/", {"text": "A claim", "video": "abcdefghijk", "start": "1"}
    )

    assert response.status_code == 429
    assert "as soon as a moderator decides one of them" in response.content.decode()
    assert Contribution.objects.count() == 0


def test_an_argument_proposed_on_the_page_is_the_one_the_api_would_make(
    contributor, other_contributor, published_claim
):
    page = logged_in(contributor).post(
        f"/contribute/argument/?claim={published_claim.pk}&stance=against",
        {
            "claim": published_claim.pk,
            "stance": "against",
            "text": "Weights cannot be recalled once out",
            "video": "",
            "start": "",
            "end": "",
            "source_url": "https://example.org/recall",
            "speaker": "",
            "premise": "",
        },
    )
    api = propose_via_api(
        other_contributor,
        {
            "kind": "new_argument",
            "claim": published_claim.pk,
            "stance": "against",
            "text": "Weights cannot be recalled once out",
            "source_url": "https://example.org/recall",
        },
    )

    assert identity(created(page)) == identity(api)


def test_the_argument_form_shows_the_claim_and_checks_the_stance_asked(
    contributor, published_claim
):
    html = (
        logged_in(contributor)
        .get(f"/contribute/argument/?claim={published_claim.pk}&stance=for")
        .content.decode()
    )

    assert published_claim.text in html
    assert re.search(r'<input type="radio" name="stance" value="for"[^>]*checked', html)


def test_an_argument_without_evidence_is_refused_above_the_form(contributor, published_claim):
    response = logged_in(contributor).post(
        f"/contribute/argument/?claim={published_claim.pk}",
        {"claim": published_claim.pk, "stance": "for", "text": "More eyes"},
    )

    assert response.status_code == 400
    assert "Give the evidence: a video moment, a source URL or both." in response.content.decode()
    assert Contribution.objects.count() == 0


def test_an_argument_about_an_unpublished_claim_has_no_form(contributor, published_claim):
    draft = Claim.objects.create(text="A draft", status=Status.DRAFT)

    response = logged_in(contributor).get(f"/contribute/argument/?claim={draft.pk}")

    assert response.status_code == 404


def test_a_correction_sends_the_changed_fields_with_the_version_it_was_read_at(
    contributor, other_contributor, published_claim
):
    form = logged_in(contributor).get(f"/contribute/correction/?claim={published_claim.pk}")
    html = form.content.decode()
    assert f"Now: {published_claim.text}" in html
    assert f'name="base_version" value="{published_claim.version}"' in html

    page = logged_in(contributor).post(
        f"/contribute/correction/?claim={published_claim.pk}",
        {
            "text": "Open-sourcing AI models makes them safer, mostly",
            "topics": "",
            "reason": "He says mostly at 00:42:20.",
            "base_version": published_claim.version,
        },
    )
    api = propose_via_api(
        other_contributor,
        {
            "kind": "correction",
            "target_type": "claim",
            "target_id": published_claim.pk,
            "base_version": published_claim.version,
            "changes": {"text": "Open-sourcing AI models makes them safer, mostly"},
            "reason": "He says mostly at 00:42:20.",
        },
    )

    assert identity(created(page)) == identity(api)


def test_an_appearance_correction_takes_a_time_as_hh_mm_ss(
    contributor, other_contributor, published_claim
):
    appearance = Appearance.objects.get(claim=published_claim)
    page = logged_in(contributor).post(
        f"/contribute/correction/?appearance={appearance.pk}",
        {
            "video": VIDEO,
            "start_seconds": "00:42:07",
            "end_seconds": "",
            "speaker": "",
            "quote": "",
            "reason": "Two seconds later.",
            "base_version": appearance.version,
        },
    )
    api = propose_via_api(
        other_contributor,
        {
            "kind": "correction",
            "target_type": "appearance",
            "target_id": appearance.pk,
            "base_version": appearance.version,
            "changes": {"start_seconds": 2527},
            "reason": "Two seconds later.",
        },
    )

    assert identity(created(page)) == identity(api)


def test_a_correction_that_changes_nothing_or_blanks_the_text_is_refused(
    contributor, published_claim
):
    client = logged_in(contributor)
    url = f"/contribute/correction/?claim={published_claim.pk}"
    base = {"reason": "Because.", "base_version": published_claim.version, "topics": ""}

    unchanged = client.post(url, {**base, "text": published_claim.text})
    blank = client.post(url, {**base, "text": ""})

    assert unchanged.status_code == 400
    assert "Give the fields to change" in unchanged.content.decode()
    assert blank.status_code == 400
    assert field_errors(blank.content.decode(), "text") == "This field may not be blank."
    assert Contribution.objects.count() == 0


def test_a_correction_of_a_target_that_moved_meanwhile_is_shown_again_on_its_new_version(
    contributor, editor, published_claim
):
    client = logged_in(contributor)
    url = f"/contribute/correction/?claim={published_claim.pk}"
    read_at = published_claim.version
    claims_services.claim_update(
        claim=published_claim,
        changes={"text": "Open models are safer"},
        actor=editor,
        reason="Shorter",
        expected_version=read_at,
    )

    response = client.post(
        url, {"text": "Open weights are safer", "reason": "Says so.", "base_version": read_at}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert f"is at version {read_at + 1}" in html
    assert f'name="base_version" value="{read_at + 1}"' in html
    assert "Now: Open models are safer" in html
    assert Contribution.objects.count() == 0


def test_a_flag_proposed_on_the_page_is_the_one_the_api_would_make(
    contributor, other_contributor, published_claim
):
    page = logged_in(contributor).post(
        f"/contribute/flag/?claim={published_claim.pk}",
        {"reason_code": "not_a_claim", "comment": "A question, not a claim", "duplicate_of": ""},
    )
    api = propose_via_api(
        other_contributor,
        {
            "kind": "flag",
            "target_type": "claim",
            "target_id": published_claim.pk,
            "reason_code": "not_a_claim",
            "comment": "A question, not a claim",
        },
    )

    assert identity(created(page)) == identity(api)


def test_a_flag_for_other_reasons_needs_a_comment(contributor, published_claim):
    argument = Argument.objects.get(claim=published_claim)

    response = logged_in(contributor).post(
        f"/contribute/flag/?argument={argument.pk}", {"reason_code": "other", "comment": ""}
    )

    assert response.status_code == 400
    assert field_errors(response.content.decode(), "comment") == "This field may not be blank."
    assert "duplicate_of" not in response.content.decode()
    assert Contribution.objects.count() == 0


# Links to the forms ----------------------------------------------------------------------------


def test_claim_and_video_pages_link_the_forms_for_signed_in_users_only(
    client, contributor, published_claim
):
    claim_url = f"/claims/{published_claim.pk}/"
    anonymous_claim = client.get(claim_url).content.decode()
    anonymous_video = client.get(f"/videos/{VIDEO}/").content.decode()
    signed_in = logged_in(contributor)
    claim_page = signed_in.get(claim_url).content.decode()
    video_page = signed_in.get(f"/videos/{VIDEO}/").content.decode()

    login = f'href="/accounts/login/?next=/claims/{published_claim.pk}/">Sign in to contribute'
    assert login in anonymous_claim
    assert "Sign in to contribute" in anonymous_video
    assert "/contribute/" not in anonymous_claim + anonymous_video
    pk = published_claim.pk
    for link in (
        f'href="/contribute/argument/?claim={pk}&amp;stance=for">Propose an argument for',
        f'href="/contribute/argument/?claim={pk}&amp;stance=against">Propose an argument against',
        f'href="/contribute/correction/?claim={pk}">Suggest a correction',
        f'href="/contribute/flag/?claim={pk}">Flag',
    ):
        assert link in claim_page
    assert f'href="/contribute/claim/?video={VIDEO}">Propose a claim made in this video' in (
        video_page
    )
    assert 'href="/contributions/">My contributions' in claim_page
    assert "Moderation</a>" not in claim_page


def test_the_navigation_links_the_queue_for_moderators(moderator, published_claim):
    html = logged_in(moderator).get("/").content.decode()

    assert 'href="/moderation/">Moderation' in html


# My contributions ------------------------------------------------------------------------------


def test_my_contributions_lists_mine_newest_first_with_the_moderators_decisions(
    contributor, other_contributor, moderator, db
):
    first = services.contribution_submit(
        author=contributor, kind=Kind.NEW_CLAIM, payload=new_claim_payload(text="First")
    )
    second = services.contribution_submit(
        author=contributor, kind=Kind.NEW_CLAIM, payload=new_claim_payload(text="Second")
    )
    services.contribution_submit(
        author=other_contributor, kind=Kind.NEW_CLAIM, payload=new_claim_payload(text="Theirs")
    )
    services.contribution_reject(
        contribution=first, actor=moderator, version=1, reason_code="spam", note="Not relevant"
    )

    response = logged_in(contributor).get("/contributions/")

    html = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'id="contribution-(\d+)"', html) == [str(second.pk), str(first.pk)]
    assert "Theirs" not in html
    assert "Rejected" in html and "reason: <strong>Spam</strong>" in html
    assert "Not relevant" in html
    assert "moderator</" not in html  # moderators stay unnamed to contributors
    rows = html.split('<article class="contribution"')
    assert "Withdraw" in rows[1] and "Withdraw" not in rows[2]
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_my_contributions_are_paged(settings, contributor, db):
    settings.CONTRIBUTION_DAILY_LIMIT = settings.CONTRIBUTION_MAX_PENDING = 21
    for number in range(21):
        services.contribution_submit(
            author=contributor,
            kind=Kind.NEW_CLAIM,
            payload=new_claim_payload(text=f"Claim {number}"),
        )
    client = logged_in(contributor)

    first = client.get("/contributions/").content.decode()
    second = client.get("/contributions/?page=2").content.decode()

    assert first.count('class="contribution"') == 20
    assert second.count('class="contribution"') == 1
    assert "Page 1 of 2" in first


def test_another_users_contribution_is_a_404(proposal, other_contributor, moderator):
    assert logged_in(other_contributor).get(f"/contributions/{proposal.pk}/").status_code == 404
    assert logged_in(moderator).get(f"/contributions/{proposal.pk}/").status_code == 404


def test_withdraw_takes_back_a_pending_contribution(contributor, proposal):
    response = logged_in(contributor).post(
        f"/contributions/{proposal.pk}/withdraw/", {"version": 1}, follow=True
    )

    proposal.refresh_from_db()
    assert proposal.status == State.WITHDRAWN
    assert f"Contribution #{proposal.pk} is withdrawn." in response.content.decode()


def test_a_stale_withdraw_changes_nothing(contributor, moderator, proposal):
    services.contribution_approve(contribution=proposal, actor=moderator, version=1)

    response = logged_in(contributor).post(
        f"/contributions/{proposal.pk}/withdraw/", {"version": 1}, follow=True
    )

    proposal.refresh_from_db()
    assert proposal.status == State.APPROVED
    assert "nothing was withdrawn" in response.content.decode()


def test_a_contribution_sent_back_is_edited_and_resubmitted_as_the_api_patch_does(
    contributor, moderator, proposal
):
    services.contribution_request_changes(
        contribution=proposal, actor=moderator, version=1, note="Which second exactly?"
    )
    client = logged_in(contributor)
    form = client.get(f"/contributions/{proposal.pk}/edit/").content.decode()
    assert "Which second exactly?" in form
    assert 'name="start" value="00:01:01"' in form

    response = client.post(
        f"/contributions/{proposal.pk}/edit/",
        {
            "text": "Small models will run on every phone",
            "video": "abcdefghijk",
            "start": "00:01:05",
            "end": "",
            "speaker": "",
            "quote": "",
            "topics": "",
            "version": 2,
            "note": "At 1:05",
        },
    )

    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == State.PENDING
    assert proposal.version == 3
    assert proposal.payload == new_claim_payload(start_seconds=65)
    assert proposal.decisions.order_by("id").last().note == "At 1:05"


def test_an_edit_with_a_bad_field_shows_it_and_keeps_the_contribution_waiting(
    contributor, moderator, proposal
):
    services.contribution_request_changes(
        contribution=proposal, actor=moderator, version=1, note="Which second?"
    )

    response = logged_in(contributor).post(
        f"/contributions/{proposal.pk}/edit/",
        {"text": "", "video": "abcdefghijk", "start": "61", "version": 2},
    )

    assert response.status_code == 400
    assert field_errors(response.content.decode(), "text") == "This field may not be blank."
    proposal.refresh_from_db()
    assert proposal.status == State.CHANGES_REQUESTED


# Moderation ------------------------------------------------------------------------------------


def test_the_queue_shows_the_pending_oldest_first_with_similar_claims(
    contributor, other_contributor, moderator, published_claim
):
    older = services.contribution_submit(
        author=contributor,
        kind=Kind.NEW_CLAIM,
        payload=new_claim_payload(text="Open-sourcing AI models makes them much safer"),
    )
    newer = services.contribution_submit(
        author=other_contributor, kind=Kind.NEW_CLAIM, payload=new_claim_payload(text="Other")
    )

    response = logged_in(moderator).get("/moderation/")

    html = response.content.decode()
    assert re.findall(r'id="contribution-(\d+)"', html) == [str(older.pk), str(newer.pk)]
    assert f'href="/claims/{published_claim.pk}/">{published_claim.text}' in html
    assert "Proposed by contributor" in html
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_the_queue_filters_by_kind_and_status(contributor, moderator, published_claim, proposal):
    flag = services.contribution_submit(
        author=contributor,
        kind=Kind.FLAG,
        payload={"reason_code": "spam", "comment": ""},
        target_type="claim",
        target_id=published_claim.pk,
    )
    services.contribution_withdraw(contribution=proposal, actor=contributor, version=1)
    client = logged_in(moderator)

    def shown(query: str) -> list[int]:
        html = client.get(f"/moderation/?{query}").content.decode()
        return [int(pk) for pk in re.findall(r'id="contribution-(\d+)"', html)]

    assert shown("") == [flag.pk]
    assert shown("kind=new_claim") == []
    assert shown("status=withdrawn") == [proposal.pk]
    assert shown("kind=flag&status=pending") == [flag.pk]


def test_the_queue_shows_a_correction_beside_the_current_values(
    contributor, moderator, published_claim
):
    services.contribution_submit(
        author=contributor,
        kind=Kind.CORRECTION,
        payload={"changes": {"text": "Open weights are safer"}, "reason": "Says so"},
        target_type="claim",
        target_id=published_claim.pk,
        base_version=published_claim.version,
    )

    html = logged_in(moderator).get("/moderation/").content.decode()

    row = re.search(r"<tr><th scope=\"row\">Text</th><td>(.*?)</td><td>(.*?)</td></tr>", html)
    assert row.groups() == (published_claim.text, "Open weights are safer")


def test_approve_publishes_the_claim_through_the_service(moderator, proposal, client):
    response = logged_in(moderator).post(
        f"/moderation/{proposal.pk}/approve/", {"version": 1, "next": "/moderation/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/moderation/"
    proposal.refresh_from_db()
    assert proposal.status == State.APPROVED
    assert proposal.reviewer == moderator
    claim = Claim.objects.get(pk=proposal.applied[1]["id"])
    assert (claim.text, claim.status) == (new_claim_payload()["text"], Status.PUBLISHED)
    assert client.get(f"/claims/{claim.pk}/").status_code == 200


def test_a_stale_decision_says_someone_else_decided_and_changes_nothing(
    moderator, editor, proposal
):
    services.contribution_reject(contribution=proposal, actor=editor, version=1, reason_code="spam")

    response = logged_in(moderator).post(
        f"/moderation/{proposal.pk}/approve/", {"version": 1}, follow=True
    )

    proposal.refresh_from_db()
    assert proposal.status == State.REJECTED
    assert proposal.reviewer == editor
    assert "was already decided by someone else" in response.content.decode()
    assert Claim.objects.count() == 0


def test_reject_needs_a_reason_code_from_the_apis_choices(moderator, proposal):
    client = logged_in(moderator)

    missing = client.post(f"/moderation/{proposal.pk}/reject/", {"version": 1}, follow=True)
    unknown = client.post(
        f"/moderation/{proposal.pk}/reject/", {"version": 1, "reason_code": "rude"}, follow=True
    )
    proposal.refresh_from_db()
    assert proposal.status == State.PENDING
    assert "Reason: This field is required." in missing.content.decode()
    assert "is not a valid choice" in unknown.content.decode()

    client.post(
        f"/moderation/{proposal.pk}/reject/",
        {"version": 1, "reason_code": "duplicate", "note": "See #1"},
    )
    proposal.refresh_from_db()
    assert proposal.status == State.REJECTED
    last = proposal.decisions.order_by("id").last()
    assert (last.reason_code, last.note) == ("duplicate", "See #1")


def test_request_changes_needs_a_note(moderator, proposal):
    client = logged_in(moderator)

    missing = client.post(
        f"/moderation/{proposal.pk}/request-changes/", {"version": 1}, follow=True
    )
    proposal.refresh_from_db()
    assert proposal.status == State.PENDING
    assert "Note: This field is required." in missing.content.decode()

    client.post(f"/moderation/{proposal.pk}/request-changes/", {"version": 1, "note": "When?"})
    proposal.refresh_from_db()
    assert proposal.status == State.CHANGES_REQUESTED


def test_nobody_decides_their_own_contribution(moderator):
    own = services.contribution_submit(
        author=moderator, kind=Kind.NEW_CLAIM, payload=new_claim_payload()
    )
    client = logged_in(moderator)

    page = client.get("/moderation/").content.decode()
    response = client.post(f"/moderation/{own.pk}/approve/", {"version": 1}, follow=True)

    assert "This is your own contribution: another moderator will decide it." in page
    assert f'action="/moderation/{own.pk}/approve/"' not in page
    own.refresh_from_db()
    assert own.status == State.PENDING
    assert "Nobody decides on their own contribution" in response.content.decode()


def test_a_decision_goes_back_only_to_a_page_of_this_site(moderator, proposal):
    response = logged_in(moderator).post(
        f"/moderation/{proposal.pk}/approve/", {"version": 1, "next": "https://evil.example/"}
    )

    assert response["Location"] == "/moderation/"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/contribute/claim/?t=-5", 200),
        ("/contribute/claim/?t=0&video=abcdefghijk", 200),
        ("/contribute/argument/?claim=99999999999999999999999", 404),
        ("/contribute/correction/?appearance=x", 404),
        ("/contribute/flag/?appearance=1", 404),
        ("/contribute/correction/", 404),
    ],
)
def test_odd_query_strings_answer_a_form_or_a_404_never_a_500(contributor, db, url, status):
    response = logged_in(contributor).get(url)

    assert response.status_code == status
    if url.endswith("t=0&video=abcdefghijk"):
        assert 'name="start" value="00:00:00"' in response.content.decode()
