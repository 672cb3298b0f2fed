"""The whole database as JSON Lines, and back: `manage.py export_data` and `import_data`.

A dump is one JSON object per line. The first line is the header

    {"format": "claimtrack-dump", "version": 3, "exported_at": "<ISO-8601>", "history": false}

then each row is a line, `{"model": "notes.video", "fields": {"id": 7, ...}}`, and the last line
counts the rows of every table the dump holds:

    {"end": "claimtrack-dump", "rows": {"notes.channel": 12, "notes.video": 30, ...}}

A row's fields are its model's columns under their column names (`channel_id`, not `channel`),
primary key included so that references survive the trip; datetimes and dates are ISO-8601
strings and JSON fields stay JSON. Tables come in `CONTENT_MODELS` order, parents before
children, each in primary-key order.

The end line is what tells a whole dump from a cut-off one (a full disk, `head`, a copy that
stopped): a dump without it, with counts that differ from the rows read, or with anything after
it is refused. Version 1 dumps, which have no end line, still load, with a warning that their
completeness cannot be checked. Version 3 added the `version` of claims, appearances and
arguments and the `contribution_id` of content history rows: an older dump's rows load at
version 1, their history rows made by no contribution.

What a dump holds, and why:
- All content, drafts and retracted items included: this is an editor's backup and migration
  tool, not a public feed.
- No users, groups or sessions: accounts are not content, they carry password hashes and
  personal data, and the target site has accounts of its own.
- History only when asked for (`with_history`, `--with-history`): the audit trail is most of
  the database's rows and names the editor behind every change, while moving or sharing the
  content needs none of it. A history row's `history_user` is written as the username, because
  a user id means nothing on another site, and loads as the target's user of that name, or null.
- With the history, the tables other apps register as part of the audit trail
  (`register_audit_models`: the contributions and their moderation log), after the content.
  Their users are written as usernames too (never a password or a token); a user a row cannot
  do without (a contribution's author) must have an account of that name on the target.
- No derived data: fields declared `serialize=False` (the full-text `search_vector`),
  generated columns, and the content revisions (`notes.ContentRevision`, `notes.KindRevision`,
  `notes.ObjectRevision`), which only tell API clients whether anything changed. The load
  recomputes the search index and bumps the revisions.

A load goes into an empty database, in one transaction: a database that already holds rows, a
bad header, a missing or wrong end line, or any line that cannot be loaded (bad JSON, unknown
model or field, a value of the wrong type, a reference to a row the dump lacks, a violated
constraint) raises `DumpError` as `PATH:LINE: message`, and nothing is written.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DataError, IntegrityError, connection, models, transaction
from django.utils import timezone
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_history_model_for_model

from claims.models import Appearance, Argument, Claim, Speaker
from claims.search import search_index_rebuild
from notes import revisions
from notes.models import Channel, Note, Topic, Video, WikiLink

FORMAT = "claimtrack-dump"
# Rows per INSERT when loading; rows per round trip when reading, so memory stays flat.
BATCH_SIZE = 1000
CHUNK_SIZE = 2000
HISTORY_USER = "history_user"
#: Tables of the audit trail that apps above this one add (`register_audit_models`).
AUDIT_MODELS: list[type[models.Model]] = []

ModelClass = type[models.Model]
RowCounts = dict[ModelClass, int]

# Parents before children, so that a dump reads top to bottom as the database was built.
CONTENT_MODELS: tuple[ModelClass, ...] = (
    Channel,
    Video,
    Topic,
    Note,
    WikiLink,
    Speaker,
    Claim,
    Claim.topics.through,
    Appearance,
    Argument,
)


def _history_models() -> tuple[ModelClass, ...]:
    """The simple-history tables of the content models, in the content models' order."""
    tables: list[ModelClass] = []
    for model in CONTENT_MODELS:
        try:
            history = get_history_model_for_model(model)
        except NotHistoricalModelError:
            continue
        tables.append(history)
        # A tracked many-to-many field keeps its past in a table pointing at the history row.
        tables.extend(relation.related_model for relation in history._meta.related_objects)
    return tuple(tables)


