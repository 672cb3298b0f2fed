"""Searching claims and notes: what matches, what never leaks, how results read, and how the
PostgreSQL index keeps up with edits.

Vectors are refreshed when a transaction commits; the tests build their rows inside
`django_capture_on_commit_callbacks(execute=True)` so the refresh runs as it would in production.
"""

import io
import re
from contextlib import suppress

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import QuerySet

from claims import search, services
from claims.models import Claim, Stance, Status
from claims.search import (
    claims_matching,
    note_snippet,
    search_claims,
    search_index_rebuild,
    search_notes,
    snippet_html,
)
from notes import services as note_services
from notes.importer import import_vault
from notes.models import Note
from tests.factories import (
    AppearanceFactory,
    ArgumentFactory,
    ClaimFactory,
    NoteFactory,
    PublishedClaimFactory,
)

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text ranking is PostgreSQL's"
)
sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="checks the SQLite stand-in for full-text search"
)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Build rows in `with committed():` and their search vectors are refreshed on leaving."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def found_claims(q: str, queryset: QuerySet[Claim] | None = None) -> list[Claim]:
    """What a public search finds, unless another starting `queryset` is given."""
    return list(search_claims(Claim.objects.published() if queryset is None else queryset, q))


def found_notes(q: str) -> list[Note]:
    return list(search_notes(Note.objects.all(), q))


# What matches, on both databases -------------------------------------------------------------


def test_claim_matches_by_its_text(committed):
    with committed():
        claim = PublishedClaimFactory(text="Open-sourcing AI models makes them safer")
        PublishedClaimFactory(text="Smartphones take better photos")

    assert found_claims("safer") == [claim]


def test_claim_matches_by_a_quote_of_its_appearances(committed):
    with committed():
        claim = PublishedClaimFactory(text="Open models are safer")
        AppearanceFactory(claim=claim, quote="more eyes find the bugs sooner")

    assert found_claims("eyes") == [claim]


def test_claim_matches_by_a_published_argument(committed):
    with committed():
        claim = PublishedClaimFactory(text="Open models are safer")
        ArgumentFactory(claim=claim, text="Volunteers audit the weights", status=Status.PUBLISHED)

    assert found_claims("volunteers") == [claim]


@pytest.mark.parametrize(
    "status, reason", [(Status.DRAFT, ""), (Status.RETRACTED, "Misattributed")]
)
def test_claim_never_matches_by_an_unpublished_argument(committed, status, reason):
    with committed():
        claim = PublishedClaimFactory(text="Open models are safer")
        ArgumentFactory(
            claim=claim, text="Malicious actors copy them", status=status, retraction_reason=reason
        )

    assert found_claims("malicious") == []


def test_every_word_of_the_query_must_match(committed):
    with committed():
        claim = PublishedClaimFactory(text="Open models are safer")
        AppearanceFactory(claim=claim, quote="more eyes find the bugs")

    assert found_claims("safer eyes") == [claim]
    assert found_claims("safer photos") == []


def test_only_published_claims_are_returned_from_published_claims(committed):
    with committed():
        published = PublishedClaimFactory(text="Closed models are safer")
        ClaimFactory(text="Draft models are safer")
        ClaimFactory(
            text="Retracted models are safer",
            status=Status.RETRACTED,
            retraction_reason="Never said",
        )

    assert found_claims("safer") == [published]
    assert len(found_claims("safer", Claim.objects.all())) == 3


def test_notes_match_by_title_and_by_body(committed):
    with committed():
        by_title = NoteFactory(title="Photography pipelines", body_markdown="Cameras.")
        by_body = NoteFactory(title="Phones", body_markdown="A photography pipeline [00:01:05].")
        NoteFactory(title="Unrelated", body_markdown="Nothing to see.")

    assert set(found_notes("photography")) == {by_title, by_body}
    assert found_notes("cameras") == [by_title]


@pytest.mark.parametrize("q", ["&|!", "!!!", '"', "-", "((", "\x00"])
def test_a_query_of_punctuation_only_finds_nothing(committed, q):
    with committed():
        PublishedClaimFactory(text='Open & closed | models ! " - (( matter')
        NoteFactory(title="Open & closed", body_markdown='&|! !!! " - ((')

    assert found_claims(q) == []
    assert found_notes(q) == []


