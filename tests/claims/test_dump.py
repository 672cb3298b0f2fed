"""`export_data` and `import_data`: the whole database to JSON Lines and back, nothing lost."""

import io
import json
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max

from accounts import services as account_services
from claims import dump, services
from claims.models import Appearance, Argument, Claim, Stance
from claims.search import search_claims
from notes import revisions
from notes.models import ContentRevision, KindRevision, Note, ObjectRevision, Video
from tests.factories import (
    ChannelFactory,
    NoteFactory,
    UserFactory,
    VideoFactory,
    WikiLinkFactory,
)

pytestmark = pytest.mark.django_db

DUMPED_MODELS = dump.CONTENT_MODELS + dump.HISTORY_MODELS
# Microseconds included: a load that rounded them, or stamped the present, would show.
CREATED = datetime(2021, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
UPDATED = CREATED + timedelta(days=400, microseconds=1)

Rows = dict[str, list[dict[str, Any]]]


@pytest.fixture
def filled_database(editor) -> None:
    """Rows of every dumped model, nullable fields both set and null.

    History rows name `editor`, `ghost` (a user the target will lack) or nobody.
    """
    ghost = UserFactory(username="ghost")
    channel = ChannelFactory(slug="lex_fridman", name="Lex Fridman")
    interview = VideoFactory(
        youtube_id="oX7OduG1YmI",
        title="Open source in AI",
        channel=channel,
        duration_seconds=7342,
        published_on=date(2024, 7, 23),
    )
    bare_video = VideoFactory(channel=None)
    note = NoteFactory(
        title="Über Sicherheit — 安全 🚀",
        slug="über_sicherheit_安全",
        video=interview,
        body_markdown="Open models [[open_source|are safer]] 🚀 [00:42:05]\n\n«Ça dépend» — 安全.",
        front_matter={
            "title": "Über Sicherheit",
            "videoId": "oX7OduG1YmI",
            "tags": ["ai", "安全"],
            "nested": {"count": 2, "ratio": 0.5, "missing": None, "open": True},
        },
        source_path="vault/über.md",
        content_hash="0123456789abcdef" * 4,
    )
    NoteFactory(video=bare_video)
    WikiLinkFactory(note=note, target_slug="open_source", label="are safer")
    speaker = services.speaker_get_or_create(name="Mark Zuckerberg", actor=ghost)

    # Created first, merged into a later claim: its merged_into points further down the dump.
    duplicate = services.claim_create(text="Open models are safer.", actor=editor)
    safer = services.claim_create(
        text="Open-sourcing AI models makes them safer",
        topics=["open_source", "ai_safety"],
        actor=editor,
    )
    eyes = services.claim_create(text="More eyes find and fix bugs sooner.", actor=editor)
    services.appearance_create(
        claim=safer,
        video=interview,
        start_seconds=2525,
        end_seconds=2603,
        speaker=speaker,
        quote="Open source makes it safer.",
        note=note,
        actor=editor,
    )
    services.appearance_create(claim=duplicate, video=bare_video, start_seconds=0, actor=editor)
    services.argument_create(
        claim=safer,
        stance=Stance.FOR,
        text="More eyes find and fix bugs.",
        video=interview,
        start_seconds=2534,
        end_seconds=2561,
        speaker=speaker,
        premise=eyes,
        actor=editor,
    )
    closed = services.argument_create(
        claim=safer,
        stance=Stance.AGAINST,
        text="Closed models stay away from malicious actors.",
        source_url="https://example.org/closed-models",
        actor=editor,
    )
    services.claim_merge(keep=safer, duplicates=[duplicate], actor=editor)
    services.claim_publish(claim=safer, actor=editor)
    services.argument_publish(argument=closed, actor=editor)

    Note.objects.update(created_at=CREATED, updated_at=UPDATED)
    Claim.objects.update(created_at=CREATED, updated_at=UPDATED)
    Appearance.objects.update(created_at=CREATED)
    Argument.objects.update(created_at=CREATED, updated_at=UPDATED)


def table_rows(tables: Iterable[type[models.Model]] = DUMPED_MODELS) -> Rows:
    """Every column of every row, by model, in primary-key order; not the derived index."""
    return {
        model._meta.label_lower: list(
            model._base_manager.order_by("pk").values(
                *(f.attname for f in model._meta.concrete_fields if f.name != "search_vector")
            )
        )
        for model in tables
    }


def wipe() -> None:
    """Empty every dumped table and restart its ids, like a newly migrated database."""
    tables = [model._meta.db_table for model in (*DUMPED_MODELS, *dump.AUDIT_MODELS)]
    # PostgreSQL refuses to truncate tables with foreign key checks still deferred: run them.
    connection.check_constraints()
    connection.ops.execute_sql_flush(
        connection.ops.sql_flush(no_style(), tables, reset_sequences=True)
    )


def export_data(path: Path | str, *options: str) -> str:
    out = StringIO()
    call_command("export_data", str(path), *options, stdout=out)
    return out.getvalue()


def import_data(path: Path | str) -> str:
    out = StringIO()
    call_command("import_data", str(path), stdout=out)
    return out.getvalue()


def summary(rows: Rows) -> str:
    total = sum(len(table) for table in rows.values())
    counts = ", ".join(f"{len(table)} {label}" for label, table in rows.items() if table)
    return f"{total} rows ({counts})"


def test_round_trip_restores_every_row_of_every_content_model(filled_database, tmp_path):
    path = tmp_path / "claimtrack.jsonl"
    before = table_rows(dump.CONTENT_MODELS)
    assert all(before.values()), "the fixture must fill every content model"

    exported = export_data(path)
    wipe()
    imported = import_data(path)

    assert table_rows(dump.CONTENT_MODELS) == before
    merged = Claim.objects.get(merged_into__isnull=False)
    assert merged.merged_into_id > merged.pk  # a reference to a row further down loaded
    assert exported == f"Exported {summary(before)} to {path}\n"
    assert imported == f"Imported {summary(before)} from {path}\n"


def test_import_without_history_leaves_the_history_tables_empty(filled_database, tmp_path):
    path = tmp_path / "claimtrack.jsonl"
    export_data(path)
    wipe()

    import_data(path)

    assert table_rows(dump.HISTORY_MODELS) == {m._meta.label_lower: [] for m in dump.HISTORY_MODELS}


def test_export_writes_a_header_then_rows_in_dependency_order(filled_database, tmp_path):
    path = tmp_path / "claimtrack.jsonl"

    export_data(path)

    text = path.read_text(encoding="utf-8")
    header, *rows, _end = (json.loads(line) for line in text.splitlines())
    assert header.keys() == {"format", "version", "exported_at", "history"}
    assert (header["format"], header["version"], header["history"]) == ("claimtrack-dump", 3, False)
    assert datetime.fromisoformat(header["exported_at"]).tzinfo is not None
    models_in_order = list(dict.fromkeys(row["model"] for row in rows))
    assert models_in_order == [model._meta.label_lower for model in dump.CONTENT_MODELS]
    note = next(
        row["fields"] for row in rows if row["fields"].get("slug") == "über_sicherheit_安全"
    )
    assert note["video_id"] == Video.objects.get(youtube_id="oX7OduG1YmI").pk
    assert note["front_matter"]["nested"] == {
        "count": 2,
        "ratio": 0.5,
        "missing": None,
        "open": True,
    }
    assert note["created_at"] == "2021-03-04T05:06:07.891011+00:00"
    assert not any("search_vector" in row["fields"] for row in rows)
    assert "安全 🚀" in text  # written as UTF-8, not as \u escapes


def test_round_trip_with_history_matches_history_users_by_username(
    filled_database, editor, tmp_path
):
    path = tmp_path / "claimtrack.jsonl"
    before = table_rows()
    assert all(before.values()), "the fixture must fill every content and history model"
    ghost = get_user_model().objects.get(username="ghost")
    editor_id, ghost_id = editor.pk, ghost.pk

    exported = export_data(path, "--with-history")
    wipe()
    # The target has its own account named "editor", and nobody named "ghost".
    editor.delete()
    ghost.delete()
    user_ids = {editor_id: UserFactory(username="editor").pk, ghost_id: None, None: None}
    imported = import_data(path)

    expected = {
        label: [
            {**row, "history_user_id": user_ids[row["history_user_id"]]}
            if "history_user_id" in row
            else row
            for row in table
        ]
        for label, table in before.items()
    }
    assert table_rows() == expected
    assert exported == f"Exported {summary(before)} to {path}\n"
    assert imported == f"Imported {summary(before)} from {path}\n"


def test_import_into_a_database_with_content_is_refused_and_changes_nothing(
    filled_database, tmp_path
):
    path = tmp_path / "claimtrack.jsonl"
    export_data(path)
    before = table_rows()

    with pytest.raises(CommandError) as refused:
        import_data(path)

    assert str(refused.value).startswith("The database already holds notes.channel, notes.video,")
    assert str(refused.value).endswith(
        "rows; a dump loads into an empty database only (create one and run `manage.py migrate`)."
    )
    assert refused.value.returncode == 1
    assert table_rows() == before


def first_line_of(model: str, lines: list[str]) -> int:
    """The index in `lines` of the first row of `model`."""
    return next(i for i, line in enumerate(lines) if json.loads(line).get("model") == model)


def edit_fields(lines: list[str], model: str, **fields: Any) -> tuple[int, dict[str, Any]]:
    """Change fields of the first `model` row; its line number and its new fields."""
    index = first_line_of(model, lines)
    row = json.loads(lines[index])
    row["fields"].update(fields)
    lines[index] = json.dumps(row)
    return index + 1, row["fields"]


def bad_json(lines: list[str]) -> tuple[int, str]:
    lines[4] = '{"model": "notes.video", "fields": {'
    return 5, "not a JSON line: Expecting property name enclosed in double quotes"


def unknown_model(lines: list[str]) -> tuple[int, str]:
    index = first_line_of("notes.video", lines)
    lines[index] = lines[index].replace('"notes.video"', '"notes.podcast"')
    return index + 1, "unknown model 'notes.podcast'"


def unknown_field(lines: list[str]) -> tuple[int, str]:
    number, _ = edit_fields(lines, "notes.video", colour="red")
    return number, "notes.video fields: missing [], unknown ['colour']"


def wrong_type(lines: list[str]) -> tuple[int, str]:
    number, _ = edit_fields(lines, "claims.appearance", start_seconds="soon")
    return number, "claims.appearance.start_seconds: “soon” value must be an integer."


def negative_start(lines: list[str]) -> tuple[int, str]:
    number, fields = edit_fields(lines, "claims.appearance", start_seconds=-1)
    return number, f"claims.appearance {fields['id']}: "


def missing_video(lines: list[str]) -> tuple[int, str]:
    number, _ = edit_fields(lines, "claims.appearance", video_id=999999)
    return (
        number,
        "claims.appearance.video_id refers to notes.video 999999, which is not in the dump",
    )


@pytest.mark.parametrize(
    "break_dump",
    [bad_json, unknown_model, unknown_field, wrong_type, negative_start, missing_video],
)
def test_a_bad_line_is_reported_with_its_number_and_nothing_is_written(
    filled_database, tmp_path, break_dump: Callable[[list[str]], tuple[int, str]]
):
    path = tmp_path / "claimtrack.jsonl"
    export_data(path)
    wipe()
    lines = path.read_text(encoding="utf-8").splitlines()
    number, message = break_dump(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        import_data(path)

    assert str(refused.value).startswith(f"{path}:{number}: {message}")
    assert refused.value.returncode == 1
    assert not any(table_rows().values())


def test_a_violated_constraint_is_named_by_the_database(filled_database, tmp_path):
    path = tmp_path / "claimtrack.jsonl"
    export_data(path)
    wipe()
    lines = path.read_text(encoding="utf-8").splitlines()
    number, _ = edit_fields(lines, "claims.appearance", start_seconds=-1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(CommandError, match=f":{number}: .*appearance_start_not_negative"):
        import_data(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", ": the file is empty; a dump starts with its header line."),
        (
            '{"model": "notes.channel", "fields": {"id": 1, "slug": "a", "name": "A"}}\n',
            ":1: not a Claimtrack dump: the first line must be "
            '{"format": "claimtrack-dump", "version": 3, ...}.',
        ),
        (
            '{"format": "claimtrack-dump", "version": 4, "history": false}\n',
            ":1: dump version 4 is not supported; this Claimtrack reads versions 1, 2, 3.",
        ),
        (
            '{"format": "claimtrack-dump", "version": 2.0, "history": false}\n',
            ":1: dump version 2.0 is not supported; this Claimtrack reads versions 1, 2, 3.",
        ),
        (
            '{"format": "claimtrack-dump", "version": 1}\n',
            ':1: the header\'s "history" must be true or false.',
        ),
    ],
    ids=["empty", "no header", "unknown version", "version not an integer", "no history flag"],
)
def test_a_file_without_a_valid_header_is_refused(tmp_path, content: str, message: str):
    path = tmp_path / "claimtrack.jsonl"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        import_data(path)

    assert str(refused.value) == f"{path}{message}"
    assert refused.value.returncode == 1
    assert not any(table_rows().values())


def test_rows_added_after_an_import_get_fresh_ids(filled_database, editor, tmp_path):
    path = tmp_path / "claimtrack.jsonl"
    export_data(path, "--with-history")
    wipe()  # restarts the id sequences, as in a new database
    import_data(path)
    highest = {
        model._meta.label_lower: model._base_manager.aggregate(Max("pk"))["pk__max"]
        for model in DUMPED_MODELS
    }

    channel = ChannelFactory()
    claim = services.claim_create(text="A claim made after the import.", topics=["open_source"])

    assert channel.pk > highest["notes.channel"]
    assert claim.pk > highest["claims.claim"]
    assert Claim.topics.through.objects.get(claim=claim).pk > highest["claims.claim_topics"]
    assert claim.history.latest().history_id > highest["claims.historicalclaim"]


def test_export_to_dash_writes_the_dump_to_stdout_and_the_summary_to_stderr(filled_database):
    out, err = StringIO(), StringIO()

    call_command("export_data", "-", stdout=out, stderr=err)

    header, *rows, end = (json.loads(line) for line in out.getvalue().splitlines())
    assert header["format"] == "claimtrack-dump"
    content = table_rows(dump.CONTENT_MODELS)
    assert len(rows) == sum(end["rows"].values()) == sum(len(table) for table in content.values())
    assert err.getvalue() == f"Exported {summary(content)} to stdout\n"


def test_import_from_dash_reads_stdin(filled_database, monkeypatch):
    out = StringIO()
    call_command("export_data", "-", stdout=out, stderr=StringIO())
    before = table_rows(dump.CONTENT_MODELS)
    wipe()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(out.getvalue().encode())))

    imported = import_data("-")

    assert table_rows(dump.CONTENT_MODELS) == before
    assert imported == f"Imported {summary(before)} from <stdin>\n"