HISTORY_MODELS = _history_models()

Fields = dict[str, Any]


@dataclass(frozen=True)
class DumpFormat:
    """One version of the dump format, as this Claimtrack reads it.

    A version that changes the rows (a new column, a renamed one) brings `upgrade`, which turns
    a row of the version before into one of its own; a load runs the row of an older dump
    through every later version's upgrade, so that only the current rows are ever decoded.
    """

    version: int
    #: Whether the dump ends with the line counting its rows.
    counted: bool
    upgrade: Callable[[str, Fields], Fields] | None = None


def _versioned_labels() -> tuple[frozenset[str], frozenset[str]]:
    """The tables that gained `version` in format 3, and those that gained `contribution_id`."""
    versioned = (Claim, Appearance, Argument)
    labels = {model._meta.label_lower for model in versioned}
    history = [get_history_model_for_model(model) for model in versioned]
    labels |= {model._meta.label_lower for model in history}
    stamped = {
        model._meta.label_lower
        for model in HISTORY_MODELS
        if any(field.attname == "contribution_id" for field in model._meta.concrete_fields)
    }
    return frozenset(labels), frozenset(stamped)


_VERSIONED, _STAMPED = _versioned_labels()


def _upgrade_to_3(label: str, fields: Fields) -> Fields:
    """A version 2 row as version 3 has it: content at version 1, made by no contribution."""
    if not isinstance(fields, dict):
        return fields
    added = {}
    if label in _VERSIONED and "version" not in fields:
        added["version"] = 1
    if label in _STAMPED and "contribution_id" not in fields:
        added["contribution_id"] = None
    return {**fields, **added} if added else fields


FORMATS: dict[int, DumpFormat] = {
    1: DumpFormat(version=1, counted=False),
    2: DumpFormat(version=2, counted=True),
    3: DumpFormat(version=3, counted=True, upgrade=_upgrade_to_3),
}
VERSION = max(FORMATS)


class DumpError(Exception):
    """A dump that cannot be loaded, or a database that cannot take one; nothing was written."""


def dump_export(write: Callable[[str], object], *, with_history: bool = False) -> RowCounts:
    """Pass the whole database to `write`, one line at a time; return the rows per model."""
    counts: RowCounts = {}
    with _snapshot():
        header = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": timezone.now().isoformat(),
            "history": with_history,
        }
        write(_json_line(header))
        username = get_user_model().USERNAME_FIELD
        for model in _dumped_models(with_history=with_history):
            columns = _columns(model)
            lookups = [
                f"{key}__{username}" if _is_user(field) else field.attname
                for key, field in columns.items()
            ]
            # The base manager: no default filtering may ever hide a row from a backup.
            rows = model._base_manager.order_by("pk").values_list(*lookups)
            counts[model] = 0
            for values in rows.iterator(chunk_size=CHUNK_SIZE):
                fields = dict(zip(columns, values, strict=True))
                write(_json_line({"model": model._meta.label_lower, "fields": fields}))
                counts[model] += 1
        rows = {model._meta.label_lower: count for model, count in counts.items()}
        write(_json_line({"end": FORMAT, "rows": rows}))
    return counts