def test_results_carry_a_rank_and_a_snippet(committed):
    with committed():
        PublishedClaimFactory(text="Open models are safer")
        NoteFactory(title="Safety", body_markdown="Open models are safer, some say.")

    (claim,) = found_claims("safer")
    (note,) = found_notes("safer")

    assert isinstance(claim.rank, float)
    assert snippet_html(claim.snippet) == "Open models are <mark>safer</mark>"
    assert isinstance(note.rank, float)
    assert "<mark>safer</mark>" in snippet_html(note.snippet)


def test_searching_runs_no_query_until_the_results_are_read(django_assert_num_queries):
    with django_assert_num_queries(0):
        claims = search_claims(Claim.objects.published(), "safer")
        notes = search_notes(Note.objects.all(), "safer")

    with django_assert_num_queries(2):
        list(claims)
        list(notes)


def test_claims_extracted_in_bulk_are_found(committed, tmp_path):
    (tmp_path / "note.md").write_text(
        "---\ntitle: Open models\nvideoId: oX7OduG1YmI\n---\n\n"
        "Open weights let volunteers audit them [00:42:05].\n"
    )

    with committed():
        report = import_vault(
            [tmp_path],
            extract=lambda note, parsed: services.claims_extract_from_note(
                note=note, parsed=parsed
            ),
        )

    assert report.drafts == 1
    (draft,) = found_claims("volunteers", Claim.objects.drafts())
    assert draft.text == "Open weights let volunteers audit them."
    assert [note.slug for note in found_notes("volunteers")] == ["open_models"]


def _extract_from(folder, text: str, committed) -> list[Claim]:
    (folder / "note.md").write_text("---\ntitle: Open models\nvideoId: oX7OduG1YmI\n---\n\n" + text)
    with committed():
        import_vault(
            [folder],
            extract=lambda note, parsed: services.claims_extract_from_note(
                note=note, parsed=parsed
            ),
        )
    return list(Claim.objects.drafts().order_by("pk"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="vectors are PostgreSQL's")
def test_drafts_are_extracted_with_the_vectors_a_refresh_gives_them(committed, tmp_path):
    drafts = _extract_from(
        tmp_path,
        "Open weights let volunteers audit them [00:42:05]. "
        "Open weights let volunteers audit them all [00:50:00].\n\n"
        "Closed labs keep their evaluations private for now [01:02:03].\n",
        committed,
    )
    written = {draft.pk: draft.search_vector for draft in drafts}

    search.search_index_refresh_claims(written)

    refreshed = dict(Claim.objects.filter(pk__in=written).values_list("pk", "search_vector"))
    assert [len(draft.appearances.all()) for draft in drafts] == [2, 1]
    assert all(written.values())
    assert written == refreshed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="vectors are PostgreSQL's")
def test_drafts_whose_vectors_are_refused_are_written_and_indexed_after(
    committed, tmp_path, monkeypatch, caplog
):
    # Division by zero stands for a text the index cannot take.
    monkeypatch.setattr(
        search, "new_claim_vector_sql", lambda *a, **k: ("to_tsvector((1 / 0)::text)", [])
    )

    (draft,) = _extract_from(
        tmp_path, "Open weights let volunteers audit them [00:42:05].\n", committed
    )

    assert "indexed apart" in caplog.text
    assert draft.text == "Open weights let volunteers audit them."
    assert found_claims("volunteers", Claim.objects.drafts()) == [draft]


# Safe snippets --------------------------------------------------------------------------------


def test_snippet_html_escapes_the_text_and_marks_only_the_matches():
    raw = "<script>alert('x')</script> & \x02models\x03 <b>"

    assert snippet_html(raw) == (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; <mark>models</mark> &lt;b&gt;"
    )


def test_snippet_of_a_claim_holding_markup_is_escaped(committed):
    with committed():
        PublishedClaimFactory(text="<script>alert('models')</script> models matter")

    (claim,) = found_claims("matter")
    html = snippet_html(claim.snippet)

    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>matter</mark>" in html


# SQLite: a plain word match, and no vectors ---------------------------------------------------