def test_import_rebuilds_the_search_index_and_moves_the_revision(filled_database, tmp_path):
    path = tmp_path / "claimtrack.jsonl"
    export_data(path)
    claim = Claim.objects.published().first()
    word = claim.text.split()[0]
    wipe()
    revision_before = revisions.current().number

    import_data(path)

    assert claim in search_claims(Claim.objects.published(), word)
    if connection.vendor == "postgresql":
        assert not Claim.objects.filter(search_vector__isnull=True).exists()
    assert revisions.current().number > revision_before


def test_a_failed_export_leaves_no_file_behind(filled_database, tmp_path, monkeypatch):
    path = tmp_path / "claimtrack.jsonl"

    def fail_halfway(write, **options):
        write('{"format": "claimtrack-dump"}\n')
        raise RuntimeError("the database went away")

    monkeypatch.setattr("claims.management.commands.export_data.dump_export", fail_halfway)

    with pytest.raises(RuntimeError, match="the database went away"):
        export_data(path)

    assert list(tmp_path.iterdir()) == []


def test_every_model_of_notes_claims_and_contributions_is_dumped():
    """A new model must be added to the dump, or be deliberately left out of it."""
    app_models = {
        model
        for app in ("notes", "claims", "contributions")
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    }

    # The revisions count changes; they are bumped by the load, not carried by the dump.
    revision_models = {ContentRevision, KindRevision, ObjectRevision}
    assert app_models - revision_models == {*DUMPED_MODELS, *dump.AUDIT_MODELS}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: SQLite transactions are serializable, with no weaker level to avoid",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_export_reads_one_snapshot_while_another_connection_writes():
    VideoFactory(youtube_id="before00001")
    lines: list[str] = []

    def add_video_elsewhere() -> None:
        try:
            VideoFactory(youtube_id="during00001", channel=None)
        finally:
            connection.close()

    def write(line: str) -> None:
        lines.append(line)
        if len(lines) == 2:  # the first channel is out, so the export's snapshot is taken
            writer = threading.Thread(target=add_video_elsewhere)
            writer.start()
            writer.join()

    dump.dump_export(write)

    rows = [json.loads(line) for line in lines[1:-1]]
    exported = [row["fields"]["youtube_id"] for row in rows if row["model"] == "notes.video"]
    assert exported == ["before00001"]
    assert Video.objects.filter(youtube_id="during00001").exists()


