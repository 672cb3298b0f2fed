"""The contribution API: proposals in, decisions out, errors in the one shape."""

from datetime import timedelta

import pytest

from claims import services as claims_services
from claims.models import Claim, Status
from contributions import services
from contributions.models import Contribution, Kind, State
from tests.contributions.conftest import VIDEO, new_claim_payload

pytestmark = pytest.mark.django_db

LIST = "/api/v1/contributions/"


def detail(contribution, action: str = "") -> str:
    return f"{LIST}{contribution.pk}/" + (f"{action}/" if action else "")


def new_claim(**overrides) -> dict:
    body = {"kind": "new_claim", **new_claim_payload(**overrides)}
    return {name: value for name, value in body.items() if value is not None}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"status", "code", "detail", "errors"}
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code
    return body


# Proposing ----------------------------------------------------------------------------------


def test_a_new_claim_is_pending_lists_similar_claims_and_stays_out_of_the_public_api(
    contributor_api, published_claim, anonymous
):
    response = contributor_api.post(
        LIST, new_claim(text="Open-sourcing AI models makes them much safer", video=VIDEO)
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert {key: body[key] for key in ("kind", "status", "version", "author")} == {
        "kind": "new_claim",
        "status": "pending",
        "version": 1,
        "author": "contributor",
    }
    assert body["video"] == VIDEO
    assert body["start_seconds"] == 61
    assert [similar["id"] for similar in body["similar_claims"]] == [published_claim.pk]
    (decision,) = body["decisions"]
    assert decision | {"created_at": None} == {
        "old_state": "",
        "new_state": "pending",
        "by": "author",
        "actor": None,
        "reason_code": "",
        "note": "",
        "created_at": None,
    }
    public = anonymous.get("/api/v1/claims/").json()["results"]
    assert [claim["text"] for claim in public] == [published_claim.text]
    assert "no-store" in response["Cache-Control"]


def test_start_may_be_given_as_a_timestamp(contributor_api):
    body = new_claim(start_seconds=None, start="01:02:03", end="01:02:10")
    response = contributor_api.post(LIST, body)

    assert response.status_code == 201, response.content
    assert (response.json()["start_seconds"], response.json()["end_seconds"]) == (3723, 3730)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (new_claim(video="not-an-id"), "video"),
        (new_claim(start_seconds=-3), "start_seconds"),
        (new_claim(start_seconds=None, start="00:99:00"), "start"),
        (new_claim(start_seconds=None), "start_seconds"),
        (new_claim(start_seconds=100, end_seconds=50), "end_seconds"),
        (new_claim(text=""), "text"),
        (new_claim(topics=["nothing_here"]), "topics"),
        (new_claim(status="approved"), "status"),
        (new_claim(author="other_contributor"), "author"),
        (new_claim(version=7), "version"),
        (new_claim(applied=[{"type": "claim", "id": 1}]), "applied"),
        ({"kind": "poem", "text": "Roses"}, "kind"),
        ({"text": "No kind"}, "kind"),
        (
            {"kind": "new_argument", "claim": 999, "stance": "for", "text": "x", "source_url": ""},
            "claim",
        ),
        (
            {"kind": "flag", "target_type": "claim", "target_id": 999, "reason_code": "spam"},
            "target_id",
        ),
        (
            {"kind": "flag", "target_type": "appearance", "target_id": 1, "reason_code": "spam"},
            "target_type",
        ),
    ],
)
def test_bad_proposals_answer_400_naming_the_field(contributor_api, published_claim, body, field):
    response = contributor_api.post(LIST, body)

    errors = assert_error(response, 400, "invalid")["errors"]
    assert field in errors, errors
    assert not Contribution.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(contributor_api):
    response = contributor_api.post(LIST, [1, 2], format="json")

    assert_error(response, 400)


def test_a_new_argument_and_a_flag_are_accepted(contributor_api, published_claim):
    argument = contributor_api.post(
        LIST,
        {
            "kind": "new_argument",
            "claim": published_claim.pk,
            "stance": "against",
            "text": "Fine-tuning removes safeguards.",
            "video": VIDEO,
            "start": "00:10:00",
        },
    )
    flag = contributor_api.post(
        LIST,
        {
            "kind": "flag",
            "target_type": "claim",
            "target_id": published_claim.pk,
            "reason_code": "wrong_time",
            "comment": "Said a minute later.",
        },
    )

    assert argument.status_code == 201, argument.content
    assert argument.json()["start_seconds"] == 600
    assert flag.status_code == 201, flag.content
    assert (flag.json()["target_type"], flag.json()["target_id"]) == ("claim", published_claim.pk)


# Reading ------------------------------------------------------------------------------------


