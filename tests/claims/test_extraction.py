"""Better drafts: how claim-like a sentence reads, and one draft per near-identical sentence."""

import io

import pytest
from django.core.management import call_command

from claims import services
from claims.extraction import (
    LOW_SCORE,
    claim_likeness,
    group_near_identical,
    near_identical,
    normalized,
    worth_a_draft,
)
from claims.models import Claim, Status
from tests.factories import GroundedClaimFactory

SAFER = "Open-sourcing AI models makes them safer because more eyes find the bugs."


def test_a_plain_declarative_sentence_scores_full_marks():
    assert claim_likeness(SAFER) == 1.0


@pytest.mark.parametrize(
    "sentence",
    [
        "Does open-sourcing AI models make them safer for everyone?",  # a question
        "The organizing team for the workshop includes:",  # a list label
        "Vector Association And The Future Of Large Language Models",  # a heading
        "Name: The individual's name.",  # an entry of a list
        "Christian Gassing and friends",  # no verb: a fragment
    ],
)
def test_questions_labels_headings_and_fragments_score_low(sentence):
    assert 0 < claim_likeness(sentence) < LOW_SCORE


def test_short_sentences_score_zero_and_make_no_draft():
    assert claim_likeness("Lian Weng") == 0.0
    assert not worth_a_draft("Zero: perpendicular.")
    assert worth_a_draft("Models are safer.")


def test_more_words_score_higher_up_to_a_full_sentence():
    scores = [claim_likeness(text) for text in ("Models are safer.", "Open models are safer now.")]
    assert scores[0] < scores[1] < 1.0


def test_a_run_on_sentence_scores_lower_than_a_sentence():
    run_on = " ".join(["Open models are safer"] * 20) + "."
    assert claim_likeness(run_on) == 0.7


def test_a_sentence_already_a_claim_scores_zero():
    said = "Open-sourcing AI models makes them safer, because more eyes find the bugs"
    known = {normalized(said)}
    assert claim_likeness(SAFER, known=known) == 0.0
    assert claim_likeness(SAFER, known={normalized("Something else entirely is said.")}) == 1.0


def test_near_identical_sentences_are_grouped_under_the_first():
    sentences = [
        SAFER,
        "Closed models keep bad actors away.",
        "Open-sourcing AI models makes them safer, because more eyes find the bugs!",
        "Open sourcing AI models makes them safer because more eyes find bugs.",
        "Open-sourcing AI models makes them dangerous because bad actors get them.",
    ]
    assert near_identical(sentences[0], sentences[2])
    assert not near_identical(sentences[0], sentences[4])
    assert group_near_identical(sentences) == [[0, 2, 3], [1], [4]]


NOTE = """---
title: A ranked note
videoId: oX7OduG1YmI
---

## Why open models

{body}
"""


def import_note(tmp_path, body: str) -> None:
    (tmp_path / "note.md").write_text(NOTE.format(body=body), encoding="utf-8")
    call_command("import_notes", str(tmp_path), "--extract-claims", stdout=io.StringIO())


@pytest.mark.django_db
def test_extraction_stores_scores_and_folds_repeats_into_one_draft(tmp_path):
    import_note(
        tmp_path,
        f"{SAFER} [00:42:05]\n\nWhat about bad actors? [00:43:00]\n\n"
        "Lian Weng [00:44:00]\n\n"
        "Open-sourcing AI models makes them safer, because more eyes find the bugs! [00:50:10]",
    )

    drafts = {claim.text: claim for claim in Claim.objects.all()}
    assert set(drafts) == {SAFER, "What about bad actors?"}
    safer = drafts[SAFER]
    assert safer.extraction_score == 1.0
    assert drafts["What about bad actors?"].extraction_score < LOW_SCORE
    assert sorted(safer.appearances.values_list("start_seconds", flat=True)) == [2525, 3010]


@pytest.mark.django_db
def test_a_sentence_that_is_already_a_claim_is_drafted_with_score_zero(tmp_path):
    existing = GroundedClaimFactory(text=SAFER)
    import_note(tmp_path, f"{SAFER} [00:42:05]")
    draft = Claim.objects.exclude(pk=existing.pk).get()
    assert (draft.text, draft.extraction_score) == (SAFER, 0.0)


@pytest.mark.django_db
def test_an_edited_sentence_of_a_discarded_draft_does_not_come_back(tmp_path, editor):
    import_note(tmp_path, f"{SAFER} [00:42:05]")
    services.claim_discard(claim=Claim.objects.get(), actor=editor)

    # A typo fixed and the time nudged: the same sentence to the editor who threw it away.
    import_note(tmp_path, f"{SAFER.replace('bugs', 'bugs sooner')} [00:42:07]")
    import_note(tmp_path, f"{SAFER} [00:42:07] A different claim about closed models. [00:43:00]")

    assert sorted(Claim.objects.values_list("status", "text")) == [
        (Status.DISCARDED, SAFER),
        (Status.DRAFT, "A different claim about closed models."),
    ]


@pytest.mark.django_db
def test_a_new_sentence_near_identical_to_a_draft_of_its_note_joins_that_draft(tmp_path):
    import_note(tmp_path, f"{SAFER} [00:42:05]")
    draft = Claim.objects.get()

    # The note gains a sentence in nearly the same words, later in the video.
    import_note(
        tmp_path,
        f"{SAFER} [00:42:05]\n\n"
        "Open-sourcing AI models makes them safer, because more eyes find the bugs! [00:50:10]",
    )

    assert list(Claim.objects.values_list("pk", "status")) == [(draft.pk, Status.DRAFT)]
    assert sorted(draft.appearances.values_list("start_seconds", flat=True)) == [2525, 3010]
    assert draft.appearances.last().history.get().history_change_reason == (
        "Extracted from note a_ranked_note"
    )


@pytest.mark.django_db
def test_a_sentence_near_identical_to_a_published_claim_of_its_note_makes_a_draft(tmp_path, editor):
    import_note(tmp_path, f"{SAFER} [00:42:05]")
    published = services.claim_publish(claim=Claim.objects.get(), actor=editor)

    import_note(tmp_path, f"{SAFER} [00:42:05]\n\n{SAFER.replace('bugs', 'bugs!')} [00:50:10]")

    draft = Claim.objects.exclude(pk=published.pk).get()
    assert (draft.status, list(draft.appearances.values_list("start_seconds", flat=True))) == (
        Status.DRAFT,
        [3010],
    )


@pytest.mark.django_db
def test_a_sentence_already_a_claim_in_other_case_and_punctuation_scores_zero(tmp_path):
    GroundedClaimFactory(
        text="open-sourcing AI models makes them SAFER, because more eyes find the bugs"
    )
    # The same letters, but not the same words: not the same claim.
    GroundedClaimFactory(
        text="Open sourcing AI models makes the msafer because more eyes find the bugs."
    )

    import_note(tmp_path, f"{SAFER} [00:42:05]\n\nClosed models keep bad actors away. [00:43:00]")

    drafted = Claim.objects.filter(appearances__note__isnull=False)
    assert sorted(drafted.values_list("text", "extraction_score")) == [
        ("Closed models keep bad actors away.", 0.76),
        (SAFER, 0.0),
    ]