# Completeness: the end line ------------------------------------------------------------------


def exported_lines(tmp_path: Path, *options: str) -> tuple[Path, list[str]]:
    """A dump of the filled database, then the emptied database it can be loaded into."""
    path = tmp_path / "claimtrack.jsonl"
    export_data(path, *options)
    wipe()
    return path, path.read_text(encoding="utf-8").splitlines()


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def refused(path: Path) -> str:
    """The message of a refused import, after checking that it wrote nothing."""
    with pytest.raises(CommandError) as error:
        import_data(path)
    assert error.value.returncode == 1
    assert not any(table_rows().values())
    return str(error.value)


def test_export_ends_with_the_row_count_of_every_table(filled_database, tmp_path):
    path = tmp_path / "claimtrack.jsonl"
    export_data(path)

    *rows, end = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[1:])

    assert end == {
        "end": "claimtrack-dump",
        "rows": {
            model._meta.label_lower: sum(row["model"] == model._meta.label_lower for row in rows)
            for model in dump.CONTENT_MODELS
        },
    }
    assert end["rows"]["claims.appearance"] == Appearance.objects.count() == 2


def test_export_with_history_counts_the_history_tables_too(filled_database, tmp_path):
    _, lines = exported_lines(tmp_path, "--with-history")

    counted = json.loads(lines[-1])["rows"]

    assert list(counted) == [
        model._meta.label_lower for model in (*DUMPED_MODELS, *dump.AUDIT_MODELS)
    ]
    assert list(counted)[-2:] == ["contributions.contribution", "contributions.moderationlog"]
    assert sum(counted.values()) == len(lines) - 2


