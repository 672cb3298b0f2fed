"""What the public may see, decided once: every API view, page, feed, sitemap and search reads here.

The rule: a claim is public when it is published; a retracted one answers at its own address
with its reason and nothing else (its appearances and arguments are left out here, not by
whoever shows it); a draft or discarded claim is nowhere. An argument is public when it and its
claim are published; its premise shows only when the premise is published. Anything not
published is invisible, whatever new status the model grows.

Every selector returns a lazy queryset, or a page-ready object built from them, whose related
rows arrive in a fixed number of queries (select_related for single objects, prefetch_related
for lists), whatever its size.
"""

import sys
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from copy import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache, reduce
from itertools import chain, pairwise
from operator import or_

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections, models, router, transaction
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.models import (
    CharField,
    Count,
    Exists,
    Expression,
    F,
    Field,
    FilteredRelation,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, JSONObject
from django.db.models.sql.compiler import SQLCompiler
from django.urls import reverse
from django.utils.safestring import SafeString

from claims.extraction import LOW_SCORE, words_of
from claims.models import (
    APPEARANCE_FIELDS,
    ARGUMENT_FIELDS,
    WAS_PUBLIC,
    Appearance,
    Argument,
    Claim,
    Speaker,
    Stance,
    Status,
)
from claims.search import MATCH_START, note_snippet, search_claims, search_notes, snippet_html
from notes.models import Note, Topic, Video
from notes.parsing import format_timestamp

#: A video's moments get a zoomed strip of the timeline when they all fall within this share
#: of it.
ZOOM_WHEN_WITHIN = 0.4
#: How many rows the home page shows of each kind.
HOME_CLAIMS = 10
HOME_VIDEOS = 6
HOME_TOPICS = 30


def _published_argument_count(stance: Stance, claim: str = "pk") -> Coalesce:
    """A correlated count of the published arguments of the outer row's `claim` (a field
    naming the claim's id), computed only for the rows a page returns (a JOIN with GROUP BY
    would aggregate every published claim before the page's LIMIT)."""
    counts = (
        Argument.objects.published()
        .filter(claim=OuterRef(claim), stance=stance)
        .order_by()
        .values("claim")
        .annotate(count=Count("id"))
        .values("count")
    )
    return Coalesce(Subquery(counts), 0)


def _public_arguments() -> QuerySet[Argument]:
    """Published arguments of published claims, each with its balance of its premise's own
    arguments; `public_premise` is the premise when it is published, else None."""
    return (
        Argument.objects.published()
        .filter(claim__status=Status.PUBLISHED)
        .annotate(
            public_premise=FilteredRelation(
                "premise", condition=Q(premise__status=Status.PUBLISHED)
            ),
            premise_for_count=_published_argument_count(Stance.FOR, "premise_id"),
            premise_against_count=_published_argument_count(Stance.AGAINST, "premise_id"),
        )
        .select_related("video", "speaker", "public_premise")
        .defer("public_premise__search_vector")
    )


def _public_appearances() -> QuerySet[Appearance]:
    """Appearances of published claims, in time order: by their video's date (undated videos
    last), then by second."""
    return (
        Appearance.objects.filter(claim__status=Status.PUBLISHED)
        .select_related("video", "speaker")
        .order_by(F("video__published_on").asc(nulls_last=True), "video_id", "start_seconds", "id")
    )


def _topics() -> Prefetch:
    return Prefetch("topics", queryset=Topic.objects.order_by("slug"))


def claim_list() -> QuerySet[Claim]:
    """Published claims with their appearances, topics and argument counts."""
    return (
        _claim_list_base()
        .all()
        .prefetch_related(
            Prefetch("appearances", queryset=_public_appearances(), to_attr="public_appearances"),
            _topics(),
        )
    )


def claim_detail() -> QuerySet[Claim]:
    """Published and retracted claims, with `public_appearances` and `public_arguments`.

    Retracted claims stay reachable by id so that old links explain themselves, with their
    reason and the claim they were merged into; their appearances and arguments come back
    empty. Drafts don't come back at all.
    """
    return (
        _claim_detail_base()
        .all()
        .prefetch_related(
            Prefetch("appearances", queryset=_public_appearances(), to_attr="public_appearances"),
            _topics(),
            Prefetch(
                "arguments",
                queryset=_public_arguments().order_by("start_seconds", "id"),
                to_attr="public_arguments",
            ),
        )
    )


# The querysets below are built once per process and cloned for each use (`.all()`): building
# one, with its subqueries and filtered relations, cost more than running it, and a clone
# never shares the original's results. Their subqueries are compiled to SQL once too
# (`_compiled_once`): compiling them again for every page cost a cold page more than its query.


def claim_list_rows() -> QuerySet[Claim]:
    """`claim_list` without its prefetching: `with_public_rows` completes a page of it."""
    return _claim_list_rows().all()


def claim_list_pages() -> "CompiledPages":
    """`claim_list_rows`, whole, for cursor pagination: see `CompiledPages`."""
    return CompiledPages()


class CompiledPages:
    """The whole claims list (`claim_list_rows`) as cursor pagination reads it: ordered, maybe
    past a position, then sliced; its query compiled once per process for each shape.

    Compiling the list's query cost a cold page more than half a millisecond, each time to the
    same SQL but for the position. A shape is the ordering, the lookups of the position and the
    slice; the position goes in as a parameter. The claims are built as Django's model
    iterable builds them: their four columns, and the annotations as attributes.
    """

    model = Claim

    def __init__(self, steps: tuple = ()) -> None:
        self._steps = steps

    @property
    def db(self) -> str:
        return router.db_for_read(Claim)

    def order_by(self, *fields: str) -> "CompiledPages":
        return CompiledPages((*self._steps, ("order_by", fields)))

    def filter(self, **lookups) -> "CompiledPages":
        return CompiledPages((*self._steps, ("filter", tuple(lookups.items()))))

    def __getitem__(self, bounds: slice) -> "CompiledPages":
        return CompiledPages((*self._steps, ("slice", bounds.start, bounds.stop)))

    def __iter__(self) -> Iterator[Claim]:
        using = self.db
        shape = tuple(
            ("filter", tuple(name for name, _ in step[1])) if step[0] == "filter" else step
            for step in self._steps
        )
        positions = [value for step in self._steps if step[0] == "filter" for _, value in step[1]]
        compiled = _compiled_page(shape, using)
        if compiled is None:
            yield from _page_queryset(self._steps, using)
            return
        params = list(compiled.params)
        for place, of, position in zip(compiled.places, compiled.fields, positions, strict=True):
            value = of.get_db_prep_value(
                of.get_prep_value(position), connections[using], prepared=True
            )
            if isinstance(value, int) and not _in_range(value, of, using):
                # The ORM knows what a lookup past every id finds, where the database fails.
                yield from _page_queryset(self._steps, using)
                return
            params[place] = value
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        # As Django's model iterable makes them.
        start, end = compiled.model_columns
        for row in rows:
            claim = Claim.from_db(using, compiled.attnames, row[start:end])
            for name, place in compiled.annotations:
                setattr(claim, name, row[place])
            yield claim


@dataclass(frozen=True)
class _CompiledPage:
    sql: str
    params: tuple
    #: Where each position goes in `params`, and the field it is a value of.
    places: tuple[int, ...]
    fields: tuple[models.Field, ...]
    compiler: SQLCompiler
    converters: dict
    #: The columns of the claim's fields (from, to), their attnames, and where each
    #: annotation is.
    model_columns: tuple[int, int]
    attnames: tuple[str, ...]
    annotations: tuple[tuple[str, int], ...]


@lru_cache(maxsize=64)
def _compiled_page(shape: tuple, using: str) -> _CompiledPage | None:
    """The SQL of a page of this shape, with a mark where each position goes; None when a
    mark cannot be told from the other parameters (the page is then compiled each time)."""
    marks: list[tuple[object, models.Field]] = []

    def marked(name: str):
        positioned = Claim._meta.get_field(name.rsplit("__", 1)[0])
        mark = _POSITION_MARKS.get(positioned.get_internal_type())
        if mark is None:
            return None
        marks.append((mark(len(marks)), positioned))
        return marks[-1][0]

    steps = []
    for step in shape:
        if step[0] == "filter":
            values = [marked(name) for name in step[1]]
            if None in values:
                return None
            step = ("filter", tuple(zip(step[1], values, strict=True)))
        steps.append(step)
    compiler = _page_queryset(steps, using).query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    places = []
    for mark, of in marks:
        # As the page's position will be: prepared for the database.
        mark = of.get_db_prep_value(of.get_prep_value(mark), connections[using], prepared=True)
        found = [index for index, value in enumerate(params) if value == mark]
        if len(found) != 1:
            return None
        places.append(found[0])
    select_fields = compiler.klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    return _CompiledPage(
        sql,
        tuple(params),
        tuple(places),
        tuple(of for _, of in marks),
        compiler,
        compiler.get_converters([column for column, _, _ in compiler.select]),
        (start, end),
        tuple(column.target.attname for column, _, _ in compiler.select[start:end]),
        tuple(compiler.annotation_col_map.items()),
    )


#: Values no claim has, one per position, by the type of the field positioned on.
_POSITION_MARKS = {
    "DateTimeField": lambda index: datetime(1, 1, 1, 0, 0, index + 1, 424242, tzinfo=UTC),
    "BigAutoField": lambda index: -9021090210902109021 + index,
}


def _in_range(value: int, of: models.Field, using: str) -> bool:
    low, high = connections[using].ops.integer_field_range(of.get_internal_type())
    return (low is None or value >= low) and (high is None or value <= high)


def _page_queryset(steps: Iterable[tuple], using: str) -> QuerySet[Claim]:
    queryset = claim_list_rows().using(using)
    for step in steps:
        match step:
            case ("order_by", fields):
                queryset = queryset.order_by(*fields)
            case ("filter", lookups):
                queryset = queryset.filter(**dict(lookups))
            case ("slice", start, stop):
                queryset = queryset[start:stop]
    return queryset


@cache
def _claim_list_rows() -> QuerySet[Claim]:
    return (
        Claim.objects.published()
        # What a list shows of a claim itself; every column read costs a cold page.
        .only("id", "text", "status", "published_at")
        .annotate(**_compiled_once(_argument_counts()))
        .annotate(**_row_arrays(arguments=False))
    )


@cache
def _claim_list_base() -> QuerySet[Claim]:
    return (
        Claim.objects.published()
        # The search vector is as long as the text it indexes, and no response shows it.
        .defer("search_vector")
        .annotate(**_argument_counts())
    )


def _argument_counts() -> dict[str, Coalesce]:
    return {
        "arguments_for_count": _published_argument_count(Stance.FOR),
        "arguments_against_count": _published_argument_count(Stance.AGAINST),
    }


def claim_detail_rows() -> QuerySet[Claim]:
    """`claim_detail` without its prefetching: `with_public_rows(..., arguments=True)`
    completes it."""
    return _claim_detail_rows().all()


@dataclass
class ClaimRef:
    pk: int
    text: str


@dataclass
class ClaimRow:
    """A claim as `claim_detail_row` reads it: what its answer shows, and its public rows."""

    pk: int
    version: int
    text: str
    status: str
    retraction_reason: str
    published_at: datetime | None
    merged_into: ClaimRef | None


#: The columns of `claim_detail_row`'s query: `ClaimRow`'s fields, then its rows'.
_DETAIL_COLUMNS = (
    "pk",
    "version",
    "text",
    "status",
    "retraction_reason",
    "published_at",
    "merged_into_id",
    "merged_into__text",
)
#: A key no claim has, which marks the place of the key in the compiled query's parameters.
_KEY_MARK = 9021090210902109021
_KEY_RANGE = range(-(2**63), 2**63)


def claim_detail_row(key: object) -> ClaimRow | None:
    """The claim of `claim_detail` whose id `key` names (a number, or its text), with its public
    rows as `with_public_rows(..., arguments=True)` gives them; None when there is none.

    Its query is compiled to SQL once per process and run with the key in its place: compiling
    the query of one claim with its subqueries cost more than running it. A key that is no
    number names no claim, as it does for the ORM.
    """
    try:
        pk = int(key)
    except (TypeError, ValueError):
        return None
    if pk not in _KEY_RANGE:
        return None
    compiled = _claim_detail_query()
    params = [*compiled.params[: compiled.place], pk, *compiled.params[compiled.place + 1 :]]
    using = router.db_for_read(Claim)
    with prepared_statements(using), connections[using].cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    (found,) = compiled.compiler.apply_converters(rows, compiled.converters)
    *fields, merged_into_id, merged_into_text = found[: len(_DETAIL_COLUMNS)]
    claim = ClaimRow(
        *fields,
        merged_into=None if merged_into_id is None else ClaimRef(merged_into_id, merged_into_text),
    )
    rows = found[len(_DETAIL_COLUMNS) :]
    for name, value in zip(_row_arrays(arguments=True), rows, strict=True):
        setattr(claim, name, value)
    return with_public_rows([claim], arguments=True)[0]


@contextmanager
def prepared_statements(using: str) -> Iterator[None]:
    """Within the block, PostgreSQL prepares the queries run on the connection `using`, so
    that each is planned once per connection instead of at every run.

    Planning a claim's detail or a page of the list cost PostgreSQL as much as running it.
    Django's cursors bind parameters into the SQL text, which cannot be prepared; inside the
    block the connection's cursors send them apart, and ask psycopg to prepare. Nothing
    changes with `DATABASE_PREPARED_STATEMENTS` off: a pooler that hands a session's
    statements to another connection (PgBouncer in transaction mode, before 1.21) would not
    find them.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's preparing off; a threshold never reached turns it back on for
        # the statements asked to be prepared, and for no other.
        raw.prepare_threshold = sys.maxsize
    cursor_factory, raw.cursor_factory = raw.cursor_factory, _PreparingCursor
    try:
        yield
    finally:
        raw.cursor_factory = cursor_factory


class _PreparingCursor(ServerBindingCursor):
    """psycopg's cursor with parameters bound by the server, preparing what it runs."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=prepare is not False, binary=binary)

    def _send_query_prepared(self, name, pgq, *, binary=None):
        # psycopg keeps the query it sent only when it runs one unprepared, and Django's query
        # log (`connection.queries`, the debug toolbar) reads it there: without this, a
        # prepared query would be logged as None, or as the query before it.
        self._query = pgq
        return super()._send_query_prepared(name, pgq, binary=binary)


@dataclass(frozen=True)
class _CompiledQuery:
    sql: str
    params: tuple
    #: Where the claim's key is in `params`.
    place: int
    compiler: SQLCompiler
    converters: dict


@cache
def _claim_detail_query() -> _CompiledQuery:
    """`claim_detail_row`'s query, compiled."""
    query = (
        Claim.objects.filter(status__in=[Status.PUBLISHED, Status.RETRACTED], pk=_KEY_MARK)
        .annotate(**_row_arrays(arguments=True))
        .values_list(*_DETAIL_COLUMNS, *_row_arrays(arguments=True))
        .order_by()
        .query
    )
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    (place,) = [index for index, value in enumerate(params) if value == _KEY_MARK]
    columns = [*_DETAIL_COLUMNS, *_row_arrays(arguments=True)]
    if [alias for _, _, alias in compiler.select] != columns:
        raise ImproperlyConfigured(f"claim_detail_row's query does not select {columns}.")
    converters = compiler.get_converters([column for column, _, _ in compiler.select])
    return _CompiledQuery(sql, tuple(params), place, compiler, converters)


@cache
def _claim_detail_rows() -> QuerySet[Claim]:
    return _claim_detail_base().annotate(**_row_arrays(arguments=True))


@cache
def _claim_detail_base() -> QuerySet[Claim]:
    return (
        Claim.objects.filter(status__in=[Status.PUBLISHED, Status.RETRACTED])
        .defer("search_vector")
        .select_related("merged_into")
        .defer("merged_into__search_vector")
    )


@cache
def _appearance_rows() -> QuerySet[Appearance]:
    return _public_appearances().values(*APPEARANCE_ROW)


@cache
def _topic_rows() -> QuerySet:
    # Each topic by its key: joined instead, PostgreSQL hashes the whole topic table for every
    # claim of a page.
    topic = Topic.objects.filter(pk=OuterRef("topic_id")).order_by()
    return (
        Claim.topics.through.objects.annotate(
            topic__slug=Subquery(topic.values("slug")), topic__name=Subquery(topic.values("name"))
        )
        .order_by("topic__slug")
        .values("claim_id", "topic__slug", "topic__name")
    )


@cache
def _argument_rows() -> QuerySet[Argument]:
    return (
        Argument.objects.published()
        .filter(claim__status=Status.PUBLISHED)
        .annotate(
            public_premise=FilteredRelation(
                "premise", condition=Q(premise__status=Status.PUBLISHED)
            )
        )
        .order_by("start_seconds", "id")
        .values(*ARGUMENT_ROW)
    )


@cache
def _row_arrays(*, arguments: bool) -> dict[str, RawSQL]:
    """On PostgreSQL, the rows of `with_public_rows` as arrays of JSON objects in each claim's
    row: one query for a whole page instead of one per kind of row, which matters most when
    each round trip to the database waits for a busy machine. Other databases get the rows
    from `with_public_rows`' queries."""
    if connection.vendor != "postgresql":
        return {}
    rows = {"appearance_rows": _appearance_rows(), "topic_rows": _topic_rows()}
    if arguments:
        rows["argument_rows"] = _argument_rows()
    arrays = _compiled_once(
        {
            name: ArraySubquery(
                queryset.filter(claim_id=OuterRef("pk")).values(
                    row=JSONObject(**{field: field for field in _row_fields(queryset)})
                )
            )
            for name, queryset in rows.items()
        }
    )
    # As one `json` value per claim and kind, which psycopg decodes in one go: an array of
    # `jsonb` is decoded element by element, each through Django's JSONField.
    return {
        name: RawSQL(f"array_to_json({array.sql})", array.params, output_field=Field())
        for name, array in arrays.items()
    }


def _row_fields(rows: QuerySet) -> list[str]:
    """The keys of the rows of a `.values()` queryset: its fields, then its annotations."""
    return [*rows.query.values_select, *rows.query.annotation_select]


def _compiled_once(expressions: Mapping[str, Expression]) -> dict[str, RawSQL]:
    """Annotations of claims, as the SQL they compile to.

    The SQL refers to the outer claim by its table's name, which is the alias of the claims
    in any query whose rows are claims; such an annotation cannot go into a query that uses
    the claims as a subquery of another.
    """
    query = Claim.objects.annotate(**expressions).query
    compiler = query.get_compiler(connection=connection)
    compiled = {}
    for name in expressions:
        expression = query.annotations[name]
        sql, params = compiler.compile(expression)
        compiled[name] = RawSQL(sql, tuple(params), output_field=expression.output_field)
    return compiled


def with_public_rows(claims: list[Claim], *, arguments: bool = False) -> list[Claim]:
    """Give each claim its public appearances (`appearance_rows`), topics (`topic_rows`) and,
    with `arguments`, published arguments (`argument_rows`) as plain dicts, one query each
    whatever the number of claims.

    The API builds claims from these rather than from model instances: a row is a fraction of
    an instance's cost, and a cold page spends most of its time there. The rows are those of
    `claim_list` and `claim_detail`'s prefetching, in the same order.
    """
    queries = {"appearance_rows": _appearance_rows, "topic_rows": _topic_rows}
    if arguments:
        queries["argument_rows"] = _argument_rows
    ids = [claim.pk for claim in claims]
    for name, rows in queries.items():
        if claims and hasattr(claims[0], name):
            continue  # in the claims' own rows already (`_row_arrays`)
        by_claim: dict[int, list[dict]] = {}
        for row in rows().filter(claim_id__in=ids):
            by_claim.setdefault(row["claim_id"], []).append(row)
        for claim in claims:
            setattr(claim, name, by_claim.get(claim.pk, []))
    return claims


#: The fields of `with_public_rows`' appearance rows.
APPEARANCE_ROW = (
    "id",
    "version",
    "claim_id",
    "video__youtube_id",
    "start_seconds",
    "end_seconds",
    "speaker__slug",
    "speaker__name",
    "quote",
)
#: The fields of its argument rows; `public_premise__*` are None unless the premise is
#: published.
ARGUMENT_ROW = (
    "id",
    "version",
    "claim_id",
    "stance",
    "text",
    "speaker__slug",
    "speaker__name",
    "video__youtube_id",
    "start_seconds",
    "end_seconds",
    "source_url",
    "public_premise__id",
    "public_premise__text",
)


def argument_list() -> QuerySet[Argument]:
    """Published arguments about published claims."""
    return (
        _public_arguments()
        .select_related("claim")
        .defer("claim__search_vector")
        .order_by("claim_id", "stance", "start_seconds", "id")
    )


def speaker_list() -> QuerySet[Speaker]:
    """Speakers the public has heard: named on an appearance of a published claim or on a
    published argument of one. Someone named only on drafts, discarded or retracted claims is
    nobody's business yet."""
    appeared = Appearance.objects.filter(speaker=OuterRef("pk"), claim__status=Status.PUBLISHED)
    argued = Argument.objects.published().filter(
        speaker=OuterRef("pk"), claim__status=Status.PUBLISHED
    )
    return Speaker.objects.filter(Exists(appeared) | Exists(argued)).order_by("name", "id")


def speaker_appearances(speaker: Speaker) -> QuerySet[Appearance]:
    """What `speaker` claimed, published only, across videos in the order they came out."""
    return (
        _public_appearances()
        .filter(speaker=speaker)
        .select_related("claim", "video__channel")
        .defer("claim__search_vector")
        .order_by(F("video__published_on").asc(nulls_last=True), "video_id", "start_seconds", "id")
    )


def topic_list() -> QuerySet[Topic]:
    """Topics with at least one published claim, with `claim_count`, most used first."""
    return (
        Topic.objects.annotate(
            claim_count=Count("claims", filter=Q(claims__status=Status.PUBLISHED))
        )
        .filter(claim_count__gt=0)
        .order_by("-claim_count", "name", "id")
    )


def topic_named(slug: str) -> Topic | None:
    """The topic with this slug, whether or not a published claim is filed under it yet."""
    return Topic.objects.filter(slug=slug).first()


def video_list() -> QuerySet[Video]:
    return Video.objects.select_related("channel").order_by("title", "id")


def video_detail() -> QuerySet[Video]:
    """Videos with the appearances of published claims in time order (`public_appearances`),
    each with its claim's counts of arguments for and against."""
    appearances = (
        _public_appearances()
        .select_related("claim")
        .defer("claim__search_vector")
        .annotate(
            arguments_for_count=_published_argument_count(Stance.FOR, "claim_id"),
            arguments_against_count=_published_argument_count(Stance.AGAINST, "claim_id"),
        )
    )
    return video_list().prefetch_related(
        Prefetch("appearances", queryset=appearances, to_attr="public_appearances")
    )


def video_timeline() -> QuerySet[Video]:
    """`video_detail`, plus the public arguments whose evidence is in the video
    (`public_arguments`, in time order, with their claims)."""
    arguments = (
        _public_arguments()
        .select_related("claim")
        .defer("claim__search_vector")
        .order_by("start_seconds", "id")
    )
    return video_detail().prefetch_related(
        Prefetch("arguments", queryset=arguments, to_attr="public_arguments")
    )


def note_list() -> QuerySet[Note]:
    return Note.objects.defer("search_vector").select_related("video").order_by("title", "id")


def note_detail() -> QuerySet[Note]:
    return note_list().prefetch_related("links")


def notes_linking_to(slug: str) -> QuerySet[Note]:
    """The backlinks of a page: notes with a wikilink to `slug`."""
    return (
        Note.objects.linking_to(slug)
        .defer("search_vector", "body_markdown", "front_matter")
        .select_related("video")
        .order_by("title", "id")
    )


def claims_in_topic(slug: str) -> QuerySet[Claim]:
    return claim_list().filter(topics__slug=slug)


def claims_made_in(video: Video) -> QuerySet[Claim]:
    """Published claims made at least once in `video`."""
    return claim_list().filter(Exists(Appearance.objects.filter(claim=OuterRef("pk"), video=video)))


# Page-ready objects ---------------------------------------------------------------------------


@dataclass
class Moment:
    """One mark of a video's timeline: a claim made, or an argument's evidence."""

    kind: str  # "claim" or "for" / "against"
    source: Appearance | Argument
    claim: Claim
    text: str
    anchor: str
    #: The mark's width on the timeline, and on its zoomed strip, in seconds: its span, or
    #: the narrowest mark drawn there.
    mark_seconds: int = 0
    zoom_mark_seconds: int = 0

    @property
    def start_seconds(self) -> int:
        return self.source.start_seconds

    @property
    def end_seconds(self) -> int | None:
        return self.source.end_seconds

    @property
    def timestamp(self) -> str:
        return self.source.timestamp

    @property
    def url(self) -> str:
        return self.source.url


@dataclass
class VideoPage:
    video: Video
    appearances: list[Appearance]
    arguments: list[Argument]
    notes: list[Note]
    moments: list[Moment] = field(default_factory=list)

    @property
    def timeline_seconds(self) -> int:
        """The span the timeline is drawn over: the video's length when known, else a little
        past the last moment."""
        last = max((m.end_seconds or m.start_seconds for m in self.moments), default=0)
        if self.video.duration_seconds:
            return max(self.video.duration_seconds, last, 1)
        return max(int(last * 1.05) + 30, 60)

    @property
    def timeline_label(self) -> str:
        return format_timestamp(self.timeline_seconds)

    @property
    def zoom(self) -> tuple[int, int] | None:
        """The stretch the moments fall in, `(start, seconds)`, when it is a small part of the
        timeline: a strip drawn to that scale then shows marks the whole timeline crowds."""
        if not self.moments:
            return None
        first = min(m.start_seconds for m in self.moments)
        last = max(m.end_seconds or m.start_seconds for m in self.moments)
        if last - first > ZOOM_WHEN_WITHIN * self.timeline_seconds:
            return None
        margin = max((last - first) // 20, 10)
        start = max(first - margin, 0)
        return start, min(last + margin, self.timeline_seconds) - start

    @property
    def zoom_labels(self) -> tuple[str, str]:
        start, seconds = self.zoom
        return format_timestamp(start), format_timestamp(start + seconds)


def video_page(youtube_id: str) -> VideoPage | None:
    """The video page: the video, its claims and argument evidence in time order, its notes."""
    video = video_timeline().filter(youtube_id=youtube_id).first()
    if video is None:
        return None
    notes = list(note_detail().filter(video=video))
    page = VideoPage(
        video=video,
        appearances=video.public_appearances,
        arguments=video.public_arguments,
        notes=notes,
    )
    page.moments = sorted(
        chain(
            (
                Moment(
                    kind="claim",
                    source=a,
                    claim=a.claim,
                    text=a.claim.text,
                    anchor=f"appearance-{a.pk}",
                )
                for a in page.appearances
            ),
            (
                Moment(
                    kind=a.stance,
                    source=a,
                    claim=a.claim,
                    text=a.text,
                    anchor=f"argument-{a.pk}",
                )
                for a in page.arguments
            ),
        ),
        key=lambda moment: (moment.start_seconds, moment.kind != "claim", moment.anchor),
    )
    # A two-hundredth of the timeline: the narrowest mark a pointer can still hit.
    narrowest = max(page.timeline_seconds // 200, 1)
    zoom = page.zoom
    narrowest_zoomed = max(zoom[1] // 200, 1) if zoom else narrowest
    for moment in page.moments:
        span = (moment.end_seconds or moment.start_seconds) - moment.start_seconds
        moment.mark_seconds = max(span, narrowest)
        moment.zoom_mark_seconds = max(span, narrowest_zoomed)
    return page


@dataclass
class ClaimPage:
    claim: Claim
    appearances: list[Appearance]
    arguments_for: list[Argument]
    arguments_against: list[Argument]

    @property
    def is_public(self) -> bool:
        return self.claim.status == Status.PUBLISHED

    @property
    def balance_for_percent(self) -> int:
        """The share of arguments for, in whole percent (50 when there are none)."""
        total = len(self.arguments_for) + len(self.arguments_against)
        return 50 if total == 0 else round(100 * len(self.arguments_for) / total)


def claim_page(pk: int) -> ClaimPage | None:
    """A published or retracted claim, as its page shows it; None for anything else."""
    claim = claim_detail().filter(pk=pk).first()
    if claim is None:
        return None
    arguments = claim.public_arguments
    return ClaimPage(
        claim=claim,
        appearances=claim.public_appearances,
        arguments_for=[a for a in arguments if a.stance == Stance.FOR],
        arguments_against=[a for a in arguments if a.stance == Stance.AGAINST],
    )


@dataclass
class HomePage:
    claims: list[Claim]
    videos: list[Video]
    topics: list[Topic]


def home_page() -> HomePage:
    """The newest published claims, the videos most recently given a claim, and the topics."""
    latest_appearance = (
        Appearance.objects.filter(video=OuterRef("pk"), claim__status=Status.PUBLISHED)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    videos = (
        video_list()
        .annotate(
            annotated_at=Subquery(latest_appearance),
            claim_count=Count(
                "appearances__claim",
                filter=Q(appearances__claim__status=Status.PUBLISHED),
                distinct=True,
            ),
        )
        .filter(annotated_at__isnull=False)
        .order_by("-annotated_at", "id")
    )
    return HomePage(
        claims=list(claim_list().order_by("-published_at", "-id")[:HOME_CLAIMS]),
        videos=list(videos[:HOME_VIDEOS]),
        topics=list(topic_list()[:HOME_TOPICS]),
    )


# Search ---------------------------------------------------------------------------------------

#: Search answers with the best matches of each kind, not an unbounded scan of everything.
SEARCH_LIMIT = 200


@dataclass
class SearchResult:
    type: str  # "claim" or "note"
    id: str  # the claim's id or the note's slug
    title: str
    snippet: SafeString
    rank: float
    found_through: str | None  # "quote" or "argument" for a claim whose text did not match
    page_url: str


def search(q: str, kind: str | None = None) -> list[SearchResult]:
    """Published claims and notes matching `q`, best first (newest first on SQLite).

    `kind` is "claim" or "note" for one kind only. A claim is found by its text, a quote of it
    or one of its published arguments; its snippet shows what matched.
    """
    results: list[SearchResult] = []
    if kind in (None, "claim"):
        claims = search_claims(Claim.objects.published().order_by(), q)[:SEARCH_LIMIT]
        for claim in claims.only("id", "text"):
            found_through, snippet = None, claim.snippet
            if MATCH_START not in claim.snippet:
                if claim.quote_snippet:
                    found_through, snippet = "quote", claim.quote_snippet
                elif claim.argument_snippet:
                    found_through, snippet = "argument", claim.argument_snippet
            results.append(
                SearchResult(
                    type="claim",
                    id=str(claim.pk),
                    title=claim.text,
                    snippet=snippet_html(snippet),
                    rank=claim.rank,
                    found_through=found_through,
                    page_url=reverse("pages:claim", args=[claim.pk]),
                )
            )
    if kind in (None, "note"):
        notes = search_notes(Note.objects.order_by(), q)[:SEARCH_LIMIT]
        for note in notes.only("slug", "title"):
            results.append(
                SearchResult(
                    type="note",
                    id=note.slug,
                    title=note.title,
                    snippet=snippet_html(note_snippet(note.snippet)),
                    rank=note.rank,
                    found_through=None,
                    page_url=reverse("pages:note", args=[note.slug]),
                )
            )
    # Stable: on SQLite, where every rank is the same, claims stay before notes.
    results.sort(key=lambda result: -result.rank)
    return results


# Similar claims -------------------------------------------------------------------------------

#: How alike two texts must be to be suggested as the same claim: pg_trgm's trigram similarity
#: on PostgreSQL. Above pg_trgm's default (0.3) because the trigram index prunes by it: at a
#: million claims a query takes about 0.7 s at 0.5, and 2 to 16 s at 0.3 (bench on generated
#: text, whose small vocabulary shares many trigrams)...
TRIGRAM_THRESHOLD = 0.5
#: ...and the share of their words in common (Jaccard) on SQLite.
WORD_THRESHOLD = 0.2
#: On SQLite, how many claims sharing a word with the texts are scored in Python, and by how
#: many of the texts' longest words they are looked for.
_WORD_MATCH_CANDIDATES = 500
_WORD_MATCH_PROBES = 200
_STOP_TEXT = (
    "a an and are as at be but by for from has have in is it its of on or so that the their "
    "them they this to was were will with"
)
_STOP_WORDS = frozenset(_STOP_TEXT.split())


def similar_claims(text: str, *, limit: int, exclude_ids: Collection[int] = ()) -> list[Claim]:
    """The published claims most like `text`, most similar first, each with its `similarity`
    (0–1): pg_trgm trigram similarity on PostgreSQL (served by the `claim_text_trgm` index),
    the share of words in common on SQLite. Claims whose id is in `exclude_ids` are left out.

    Published claims only: this serves editors looking for a duplicate and contributors told
    what already exists, and nothing unpublished may reach the latter.
    """
    return similar_claims_for({0: text}, limit=limit, exclude_ids=exclude_ids)[0]


def similar_claims_for(
    texts: Mapping[Hashable, str], *, limit: int, exclude_ids: Collection[int] = ()
) -> dict[Hashable, list[Claim]]:
    """`similar_claims` of several texts, by key, in two queries whatever their number."""
    if not texts:
        return {}
    if connection.vendor == "postgresql":
        ranked = _trigram_ranked(texts, limit=limit, exclude_ids=exclude_ids)
    else:
        ranked = _word_ranked(texts, limit=limit, exclude_ids=exclude_ids)
    wanted = {pk for matches in ranked.values() for pk, _ in matches}
    claims = Claim.objects.defer("search_vector").in_bulk(wanted) if wanted else {}
    found: dict[Hashable, list[Claim]] = {}
    for key in texts:
        found[key] = []
        for pk, similarity in ranked.get(key, ()):
            claim = copy(claims[pk])
            claim.similarity = similarity
            found[key].append(claim)
    return found


def _trigram_ranked(texts, *, limit, exclude_ids) -> dict[Hashable, list[tuple[int, float]]]:
    keys = list(texts)
    # For each text, its best matches by a lateral subquery: `%` picks the candidates through
    # the trigram index, similarity() ranks them.
    sql = f"""
        SELECT given.position, match.id, match.similarity
        FROM unnest(%s::text[]) WITH ORDINALITY AS given(text, position)
        CROSS JOIN LATERAL (
            SELECT claim.id, similarity(claim.text, given.text) AS similarity
            FROM {Claim._meta.db_table} AS claim
            WHERE claim.status = %s AND claim.text %% given.text AND NOT claim.id = ANY(%s)
            ORDER BY similarity DESC, claim.id
            LIMIT %s
        ) AS match
        ORDER BY given.position, match.similarity DESC, match.id
    """
    params = [[texts[key] for key in keys], Status.PUBLISHED, list(exclude_ids), limit]
    ranked: dict[Hashable, list[tuple[int, float]]] = {}
    # `%` compares with pg_trgm.similarity_threshold, set for this transaction only.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [str(TRIGRAM_THRESHOLD)]
        )
        cursor.execute(sql, params)
        for position, pk, similarity in cursor.fetchall():
            ranked.setdefault(keys[position - 1], []).append((pk, round(similarity, 3)))
    return ranked


def _content_words(text: str) -> set[str]:
    return {word for word in words_of(text) if word not in _STOP_WORDS}


def _word_ranked(texts, *, limit, exclude_ids) -> dict[Hashable, list[tuple[int, float]]]:
    words = {key: _content_words(text) for key, text in texts.items()}
    # The longest words tell the most; each candidate holds at least one of them.
    probes = sorted(set().union(*words.values()), key=lambda word: (-len(word), word))
    probes = probes[:_WORD_MATCH_PROBES]
    if not probes:
        return {}
    candidates = (
        Claim.objects.published()
        .exclude(pk__in=exclude_ids)
        .filter(reduce(or_, (Q(text__icontains=word) for word in probes)))
        .order_by("-published_at", "-id")
        .values_list("pk", "text")[:_WORD_MATCH_CANDIDATES]
    )
    candidate_words = [(pk, _content_words(text)) for pk, text in candidates]
    ranked: dict[Hashable, list[tuple[int, float]]] = {}
    for key, mine in words.items():
        scored = [
            (pk, round(len(mine & theirs) / len(mine | theirs), 3))
            for pk, theirs in candidate_words
            if mine and theirs
        ]
        scored = [(pk, score) for pk, score in scored if score >= WORD_THRESHOLD]
        ranked[key] = sorted(scored, key=lambda match: (-match[1], match[0]))[:limit]
    return ranked


# The editors' triage ----------------------------------------------------------------------


def note_drafts(note: Note, *, by_score: bool = False, hide_low: bool = False) -> list[Claim]:
    """The draft claims extracted from `note`, for the editors' triage (not a public read).

    In the order they are made in the note (`first_seconds`), or highest `extraction_score`
    first (unscored last); `hide_low` leaves out those scoring under `LOW_SCORE`. Each has
    `note_appearances`, its appearances drawn from the note, in time order, with their videos.
    """
    drafts = (
        Claim.objects.drafts()
        .filter(Exists(Appearance.objects.filter(claim=OuterRef("pk"), note=note)))
        .defer("search_vector")
        .annotate(first_seconds=Min("appearances__start_seconds", filter=Q(appearances__note=note)))
        .prefetch_related(
            Prefetch(
                "appearances",
                queryset=Appearance.objects.filter(note=note)
                .select_related("video")
                .order_by("start_seconds", "id"),
                to_attr="note_appearances",
            )
        )
    )
    if hide_low:
        drafts = drafts.filter(
            Q(extraction_score__isnull=True) | Q(extraction_score__gte=LOW_SCORE)
        )
    if by_score:
        return list(
            drafts.order_by(F("extraction_score").desc(nulls_last=True), "first_seconds", "id")
        )
    return list(drafts.order_by("first_seconds", "id"))


def made_in_video(video: Video) -> list[Appearance | Argument]:
    """For editors: the appearances of claims and the arguments whose evidence is in `video`,
    in time order, discarded drafts left out; each with its claim (two queries)."""
    appearances = (
        Appearance.objects.filter(video=video)
        .exclude(claim__status=Status.DISCARDED)
        .select_related("claim", "video")
        .defer("claim__search_vector")
    )
    arguments = (
        Argument.objects.filter(video=video)
        .exclude(status=Status.DISCARDED)
        .select_related("claim", "video")
        .defer("claim__search_vector")
    )
    return sorted(
        chain(appearances, arguments),
        key=lambda item: (item.start_seconds, isinstance(item, Argument), item.pk),
    )


# A claim's public change history ---------------------------------------------------------------

#: The kinds of history rows a claim's history lists, and the fields it shows of each (the
#: version is the entry's own; dates of creation and update are not recorded).
HISTORY_FIELDS: dict[str, tuple[str, ...]] = {
    "claim": ("text", "status", "retraction_reason", "merged_into", "published_at", "topics"),
    "appearance": APPEARANCE_FIELDS,
    "argument": (*ARGUMENT_FIELDS, "status", "retraction_reason"),
}
_HISTORY_OF = {"claim": Claim, "appearance": Appearance, "argument": Argument}
#: Fields naming a claim: shown only while that claim may be read by id, else as null.
_CLAIM_FIELDS = ("claim", "merged_into", "premise")
_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def _history_rows(kind: str) -> QuerySet:
    return _HISTORY_OF[kind].history.model.objects


def history_claim() -> QuerySet[Claim]:
    """Claims whose change history the public may read: the ones it may read by id."""
    return Claim.objects.filter(status__in=WAS_PUBLIC).only("id", "status")


def claim_history_events(claim: Claim) -> QuerySet:
    """The history rows a claim's public history lists, newest first, as
    `(history_date, kind, history_id)` tuples, `kind` naming the model.

    The claim's own rows while it was public (published or retracted), and the rows of its
    appearances and public arguments recorded while the claim was published. Never a row of a
    draft: a claim's before it was first published, an argument's while it was a draft or once
    discarded, nor an appearance's or argument's while its claim was not public.
    """
    status_then = Subquery(
        _history_rows("claim")
        .filter(id=claim.pk, history_date__lte=OuterRef("history_date"))
        .order_by("-history_date", "-history_id")
        .values("status")[:1]
    )

    def events(kind: str, *, while_published: bool, **filters) -> QuerySet:
        rows = _history_rows(kind).filter(**filters)
        if while_published:
            rows = rows.alias(status_then=status_then).filter(status_then=Status.PUBLISHED)
        return (
            rows.annotate(kind=Value(kind, output_field=CharField()))
            .order_by()
            .values_list("history_date", "kind", "history_id")
        )

    return (
        events("claim", id=claim.pk, status__in=WAS_PUBLIC, while_published=False)
        .union(
            events("appearance", claim_id=claim.pk, while_published=True),
            events("argument", claim_id=claim.pk, status__in=WAS_PUBLIC, while_published=True),
            all=True,
        )
        .order_by("-history_date", "-history_id", "kind")
    )


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One change to a claim, one of its appearances or one of its arguments."""

    object_type: str
    object_id: int
    version: int
    action: str
    changed_at: datetime
    user: str | None
    contribution_id: int | None
    #: `{"field", "old", "new"}` for each field that changed, in `HISTORY_FIELDS` order.
    changes: list[dict]


def claim_history_entries(events: Iterable[tuple]) -> list[HistoryEntry]:
    """The entries of a page of `claim_history_events`, each with what it changed since the
    row before it, in a fixed number of queries whatever the page holds."""
    events = list(events)
    rows: dict[tuple[str, int], object] = {}
    before: dict[tuple[str, int], object] = {}
    for kind in HISTORY_FIELDS:
        page_ids = [history_id for _, each, history_id in events if each == kind]
        fetched = _with_previous_rows(kind, page_ids)
        rows.update(((kind, row.history_id), row) for row in fetched if row.history_id in page_ids)
        by_object: dict[int, list] = {}
        for row in sorted(fetched, key=lambda row: (row.history_date, row.history_id)):
            by_object.setdefault(row.id, []).append(row)
        for history in by_object.values():
            for earlier, row in pairwise(history):
                before[kind, row.history_id] = earlier
    shown = _HistoryValues([*rows.values(), *before.values()])
    entries = []
    for _, kind, history_id in events:
        row = rows[kind, history_id]
        earlier = before.get((kind, history_id)) if row.history_type != "+" else None
        changes = []
        for name in HISTORY_FIELDS[kind]:
            new = shown.value(kind, row, name)
            old = None if earlier is None else shown.value(kind, earlier, name)
            if new != old and (earlier is not None or new not in (None, "", [])):
                changes.append({"field": name, "old": old, "new": new})
        entries.append(
            HistoryEntry(
                object_type=kind,
                object_id=row.id,
                version=row.version,
                action=_ACTIONS[row.history_type],
                changed_at=row.history_date,
                user=row.history_user.get_username() if row.history_user else None,
                contribution_id=row.contribution_id,
                changes=changes,
            )
        )
    return entries


def _with_previous_rows(kind: str, history_ids: list[int]) -> list:
    """The history rows `history_ids` of one model, and the row before each of them, in one
    query (none for no ids)."""
    rows = _history_rows(kind)
    previous = (
        rows.filter(id=OuterRef("id"))
        .filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    earlier = rows.filter(history_id__in=history_ids).annotate(previous=Subquery(previous))
    return list(
        rows.filter(
            Q(history_id__in=history_ids) | Q(history_id__in=earlier.values("previous"))
        ).select_related("history_user")
    )


class _HistoryValues:
    """The public form of the values history rows hold: a video by its YouTube id, a speaker
    or note by its slug, a claim by its id while the public may read it (else null), a
    claim's topics as sorted slugs. One query per kind of reference, whatever the rows."""

    def __init__(self, rows: list) -> None:
        ids: dict[str, set[int]] = {"claim": set(), "video": set(), "speaker": set(), "note": set()}
        claim_rows = []
        for row in rows:
            for name in ("claim", "merged_into", "premise", "video", "speaker", "note"):
                value = getattr(row, f"{name}_id", None)
                if value is not None:
                    ids["claim" if name in _CLAIM_FIELDS else name].add(value)
            if isinstance(row, _HISTORY_OF["claim"].history.model):
                claim_rows.append(row.history_id)
        self.public_claims = set(
            Claim.objects.filter(pk__in=ids["claim"], status__in=WAS_PUBLIC).values_list(
                "pk", flat=True
            )
        )
        self.names = {
            "video": dict(
                Video.objects.filter(pk__in=ids["video"]).values_list("pk", "youtube_id")
            ),
            "speaker": dict(
                Speaker.objects.filter(pk__in=ids["speaker"]).values_list("pk", "slug")
            ),
            "note": dict(Note.objects.filter(pk__in=ids["note"]).values_list("pk", "slug")),
        }
        topics = _history_rows("claim").model._meta.get_field("historicalclaim_topics")
        self.topics: dict[int, list[str]] = {}
        for history_id, slug in (
            topics.related_model.objects.filter(history_id__in=claim_rows)
            .order_by("topic__slug")
            .values_list("history_id", "topic__slug")
        ):
            self.topics.setdefault(history_id, []).append(slug)

    def value(self, kind: str, row, name: str):
        if name == "topics":
            return self.topics.get(row.history_id, [])
        if name in _CLAIM_FIELDS:
            pk = getattr(row, f"{name}_id")
            return pk if pk in self.public_claims else None
        if name in self.names:
            pk = getattr(row, f"{name}_id")
            return None if pk is None else self.names[name].get(pk)
        return getattr(row, name)