def dump_import(
    lines: Iterable[bytes | str], *, source: str, warn: Callable[[str], object]
) -> RowCounts:
    """Load the dump `lines`, read from `source`, into an empty database; return rows per model.

    `warn` is told what the load cannot vouch for, such as an old dump's completeness.
    Rows go in with `bulk_create`, which sends no signals: the load writes no history rows of
    its own, and whatever keeps derived data current on save is run afterwards instead.
    """
    numbered = enumerate(lines, start=1)
    header = _read_header(next(numbered, None), source=source)
    dump_format = FORMATS[header["version"]]
    if not dump_format.counted:
        warn(
            f"{source}: a version {dump_format.version} dump has no end line, so it cannot be "
            "checked for completeness: make sure the file is whole."
        )
    with transaction.atomic():
        _refuse_unless_empty()
        loader = _Loader(source=source, with_history=header["history"], dump_format=dump_format)
        end: tuple[int, Fields] | None = None
        last = 1
        for number, line in numbered:
            if end is not None:
                raise DumpError(
                    f"{source}:{number}: a line after the end line (line {end[0]}); "
                    "a dump ends there."
                )
            last = number
            data = loader.parse(number, line)
            if dump_format.counted and "end" in data:
                end = (number, data)
            else:
                loader.add(number, data)
        # Completeness first: rows missing from a cut-off file would otherwise be reported as
        # dangling references, hiding the reason.
        if dump_format.counted:
            if end is None:
                raise DumpError(
                    f"{source}:{last}: the dump ends without its end line: it was cut off, or "
                    "its export did not finish."
                )
            loader.check_end_line(*end)
        counts = loader.finish()
        _reset_sequences(counts)
        # Derived data: dumps leave it out, and bulk_create bypassed the receivers that keep it.
        search_index_rebuild()
        revisions.bump()
    return counts


def dump_summary(counts: RowCounts) -> str:
    """`1,234 rows (12 notes.channel, 30 notes.video, ...)`, naming the models that had rows."""
    total = sum(counts.values())
    parts = [f"{count:,} {model._meta.label_lower}" for model, count in counts.items() if count]
    rows = f"{total:,} row{'' if total == 1 else 's'}"
    return f"{rows} ({', '.join(parts)})" if parts else rows


def register_audit_models(*audit_models: ModelClass) -> None:
    """Dump `audit_models` with the history, after it, in this order (parents first)."""
    AUDIT_MODELS.extend(model for model in audit_models if model not in AUDIT_MODELS)


def _dumped_models(*, with_history: bool) -> tuple[ModelClass, ...]:
    if with_history:
        return CONTENT_MODELS + HISTORY_MODELS + tuple(AUDIT_MODELS)
    return CONTENT_MODELS


def _is_user(field: models.Field) -> bool:
    """Whether `field` points at a user, dumped by username."""
    return field.many_to_one and field.related_model is get_user_model()


def _columns(model: ModelClass) -> dict[str, models.Field]:
    """The keys of a model's rows in a dump, each with the field it holds.

    Fields declared `serialize=False`, like the derived `search_vector`, stay out, as they do
    of Django's own serializers (primary keys have the flag too, but are the row's identity);
    so do generated columns, which the database computes.
    """
    return {
        field.name if _is_user(field) else field.attname: field
        for field in model._meta.concrete_fields
        if (field.serialize or field.primary_key) and not field.generated
    }