@pytest.mark.parametrize("kept", [-1, 2], ids=["every row, no end line", "header and one row"])
def test_a_cut_off_dump_is_refused_and_writes_nothing(filled_database, tmp_path, kept):
    path, lines = exported_lines(tmp_path)
    kept = kept % len(lines)
    write_lines(path, lines[:kept])

    assert refused(path) == (
        f"{path}:{kept}: the dump ends without its end line: it was cut off, or its export "
        "did not finish."
    )


def test_a_header_without_rows_or_end_line_is_refused(tmp_path):
    path = tmp_path / "claimtrack.jsonl"
    write_lines(path, ['{"format": "claimtrack-dump", "version": 2, "history": false}'])

    assert refused(path) == (
        f"{path}:1: the dump ends without its end line: it was cut off, or its export "
        "did not finish."
    )


def test_a_dump_missing_rows_its_end_line_counts_is_refused(filled_database, tmp_path):
    path, lines = exported_lines(tmp_path)
    del lines[first_line_of("claims.appearance", lines)]
    write_lines(path, lines)

    assert refused(path) == (
        f"{path}:{len(lines)}: the end line counts 2 claims.appearance rows, but 1 was read."
    )


def test_every_table_whose_count_differs_is_named(filled_database, tmp_path):
    path, lines = exported_lines(tmp_path)
    end = json.loads(lines[-1])
    end["rows"]["notes.channel"] += 1
    end["rows"]["claims.argument"] += 2
    lines[-1] = json.dumps(end)
    write_lines(path, lines)

    assert refused(path) == (
        f"{path}:{len(lines)}: the end line counts 2 notes.channel rows, but 1 was read; "
        "4 claims.argument rows, but 2 were read."
    )


