"""Who may open which contributor or moderator page and send which form: every page × persona.

The rule is the API's (tests/contributions/test_permissions.py): contributors propose and see
their own contributions (another's is a 404), moderators, editors and superusers decide. An
anonymous visitor is sent to log in and come back; a signed-in user who may not contribute
gets a 403 saying why. The contribution is `contributor`'s; a denied POST must leave it as it
was, an allowed one must have moved it.
"""

import pytest
from django.test import Client

from contributions import services
from contributions.models import Contribution, Kind, State
from tests.contributions.conftest import new_claim_payload

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "unconfirmed", "contributor", "other_contributor", "moderator", "editor"]
LOGIN = "login"
MOVED = "moved"
#: (method, address, body, state it starts in, state an allowed POST leaves)
CALLS = {
    "contribute claim GET": ("get", "/contribute/claim/?video=abcdefghijk", None, None, None),
    "contribute claim POST": (
        "post",
        "/contribute/claim/",
        {"text": "Phones will run models", "video": "abcdefghijk", "start": "61"},
        None,
        None,
    ),
    "contribute argument GET": ("get", "/contribute/argument/?claim={claim}", None, None, None),
    "contribute correction GET": ("get", "/contribute/correction/?claim={claim}", None, None, None),
    "contribute flag GET": ("get", "/contribute/flag/?claim={claim}", None, None, None),
    "contribute argument POST": (
        "post",
        "/contribute/argument/?claim={claim}",
        {"claim": "{claim}", "stance": "for", "text": "More eyes", "source_url": "https://e.org/"},
        None,
        None,
    ),
    "contribute correction POST": (
        "post",
        "/contribute/correction/?claim={claim}",
        {"text": "Corrected", "topics": "", "reason": "Says so", "base_version": "{version}"},
        None,
        None,
    ),
    "contribute flag POST": (
        "post",
        "/contribute/flag/?claim={claim}",
        {"reason_code": "spam"},
        None,
        None,
    ),
    "list GET": ("get", "/contributions/", None, State.PENDING, None),
    "detail GET": ("get", "/contributions/{id}/", None, State.PENDING, None),
    "edit GET": ("get", "/contributions/{id}/edit/", None, State.CHANGES_REQUESTED, None),
    "edit POST": (
        "post",
        "/contributions/{id}/edit/",
        {"text": "Edited", "video": "abcdefghijk", "start": "61", "version": 1},
        State.CHANGES_REQUESTED,
        State.PENDING,
    ),
    "withdraw POST": (
        "post",
        "/contributions/{id}/withdraw/",
        {"version": 1},
        State.PENDING,
        State.WITHDRAWN,
    ),
    "moderation GET": ("get", "/moderation/", None, State.PENDING, None),
    "moderation item GET": ("get", "/moderation/{id}/", None, State.PENDING, None),
    "approve POST": (
        "post",
        "/moderation/{id}/approve/",
        {"version": 1},
        State.PENDING,
        State.APPROVED,
    ),
    "reject POST": (
        "post",
        "/moderation/{id}/reject/",
        {"version": 1, "reason_code": "spam"},
        State.PENDING,
        State.REJECTED,
    ),
    "request-changes POST": (
        "post",
        "/moderation/{id}/request-changes/",
        {"version": 1, "note": "Which second?"},
        State.PENDING,
        State.CHANGES_REQUESTED,
    ),
}
PROPOSALS = (
    "contribute claim POST",
    "contribute argument POST",
    "contribute correction POST",
    "contribute flag POST",
)
CONTRIBUTE = {
    **dict.fromkeys(PROPOSALS, 302),
    "contribute claim GET": 200,
    "contribute argument GET": 200,
    "contribute correction GET": 200,
    "contribute flag GET": 200,
    "list GET": 200,
}
MODERATOR = {
    **CONTRIBUTE,
    "detail GET": 404,
    "edit GET": 404,
    "edit POST": 404,
    "withdraw POST": 404,
    "moderation GET": 200,
    "moderation item GET": 200,
    "approve POST": MOVED,
    "reject POST": MOVED,
    "request-changes POST": MOVED,
}
EXPECTED = {
    "anonymous": dict.fromkeys(CALLS, LOGIN),
    "unconfirmed": dict.fromkeys(CALLS, 403),
    "contributor": {
        **CONTRIBUTE,
        "detail GET": 200,
        "edit GET": 200,
        "edit POST": MOVED,
        "withdraw POST": MOVED,
        "moderation GET": 403,
        "moderation item GET": 403,
        "approve POST": 403,
        "reject POST": 403,
        "request-changes POST": 403,
    },
    "other_contributor": {
        **CONTRIBUTE,
        "detail GET": 404,
        "edit GET": 404,
        "edit POST": 404,
        "withdraw POST": 404,
        "moderation GET": 403,
        "moderation item GET": 403,
        "approve POST": 403,
        "reject POST": 403,
        "request-changes POST": 403,
    },
    "moderator": MODERATOR,
    "editor": MODERATOR,
}
CELLS = [(call, persona) for call in CALLS for persona in PERSONAS]


def test_the_matrix_is_complete():
    assert len(CELLS) == len(CALLS) * len(PERSONAS) == 108
    assert all(set(row) == set(CALLS) for row in EXPECTED.values())


@pytest.mark.parametrize(("call", "persona"), CELLS)
def test_page_permission_cell(request, contributor, published_claim, call, persona):
    method, address, body, start, allowed_end = CALLS[call]
    contribution = services.contribution_submit(
        author=contributor, kind=Kind.NEW_CLAIM, payload=new_claim_payload()
    )
    Contribution.objects.filter(pk=contribution.pk).update(status=start or State.PENDING)
    client = Client()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    names = {"id": contribution.pk, "claim": published_claim.pk, "version": published_claim.version}
    address = address.format(**names)
    body = {name: str(value).format(**names) for name, value in (body or {}).items()}
    count = Contribution.objects.count()

    response = getattr(client, method)(address, body)

    expected = EXPECTED[persona][call]
    contribution.refresh_from_db()
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    elif expected == MOVED:
        assert response.status_code == 302, response.content.decode()[:500]
        assert contribution.status == allowed_end
    else:
        assert response.status_code == expected, response.content.decode()[:500]
    if expected != MOVED:
        assert contribution.status == (start or State.PENDING)
    created = call in PROPOSALS and expected == 302
    assert Contribution.objects.count() == count + (1 if created else 0)
    if response.status_code in (200, 403, 404):
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
    if expected == 403:
        says = (
            "Not for this account"
            if "moderation" in address
            else "Confirm your e-mail address to contribute"
        )
        assert says in response.content.decode()