@contextmanager
def _snapshot() -> Iterator[None]:
    """A transaction that reads every table as of one moment.

    PostgreSQL's default, READ COMMITTED, gives each query a fresh snapshot, so a video added
    between reading channels and reading videos could point at a channel the dump lacks;
    REPEATABLE READ gives the whole transaction one. SQLite's transactions are serializable
    already. Inside a caller's transaction the level is the caller's to choose.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _json_line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_iso_8601) + "\n"


def _iso_8601(value: object) -> str:
    """Dates, datetimes and times as ISO-8601; any other type fails loudly, never approximated."""
    if isinstance(value, date | time):  # datetime is a date
        return value.isoformat()
    raise TypeError(f"A dump cannot hold {type(value).__name__} {value!r}.")


def _read_header(first: tuple[int, bytes | str] | None, *, source: str) -> dict[str, Any]:
    if first is None:
        raise DumpError(f"{source}: the file is empty; a dump starts with its header line.")
    try:
        header = json.loads(first[1])
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise DumpError(
            f'{source}:1: not a Claimtrack dump: the first line must be {{"format": "{FORMAT}", '
            f'"version": {VERSION}, ...}}.'
        )
    version = header.get("version")
    if type(version) is not int or version not in FORMATS:
        readable = ", ".join(str(number) for number in FORMATS)
        raise DumpError(
            f"{source}:1: dump version {version!r} is not supported; "
            f"this Claimtrack reads versions {readable}."
        )
    if not isinstance(header.get("history"), bool):
        raise DumpError(f'{source}:1: the header\'s "history" must be true or false.')
    return header


def _refuse_unless_empty() -> None:
    """Loaded ids must not meet existing ones, and a load must not blend two databases."""
    occupied = [
        model._meta.label_lower
        for model in _dumped_models(with_history=True)
        if model._base_manager.exists()
    ]
    if occupied:
        raise DumpError(
            f"The database already holds {', '.join(occupied)} rows; a dump loads into an "
            "empty database only (create one and run `manage.py migrate`)."
        )


class _Loader:
    """Checks rows as they come and inserts them in batches of consecutive rows of one model.

    Foreign keys are checked here rather than by the database, which defers them to the
    commit (Django creates them DEFERRABLE INITIALLY DEFERRED on PostgreSQL and SQLite): a
    claim may point at a claim further down the file, and a dangling reference is reported
    with its line instead of as an anonymous failure of the commit.
    """

    def __init__(self, *, source: str, with_history: bool, dump_format: DumpFormat) -> None:
        self.source = source
        self.upgrades = [
            later.upgrade
            for version, later in sorted(FORMATS.items())
            if version > dump_format.version and later.upgrade is not None
        ]
        dumped = _dumped_models(with_history=with_history)
        self.models = {model._meta.label_lower: model for model in dumped}
        self.columns = {model: _columns(model) for model in dumped}
        # bulk_create stamps auto_now and auto_now_add fields with the present time, as save()
        # does; a second pass with bulk_update, which writes values as given, restores them.
        self.auto_stamped = {
            model: [
                field.name
                for field in self.columns[model].values()
                if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            ]
            for model in dumped
        }
        user = get_user_model()
        self.user_ids = (
            dict(user._base_manager.values_list(user.USERNAME_FIELD, "pk")) if with_history else {}
        )
        self.counts: RowCounts = dict.fromkeys(dumped, 0)
        self.ids: dict[ModelClass, set[Any]] = {model: set() for model in dumped}
        self.forward_references: list[tuple[int, models.ForeignKey, Any]] = []
        self.batch_model: ModelClass | None = None
        self.batch: list[tuple[int, dict[str, Any]]] = []

    def parse(self, number: int, line: bytes | str) -> dict[str, Any]:
        """The JSON object on a line: a row, or the end line."""
        try:
            data = json.loads(line)
        except ValueError as error:  # bad JSON and bytes that are not UTF-8 alike
            raise self._error(number, f"not a JSON line: {error}") from None
        if not isinstance(data, dict):
            raise self._error(number, 'a row must be {"model": "app.model", "fields": {...}}')
        return data

    def add(self, number: int, row: dict[str, Any]) -> None:
        if row.keys() != {"model", "fields"}:
            raise self._error(number, 'a row must be {"model": "app.model", "fields": {...}}')
        label = row["model"]
        model = self.models.get(label) if isinstance(label, str) else None
        if model is None:
            raise self._error(number, f"unknown model {label!r}")
        fields = row["fields"]
        for upgrade in self.upgrades:
            fields = upgrade(label, fields)
        values = self._decode(number, model, fields)
        if model is not self.batch_model or len(self.batch) == BATCH_SIZE:
            self._flush()
            self.batch_model = model
        self.batch.append((number, values))
        self.ids[model].add(values[model._meta.pk.attname])
        self.counts[model] += 1

    def finish(self) -> RowCounts:
        self._flush()
        for number, field, value in self.forward_references:
            target = field.related_model
            if value not in self.ids[target]:
                raise self._error(
                    number,
                    f"{field.model._meta.label_lower}.{field.attname} refers to "
                    f"{target._meta.label_lower} {value}, which is not in the dump",
                )
        return self.counts

    def check_end_line(self, number: int, end: dict[str, Any]) -> None:
        """The end line at `number` must count exactly the rows read, table by table."""
        counted = end.get("rows")
        if end.keys() != {"end", "rows"} or end["end"] != FORMAT or not isinstance(counted, dict):
            raise self._error(
                number,
                f'the end line must be {{"end": "{FORMAT}", "rows": {{"app.model": N, ...}}}}',
            )
        read = {model._meta.label_lower: count for model, count in self.counts.items()}
        if counted.keys() != read.keys():
            unknown = sorted(counted.keys() - read.keys())
            missing = sorted(read.keys() - counted.keys())
            raise self._error(
                number, f"the end line counts unknown tables {unknown} and lacks {missing}"
            )
        for label, count in counted.items():
            if type(count) is not int or count < 0:
                raise self._error(
                    number, f"the end line's count of {label} must be a whole number, not {count!r}"
                )
        differences = [
            f"{counted[label]} {label} rows, but {count} {'was' if count == 1 else 'were'} read"
            for label, count in read.items()
            if counted[label] != count
        ]
        if differences:
            raise self._error(number, f"the end line counts {'; '.join(differences)}.")

    def _decode(self, number: int, model: ModelClass, fields: object) -> dict[str, Any]:
        """The row's values by attribute name, converted from JSON to what the fields hold."""
        label = model._meta.label_lower
        columns = self.columns[model]
        if not isinstance(fields, dict):
            raise self._error(number, f"{label} fields must be a JSON object")
        if fields.keys() != columns.keys():
            missing = sorted(columns.keys() - fields.keys())
            unknown = sorted(fields.keys() - columns.keys())
            raise self._error(number, f"{label} fields: missing {missing}, unknown {unknown}")
        values: dict[str, Any] = {}
        for key, field in columns.items():
            if _is_user(field):
                values[field.attname] = self._user_id(number, key, fields[key], field.null)
                continue
            try:
                value = field.to_python(fields[key])
            except ValidationError as error:
                raise self._error(number, f"{label}.{key}: {' '.join(error.messages)}") from None
            values[field.attname] = value
            if (
                value is not None
                and field.many_to_one
                and field.db_constraint
                and value not in self.ids[field.related_model]
            ):
                self.forward_references.append((number, field, value))
        if values[model._meta.pk.attname] is None:
            raise self._error(number, f"{label} row has no {model._meta.pk.attname}")
        return values

    def _user_id(self, number: int, key: str, username: object, null: bool) -> int | None:
        if not isinstance(username, str | None):
            raise self._error(number, f"{key} must be a username or null")
        user_id = self.user_ids.get(username)
        if user_id is None and not null:
            raise self._error(
                number,
                f"{key} {username!r} has no account here: create it before loading the dump",
            )
        return user_id

    def _flush(self) -> None:
        if not self.batch:
            return
        model, batch = self.batch_model, self.batch
        self.batch = []
        self._insert(model, batch)
        if stamped := self.auto_stamped[model]:
            restored = [model(**values) for _, values in batch]
            model._base_manager.bulk_update(restored, stamped, batch_size=BATCH_SIZE)

    def _insert(self, model: ModelClass, batch: list[tuple[int, dict[str, Any]]]) -> None:
        try:
            # A savepoint, so that PostgreSQL can go on after a refused batch to find the row.
            with transaction.atomic():
                objects = [model(**values) for _, values in batch]
                model._base_manager.bulk_create(objects, batch_size=BATCH_SIZE)
        except (IntegrityError, DataError) as error:
            # The database names the broken constraint, not the row: one by one finds its line.
            if len(batch) > 1:
                for row in batch:
                    self._insert(model, [row])
            number, values = batch[0]
            reason = str(error).splitlines()[0]
            pk = values[model._meta.pk.attname]
            raise self._error(number, f"{model._meta.label_lower} {pk}: {reason}") from None

    def _error(self, number: int, message: str) -> DumpError:
        return DumpError(f"{self.source}:{number}: {message}")


def _reset_sequences(counts: RowCounts) -> None:
    """Move id sequences past the loaded ids, so that new rows do not collide with them.

    PostgreSQL's sequences ignore explicit ids; SQLite's AUTOINCREMENT counter follows them by
    itself, and the backend returns no statements for it.
    """
    statements = connection.ops.sequence_reset_sql(no_style(), list(counts))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