def test_a_line_after_the_end_line_is_refused(filled_database, tmp_path):
    path, lines = exported_lines(tmp_path)
    write_lines(path, [*lines, lines[1]])

    assert refused(path) == (
        f"{path}:{len(lines) + 1}: a line after the end line (line {len(lines)}); "
        "a dump ends there."
    )


def test_two_dumps_joined_together_are_refused(filled_database, tmp_path):
    path, lines = exported_lines(tmp_path)
    write_lines(path, lines + lines)

    assert refused(path).startswith(f"{path}:{len(lines) + 1}: a line after the end line")


NO_ROWS = {model._meta.label_lower: 0 for model in dump.CONTENT_MODELS}


@pytest.mark.parametrize(
    ("end", "message"),
    [
        ({"end": "claimtrack-dump"}, 'the end line must be {"end": "claimtrack-dump", "rows": {'),
        ({"end": "claimtrack-dump", "rows": []}, 'the end line must be {"end": "claimtrack-dump"'),
        (
            {"end": "claimtrack-dump", "rows": {"notes.podcast": 0}},
            "the end line counts unknown tables ['notes.podcast'] and lacks ['claims.appearance',",
        ),
        (
            {"end": "claimtrack-dump", "rows": {**NO_ROWS, "notes.channel": "1"}},
            "the end line's count of notes.channel must be a whole number, not '1'",
        ),
        (
            {"end": "claimtrack-dump", "rows": {**NO_ROWS, "notes.channel": True}},
            "the end line's count of notes.channel must be a whole number, not True",
        ),
        (
            {"end": "claimtrack-dump", "rows": {**NO_ROWS, "notes.channel": -1}},
            "the end line's count of notes.channel must be a whole number, not -1",
        ),
    ],
    ids=[
        "no rows",
        "rows not an object",
        "unknown and missing tables",
        "text",
        "boolean",
        "negative",
    ],
)
def test_a_malformed_end_line_is_refused(tmp_path, end: dict, message: str):
    path = tmp_path / "claimtrack.jsonl"
    header = '{"format": "claimtrack-dump", "version": 2, "history": false}'
    write_lines(path, [header, json.dumps(end)])

    assert refused(path).startswith(f"{path}:2: {message}")


