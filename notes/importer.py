"""Pour a vault of markdown notes into the database, one note at a time.

Each file is read, parsed and written in its own savepoint, so a bad file is reported as
`path:line: message` and skipped without touching the notes before or after it.
"""

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from notes.models import Note
from notes.parsing import NoteError, ParsedNote, decode_note, parse_note
from notes.services import ImportOutcome, note_import

NOTE_SUFFIXES = {".md", ".markdown"}

#: Called after a note is written, with the note and what was parsed from its file; returns
#: how many draft claims it extracted. The claims app provides one: notes never imports claims.
Extractor = Callable[[Note, ParsedNote], int]


@dataclass
class ImportReport:
    files: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_imported: int = 0
    drafts: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self, *, dry_run: bool = False) -> str:
        line = (
            f"{self.files} files: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.errors)} errors"
        )
        extras = []
        if self.not_imported:
            extras.append(f"{self.not_imported} not imported")
        if self.drafts:
            extras.append(f"{self.drafts} draft claims extracted")
        if dry_run:
            extras.append("dry run, nothing saved")
        return f"{line} ({'; '.join(extras)})" if extras else line


def find_note_files(paths: Iterable[Path], report: ImportReport) -> list[Path]:
    """The markdown files named or found under `paths`, each once, in a stable order.

    Hidden folders (`.obsidian`, `.trash`, `.git`) are skipped: they hold an editor's
    settings and deleted notes, not the vault.
    """
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for candidate in sorted(_walk(path)):
                found.setdefault(candidate.resolve(), None)
        elif path.is_file():
            if path.suffix.lower() in NOTE_SUFFIXES:
                found.setdefault(path.resolve(), None)
            else:
                report.errors.append(f"{path}:1: not a markdown note (expected a .md file)")
        else:
            report.errors.append(f"{path}:1: no such file or folder")
    return list(found)


def _walk(folder: Path) -> Iterator[Path]:
    for entry in folder.iterdir():
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(entry)
        elif entry.is_file() and entry.suffix.lower() in NOTE_SUFFIXES:
            yield entry


class NoteSource(Protocol):
    """A note to import: a `Path`, or an `UploadedNote`. Its `str()` names it in reports."""

    def read_bytes(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class UploadedNote:
    """A note that arrived as bytes (an editor's upload), named by its file name."""

    name: str
    data: bytes

    def read_bytes(self) -> bytes:
        return self.data

    def __str__(self) -> str:
        return self.name


def import_vault(
    paths: Iterable[Path],
    *,
    dry_run: bool = False,
    extract: Extractor | None = None,
    on_error: Callable[[str], None] = lambda message: None,
    progress: Callable[[list[Path]], Iterable[Path]] = lambda files: files,
) -> ImportReport:
    """Import every note under `paths` and say what happened to each file.

    With `dry_run` the whole run happens in a transaction that is rolled back, so the report
    is exactly what a real run would do. `on_error` hears each `path:line: message` as it is
    found; `progress` may wrap the file list in a progress bar.
    """
    report = ImportReport()
    files = find_note_files(paths, report)
    for message in report.errors:
        on_error(message)
    return import_notes(
        files,
        report=report,
        dry_run=dry_run,
        extract=extract,
        on_error=on_error,
        progress=progress,
    )


def import_notes(
    files: list[NoteSource],
    *,
    report: ImportReport | None = None,
    dry_run: bool = False,
    extract: Extractor | None = None,
    on_error: Callable[[str], None] = lambda message: None,
    progress: Callable[[list], Iterable] = lambda files: files,
    actor: AbstractBaseUser | None = None,
) -> ImportReport:
    """Import `files` (paths or uploads) as `import_vault` does, each in its own savepoint.

    `actor` is who the notes' history rows name: the editor who uploaded them, or nobody for
    the command line.
    """
    report = report if report is not None else ImportReport()
    report.files = len(files)
    slugs_seen: dict[str, NoteSource] = {}

    with transaction.atomic():
        for path in progress(files):
            errors_before = len(report.errors)
            _import_file(path, report, slugs_seen, extract, actor)
            for message in report.errors[errors_before:]:
                on_error(message)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _import_file(
    path: NoteSource,
    report: ImportReport,
    slugs_seen: dict[str, NoteSource],
    extract: Extractor | None,
    actor: AbstractBaseUser | None,
) -> None:
    try:
        data = path.read_bytes()
        text = decode_note(data)
        parsed = parse_note(text)
    except OSError as error:
        report.errors.append(f"{path}:1: cannot read file: {error.strerror or error}")
        report.not_imported += 1
        return
    except NoteError as error:
        report.errors.append(f"{path}:{error.line}: {error.message}")
        report.not_imported += 1
        return

    if parsed.slug in slugs_seen:
        report.errors.append(
            f"{path}:{_title_line(text)}: title gives slug '{parsed.slug}', already taken by "
            f"{slugs_seen[parsed.slug]} in this run; rename one of the two notes"
        )
        report.not_imported += 1
        return
    slugs_seen[parsed.slug] = path

    for problem in parsed.problems:
        report.errors.append(f"{path}:{problem.line}: {problem.message}")

    try:
        with transaction.atomic():
            result = note_import(
                parsed=parsed,
                source_path=str(path),
                content_hash=hashlib.sha256(data).hexdigest(),
                actor=actor,
            )
            drafts = extract(result.note, parsed) if extract else 0
    except ValidationError as error:
        report.errors.append(f"{path}:1: {_validation_message(error)}")
        report.not_imported += 1
        return

    report.drafts += drafts
    match result.outcome:
        case ImportOutcome.CREATED:
            report.created += 1
        case ImportOutcome.UPDATED:
            report.updated += 1
        case ImportOutcome.UNCHANGED:
            report.unchanged += 1


def _title_line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("title:"):
            return number
    return 1


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)