def test_contributors_list_their_own_and_moderators_all(
    contributor_api, other_contributor_api, moderator_api, proposal, other_contributor
):
    theirs = services.contribution_submit(
        author=other_contributor, kind=Kind.NEW_CLAIM, payload=new_claim_payload()
    )

    def ids(api, query=""):
        response = api.get(LIST + query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(contributor_api) == [proposal.pk]
    assert ids(other_contributor_api) == [theirs.pk]
    assert ids(moderator_api) == [theirs.pk, proposal.pk]
    assert ids(moderator_api, "?ordering=created_at") == [proposal.pk, theirs.pk]
    assert ids(moderator_api, "?author=contributor") == [proposal.pk]
    assert ids(moderator_api, "?status=approved") == []
    assert ids(moderator_api, "?kind=new_claim&status=pending") == [theirs.pk, proposal.pk]
    future = (proposal.created_at + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert ids(moderator_api, f"?created_after={future}") == []
    assert ids(moderator_api, f"?created_before={future}") == [theirs.pk, proposal.pk]


@pytest.mark.parametrize("query", ["?colour=red", "?status=lost", "?created_after=yesterday"])
def test_unknown_list_parameters_are_a_400(moderator_api, query):
    assert_error(moderator_api.get(LIST + query), 400, "invalid")


def test_another_contributors_contribution_is_a_404(other_contributor_api, proposal):
    assert_error(other_contributor_api.get(detail(proposal)), 404, "not_found")


def test_moderators_see_who_decided_authors_do_not(
    contributor_api, moderator_api, proposal, moderator
):
    services.contribution_reject(
        contribution=proposal, actor=moderator, version=1, reason_code="spam", note="An ad."
    )
    mine = contributor_api.get(detail(proposal)).json()["decisions"][-1]
    theirs = moderator_api.get(detail(proposal)).json()["decisions"][-1]

    assert (mine["by"], mine["actor"], mine["reason_code"], mine["note"]) == (
        "moderator",
        None,
        "spam",
        "An ad.",
    )
    assert theirs["actor"] == "moderator"


# Deciding -----------------------------------------------------------------------------------


def test_approval_publishes_at_once_and_moves_the_public_etag(moderator_api, proposal, anonymous):
    before = anonymous.get("/api/v1/claims/")
    response = moderator_api.post(detail(proposal, "approve"), {"version": 1})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["version"]) == ("approved", 2)
    claim = Claim.objects.get(text=proposal.payload["text"])
    assert {"type": "claim", "id": claim.pk, "action": "created"} in body["applied"]
    after = anonymous.get("/api/v1/claims/")
    assert [row["id"] for row in after.json()["results"]] == [claim.pk]
    assert after["ETag"] != before["ETag"]
    assert anonymous.get("/api/v1/claims/", HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200


def test_a_repeated_approval_is_a_409_and_changes_nothing(moderator_api, proposal):
    moderator_api.post(detail(proposal, "approve"), {"version": 1})
    again = moderator_api.post(detail(proposal, "approve"), {"version": 1})

    assert_error(again, 409, "stale_version")
    assert Claim.objects.filter(status=Status.PUBLISHED).count() == 1


def test_approving_a_rejected_contribution_at_its_version_is_an_illegal_move(
    moderator_api, proposal
):
    moderator_api.post(detail(proposal, "reject"), {"version": 1, "reason_code": "spam"})
    response = moderator_api.post(detail(proposal, "approve"), {"version": 2})

    assert_error(response, 409, "illegal_move")


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("approve", {}, "version"),
        ("approve", {"version": "two"}, "version"),
        ("reject", {"version": 1}, "reason_code"),
        ("reject", {"version": 1, "reason_code": "boring"}, "reason_code"),
        ("request-changes", {"version": 1}, "note"),
        ("request-changes", {"version": 1, "note": "  "}, "note"),
        ("approve", {"version": 1, "status": "approved"}, "status"),
    ],
)
def test_bad_decisions_are_a_400(moderator_api, proposal, action, body, field):
    response = moderator_api.post(detail(proposal, action), body)

    assert field in assert_error(response, 400, "invalid")["errors"]
    proposal.refresh_from_db()
    assert (proposal.status, proposal.version) == (State.PENDING, 1)


def test_the_rejected_author_reads_the_reason(contributor_api, moderator_api, proposal):
    moderator_api.post(
        detail(proposal, "reject"),
        {"version": 1, "reason_code": "not_a_claim", "note": "A question."},
    )
    body = contributor_api.get(detail(proposal)).json()

    assert body["status"] == "rejected"
    assert (body["decisions"][-1]["reason_code"], body["decisions"][-1]["note"]) == (
        "not_a_claim",
        "A question.",
    )


def test_the_author_edits_only_while_changes_are_requested(
    contributor_api, moderator_api, proposal
):
    early = contributor_api.patch(detail(proposal), {"version": 1, "text": "Sooner"})
    assert_error(early, 409, "illegal_move")

    moderator_api.post(detail(proposal, "request-changes"), {"version": 1, "note": "Cite it."})
    missing = contributor_api.patch(detail(proposal), {"text": "Sooner"})
    assert "version" in assert_error(missing, 400)["errors"]
    forbidden = contributor_api.patch(detail(proposal), {"version": 2, "status": "approved"})
    assert "status" in assert_error(forbidden, 400)["errors"]
    kind = contributor_api.patch(detail(proposal), {"version": 2, "kind": "flag"})
    assert "kind" in assert_error(kind, 400)["errors"]

    edited = contributor_api.patch(
        detail(proposal), {"version": 2, "text": "Sooner", "start": "00:02:00"}
    )
    assert edited.status_code == 200, edited.content
    body = edited.json()
    assert (body["status"], body["version"], body["text"], body["start_seconds"]) == (
        "pending",
        3,
        "Sooner",
        120,
    )
    assert body["video"] == proposal.payload["video"]


