"""Search over claims and notes: full-text on PostgreSQL, an FTS5 index on SQLite.

On PostgreSQL each claim and note keeps a stored `search_vector`, indexed with GIN: a claim's
holds its text (weight A), its appearances' quotes (B) and its published arguments' text (C); a
note's its title (A) and body (B). Queries use `websearch_to_tsquery`, so readers may type
`"exact phrase"`, `or` and `-word`, and results are ranked with a highlighted snippet.

The vectors are derived data, recomputed in SQL after each transaction that changed what they
are made of; see `search_index_refresh_on_commit` for how and `connect_receivers` for when.
They read at most `SEARCH_MAX_INDEXED_CHARS` characters of a note's body (and as much of a
claim's text, quotes and arguments together): PostgreSQL refuses a vector over 1 MB, and a
very long text full of distinct short words would otherwise reach it.

On SQLite, the embedded demo database, an FTS5 index with the Porter stemmer holds the same
fields, kept by the same refresh; it reads the same query syntax, and all matches rank alike,
newest first. Nothing writes the vectors there.
"""

import logging
import re
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from html import unescape

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import (
    CombinedSearchVector,
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.models import (
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Left
from django.db.models.signals import post_delete, post_save, pre_save
from django.db.models.sql import Query
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from claims.models import Appearance, Argument, Claim, Status
from notes import revisions
from notes.models import Note
from notes.services import notes_bulk_written

logger = logging.getLogger(__name__)

#: The text search configuration: English stemming and stop words.
SEARCH_CONFIG = "english"

# The snippet marks a match with control characters that prose never holds, so that
# `snippet_html` can escape the text first and only then turn the marks into HTML.
MATCH_START = "\x02"
MATCH_STOP = "\x03"

#: Rows recomputed by one UPDATE: big enough to be quick, small enough to hold few locks.
REFRESH_BATCH_SIZE = 500

#: The matches a search ranks at most, the first the index gives: ranking every claim that
#: holds a common word would cost a rank (and a read of its vector) for each.
SEARCH_MAX_CANDIDATES = 2000
#: A word with at most this many matching claims is listed from the ids the index gives.
LIST_FEW_MATCHES = 2000

# A note's snippet: this many characters of plain text, starting a little before the first
# match.
_SNIPPET_CHARS = 240
_SNIPPET_LEAD = 80


def is_full_text(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether searches on this database are ranked full-text searches (PostgreSQL)."""
    return connections[using].vendor == "postgresql"


# Reads ---------------------------------------------------------------------------------------


def search_claims(queryset: QuerySet[Claim], q: str) -> QuerySet[Claim]:
    """The claims of `queryset` that match `q`, annotated with `rank` and `snippet`.

    Best first on PostgreSQL, newest first on SQLite. Only narrows `queryset`: pass
    `Claim.objects.published()` and only published claims come back. `snippet` is the claim's
    text with its matches marked; render it with `snippet_html`. A claim may match through a
    quote or a published argument instead: `quote_snippet` and `argument_snippet` are then
    the first one that matches, marked the same way (None when none does).

    On PostgreSQL only the first `SEARCH_MAX_CANDIDATES` matches the index gives are ranked:
    a word half the claims hold then costs what a rarer one does, not a rank for each of them.
    """
    if is_full_text(queryset.db):
        query = _search_query(q)
        quotes = Appearance.objects.annotate(
            vector=SearchVector("quote", config=SEARCH_CONFIG)
        ).filter(vector=query)
        arguments = (
            Argument.objects.published()
            .annotate(vector=SearchVector("text", config=SEARCH_CONFIG))
            .filter(vector=query)
        )
        return (
            queryset.filter(pk__in=_candidates(queryset, query))
            .annotate(
                rank=SearchRank(F("search_vector"), query),
                # A claim is one statement: show all of it rather than a fragment.
                snippet=_headline("text", query, highlight_all=True),
                quote_snippet=_headline(_first(quotes, "quote"), query, highlight_all=True),
                argument_snippet=_headline(_first(arguments, "text"), query, highlight_all=True),
            )
            .order_by("-rank", "id")
        )

    terms = _web_terms(q)
    if not terms:
        return queryset.none()
    table = CLAIM_FTS_TABLE
    marked = _FirstMarked()
    return (
        queryset.filter(_fts_matches(table, terms))
        .annotate(
            rank=_UNRANKED,
            snippet=Coalesce(_fts_highlight(queryset.model, table, 0, terms), F("text")),
            quote_snippet=ExpressionWrapper(
                _fts_highlight(queryset.model, table, 1, terms), output_field=marked
            ),
            argument_snippet=ExpressionWrapper(
                _fts_highlight(queryset.model, table, 2, terms), output_field=marked
            ),
        )
        .order_by("-id")
    )


def claims_matching(queryset: QuerySet[Claim], q: str, *, prefix: bool = False) -> QuerySet[Claim]:
    """The claims of `queryset` that match `q`, unranked and in `queryset`'s order.

    For lists in another order (the claims list, by date). On PostgreSQL this asks the index
    first, at once, for up to `LIST_FEW_MATCHES` + 1 matching ids: a word with no more matches
    gives the list those ids, and a page costs the few rows they name; a word with more
    matches is common enough that walking the list's order finds a page within a few rows.
    The planner's guess of a word's frequency would otherwise walk the whole order for a word
    that names nothing.

    With `prefix`, `q` is words being typed (the admin's autocomplete): each word matches the
    words it begins, and the search syntax is not read.
    """
    if is_full_text(queryset.db):
        query = _prefix_query(q) if prefix else _search_query(q)
        matching = Claim.objects.using(queryset.db).filter(search_vector=query).order_by()
        few = list(matching.values_list("pk", flat=True)[: LIST_FEW_MATCHES + 1])
        if len(few) <= LIST_FEW_MATCHES:
            return queryset.filter(pk__in=few)
        return queryset.filter(search_vector=query)
    terms = _prefix_terms(q) if prefix else _web_terms(q)
    if not terms:
        return queryset.none()
    return queryset.filter(_fts_matches(CLAIM_FTS_TABLE, terms))


def search_notes(queryset: QuerySet[Note], q: str) -> QuerySet[Note]:
    """The notes of `queryset` that match `q`, annotated with `rank` and `snippet`.

    Best first on PostgreSQL (of the first `SEARCH_MAX_CANDIDATES` matches), newest first on
    SQLite. Only narrows `queryset`. `snippet` is the body's markdown (on PostgreSQL an excerpt
    of it) with the matches marked; `note_snippet` makes it the plain text a reader sees, cut
    around the first match, and `snippet_html` renders that.
    """
    if is_full_text(queryset.db):
        query = _search_query(q)
        return (
            queryset.filter(pk__in=_candidates(queryset, query))
            .annotate(
                rank=SearchRank(F("search_vector"), query),
                snippet=_headline(
                    "body_markdown",
                    query,
                    max_fragments=2,
                    min_words=8,
                    max_words=20,
                    fragment_delimiter=" … ",
                ),
            )
            .order_by("-rank", "id")
        )

    terms = _web_terms(q)
    if not terms:
        return queryset.none()
    table = NOTE_FTS_TABLE
    highlighted = _fts_highlight(queryset.model, table, 1, terms)
    return (
        queryset.filter(_fts_matches(table, terms))
        .annotate(rank=_UNRANKED, snippet=Coalesce(highlighted, F("body_markdown")))
        .order_by("-id")
    )


def snippet_html(raw: str) -> SafeString:
    """A search result's `snippet` as safe HTML: the text escaped, each match in `<mark>`."""
    pieces = re.split(f"{MATCH_START}([^{MATCH_STOP}]*){MATCH_STOP}", raw)
    # re.split alternates the text between matches (even places) with the matches (odd).
    # Safe because every piece of the text is escaped on the way; a mark left unpaired by a
    # cut is dropped.
    return mark_safe(
        "".join(
            f"<mark>{escape(piece)}</mark>" if index % 2 else escape(_unmarked(piece))
            for index, piece in enumerate(pieces)
        )
    )


def note_snippet(raw: str) -> str:
    """A note's `snippet` (marked markdown) as marked plain text, cut around the first match.

    What a reader sees of the note: wikilinks as their labels, links as their text,
    timestamps as `00:42:05`, no HTML tags, entities or emphasis marks.
    """
    text = plain_text(raw)
    if len(text) <= _SNIPPET_CHARS:
        return text
    first = max(text.find(MATCH_START), 0)
    start = max(first - _SNIPPET_LEAD, 0)
    if start:
        # Start on a word: after the first space of the cut, when there is one before the match.
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    end = start + _SNIPPET_CHARS
    opened = text.rfind(MATCH_START, start, end)
    if opened > text.rfind(MATCH_STOP, start, end):
        # Never cut a match in two.
        end = text.find(MATCH_STOP, end) + 1 or len(text)
    if end < len(text):
        space = text.rfind(" ", max(text.rfind(MATCH_STOP, start, end) + 1, start + 1), end)
        end = space if space != -1 else end
    snippet = text[start:end].strip()
    return f"{'… ' if start else ''}{snippet}{' …' if end < len(text) else ''}"


_TAG = re.compile(r"<[^<>]*>")
# [[target]], [[target|label]], [[target#section|label]]: the label, else the target.
_WIKILINK = re.compile(r"\[\[([^\[\]|#]*)(?:#[^\[\]|]*)?(?:\|([^\[\]]*))?\]\]")
# A wikilink cut off by the excerpt: `[[target|lab` at the end, `get|label]]` at the start.
_CUT_WIKILINK_END = re.compile(r"\[\[([^\[\]|#]*)(?:#[^\[\]|]*)?(?:\|([^\[\]]*))?$")
_CUT_WIKILINK_START = re.compile(r"^[^\[\]|]*\|([^\[\]]*)\]\]")
_MARKDOWN_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()\s]*\)")
_BRACKETED = re.compile(r"\[([0-9:,\s]+)\]")
_LEFTOVERS = re.compile(r"\[\[|\]\]|\*+|`+|^\s*(?:#{1,6}|>|[-+]\s)", re.MULTILINE)
_SPACES = re.compile(r"\s+")


def plain_text(markdown: str) -> str:
    """Markdown as the words a reader sees, on one line: marks of matches are kept.

    For snippets, not for display of whole notes: it is a few linear regular expressions,
    forgiving of markup cut off at either end (a wikilink cut after its `|` reads as its label).
    """
    text = _TAG.sub(" ", markdown)
    text = _WIKILINK.sub(lambda match: (match[2] or match[1]).strip(), text)
    text = _CUT_WIKILINK_END.sub(lambda match: (match[2] or match[1]).strip(), text)
    text = _CUT_WIKILINK_START.sub(lambda match: match[1].strip(), text)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _BRACKETED.sub(r"\1", text)
    text = _LEFTOVERS.sub("", text)
    return _SPACES.sub(" ", unescape(text)).strip()


def _unmarked(text: str) -> str:
    return text.replace(MATCH_START, "").replace(MATCH_STOP, "")


def _first(rows: QuerySet, field: str) -> Subquery:
    """`field` of the first of `rows` that belongs to the outer claim."""
    return Subquery(rows.filter(claim=OuterRef("pk")).order_by("id").values(field)[:1])


def _search_query(q: str) -> SearchQuery:
    # PostgreSQL refuses NUL in any string; the reader meant no character by it.
    return SearchQuery(q.replace("\x00", ""), search_type="websearch", config=SEARCH_CONFIG)


def _prefix_query(q: str) -> SearchQuery:
    # Words of `\w+` only, each quoted: nothing the editor types is read as tsquery syntax.
    words = re.findall(r"\w+", q)
    return SearchQuery(
        " & ".join(f"'{word}':*" for word in words) or "''",
        search_type="raw",
        config=SEARCH_CONFIG,
    )


def _headline(field, query: SearchQuery, **options) -> SearchHeadline:
    return SearchHeadline(
        field,
        query,
        config=SEARCH_CONFIG,
        start_sel=MATCH_START,
        stop_sel=MATCH_STOP,
        **options,
    )


_UNRANKED = Value(1.0, output_field=FloatField())


def _candidates(queryset: QuerySet, query: SearchQuery) -> QuerySet:
    """The ids of the first `SEARCH_MAX_CANDIDATES` rows of `queryset` matching `query`, in
    the order the index gives them: the rows a search ranks."""
    return queryset.filter(search_vector=query).order_by().values("pk")[:SEARCH_MAX_CANDIDATES]


# SQLite's full-text index ----------------------------------------------------------------------
#
# Two FTS5 tables, made by migration claims 0007 on SQLite only, hold a copy of what the
# PostgreSQL vectors are made of, stemmed by the Porter stemmer: `claims_claim_fts` a claim's
# text, quotes and published arguments (rowid = the claim's id), `claims_note_fts` a note's
# title and body (rowid = the note's id). `search_index_refresh_claims` and
# `search_index_refresh_notes` rewrite their rows, as they recompute the vectors on PostgreSQL.

CLAIM_FTS_TABLE = "claims_claim_fts"
NOTE_FTS_TABLE = "claims_note_fts"
# Between the quotes (and the arguments) of one claim in its FTS row: no word holds it, and the
# tokenizer takes it for a space.
_PART_SEPARATOR = "\x1e"

# A query term as websearch_to_tsquery reads one: `"a phrase"` (closed or not) or a word, each
# perhaps negated by a `-` before it.
_WEB_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


@dataclass(frozen=True)
class _TermGroup:
    """Terms that must all hold: FTS5 phrases to find, and phrases to find none of."""

    wanted: tuple[str, ...]
    unwanted: tuple[str, ...]


def _web_terms(q: str) -> list[_TermGroup]:
    """`q` read as `websearch_to_tsquery` reads it: groups of terms joined by `or`.

    Quoted phrases stay phrases, `-term` excludes it, `or` between terms offers either, and
    the other terms must all occur. Each phrase is an FTS5 string of `\\w+` words, so nothing
    the reader types is taken for FTS5 syntax. Punctuation alone gives no terms.
    """
    groups: list[tuple[list[str], list[str]]] = [([], [])]
    for match in _WEB_TERM.finditer(q):
        quoted_negation, quoted, negation, word = match.groups()
        if quoted is None and word.lower() == "or":
            if groups[-1] != ([], []):
                groups.append(([], []))
            continue
        words = re.findall(r"\w+", quoted if quoted is not None else word)
        if not words:
            continue
        phrase = '"' + " ".join(words) + '"'
        wanted, unwanted = groups[-1]
        (unwanted if (quoted_negation or negation) else wanted).append(phrase)
    return [
        _TermGroup(tuple(wanted), tuple(unwanted))
        for wanted, unwanted in groups
        if wanted or unwanted
    ]


def _prefix_terms(q: str) -> list[_TermGroup]:
    """Each word of `q` as an FTS5 prefix: all must begin words of the row."""
    words = re.findall(r"\w+", q)
    return [_TermGroup(tuple(f'"{word}"*' for word in words), ())] if words else []


def _fts_expression(groups: Iterable[_TermGroup]) -> str:
    """An FTS5 query for the groups that want a phrase (FTS5 has no lone NOT)."""
    parts = []
    for group in groups:
        if group.wanted:
            parts.append(" NOT ".join(["(" + " AND ".join(group.wanted) + ")", *group.unwanted]))
    return " OR ".join(f"({part})" for part in parts)


def _fts_rowids(table: str, expression: str) -> RawSQL:
    return RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [expression])