def test_an_empty_database_round_trips(db, tmp_path):
    path = tmp_path / "claimtrack.jsonl"
    export_data(path)

    imported = import_data(path)

    assert imported == f"Imported 0 rows from {path}\n"
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2


def test_a_version_1_dump_loads_with_a_warning_that_it_cannot_be_checked(filled_database, tmp_path):
    before = table_rows(dump.CONTENT_MODELS)
    path, lines = exported_lines(tmp_path)
    header = json.loads(lines[0])
    header["version"] = 1
    write_lines(path, [json.dumps(header), *lines[1:-1]])
    out, err = StringIO(), StringIO()

    call_command("import_data", str(path), stdout=out, stderr=err)

    assert table_rows(dump.CONTENT_MODELS) == before
    assert out.getvalue() == f"Imported {summary(before)} from {path}\n"
    assert err.getvalue() == (
        f"{path}: a version 1 dump has no end line, so it cannot be checked for completeness: "
        "make sure the file is whole.\n"
    )


def test_a_version_1_dump_keeps_its_row_format(filled_database, tmp_path):
    """Version 1 has no end line: a line shaped like one is a bad row there."""
    path, lines = exported_lines(tmp_path)
    write_lines(path, ['{"format": "claimtrack-dump", "version": 1, "history": false}', *lines[1:]])

    assert refused(path).startswith(
        f'{path}:{len(lines)}: a row must be {{"model": "app.model", "fields": {{...}}}}'
    )