def test_withdraw_by_the_author(contributor_api, proposal):
    response = contributor_api.post(detail(proposal, "withdraw"), {"version": 1})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"


# Quotas -------------------------------------------------------------------------------------


def test_the_daily_quota_answers_429_saying_when_it_resets(settings, contributor_api):
    settings.CONTRIBUTION_DAILY_LIMIT = 1
    first = contributor_api.post(LIST, new_claim())
    assert first.status_code == 201
    response = contributor_api.post(LIST, new_claim())

    body = assert_error(response, 429, "quota_exceeded")
    assert "daily limit" in body["detail"]
    assert body["resets_at"]
    assert 86390 <= int(response["Retry-After"]) <= 86400
    assert Contribution.objects.count() == 1


def test_the_pending_quota_answers_429(settings, contributor_api):
    settings.CONTRIBUTION_MAX_PENDING = 1
    contributor_api.post(LIST, new_claim())
    response = contributor_api.post(LIST, new_claim())

    body = assert_error(response, 429, "quota_exceeded")
    assert "waiting" in body["detail"]
    assert "Retry-After" not in response


@pytest.mark.parametrize(
    "changes",
    [
        {"source_url": 5},
        {"start_seconds": "soon"},
        {"premise": "abc"},
        {"stance": {}},
        {"video": ["x"]},
        {"speaker": 3},
        {"text": None},
        {"end_seconds": 1},
        {"claim": 1},
    ],
)
def test_a_correction_of_any_shape_is_a_400_never_a_500(contributor_api, published_claim, changes):
    argument = published_claim.arguments.get()
    response = contributor_api.post(
        LIST,
        {
            "kind": "correction",
            "target_type": "argument",
            "target_id": argument.pk,
            "base_version": 1,
            "changes": changes,
            "reason": "Because.",
        },
    )

    errors = assert_error(response, 400, "invalid")["errors"]
    assert any(key.startswith("changes") for key in errors), errors


# Corrections and versions -------------------------------------------------------------------


def _correct_claim(api, claim, **changes):
    return api.post(
        LIST,
        {
            "kind": "correction",
            "target_type": "claim",
            "target_id": claim.pk,
            "base_version": api.get(f"/api/v1/claims/{claim.pk}/").json()["version"],
            "changes": changes,
            "reason": "Closer to the words said.",
        },
    )


def test_a_correction_applies_at_its_base_version_and_the_history_names_it(
    contributor_api, moderator_api, published_claim, anonymous
):
    proposed = _correct_claim(contributor_api, published_claim, text="Open models are safer")
    assert proposed.status_code == 201, proposed.content
    contribution = Contribution.objects.get()

    approved = moderator_api.post(detail(contribution, "approve"), {"version": 1})

    assert approved.status_code == 200, approved.content
    public = anonymous.get(f"/api/v1/claims/{published_claim.pk}/").json()
    assert public["text"] == "Open models are safer"
    assert public["version"] == contribution.base_version + 1
    row = published_claim.history.order_by("-history_id").first()
    assert (row.history_user.username, row.contribution_id) == ("contributor", contribution.pk)


def test_a_correction_on_a_stale_base_is_a_409_showing_current_and_proposed(
    contributor_api, moderator_api, published_claim, editor
):
    _correct_claim(contributor_api, published_claim, text="Open models are safer")
    contribution = Contribution.objects.get()
    base = contribution.base_version
    claims_services.claim_update(
        claim=published_claim, changes={"text": "Edited by an editor"}, actor=editor
    )

    response = moderator_api.post(detail(contribution, "approve"), {"version": 1})

    body = assert_error(response, 409, "apply_conflict")
    assert body["current"] == {"version": base + 1, "text": "Edited by an editor"}
    assert body["proposed"] == {"version": base, "text": "Open models are safer"}
    published_claim.refresh_from_db()
    assert published_claim.text == "Edited by an editor"
    contribution.refresh_from_db()
    assert (contribution.status, contribution.version) == (State.PENDING, 1)


def test_a_correction_proposed_on_an_old_version_is_refused_at_once(
    contributor_api, published_claim
):
    response = contributor_api.post(
        LIST,
        {
            "kind": "correction",
            "target_type": "claim",
            "target_id": published_claim.pk,
            "base_version": published_claim.version + 5,
            "changes": {"text": "Anything"},
            "reason": "Because.",
        },
    )

    assert "base_version" in assert_error(response, 400, "invalid")["errors"]