def _fts_matches(table: str, groups: list[_TermGroup]) -> Q:
    """The rows the FTS5 `table` finds for these groups, as a filter on their ids."""
    found = Q(pk__in=[])
    if expression := _fts_expression(groups):
        found |= Q(pk__in=_fts_rowids(table, expression))
    for group in groups:
        if not group.wanted:
            # Only words to leave out: every row that has none of them.
            found |= ~Q(pk__in=_fts_rowids(table, " OR ".join(group.unwanted)))
    return found


def _fts_highlight(model: type[models.Model], table: str, column: int, groups) -> RawSQL:
    """Column `column` of the row's FTS entry with the matches of the wanted terms marked;
    NULL when no wanted term occurs in the row.

    Correlated by the outer table's own name: for a queryset read as it is, not nested in
    another query (which would rename the table).
    """
    expression = _fts_expression(groups)
    if not expression:
        return RawSQL("NULL", [], output_field=models.TextField())
    outer = f'"{model._meta.db_table}"."{model._meta.pk.column}"'
    return RawSQL(
        f"SELECT highlight({table}, {column}, char(2), char(3)) FROM {table} "
        f"WHERE {table} MATCH %s AND rowid = {outer}",
        [expression],
        output_field=models.TextField(),
    )


class _FirstMarked(models.TextField):
    """Quotes (or arguments) read back from their FTS column: the first that holds a match."""

    def from_db_value(self, value: str | None, expression, connection) -> str | None:
        if value is None:
            return None
        return next((part for part in value.split(_PART_SEPARATOR) if MATCH_START in part), None)