@sqlite_only
def test_sqlite_marks_the_query_words_whatever_their_case(committed):
    with committed():
        PublishedClaimFactory(text="Models make models safer")

    (claim,) = found_claims("MODELS")

    assert snippet_html(claim.snippet) == "<mark>Models</mark> make <mark>models</mark> safer"


@sqlite_only
def test_sqlite_keeps_no_search_vectors(committed):
    with committed():
        claim = PublishedClaimFactory(text="Open models are safer")
        AppearanceFactory(claim=claim, quote="more eyes")
        NoteFactory()
        search_index_rebuild()

    assert not Claim.objects.filter(search_vector__isnull=False).exists()
    assert not Note.objects.filter(search_vector__isnull=False).exists()


# PostgreSQL: ranking, language, and the index keeping up ---------------------------------------


@postgres_only
def test_a_match_in_the_claim_text_ranks_above_a_match_in_a_quote(committed):
    with committed():
        by_quote = PublishedClaimFactory(text="Open models are safer")
        AppearanceFactory(claim=by_quote, quote="transparency helps")
        by_text = PublishedClaimFactory(text="Transparency helps security")

    assert found_claims("transparency") == [by_text, by_quote]


@postgres_only
def test_a_match_in_a_note_title_ranks_above_a_match_in_its_body(committed):
    with committed():
        by_body = NoteFactory(title="Phones", body_markdown="Some photography talk.")
        by_title = NoteFactory(title="Photography", body_markdown="Cameras and lenses.")

    assert found_notes("photography") == [by_title, by_body]


def test_words_match_by_their_stem(committed):
    with committed():
        claim = PublishedClaimFactory(text="Open-sourcing AI models makes them safer")

    assert found_claims("model") == [claim]
    assert snippet_html(found_claims("model")[0].snippet) == (
        "Open-sourcing AI <mark>models</mark> makes them safer"
    )


def test_a_plural_finds_the_singular_in_text_quotes_arguments_and_notes(committed):
    with committed():
        by_text = PublishedClaimFactory(text="A transformer reads the whole sentence")
        by_quote = PublishedClaimFactory(text="Attention is enough")
        AppearanceFactory(claim=by_quote, quote="the transformer wins")
        by_argument = PublishedClaimFactory(text="Recurrent nets are over")
        ArgumentFactory(claim=by_argument, text="A transformer beat them", status=Status.PUBLISHED)
        note = NoteFactory(title="Architectures", body_markdown="The transformer, explained.")

    found = found_claims("transformers")

    assert set(found) == {by_text, by_quote, by_argument}
    assert found_notes("transformers") == [note]
    snippets = {claim.pk: claim for claim in found}
    assert snippet_html(snippets[by_text.pk].snippet) == (
        "A <mark>transformer</mark> reads the whole sentence"
    )
    assert snippet_html(snippets[by_quote.pk].quote_snippet) == "the <mark>transformer</mark> wins"
    assert snippet_html(snippets[by_argument.pk].argument_snippet) == (
        "A <mark>transformer</mark> beat them"
    )
    assert snippets[by_text.pk].quote_snippet is None
    assert "<mark>transformer</mark>" in snippet_html(
        note_snippet(found_notes("transformers")[0].snippet)
    )


def test_web_search_syntax_excludes_words_and_matches_phrases(committed):
    with committed():
        open_claim = PublishedClaimFactory(text="Open models are safer")
        closed_claim = PublishedClaimFactory(text="Closed models are safer")

    assert found_claims("safer -closed") == [open_claim]
    assert found_claims('"closed models"') == [closed_claim]
    assert found_claims('"safer models"') == []


def test_web_search_syntax_offers_alternatives_with_or(committed):
    with committed():
        open_claim = PublishedClaimFactory(text="Open weights invite audits")
        closed_claim = PublishedClaimFactory(text="Closed weights hide flaws")
        PublishedClaimFactory(text="Phones take photos")

    assert set(found_claims("audits or flaws")) == {open_claim, closed_claim}
    assert set(found_claims("weights audits OR flaws")) == {open_claim, closed_claim}
    assert found_claims('"open weights" or photographs -phones') == [open_claim]
    assert found_claims('weights -"hide flaws"') == [open_claim]