def test_a_cut_that_leaves_references_dangling_is_reported_as_a_cut(filled_database, tmp_path):
    path, lines = exported_lines(tmp_path)
    # Cut before the claims' topics: claim 1 was merged into claim 2, further down the file.
    cut = first_line_of("claims.claim", lines) + 1
    write_lines(path, lines[:cut])

    assert refused(path) == (
        f"{path}:{cut}: the dump ends without its end line: it was cut off, or its "
        "export did not finish."
    )


def test_a_version_2_dump_loads_its_content_at_version_1(filled_database, tmp_path):
    """Version 2 dumps were written before `version` and `contribution_id` existed."""
    before = table_rows(dump.CONTENT_MODELS)
    path, lines = exported_lines(tmp_path, "--with-history")
    header = json.loads(lines[0])
    header["version"] = 2
    rows = []
    for line in lines[1:-1]:
        row = json.loads(line)
        row["fields"].pop("version", None)
        row["fields"].pop("contribution_id", None)
        rows.append(json.dumps(row))
    write_lines(path, [json.dumps(header), *rows, lines[-1]])

    import_data(path)

    assert table_rows(dump.CONTENT_MODELS) == {
        model: [{**row, "version": 1} if "version" in row else row for row in model_rows]
        for model, model_rows in before.items()
    }
    history = Claim.history.model.objects.all()
    assert history.exists()
    assert set(history.values_list("version", "contribution_id").distinct()) == {(1, None)}


def test_contributions_and_their_log_travel_with_the_history_without_secrets(
    filled_database, tmp_path, contributor, moderator
):
    from contributions import services as contribution_services
    from contributions.models import Contribution, Kind, ModerationLog

    token, key = account_services.token_create(user=contributor)
    proposal = contribution_services.contribution_submit(
        author=contributor,
        kind=Kind.NEW_CLAIM,
        payload={"video": "abcdefghijk", "start_seconds": 5, "text": "Proposed"},
    )
    contribution_services.contribution_reject(
        contribution=proposal, actor=moderator, version=1, reason_code="spam", note="An ad."
    )
    before = table_rows([Contribution, ModerationLog])
    path, lines = exported_lines(tmp_path, "--with-history")
    text = "\n".join(lines)

    assert key not in text and token.digest not in text
    assert contributor.password not in text and moderator.password not in text
    (row,) = [json.loads(line) for line in lines if '"model":"contributions.contribution"' in line]
    assert (row["fields"]["author"], row["fields"]["reviewer"]) == ("contributor", "moderator")
    assert "author_id" not in row["fields"]

    import_data(path)

    assert table_rows([Contribution, ModerationLog]) == before


def test_contributions_stay_out_of_a_dump_without_history(filled_database, tmp_path, contributor):
    from contributions import services as contribution_services
    from contributions.models import Kind

    contribution_services.contribution_submit(
        author=contributor,
        kind=Kind.NEW_CLAIM,
        payload={"video": "abcdefghijk", "start_seconds": 5, "text": "Proposed"},
    )
    _, lines = exported_lines(tmp_path)

    assert not [line for line in lines if "contributions." in line]