def _fts_refresh(using: str, table: str, ids: list[int], rows: Iterable[tuple]) -> None:
    """Replace the FTS rows of `ids` by `rows` (rowid first): those of ids no longer stored
    are only deleted."""
    with connections[using].cursor() as cursor:
        placeholders = ", ".join(["%s"] * len(ids))
        cursor.execute(f"DELETE FROM {table} WHERE rowid IN ({placeholders})", ids)
        columns = _FTS_COLUMNS[table]
        values = ", ".join(["%s"] * (len(columns) + 1))
        cursor.executemany(
            f"INSERT INTO {table} (rowid, {', '.join(columns)}) VALUES ({values})", list(rows)
        )


_FTS_COLUMNS = {CLAIM_FTS_TABLE: ("text", "quotes", "arguments"), NOTE_FTS_TABLE: ("title", "body")}


# Keeping the index fresh ---------------------------------------------------------------------

#: Rows whose vector could not be computed, by id, with the database's reason.
Failures = dict[int, str]


def search_index_refresh_claims(
    claim_ids: Iterable[int], *, apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS
) -> Failures:
    """Recompute the vectors of these claims now, in SQL, one UPDATE per batch.

    Returns the claims whose vector could not be computed; see `_refresh`. On SQLite,
    rewrites their rows of the FTS5 index instead. `apps` lets a data migration pass its
    historical models.
    """
    claim_model = apps.get_model("claims", "Claim")
    if not is_full_text(using):
        _batched(claim_ids, lambda batch: _fts_refresh_claims(batch, apps=apps, using=using))
        return {}
    return _refresh(claim_model, _claim_vector(apps), claim_ids, using)