def test_a_query_of_excluded_words_only_finds_what_lacks_them(committed):
    with committed():
        open_claim = PublishedClaimFactory(text="Open weights invite audits")
        PublishedClaimFactory(text="Closed weights hide flaws")
        ClaimFactory(text="A draft without the word")

    assert found_claims("-closed") == [open_claim]


def test_syntax_of_the_index_is_searched_for_as_words(committed):
    with committed():
        claim = PublishedClaimFactory(text="Near the column and the star")

    # FTS5 would read NEAR, AND, a column filter and a prefix star as operators.
    assert found_claims("NEAR column: star*") == [claim]
    assert found_claims("text:near") == []


@postgres_only
def test_ranking_reads_at_most_the_capped_candidates(committed, monkeypatch):
    with committed():
        for number in range(5):
            PublishedClaimFactory(text=f"Open models number {number}")
        for number in range(3):
            NoteFactory(title=f"Open models {number}", body_markdown="Open models.")
    monkeypatch.setattr(search, "SEARCH_MAX_CANDIDATES", 2)

    assert len(found_claims("models")) == 2
    assert len(found_notes("models")) == 2


@pytest.mark.parametrize("few", [1, 100])
def test_the_claim_list_finds_the_same_claims_whether_a_word_is_rare_or_common(
    committed, monkeypatch, few
):
    """Past `LIST_FEW_MATCHES` matches, PostgreSQL walks the list's order instead of
    listing the ids the index gives: the same claims, in the same order, either way."""
    with committed():
        matching = [PublishedClaimFactory(text=f"Open models number {n}") for n in range(3)]
        ClaimFactory(text="A draft about models")
        PublishedClaimFactory(text="Phones take photos")
    monkeypatch.setattr(search, "LIST_FEW_MATCHES", few)

    found = claims_matching(Claim.objects.published().order_by("-published_at", "-id"), "models")

    assert list(found) == sorted(
        matching, key=lambda claim: (claim.published_at, claim.pk), reverse=True
    )


@postgres_only
def test_a_long_note_gets_a_short_snippet_around_the_match(committed):
    filler = "Words about nothing in particular. " * 200
    with committed():
        NoteFactory(title="Long", body_markdown=f"{filler}Cameras need photography. {filler}")

    (note,) = found_notes("photography")

    assert "\x02photography\x03" in note.snippet
    assert len(note.snippet.split()) < 50


@postgres_only
def test_editing_a_quote_refreshes_its_claim(committed):
    with committed():
        claim = PublishedClaimFactory(text="Open models are safer")
        appearance = AppearanceFactory(claim=claim, quote="more eyes")

    with committed():
        appearance.quote = "fewer bugs"
        appearance.save()  # as the admin's change form does

    assert found_claims("bugs") == [claim]
    assert found_claims("eyes") == []


@postgres_only
def test_publishing_and_retracting_an_argument_refreshes_its_claim(committed, editor):
    with committed():
        claim = PublishedClaimFactory(text="Open models are safer")
        argument = ArgumentFactory(claim=claim, stance=Stance.FOR, text="Volunteers audit them")
    assert found_claims("volunteers") == []

    with committed():
        services.argument_publish(argument=argument, actor=editor)
    assert found_claims("volunteers") == [claim]

    with committed():
        services.argument_retract(argument=argument, actor=editor, reason="No source")
    assert found_claims("volunteers") == []


@postgres_only
def test_merging_moves_quotes_to_the_claim_kept(committed, editor):
    with committed():
        keep = PublishedClaimFactory(text="Open models are safer")
        duplicate = PublishedClaimFactory(text="Open weights are safer")
        AppearanceFactory(claim=duplicate, quote="more eyes")

    with committed():
        services.claim_merge(keep=keep, duplicates=[duplicate], actor=editor)

    assert found_claims("eyes", Claim.objects.all()) == [keep]


@postgres_only
def test_deleting_an_appearance_refreshes_its_claim(committed):
    with committed():
        claim = PublishedClaimFactory(text="Open models are safer")
        appearance = AppearanceFactory(claim=claim, quote="more eyes")

    with committed():
        appearance.delete()

    assert found_claims("eyes") == []


@postgres_only
def test_reverting_a_claim_refreshes_it(committed, editor):
    with committed():
        claim = PublishedClaimFactory(text="Open models are safer")
    with committed():
        claim.text = "Closed models are safer"
        claim.save()

    with committed():
        services.history_revert(record=claim.history.earliest(), actor=editor)

    assert found_claims("open") == [claim]
    assert found_claims("closed") == []


