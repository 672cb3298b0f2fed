"""The triage page: a note's drafts beside the note, similar claims, one decision at a time."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import selectors
from claims.models import Claim, Status
from claims.selectors import similar_claims
from notes.models import Note
from tests.factories import AppearanceFactory, ClaimFactory, NoteFactory, PublishedClaimFactory

pytestmark = pytest.mark.django_db

SAFER = "Open-sourcing AI models makes them safer."


def published(text: str) -> Claim:
    claim = PublishedClaimFactory(text=text)
    AppearanceFactory(claim=claim)
    return claim


def draft_of(note, text: str, seconds: int, score: float | None = None) -> Claim:
    claim = ClaimFactory(text=text, extraction_score=score)
    AppearanceFactory(claim=claim, video=note.video, note=note, start_seconds=seconds, quote=text)
    return claim


def triage_url(note, query: str = "") -> str:
    return reverse("admin:claims_claim_triage", args=[note.pk]) + query


# similar_claims ------------------------------------------------------------------------------


def test_similar_claims_are_published_ones_most_similar_first():
    best = published("Open-sourcing AI models makes them much safer.")
    other = published("Open-sourcing AI models makes everyone safer, they say.")
    published("Bananas are yellow when ripe.")
    ClaimFactory(text=SAFER)  # a draft is never suggested

    found = similar_claims(SAFER, limit=5)

    assert [claim.pk for claim in found] == [best.pk, other.pk]
    assert 1 >= found[0].similarity > found[1].similarity > 0


def test_similar_claims_leave_out_the_excluded_and_stop_at_the_limit():
    best = published("Open-sourcing AI models makes them much safer.")
    other = published("Open-sourcing AI models makes them safer!")
    assert [c.pk for c in similar_claims(SAFER, limit=1)] == [other.pk]
    assert [c.pk for c in similar_claims(SAFER, limit=5, exclude_ids=[other.pk])] == [best.pk]
    assert similar_claims("", limit=5) == []


# The page ------------------------------------------------------------------------------------


@pytest.fixture
def note():
    return NoteFactory(
        title="Open models",
        slug="open_models",
        body_markdown=f"{SAFER} [00:42:05]\n\nWhat about it? [00:01:00]",
    )


def test_triage_lists_the_note_drafts_in_time_order_with_watch_links_and_suggestions(
    editor_client, note
):
    keep = published("Open-sourcing AI models makes them much safer.")
    late = draft_of(note, SAFER, 2525, score=1.0)
    early = draft_of(note, "What about it then?", 60, score=0.1)
    ClaimFactory(text="A draft of another note.")

    response = editor_client.get(triage_url(note))

    assert response.status_code == 200
    assert [draft.pk for draft in response.context["drafts"]] == [early.pk, late.pk]
    # The first draft is the current one: its suggestions come with the page (none alike);
    # the others' are fetched when selected, or shown on the page focused on them.
    assert response.context["drafts"][0].suggestions == []
    assert response.context["drafts"][1].suggestions is None
    focused = editor_client.get(triage_url(note, f"?focus={late.pk}"))
    assert focused.context["drafts"][0].suggestions is None
    assert [c.pk for c in focused.context["drafts"][1].suggestions] == [keep.pk]
    assert 'data-key="1"' in focused.content.decode()
    html = response.content.decode()
    assert "A draft of another note." not in html
    assert f"https://www.youtube.com/watch?v={note.video.youtube_id}&amp;t=2525s" in html
    assert '<div class="rendered-note">' in html and "What about it?" in html
    assert 'data-key="p"' in html
    assert "<kbd>p</kbd>" in html  # the shortcuts are documented on the page


def test_a_note_without_drafts_says_so(editor_client, note):
    response = editor_client.get(triage_url(note))
    assert response.status_code == 200
    assert "No draft left to decide in this note." in response.content.decode()


def test_triage_shows_high_scores_first_and_hides_low_ones_on_request(editor_client, note):
    low = draft_of(note, "What about it then?", 60, score=0.1)
    high = draft_of(note, SAFER, 2525, score=1.0)
    unscored = draft_of(note, "Closed models keep bad actors out.", 30)

    by_score = editor_client.get(triage_url(note, "?order=score")).context["drafts"]
    hidden = editor_client.get(triage_url(note, "?hide=low")).context["drafts"]

    assert [d.pk for d in by_score] == [high.pk, low.pk, unscored.pk]
    assert [d.pk for d in hidden] == [unscored.pk, high.pk]


def test_triage_query_count_does_not_grow_with_the_drafts(editor_client, note):
    published("Open-sourcing AI models makes them much safer.")
    draft_of(note, SAFER, 2525)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert editor_client.get(triage_url(note)).status_code == 200
        return len(captured)

    few = queries()
    # Later drafts: the current one (the first) and its suggestions stay the same.
    for second in range(10):
        draft_of(note, f"Open models number {second} are safer.", 3000 + second)
    assert queries() == few


def test_only_the_current_draft_suggestions_are_computed_with_the_page(
    editor_client, note, monkeypatch
):
    keep = published("Open-sourcing AI models makes them much safer.")
    drafts = [
        draft_of(note, f"Open models number {second} are safer.", second) for second in range(5)
    ]
    focused = draft_of(note, SAFER, 2525)
    asked = []
    similar_claims_for = selectors.similar_claims_for
    monkeypatch.setattr(
        selectors,
        "similar_claims_for",
        lambda texts, **kwargs: asked.append(dict(texts)) or similar_claims_for(texts, **kwargs),
    )

    first = editor_client.get(triage_url(note, "?focus=not-a-draft"))
    chosen = editor_client.get(triage_url(note, f"?order=score&focus={focused.pk}"))

    assert asked == [{drafts[0].pk: drafts[0].text}, {focused.pk: SAFER}]
    assert first.context["focus"] == drafts[0].pk
    html = chosen.content.decode()
    assert f'data-focus="{focused.pk}"' in html
    # Without a script, each other draft links to the page focused on it, options kept.
    for draft in drafts:
        assert (
            f'href="{triage_url(note)}?order=score&amp;focus={draft.pk}#draft-{draft.pk}"' in html
        )
    assert f'href="/admin/claims/claim/{keep.pk}/change/"' in html
    # The page's script fills suggestions from the similar-claims endpoint it names.
    assert f'data-similar-url="{reverse("admin:claims_claim_similar")}"' in html
    assert '<template id="triage-suggestion">' in html


def test_the_endpoint_the_page_asks_gives_a_draft_suggestions(editor_client, note):
    keep = published("Open-sourcing AI models makes them much safer.")
    draft = draft_of(note, SAFER, 2525)

    response = editor_client.get(
        reverse("admin:claims_claim_similar"), {"text": draft.text, "claim": draft.pk}
    )

    assert response.status_code == 200
    assert [match["id"] for match in response.json()["results"]] == [keep.pk]


def decide(client, note, draft, decision: str, **extra):
    data = {"draft": draft.pk, "decision": decision, **extra}
    return client.post(triage_url(note, "?order=score"), data)


def test_publish_discard_and_merge_go_through_the_services(editor_client, editor, note):
    keep = published("Open-sourcing AI models makes them much safer.")
    one = draft_of(note, SAFER, 2525)
    two = draft_of(note, "Closed models keep bad actors out.", 30)
    three = draft_of(note, "What about it then?", 60)

    response = decide(editor_client, note, one, "publish", focus=two.pk)
    assert response.status_code == 302
    assert response["Location"] == triage_url(note, f"?order=score&focus={two.pk}")
    decide(editor_client, note, two, "merge", keep=keep.pk)
    decide(editor_client, note, three, "discard")

    statuses = dict(Claim.objects.values_list("pk", "status"))
    assert statuses[one.pk] == Status.PUBLISHED
    assert (statuses[two.pk], statuses[three.pk]) == (Status.DISCARDED, Status.DISCARDED)
    assert Claim.objects.get(pk=two.pk).merged_into == keep
    assert keep.appearances.filter(note=note).count() == 1
    for claim in (one, two, three):
        assert claim.history.latest().history_user == editor


def test_a_refused_or_repeated_decision_says_why_and_changes_nothing(editor_client, note):
    draft = ClaimFactory(text=SAFER)  # no appearance in the note: not one of its drafts
    decided = draft_of(note, "Closed models keep bad actors out.", 30)
    decide(editor_client, note, decided, "discard")

    for claim in (draft, decided):
        response = decide(editor_client, note, claim, "publish")
        assert response.status_code == 302
        messages = [str(m) for m in response.wsgi_request._messages]
        assert (
            messages[-1]
            == f"Claim #{claim.pk} is not a draft of this note (any more): nothing done."
        )
    assert Claim.objects.get(pk=draft.pk).status == Status.DRAFT


def test_merging_into_a_missing_claim_is_refused(editor_client, note):
    draft = draft_of(note, SAFER, 2525)
    response = decide(editor_client, note, draft, "merge", keep=999_999)
    assert [str(m) for m in response.wsgi_request._messages] == ["There is no claim #999999."]
    assert Claim.objects.get(pk=draft.pk).status == Status.DRAFT


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"draft": "x", "decision": "publish"},
        {"draft": 1, "decision": "burn"},
        {"draft": 1, "decision": "merge"},
        {"draft": 10**20, "decision": "publish"},
        {"draft": 1, "decision": "merge", "keep": 10**20},
    ],
)
def test_a_malformed_decision_is_a_400(editor_client, note, data):
    response = editor_client.post(triage_url(note), data)
    assert response.status_code == 400
    assert response.content.startswith(b"Not a triage decision: ")


def test_moderators_see_the_triage_but_may_not_decide(client, moderator, note):
    draft = draft_of(note, SAFER, 2525)
    client.force_login(moderator)

    page = client.get(triage_url(note))
    assert page.status_code == 200
    assert 'data-key="p"' not in page.content.decode()
    assert decide(client, note, draft, "publish").status_code == 403
    assert Claim.objects.get(pk=draft.pk).status == Status.DRAFT


def test_superusers_decide_and_others_are_sent_away(client, superuser, contributor, note):
    draft = draft_of(note, SAFER, 2525)
    client.force_login(contributor)
    assert client.get(triage_url(note)).status_code == 302  # to the admin's log-in page
    assert decide(client, note, draft, "publish").status_code == 302
    assert Claim.objects.get(pk=draft.pk).status == Status.DRAFT

    client.force_login(superuser)
    decide(client, note, draft, "publish")
    assert Claim.objects.get(pk=draft.pk).status == Status.PUBLISHED


def test_an_unknown_note_is_a_404(editor_client):
    assert (
        editor_client.get(reverse("admin:claims_claim_triage", args=[999_999])).status_code == 404
    )


def test_the_note_page_links_to_its_triage(editor_client, note):
    page = editor_client.get(reverse("admin:notes_note_change", args=[note.pk]))
    assert triage_url(note) in page.content.decode()


def test_the_import_report_links_each_extracted_note_to_its_triage(editor_client):
    from tests.test_admin import IMPORT_URL, NOTE, upload

    response = editor_client.post(
        IMPORT_URL,
        {"files": [upload("good.md", NOTE.format(title="Uploaded note"))], "extract_claims": "on"},
    )

    note = Note.objects.get(slug="uploaded_note")
    html = response.content.decode()
    assert f'<a href="{triage_url(note)}">Uploaded note</a> (1 new draft)' in html
