"""The claim form shows the most similar published claims before anything is saved."""

import pytest
from django.urls import reverse

from tests.factories import AppearanceFactory, ClaimFactory, PublishedClaimFactory

pytestmark = pytest.mark.django_db

SIMILAR = reverse("admin:claims_claim_similar")


def published(text: str):
    claim = PublishedClaimFactory(text=text)
    AppearanceFactory(claim=claim)
    return claim


def test_the_change_form_lists_similar_published_claims_but_not_itself(editor_client):
    twin = published("Open-sourcing AI models makes them much safer.")
    published("Bananas are yellow when ripe.")
    claim = published("Open-sourcing AI models makes them safer.")

    html = editor_client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content
    html = html.decode()

    hint = html[html.index('<div class="duplicate-hint"') :]
    hint = hint[: hint.index("</div>")]
    assert f'data-claim="{claim.pk}"' in hint
    assert f"#{twin.pk}</a> Open-sourcing AI models makes them much safer." in hint
    assert "Bananas" not in hint and f"#{claim.pk}<" not in hint
    assert "admin/claims/duplicate_hint.js" in html


def test_the_add_form_asks_as_the_editor_types(editor_client):
    html = editor_client.get(reverse("admin:claims_claim_add")).content.decode()
    assert f'<div class="duplicate-hint" data-url="{SIMILAR}" data-claim="">' in html
    assert '<p class="duplicate-none">None found.</p>' in html


def test_the_similar_endpoint_answers_published_claims_as_json(editor_client):
    twin = published("Open-sourcing AI models makes them much safer.")
    ClaimFactory(text="Open-sourcing AI models makes them safer, a draft.")

    response = editor_client.get(SIMILAR, {"text": "Open-sourcing AI models makes them safer."})

    results = response.json()["results"]
    assert [(r["id"], r["text"]) for r in results] == [(twin.pk, twin.text)]
    assert results[0]["url"] == reverse("admin:claims_claim_change", args=[twin.pk])
    assert 0 < results[0]["similarity"] <= 1
    excluded = editor_client.get(SIMILAR, {"text": twin.text, "claim": twin.pk})
    assert excluded.json() == {"results": []}


@pytest.mark.parametrize(
    "query",
    [{}, {"text": ""}, {"text": "x" * 50_000, "claim": "abc"}, {"text": "a", "claim": "9" * 30}],
)
def test_the_similar_endpoint_takes_odd_input_calmly(editor_client, query):
    response = editor_client.get(SIMILAR, query)
    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_the_similar_endpoint_is_for_staff_who_may_view_claims(client, moderator, contributor):
    client.force_login(moderator)
    assert client.get(SIMILAR, {"text": "safe"}).status_code == 200
    client.force_login(contributor)
    assert client.get(SIMILAR, {"text": "safe"}).status_code == 302  # to the admin's log-in