@postgres_only
def test_editing_a_note_refreshes_it(committed, editor):
    with committed():
        note = NoteFactory(title="Phones", body_markdown="Cameras.")

    with committed():
        note.body_markdown = "Photography pipelines."
        note_services.note_save(note=note, actor=editor)

    assert found_notes("photography") == [note]
    assert found_notes("cameras") == []


@postgres_only
def test_a_transaction_refreshes_its_claims_in_one_go(committed, monkeypatch):
    refreshed: list[set[int]] = []

    def refresh(claim_ids):
        refreshed.append(set(claim_ids))
        return {}

    monkeypatch.setattr(search, "search_index_refresh_claims", refresh)

    with committed():
        claim = PublishedClaimFactory(text="Open models are safer")
        AppearanceFactory.create_batch(3, claim=claim, quote="more eyes")

    # Each save asked for a refresh; the first callback took every id, the others found none
    # and did nothing (neither a transaction nor a revision bump).
    assert refreshed == [{claim.pk}]


@postgres_only
def test_a_rolled_back_savepoint_loses_no_later_refresh(committed):
    with committed():
        claim = PublishedClaimFactory(text="Open models are safer")

    with committed():
        with suppress(RuntimeError), transaction.atomic():
            AppearanceFactory(claim=claim, quote="abandoned words")
            raise RuntimeError("the savepoint rolls back")
        AppearanceFactory(claim=claim, quote="more eyes")

    assert found_claims("eyes") == [claim]
    assert found_claims("abandoned") == []


@postgres_only
def test_rebuild_fills_vectors_that_are_missing(committed):
    with committed():
        claim = PublishedClaimFactory(text="Open models are safer")
        note = NoteFactory(title="Safety", body_markdown="Safer.")
    Claim.objects.update(search_vector=None)
    Note.objects.update(search_vector=None)
    assert found_claims("safer") == []

    search_index_rebuild()

    assert found_claims("safer") == [claim]
    assert found_notes("safety") == [note]


@postgres_only
@pytest.mark.parametrize(
    "table, index",
    [("claims_claim", "claim_search_vector_gin"), ("notes_note", "note_search_vector_gin")],
)
def test_the_search_vectors_have_a_gin_index(table, index):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = %s",
            [table, index],
        )
        (definition,) = cursor.fetchone()

    assert "USING gin (search_vector)" in definition


@postgres_only
def test_a_search_over_many_claims_uses_the_gin_index():
    Claim.objects.bulk_create(
        Claim(text=f"Claim number {n} about nothing", status=Status.PUBLISHED) for n in range(3000)
    )
    PublishedClaimFactory(text="Transparency helps security")
    search_index_rebuild()
    with connection.cursor() as cursor:
        # What VACUUM would do, if it could run in the test's transaction: move the new
        # entries from GIN's pending list into the index proper, and refresh the statistics.
        cursor.execute("SELECT gin_clean_pending_list('claim_search_vector_gin')")
        cursor.execute("ANALYZE claims_claim")

    plan = search_claims(Claim.objects.published(), "transparency").explain()

    assert "claim_search_vector_gin" in plan


# Very long texts, index failures, and the revision (issue 6, points 5 and 7) -----------------


def distinct_words_note(title: str, words: int) -> str:
    """A note whose body is `words` distinct words: over about 65,000 of them, its whole
    search vector would pass PostgreSQL's 1 MB limit."""
    body = " ".join(f"w{number:06d}" for number in range(words))
    lines = "\n".join(body[start : start + 80_000] for start in range(0, len(body), 80_000))
    return f"---\ntitle: {title}\nvideoId: oX7OduG1YmI\n---\n\n{lines}\n"