def search_index_refresh_notes(
    note_ids: Iterable[int], *, apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS
) -> Failures:
    """Recompute the vectors of these notes now, in SQL, one UPDATE per batch.

    Returns the notes whose vector could not be computed; see `_refresh`. On SQLite,
    rewrites their rows of the FTS5 index instead. `apps` lets a data migration pass its
    historical models.
    """
    note_model = apps.get_model("notes", "Note")
    if not is_full_text(using):
        notes = note_model._default_manager.using(using)
        _batched(
            note_ids,
            lambda batch: _fts_refresh(
                using,
                NOTE_FTS_TABLE,
                batch,
                notes.filter(pk__in=batch).values_list("pk", "title", "body_markdown"),
            ),
        )
        return {}
    return _refresh(note_model, _note_vector(), note_ids, using)


def search_index_rebuild(*, apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Recompute every vector: after loading a dump, or for rows older than the index.

    A row whose vector cannot be computed is left unsearchable and logged; it fails nothing.
    On SQLite, rewrites the full-text index instead.
    """
    claims = apps.get_model("claims", "Claim")._default_manager.using(using)
    notes = apps.get_model("notes", "Note")._default_manager.using(using)
    claim_ids = claims.values_list("pk", flat=True)
    note_ids = notes.values_list("pk", flat=True)
    _log_failures("claim", search_index_refresh_claims(claim_ids, apps=apps, using=using))
    _log_failures("note", search_index_refresh_notes(note_ids, apps=apps, using=using))


def _batched(ids: Iterable[int], refresh) -> None:
    ids = sorted(set(ids))
    for start in range(0, len(ids), REFRESH_BATCH_SIZE):
        refresh(ids[start : start + REFRESH_BATCH_SIZE])


def _fts_refresh_claims(batch: list[int], *, apps: Apps, using: str) -> None:
    """Rewrite the FTS rows of these claims from their text, quotes and published arguments."""
    claims = apps.get_model("claims", "Claim")._default_manager.using(using)
    appearances = apps.get_model("claims", "Appearance")._default_manager.using(using)
    arguments = apps.get_model("claims", "Argument")._default_manager.using(using)
    quotes: dict[int, list[str]] = {}
    for claim_id, quote in (
        appearances.filter(claim__in=batch).order_by("id").values_list("claim_id", "quote")
    ):
        quotes.setdefault(claim_id, []).append(quote)
    argued: dict[int, list[str]] = {}
    for claim_id, text in (
        arguments.filter(claim__in=batch, status=Status.PUBLISHED)
        .order_by("id")
        .values_list("claim_id", "text")
    ):
        argued.setdefault(claim_id, []).append(text)
    rows = (
        (
            pk,
            text,
            _PART_SEPARATOR.join(quotes.get(pk, [])),
            _PART_SEPARATOR.join(argued.get(pk, [])),
        )
        for pk, text in claims.filter(pk__in=batch).values_list("pk", "text")
    )
    _fts_refresh(using, CLAIM_FTS_TABLE, batch, rows)


def _claim_vector(apps: Apps) -> CombinedSearchVector:
    appearance_model = apps.get_model("claims", "Appearance")
    argument_model = apps.get_model("claims", "Argument")
    quotes = _joined_texts(appearance_model.objects.all(), "quote")
    arguments = _joined_texts(argument_model.objects.filter(status=Status.PUBLISHED), "text")
    return _claim_vector_of("text", quotes, arguments)


def _claim_vector_of(text, quotes, arguments) -> CombinedSearchVector:
    """The vector of a claim with this text, these quotes and these published arguments (the
    last two each joined by `_joined_texts`)."""
    # Equal shares of one budget: each part is normally no more than a few lines.
    part = settings.SEARCH_MAX_INDEXED_CHARS // 3
    return (
        SearchVector(Left(text, part), weight="A", config=SEARCH_CONFIG)
        + SearchVector(Left(quotes, part), weight="B", config=SEARCH_CONFIG)
        + SearchVector(Left(arguments, part), weight="C", config=SEARCH_CONFIG)
    )


def new_claim_vector_sql(text: str, quotes: str, *, using: str) -> tuple[str, list]:
    """SQL for the vector `search_index_refresh_claims` gives a claim without published
    arguments, from the SQL expressions `text` (its text) and `quotes` (its quotes, joined by
    newlines in the order of their ids): to write new claims with their vectors, which then
    need no refresh."""
    text_field = models.TextField()
    vector = _claim_vector_of(
        RawSQL(text, (), output_field=text_field),
        RawSQL(quotes, (), output_field=text_field),
        Value(None, output_field=text_field),
    )
    query = Query(Claim)
    return query.get_compiler(using=using).compile(vector.resolve_expression(query))


def _joined_texts(rows: QuerySet, field: str) -> Subquery:
    """`field` of the rows belonging to the outer claim, joined in a stable order."""
    return Subquery(
        rows.filter(claim=OuterRef("pk"))
        .order_by()
        .values("claim")
        .annotate(joined=StringAgg(field, delimiter="\n", order_by="id"))
        .values("joined")
    )


def _note_vector() -> CombinedSearchVector:
    # The title is at most a line (notes.parsing.TITLE_MAX_LENGTH): the body takes the budget.
    return SearchVector("title", weight="A", config=SEARCH_CONFIG) + SearchVector(
        Left("body_markdown", settings.SEARCH_MAX_INDEXED_CHARS),
        weight="B",
        config=SEARCH_CONFIG,
    )


def _refresh(
    model: type[models.Model], vector: CombinedSearchVector, ids: Iterable[int], using: str
) -> Failures:
    """Set the vectors of rows `ids`, and return those that could not be set.

    One row the database refuses a vector for would fail its whole batch's UPDATE and leave
    every row of it stale: a failed batch is done again row by row, and a row that still
    fails gets no vector (it matches no search, rather than matching words it no longer has).
    A deadlock with a concurrent writer is no refusal: that row is tried again.
    """
    manager = model._default_manager.using(using)
    failures: Failures = {}
    # Sorted, so that each batch reads a compact stretch of the table.
    ids = sorted(set(ids))
    for start in range(0, len(ids), REFRESH_BATCH_SIZE):
        batch = ids[start : start + REFRESH_BATCH_SIZE]
        try:
            with transaction.atomic(using=using):
                manager.filter(pk__in=batch).update(search_vector=vector)
            continue
        except DatabaseError:
            pass
        for pk in batch:
            for attempt in range(1, _ROW_ATTEMPTS + 1):
                try:
                    with transaction.atomic(using=using):
                        manager.filter(pk=pk).update(search_vector=vector)
                    break
                except DatabaseError as error:
                    sqlstate = getattr(error.__cause__, "sqlstate", None)
                    if sqlstate in _TRANSIENT and attempt < _ROW_ATTEMPTS:
                        continue
                    failures[pk] = str(error).strip().split("\n", 1)[0]
                    manager.filter(pk=pk).update(search_vector=None)
    return failures


# Deadlock and serialization failure: they say nothing about the row.
_TRANSIENT = {"40P01", "40001"}
_ROW_ATTEMPTS = 3


def _log_failures(kind: str, failures: Failures) -> None:
    for pk, reason in failures.items():
        logger.error("The search index refused %s #%s, now unsearchable: %s", kind, pk, reason)


class _PendingRefresh(threading.local):
    """The claims and notes whose vectors wait for this thread's transaction to commit, and
    those the last refresh could not index."""

    def __init__(self) -> None:
        self.claim_ids: set[int] = set()
        self.note_ids: set[int] = set()
        self.failed_claims: Failures = {}
        self.failed_notes: Failures = {}


_pending = _PendingRefresh()


def search_index_refresh_on_commit(
    *, claim_ids: Iterable[int] = (), note_ids: Iterable[int] = ()
) -> None:
    """Recompute these vectors (on SQLite, these rows of the FTS5 index) once the current
    transaction commits (at once outside one).

    After the commit, because the refresh then reads every committed change, including those of
    transactions that ran alongside this one; inside it, a vector could be computed from a
    snapshot that misses them. Ids gather until the first callback runs, so a transaction that
    touches one claim many times (a change form with inlines, a merge) refreshes it once.

    The refresh is a transaction of its own that bumps the content revision: responses built
    and cached between the two commits, from the stale vectors, are then never served again.

    Every call registers a callback, not only the first: a callback registered in a savepoint
    that rolls back is dropped, and the ids gathered after it would wait for nothing. Ids left
    over by a rolled-back transaction are refreshed with the next ones, which only recomputes
    them from what is committed.
    """
    _pending.claim_ids.update(claim_ids)
    _pending.note_ids.update(note_ids)
    # Robust: the change is committed whatever happens here, and `search_index_rebuild`
    # repairs a vector left stale by a failed refresh.
    transaction.on_commit(_refresh_pending, robust=True)


def _refresh_pending() -> None:
    claim_ids, _pending.claim_ids = _pending.claim_ids, set()
    note_ids, _pending.note_ids = _pending.note_ids, set()
    if not claim_ids and not note_ids:
        return
    with transaction.atomic():
        _pending.failed_claims = search_index_refresh_claims(claim_ids)
        _pending.failed_notes = search_index_refresh_notes(note_ids)
        # Vectors are in lists and searches only: no object's detail changed.
        if claim_ids or note_ids:
            revisions.bump(
                *(["claims"] if claim_ids else []), *(["notes"] if note_ids else []), details=()
            )
    _log_failures("claim", _pending.failed_claims)
    _log_failures("note", _pending.failed_notes)


def search_index_failures(note_ids: Collection[int]) -> dict[int, str]:
    """Which of these notes the last refresh on this thread could not index, or could not
    index a claim drawn from, each with a message for the editor.

    An import asks this after each batch, whose commit has just refreshed the batch's notes.
    """
    messages: dict[int, str] = {}
    for pk in set(note_ids) & _pending.failed_notes.keys():
        messages[pk] = f"not searchable: the search index refused it ({_pending.failed_notes[pk]})"
    if _pending.failed_claims:
        drawn = Appearance.objects.filter(
            claim__in=_pending.failed_claims.keys(), note__in=note_ids
        ).values_list("note_id", "claim_id")
        for note_id, claim_id in drawn.order_by("claim_id"):
            messages.setdefault(
                note_id,
                f"draft claim #{claim_id} is not searchable: the search index refused it "
                f"({_pending.failed_claims[claim_id]})",
            )
    return messages


# The fields each vector is made from, by the model that holds them: a save whose
# `update_fields` names none of them leaves the vectors as they were.
_VECTOR_SOURCES: dict[type[models.Model], frozenset[str]] = {
    Claim: frozenset({"text"}),
    Appearance: frozenset({"claim", "claim_id", "quote"}),
    Argument: frozenset({"claim", "claim_id", "status", "text"}),
    Note: frozenset({"title", "body_markdown"}),
}


def _changes_vector(sender: type[models.Model], update_fields: frozenset[str] | None) -> bool:
    return update_fields is None or not update_fields.isdisjoint(_VECTOR_SOURCES[sender])


def _claim_saved(
    sender: type[Claim], instance: Claim, update_fields: frozenset[str] | None = None, **kwargs
) -> None:
    if _changes_vector(sender, update_fields):
        search_index_refresh_on_commit(claim_ids=[instance.pk])


def _note_saved(
    sender: type[Note], instance: Note, update_fields: frozenset[str] | None = None, **kwargs
) -> None:
    if _changes_vector(sender, update_fields):
        search_index_refresh_on_commit(note_ids=[instance.pk])


def _notes_written(sender: type[Note], note_ids: list[int], **kwargs) -> None:
    search_index_refresh_on_commit(note_ids=note_ids)


def _claim_part_saving(
    sender: type[Appearance | Argument],
    instance: Appearance | Argument,
    update_fields: frozenset[str] | None = None,
    **kwargs,
) -> None:
    """Refresh the claim an appearance or argument leaves too, as in a merge.

    The claim left is kept on the row as `claim_left_id`: its detail changes as well (see
    `claims.apps`).
    """
    instance.claim_left_id = None
    if instance._state.adding:
        return
    if update_fields is not None and update_fields.isdisjoint({"claim", "claim_id"}):
        return
    stored = sender._default_manager.filter(pk=instance.pk).values_list("claim_id", flat=True)
    previous = stored.first()
    if previous is not None and previous != instance.claim_id:
        instance.claim_left_id = previous
        search_index_refresh_on_commit(claim_ids=[previous])


def _claim_part_changed(
    sender: type[Appearance | Argument],
    instance: Appearance | Argument,
    update_fields: frozenset[str] | None = None,
    **kwargs,
) -> None:
    """Refresh the claim of an appearance or argument that was saved or deleted."""
    if _changes_vector(sender, update_fields):
        search_index_refresh_on_commit(claim_ids=[instance.claim_id])


def connect_receivers() -> None:
    """Refresh the vectors whenever a claim, appearance, argument or note is saved or deleted.

    Signals rather than calls in the services, because the index is derived data, like a cache,
    not a step of any domain flow, and the admin's forms, inlines and history reverts save
    models directly. Paths that send no signals (`bulk_create`, `QuerySet.update`) call
    `search_index_refresh_on_commit` themselves.
    """
    post_save.connect(_claim_saved, sender=Claim, dispatch_uid="search_claim_saved")
    post_save.connect(_note_saved, sender=Note, dispatch_uid="search_note_saved")
    notes_bulk_written.connect(_notes_written, sender=Note, dispatch_uid="search_notes_written")
    for model in (Appearance, Argument):
        name = model._meta.model_name
        pre_save.connect(_claim_part_saving, sender=model, dispatch_uid=f"search_{name}_saving")
        post_save.connect(_claim_part_changed, sender=model, dispatch_uid=f"search_{name}_saved")
        post_delete.connect(
            _claim_part_changed, sender=model, dispatch_uid=f"search_{name}_deleted"
        )
