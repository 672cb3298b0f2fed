"""Who may do what: every contribution endpoint × method × persona, each cell asserted.

The contribution is `contributor`'s, pending (sent back for changes for the PATCH cells). A
denied cell must also leave it as it was; an allowed move must have moved it.
"""

import pytest

from contributions import services
from contributions.models import Contribution, Kind, State
from tests.contributions.conftest import new_claim_payload

pytestmark = pytest.mark.django_db

PERSONAS = [
    "anonymous",
    "contributor",
    "other_contributor",
    "unconfirmed",
    "deactivated",
    "moderator",
    "editor",
    "superuser",
]
#: (method, address, body, state it starts in, state an allowed call leaves)
CALLS = {
    "list GET": ("get", "", None, State.PENDING, State.PENDING),
    "list POST": ("post", "", "proposal", State.PENDING, State.PENDING),
    "detail GET": ("get", "{id}/", None, State.PENDING, State.PENDING),
    "detail PATCH": (
        "patch",
        "{id}/",
        {"version": 1, "text": "Edited"},
        State.CHANGES_REQUESTED,
        State.PENDING,
    ),
    "detail PUT": ("put", "{id}/", {"version": 1}, State.PENDING, State.PENDING),
    "detail DELETE": ("delete", "{id}/", None, State.PENDING, State.PENDING),
    "approve POST": ("post", "{id}/approve/", {"version": 1}, State.PENDING, State.APPROVED),
    "approve GET": ("get", "{id}/approve/", None, State.PENDING, State.PENDING),
    "reject POST": (
        "post",
        "{id}/reject/",
        {"version": 1, "reason_code": "spam"},
        State.PENDING,
        State.REJECTED,
    ),
    "request-changes POST": (
        "post",
        "{id}/request-changes/",
        {"version": 1, "note": "Which second?"},
        State.PENDING,
        State.CHANGES_REQUESTED,
    ),
    "withdraw POST": ("post", "{id}/withdraw/", {"version": 1}, State.PENDING, State.WITHDRAWN),
}
MODERATOR = {
    "list GET": 200,
    "list POST": 201,
    "detail GET": 200,
    "detail PATCH": 403,
    "detail PUT": 405,
    "detail DELETE": 405,
    "approve POST": 200,
    "approve GET": 405,
    "reject POST": 200,
    "request-changes POST": 200,
    "withdraw POST": 403,
}
EXPECTED = {
    "anonymous": dict.fromkeys(CALLS, 401),
    "unconfirmed": dict.fromkeys(CALLS, 403),
    "deactivated": dict.fromkeys(CALLS, 403),
    "contributor": {
        "list GET": 200,
        "list POST": 201,
        "detail GET": 200,
        "detail PATCH": 200,
        "detail PUT": 405,
        "detail DELETE": 405,
        "approve POST": 403,
        "approve GET": 405,
        "reject POST": 403,
        "request-changes POST": 403,
        "withdraw POST": 200,
    },
    "other_contributor": {
        "list GET": 200,
        "list POST": 201,
        "detail GET": 404,
        "detail PATCH": 404,
        "detail PUT": 405,
        "detail DELETE": 405,
        "approve POST": 404,
        "approve GET": 405,
        "reject POST": 404,
        "request-changes POST": 404,
        "withdraw POST": 404,
    },
    "moderator": MODERATOR,
    "editor": MODERATOR,
    "superuser": MODERATOR,
}
CELLS = [(call, persona) for call in CALLS for persona in PERSONAS]


def test_the_matrix_is_complete():
    assert len(CELLS) == len(CALLS) * len(PERSONAS) == 88
    assert all(set(row) == set(CALLS) for row in EXPECTED.values())


@pytest.mark.parametrize(("call", "persona"), CELLS)
def test_permission_cell(request, contributor, call, persona):
    method, address, body, start, allowed_end = CALLS[call]
    contribution = services.contribution_submit(
        author=contributor, kind=Kind.NEW_CLAIM, payload=new_claim_payload()
    )
    Contribution.objects.filter(pk=contribution.pk).update(status=start)
    client = request.getfixturevalue(persona if persona == "anonymous" else f"{persona}_api")
    if body == "proposal":
        body = {"kind": "new_claim", **new_claim_payload(end_seconds=70)}
    count = Contribution.objects.count()

    response = getattr(client, method)(
        f"/api/v1/contributions/{address.format(id=contribution.pk)}", body, format="json"
    )

    expected = EXPECTED[persona][call]
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert set(response.json()) >= {"status", "code", "detail", "errors"}
    assert "no-store" in response["Cache-Control"]
    contribution.refresh_from_db()
    moved = expected < 300 and call not in ("list POST", "list GET", "detail GET")
    assert contribution.status == (allowed_end if moved else start)
    assert Contribution.objects.count() == count + (1 if expected == 201 else 0)
    if expected == 200 and method == "get" and call == "list GET":
        visible = [row["id"] for row in response.json()["results"]]
        assert visible == ([] if persona == "other_contributor" else [contribution.pk])