def run_command(*args) -> tuple[int, list[str], str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, err.getvalue().splitlines(), out.getvalue().splitlines()[-1]
    return 0, err.getvalue().splitlines(), out.getvalue().splitlines()[-1]


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_note_too_long_to_index_whole_is_searchable_by_its_beginning(tmp_path):
    (tmp_path / "huge.md").write_text(distinct_words_note("Huge", 90_000))
    (tmp_path / "small.md").write_text(
        "---\ntitle: Small\nvideoId: abcdefghijk\n---\n\nOpen models are safer.\n"
    )

    assert run_command("import_notes", tmp_path) == (
        0,
        [],
        "2 files: 2 created, 0 updated, 0 unchanged, 0 errors",
    )
    assert [note.slug for note in found_notes("safer")] == ["small"]
    assert [note.slug for note in found_notes("w000001")] == ["huge"]
    assert found_notes("w089999") == []  # past the indexed part

    dump_path = tmp_path / "dump.jsonl"
    run_command("export_data", dump_path)
    call_command("flush", "--no-input")
    status, errors, _ = run_command("import_data", dump_path)

    assert (status, errors) == (0, [])
    assert Note.objects.count() == 2
    assert [note.slug for note in found_notes("w000001")] == ["huge"]


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_vector_the_database_refuses_is_reported_and_other_notes_stay_searchable(
    tmp_path, settings
):
    settings.SEARCH_MAX_INDEXED_CHARS = 10_000_000
    huge = tmp_path / "huge.md"
    huge.write_text(distinct_words_note("Huge", 90_000))
    (tmp_path / "small.md").write_text(
        "---\ntitle: Small\nvideoId: abcdefghijk\n---\n\nOpen models are safer.\n"
    )

    status, errors, summary = run_command("import_notes", tmp_path)

    assert status == 1
    assert len(errors) == 1
    assert re.fullmatch(
        rf"{huge}:1: not searchable: the search index refused it \(string is too long for "
        r"tsvector \(\d+ bytes, max 1048575 bytes\)\)",
        errors[0],
    )
    assert summary == "2 files: 2 created, 0 updated, 0 unchanged, 1 error"
    assert [note.slug for note in found_notes("safer")] == ["small"]
    assert Note.objects.get(slug="huge").search_vector is None


@postgres_only
def test_a_search_cached_before_the_index_caught_up_is_not_served_after_it(
    committed, django_capture_on_commit_callbacks, client
):
    def found() -> list[str]:
        response = client.get("/api/v1/search/", {"q": "volunteers", "type": "claim"})
        assert response.status_code == 200
        return [result["title"] for result in response.json()["results"]]

    cache.clear()
    with committed():
        claim = PublishedClaimFactory(text="Open models are safer")
    assert found() == []

    with django_capture_on_commit_callbacks() as refreshes:
        claim.text = "Volunteers audit open models"
        claim.save()
    # Asked between the commit of the change and that of its vectors' refresh: the answer is
    # stale, and cached under the revision the change moved to.
    assert found() == []
    for refresh in refreshes:
        refresh()

    assert found() == ["Volunteers audit open models"]


# Note snippets: plain text around the first match ----------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("[[target|label]] and [[plain_slug]]", "label and plain_slug"),
        ("[[note#section | the part]]", "the part"),
        ('<a class="yt-timestamp" data-t="00:01:02">[00:01:02]</a> said', "00:01:02 said"),
        ("[01:15:23, 01:15:26] twice", "01:15:23, 01:15:26 twice"),
        (
            "# Heading\n\n> quoted **bold** `code` [text](https://x.example)",
            "Heading quoted bold code text",
        ),
        ("&lt;b&gt; &amp; more", "<b> & more"),
        ("cut_target|its label]] then", "its label then"),
        ("then [[cut_target|its la", "then its la"),
        ("then [[cut_tar", "then cut_tar"),
        ("keeps \x02marks\x03 <b>\x02in\x03</b>", "keeps \x02marks\x03 \x02in\x03"),
    ],
)
def test_plain_text_is_what_a_reader_sees(markdown, text):
    assert search.plain_text(markdown) == text


def test_note_snippet_is_cut_around_the_first_match_on_word_boundaries():
    words = " ".join(f"word{n}" for n in range(200))
    raw = f"{words} the \x02needle\x03 here {words}"

    snippet = search.note_snippet(raw)

    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert "\x02needle\x03" in snippet
    assert len(snippet) <= 250
    assert not snippet[2:].startswith("ord")


def test_snippet_html_drops_a_mark_left_unpaired_by_a_cut():
    assert snippet_html("a \x02cut") == "a cut"
