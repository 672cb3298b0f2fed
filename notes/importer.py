"""Pour a vault of markdown notes into the database, a batch of files at a time.

Each batch of `IMPORT_BATCH_SIZE` files is one transaction, so a crash loses at most the batch
it was in, and running the import again resumes: the files of finished batches are
unchanged. Which files of a batch are unchanged is known from one query, so such a file costs
a read and a hash. The others of a batch are read and parsed (a bad file is reported as
`path:line: message` and skipped), then written together: notes, videos, channels, links,
history rows and drafts in bulk, in a number of queries that does not grow with the batch
(`note_import_batch`). Should the database refuse the batch, its files are written again one
at a time, each in its own savepoint, so that the file it refuses costs that file alone and is
never half written. The content revision moves once per batch, as it ends
(`revisions.deferred`), so an editor's change waits for its lock at most one commit, not a
whole import. In a long run, while a batch is written, the next one is parsed in a process of
its own: the writing mostly waits for the database. Memory holds two batches; across the run it
keeps only a hash of each slug taken so far (`SlugsTaken`), to refuse a second file with one of
them.

The folders are walked without following symbolic links: a link inside them leads to notes
found where they are anyway, and one leading out of them, to nothing to find, or round in a
loop, is reported. Every path reported or stored is the one inside the folders given.
"""

import bisect
import dataclasses
import errno
import functools
import hashlib
import itertools
import multiprocessing
import os
import stat
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import ngettext

from notes import revisions
from notes.models import Note, Video
from notes.parsing import Limits, NoteError, ParsedNote, decode_note, parse_note
from notes.services import (
    ImportOutcome,
    NoteFile,
    NoteImportResult,
    note_import,
    note_import_batch,
)

NOTE_SUFFIXES = {".md", ".markdown"}

#: Called after a note is written, with the note and what was parsed from its file; returns
#: how many draft claims it extracted. The claims app provides one: notes never imports claims.
Extractor = Callable[[Note, ParsedNote], int]
#: The same for many notes at once (a batch's), returning the drafts extracted by note id.
ManyExtractor = Callable[[Sequence[tuple[Note, ParsedNote]]], Mapping[int, int]]

#: Called after each batch commits, with the ids of the notes it wrote: the notes among them
#: whose search index could not be brought up to date (they, or claims drawn from them), each
#: with why. The claims app, which keeps the index, provides one.
IndexCheck = Callable[[Collection[int]], Mapping[int, str]]

# SQLSTATEs of writes that collided with a concurrent import of the same notes, and succeed
# once the other transaction has committed: a unique key it inserted first, and a deadlock.
_CONFLICTS = {"23505", "40P01", "40001"}
_WRITE_ATTEMPTS = 5


def import_limits() -> Limits:
    """The `Limits` of a note, from the ``IMPORT_MAX_*`` settings."""
    return Limits(
        file_bytes=settings.IMPORT_MAX_FILE_BYTES,
        line_chars=settings.IMPORT_MAX_LINE_CHARS,
        front_matter_chars=settings.IMPORT_MAX_FRONT_MATTER_CHARS,
        front_matter_depth=settings.IMPORT_MAX_FRONT_MATTER_DEPTH,
        timestamps=settings.IMPORT_MAX_TIMESTAMPS,
        links=settings.IMPORT_MAX_LINKS,
    )


@dataclass
class ImportReport:
    files: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_imported: int = 0
    drafts: int = 0
    errors: list[str] = field(default_factory=list)
    #: Where the files counted so far are (`file_key`), kept while walking folders that may
    #: reach a file twice (a path given inside another); None when none can.
    counted: set[str] | None = field(default=None, repr=False, compare=False)

    def summary(self, *, dry_run: bool = False) -> str:
        """`N files: C created, U updated, S unchanged, E errors (…)`, each word in the number
        its count asks for. The files add up: N = C + U + S + the files not imported."""
        errors = len(self.errors)
        line = (
            ngettext("%(count)d file", "%(count)d files", self.files) % {"count": self.files}
            + f": {self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            + ngettext("%(count)d error", "%(count)d errors", errors) % {"count": errors}
        )
        extras = []
        if self.not_imported:
            extras.append(f"{self.not_imported} not imported")
        if self.drafts:
            extras.append(
                ngettext(
                    "%(count)d draft claim extracted",
                    "%(count)d draft claims extracted",
                    self.drafts,
                )
                % {"count": self.drafts}
            )
        if dry_run:
            extras.append("dry run, nothing saved")
        return f"{line} ({'; '.join(extras)})" if extras else line

    def refuse(self, message: str, *, path: Path | str | None = None) -> None:
        """A file given or found that will not be imported (not a note, not a regular file):
        counted among the files, as not imported, and reported; once, when `path` was
        counted already."""
        if self.counted_before(path):
            return
        self.files += 1
        self.not_imported += 1
        self.errors.append(message)

    def counted_before(self, *paths: Path | str | None) -> bool:
        """Whether a file at one of `paths` was counted already; if not, it is from now on."""
        if self.counted is None:
            return False
        keys = {file_key(path) for path in paths if path is not None}
        if keys & self.counted:
            return True
        self.counted |= keys
        return False


def file_key(path: Path | str) -> str:
    """Where the file at `path` is: its folder resolved, its own name kept even when it is a
    link, so that one link reached by two paths is one file."""
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(os.path.realpath(folder), name)


class NoteSource(Protocol):
    """A note to import: a `VaultFile` or an `UploadedNote`. Its `str()` names it everywhere."""

    def read_bytes(self, max_bytes: int) -> bytes:
        """The file's bytes, or its first `max_bytes` + 1: enough to tell it is too large."""
        ...


@dataclass(frozen=True, slots=True)
class VaultFile:
    """A note file on disk: `name` is its path as found in the folders given, `real` where the
    file actually is (the same, unless a folder given is itself a link).

    Strings rather than `Path`s, and one string when both are the same: an import holds one of
    these for every file of the vault.
    """

    name: str
    real: str

    def read_bytes(self, max_bytes: int) -> bytes:
        # O_NONBLOCK: if the file was swapped for a named pipe since the walk, opening it must
        # not wait for a writer. O_NOFOLLOW: nor may it have become a link to elsewhere.
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
        descriptor = os.open(self.real, flags)
        with os.fdopen(descriptor, "rb") as file:
            kind = _file_kind(os.fstat(descriptor).st_mode)
            if kind:
                raise NoteError(1, f"not a regular file ({kind})")
            return file.read(max_bytes + 1)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class UploadedNote:
    """A note that arrived as an upload (an editor's), named by its file name."""

    name: str
    file: BinaryIO

    def read_bytes(self, max_bytes: int) -> bytes:
        return self.file.read(max_bytes + 1)

    def __str__(self) -> str:
        return self.name


def find_note_files(paths: Iterable[Path], report: ImportReport) -> "VaultFiles":
    """The markdown files named or found under `paths`, each once, in a stable order.

    Hidden folders (`.obsidian`, `.trash`, `.git`) are skipped: they hold an editor's
    settings and deleted notes, not the vault. What cannot be imported (a link leading out of
    the folders, a broken or looping link, a named pipe) is reported in `report`.
    """
    return VaultFiles(paths, report)


class VaultFiles:
    """The note files of a vault, walked anew each time they are iterated.

    An import then holds no list of them, only the batch in hand: its memory does not grow
    with the vault. The first walk, made at once, counts them and reports what cannot be
    imported; the next ones report nothing again. A file found twice (a path given inside
    another) is taken once, which only then needs the walk to remember what it found.
    """

    def __init__(self, paths: Iterable[Path], report: ImportReport) -> None:
        self.paths = [Path(os.path.abspath(path)) for path in paths]
        self.roots = [Path(os.path.realpath(path)) for path in self.paths if path.is_dir()]
        # Sorted by their parts, a path comes just before those inside it. A link given is
        # where it leads and where it is: the walk of its folder reaches it there.
        reals = sorted(
            part
            for path in self.paths
            for part in {Path(os.path.realpath(path)).parts, Path(file_key(path)).parts}
        )
        self.overlap = any(
            inner[: len(outer)] == outer for outer, inner in itertools.pairwise(reals)
        )
        # Files named on their own: a folder's walk leaves them to their own path, where a
        # link named is followed, so the outcome does not hang on the order of the paths.
        self.named = (
            frozenset(file_key(path) for path in self.paths if not path.is_dir())
            if self.overlap
            else frozenset()
        )
        self.count = sum(1 for _ in self._walk(report))

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[VaultFile]:
        return self._walk(ImportReport())

    def _walk(self, report: ImportReport) -> Iterator[VaultFile]:
        report.counted = set() if self.overlap else None
        for path in self.paths:
            try:
                mode = path.stat().st_mode
            except OSError as error:
                if report.counted_before(path):
                    # The same missing path given twice: reported already.
                    continue
                message = (
                    "no such file or folder" if error.errno == errno.ENOENT else error.strerror
                )
                report.errors.append(f"{path}:1: {message}")
                continue
            if stat.S_ISDIR(mode):
                candidates = _walk(path, self.roots, report, named=self.named)
            elif path.suffix.lower() not in NOTE_SUFFIXES:
                report.refuse(f"{path}:1: not a markdown note (expected a .md file)", path=path)
                continue
            elif kind := _file_kind(mode):
                report.refuse(f"{path}:1: not a regular file ({kind})", path=path)
                continue
            else:
                candidates = iter([_vault_file(str(path), os.path.realpath(path))])
            for candidate in candidates:
                # By where it is and, for a link given by name, where the link is: the walk of
                # a folder holding that link counted it already, as refused.
                if report.counted_before(candidate.real, candidate.name):
                    continue
                yield candidate


def _walk(
    top: Path, roots: list[Path], report: ImportReport, *, named: frozenset[str] = frozenset()
) -> Iterator[VaultFile]:
    """The note files under folder `top`, never leaving it, each folder's entries in order of
    their names; a stack, not recursion, because folders may nest deeper than Python's
    recursion limit."""
    listings = [_listing(top, report)]
    while listings:
        if listings[-1] is None:
            listings.pop()
            continue
        folder, real_folder, entries = listings[-1]
        entry = next(entries, None)
        if entry is None:
            listings.pop()
            continue
        if named and os.path.join(real_folder, entry.name) in named:
            continue
        path = Path(entry.path)
        is_note = path.suffix.lower() in NOTE_SUFFIXES
        if entry.name.startswith("."):
            continue
        if entry.is_symlink():
            _report_link(path, folder, roots, is_note, report)
        elif entry.is_dir(follow_symlinks=False):
            listings.append(_listing(path, report))
        elif not is_note:
            continue
        elif kind := _file_kind(entry.stat(follow_symlinks=False).st_mode):
            report.refuse(f"{path}:1: not a regular file ({kind}); skipped", path=path)
        else:
            # The files walked to are no links, so each one is where its folder really is.
            yield _vault_file(entry.path, os.path.join(real_folder, entry.name))


def _listing(folder: Path, report: ImportReport) -> tuple[Path, str, Iterator[os.DirEntry]] | None:
    """A folder, where it really is, and its entries in order of their names; None, reported,
    when it cannot be read."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as error:
        report.errors.append(f"{folder}:1: cannot read folder: {error.strerror}")
        return None
    return folder, os.path.realpath(folder), iter(entries)


def _vault_file(name: str, real: str) -> VaultFile:
    return VaultFile(name, name if real == name else real)


def _report_link(
    link: Path, folder: Path, roots: list[Path], is_note: bool, report: ImportReport
) -> None:
    """Report a symbolic link found in a walk, if it could hide a note; it is never followed.

    A link to a file or folder inside the folders given needs no report: what it leads to is
    imported from where it is.
    """
    try:
        target = Path(os.path.realpath(link, strict=True))
    except FileNotFoundError:
        if is_note:
            report.refuse(f"{link}:1: broken symbolic link: its target does not exist", path=link)
        return
    except OSError as error:
        problem = "symbolic link loop" if error.errno == errno.ELOOP else error.strerror
        # A note's name on it: a file the editor expects imported, counted as not imported.
        if is_note:
            report.refuse(f"{link}:1: {problem}; skipped", path=link)
        else:
            report.errors.append(f"{link}:1: {problem}; skipped")
        return
    leads_to_folder = target.is_dir()
    if not any(target.is_relative_to(root) for root in roots):
        if leads_to_folder or is_note:
            message = f"{link}:1: symbolic link to outside the folders given; not followed"
            if is_note:
                report.refuse(message, path=link)
            else:
                report.errors.append(message)
    elif leads_to_folder and Path(os.path.realpath(folder)).is_relative_to(target):
        report.errors.append(
            f"{link}:1: symbolic link loop: it leads back to a folder it is in; skipped"
        )


def _file_kind(mode: int) -> str | None:
    """What a file that is not a regular file or folder is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def import_vault(
    paths: Iterable[Path],
    *,
    dry_run: bool = False,
    extract: Extractor | None = None,
    extract_many: ManyExtractor | None = None,
    index_check: IndexCheck | None = None,
    on_error: Callable[[str], None] = lambda message: None,
    progress: Callable[[VaultFiles], Iterable[VaultFile]] = lambda files: files,
) -> ImportReport:
    """Import every note under `paths` and say what happened to each file.

    `on_error` hears each `path:line: message` as it is found; `progress` may wrap the file
    list in a progress bar. See `import_notes` for the rest.
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
        extract_many=extract_many,
        index_check=index_check,
        on_error=on_error,
        progress=progress,
    )


def import_notes(
    files: Collection[NoteSource],
    *,
    report: ImportReport | None = None,
    dry_run: bool = False,
    extract: Extractor | None = None,
    extract_many: ManyExtractor | None = None,
    index_check: IndexCheck | None = None,
    on_error: Callable[[str], None] = lambda message: None,
    progress: Callable[[Collection], Iterable] = lambda files: files,
    actor: AbstractBaseUser | None = None,
) -> ImportReport:
    """Import `files` (paths or uploads) in batches, as the module says.

    A file whose path and content hash are those of a stored note is counted unchanged after
    a read and a hash, unparsed, unless drafts are extracted: it may yet have sentences no draft
    was made from. `extract_many` extracts a batch's drafts at once, `extract` one note at a
    time. So a rerun does not repeat the problems an unchanged file was reported
    with when it was imported. With `dry_run` all batches run in one transaction that is
    rolled back, so the report is exactly what a real run would do. `index_check`, asked after
    each batch commits, names the notes the search index refused: each is reported, and
    counted as an error. `actor` is who the notes' history rows name: the editor who uploaded
    them, or nobody for the command line.
    """
    report = report if report is not None else ImportReport()
    # Added to the files refused before the import (`ImportReport.refuse`).
    report.files += len(files)
    if extract_many is None and extract is not None:
        extract_many = _one_by_one(extract)
    run = _Run(report, import_limits(), extract_many, actor, on_error)
    # Batches are cut from the files as `progress` hands them out, so that a progress bar
    # moves with each batch.
    in_progress = iter(progress(files))
    size = settings.IMPORT_BATCH_SIZE

    def write(batch: list[_Pending | _Refused]) -> None:
        with transaction.atomic(), revisions.deferred():
            written = run.import_batch(batch)
        # The batch is committed now, and its search index refreshed after the commit.
        if index_check is not None and not dry_run and written:
            for note_id, message in index_check(written.keys()).items():
                run.error(written[note_id], 1, message)

    # A long run parses each batch in a process of its own while the batch before it is
    # written: the writing mostly waits for the database, which works on a core of its own.
    with (
        _parser(len(files)) as parser,
        _rolled_back() if dry_run else nullcontext(),
    ):
        waiting = None
        for first in in_progress:
            batch = run.read_batch([first, *itertools.islice(in_progress, size - 1)], parser)
            if waiting is not None:
                write(waiting)
            waiting = batch
        if waiting is not None:
            write(waiting)
    return report


def _parser(files: int) -> Executor:
    """Where the files of a run are parsed: for a long run, one process beside this one
    (forked: it starts at once, and it touches nothing but the bytes it is sent); else here,
    where a few batches would not pay for a process."""
    if files >= PARSER_PROCESS_FROM:
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    return _WhenAsked()


#: How many files a run has at least to be parsed in a process of its own.
PARSER_PROCESS_FROM = 200


class _WhenAsked(Executor):
    """Runs each call in this thread when its result is first asked for: a file is then
    parsed as its batch is written, and a crash while parsing costs that batch alone."""

    def submit(self, fn, /, *args, **kwargs) -> "_Later":
        return _Later(functools.partial(fn, *args, **kwargs))


@dataclass
class _Later:
    """A call of `_WhenAsked`, with `Future.result()` to make it."""

    call: Callable

    def result(self):
        return self.call()


def _stored_notes(sources: Iterable[NoteSource]) -> dict[str, tuple[str, str]]:
    """The content hash and slug of the stored notes imported from `sources`, by path: one
    query for a batch, rather than one for the run that would hold every stored note."""
    stored = (
        Note.objects.filter(source_path__in={str(source) for source in sources})
        .order_by()
        .values_list("source_path", "content_hash", "slug")
    )
    return {path: (content_hash, slug) for path, content_hash, slug in stored}


class SlugsTaken:
    """The slugs taken so far in a run, each as an 8-byte hash: a vault of 100,000 notes costs
    under a megabyte, where the slugs and paths themselves would cost forty.

    Hashes go into a small set, merged now and then into one sorted array searched by
    bisection. Two slugs sharing a 64-bit hash are too unlikely to matter (a chance in 10⁹ for
    a vault of 200,000 notes).
    """

    _MERGE_AT = 4096

    def __init__(self) -> None:
        self._sorted = array("q")
        self._recent: set[int] = set()

    def __contains__(self, slug: str) -> bool:
        key = self._key(slug)
        if key in self._recent:
            return True
        index = bisect.bisect_left(self._sorted, key)
        return index < len(self._sorted) and self._sorted[index] == key

    def add(self, slug: str) -> None:
        self._recent.add(self._key(slug))
        if len(self._recent) >= self._MERGE_AT:
            self._sorted = array("q", sorted(itertools.chain(self._sorted, self._recent)))
            self._recent.clear()

    @staticmethod
    def _key(slug: str) -> int:
        digest = hashlib.blake2b(slug.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)


@contextmanager
def _rolled_back() -> Iterator[None]:
    with transaction.atomic():
        # One bump for the whole run, just before the rollback: a dry run never holds the
        # revision's lock for longer than that.
        with revisions.deferred():
            yield
        transaction.set_rollback(True)


@dataclass
class _Run:
    """One import: its report, the limits it holds files to, and the slugs they took so far."""

    report: ImportReport
    limits: Limits
    extract: ManyExtractor | None
    actor: AbstractBaseUser | None
    on_error: Callable[[str], None]
    slugs_taken: SlugsTaken = field(default_factory=SlugsTaken)
    #: The file that took each slug of the batch: of earlier batches, the database knows.
    batch_slugs: dict[str, NoteSource] = field(default_factory=dict)

    def read_batch(
        self, sources: Sequence[NoteSource], parser: Executor
    ) -> "list[_Pending | _Refused]":
        """Read and hash the files of a batch, and hand those that may have changed to
        `parser` to parse; `import_batch` takes them in order once they are parsed.

        Which files are unchanged is known from one query for the batch. Such a file is not
        parsed, unless a file before it takes its note's slug meanwhile (`import_batch`).
        """
        stored = _stored_notes(sources)
        batch: list[_Pending | _Refused] = []
        for source in sources:
            try:
                data = source.read_bytes(self.limits.file_bytes)
            except OSError as error:
                batch.append(_Refused(source, 1, f"cannot read file: {error.strerror or error}"))
                continue
            except NoteError as error:
                batch.append(_Refused(source, error.line, error.message))
                continue
            content_hash = hashlib.sha256(data).hexdigest()
            stored_hash, known_slug = stored.get(str(source), ("", ""))
            if stored_hash == content_hash and not self.extract:
                batch.append(_Pending(source, content_hash, data, unchanged_slug=known_slug))
            else:
                parsing = None
                # A parser process that died is done without: the files are parsed here.
                with suppress(BrokenExecutor):
                    parsing = parser.submit(_parsed, data, self.limits)
                batch.append(_Pending(source, content_hash, data, parsing=parsing))
        return batch

    def import_batch(self, batch: "Sequence[_Pending | _Refused]") -> dict[int, NoteSource]:
        """Import the files of one batch (`read_batch`); return the notes written (created,
        updated or given drafts), by id, with the file each came from.

        The files are parsed first, then held to the length of their videos (one query for
        the batch) and reported on in the order they came, then written together.
        """
        self.batch_slugs = {}
        read = [self._read_file(item) for item in batch]
        durations = dict(
            Video.objects.filter(
                youtube_id__in={item.parsed.video_id for item in read if isinstance(item, _Read)},
                duration_seconds__isnull=False,
            ).values_list("youtube_id", "duration_seconds")
        )
        ready: list[_Read] = []
        for item in read:
            if isinstance(item, _Read):
                item = self._held_to(item, durations.get(item.parsed.video_id))
                for problem in item.parsed.problems:
                    self.error(item.source, problem.line, problem.message)
                ready.append(item)
            elif item is not None:
                self._not_imported(*item)
        return self._write(ready) if ready else {}

    def error(self, source: NoteSource, line: int, message: str) -> None:
        report_line = f"{source}:{line}: {message}"
        self.report.errors.append(report_line)
        self.on_error(report_line)

    def _read_file(self, item: "_Pending | _Refused") -> "_Read | _Refused | None":
        """The parsed file; or why it cannot be imported; or None for an unchanged file."""
        if isinstance(item, _Refused):
            return item
        if item.unchanged_slug is not None and item.unchanged_slug not in self.slugs_taken:
            self._take(item.unchanged_slug, item.source)
            self.report.unchanged += 1
            return None
        parsed = None
        if item.parsing is not None:
            with suppress(BrokenExecutor):
                parsed = item.parsing.result()
        # Not parsed yet: a file unchanged but for its slug, which another file took; or one
        # whose parser process died (killed for its memory, say), or was dead.
        if parsed is None:
            parsed = _parsed(item.data, self.limits)
        if isinstance(parsed, NoteError):
            return _Refused(item.source, parsed.line, parsed.message)
        text, parsed = parsed
        if parsed.slug in self.slugs_taken:
            return _Refused(
                item.source,
                _title_line(text),
                f"title gives slug '{parsed.slug}', already taken by "
                f"{self._taker(parsed.slug)} in this run; rename one of the two notes",
            )
        self._take(parsed.slug, item.source)
        return _Read(item.source, item.content_hash, text, parsed)

    def _take(self, slug: str, source: NoteSource) -> None:
        self.slugs_taken.add(slug)
        self.batch_slugs[slug] = source

    def _taker(self, slug: str) -> str:
        """The file that took `slug` earlier in the run: of this batch, or stored by an earlier
        one (a dry run's too: its batches are rolled back only at the end)."""
        if slug in self.batch_slugs:
            return str(self.batch_slugs[slug])
        stored = Note.objects.filter(slug=slug).values_list("source_path", flat=True).first()
        return stored or "another file"

    def _held_to(self, item: "_Read", duration_seconds: int | None) -> "_Read":
        """The file with the timestamps past the end of its video left out, and reported."""
        if duration_seconds is None or all(
            timestamp.seconds <= duration_seconds for timestamp in item.parsed.timestamps
        ):
            return item
        # Rare: parsed again, for the sentences to be dated by the timestamps left.
        parsed = parse_note(item.text, self.limits, duration_seconds=duration_seconds)
        return dataclasses.replace(item, parsed=parsed)

    def _write(self, ready: list["_Read"]) -> dict[int, NoteSource]:
        """Write the files of a batch at once, or one at a time when the database refuses one
        of them, to find which: that file is reported and the others written."""
        files = [NoteFile(item.parsed, str(item.source), item.content_hash) for item in ready]
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                with transaction.atomic():
                    results = note_import_batch(files=files, actor=self.actor)
                    drafts = self._extract(
                        [
                            (result.note, item.parsed)
                            for item, result in zip(ready, results, strict=True)
                            if isinstance(result, NoteImportResult)
                        ]
                    )
                break
            # A collision with a concurrent import of the same notes is tried again: by then
            # the rows the other import wrote first are committed, and this one finds them.
            except DatabaseError as error:
                if _sqlstate(error) in _CONFLICTS and attempt < _WRITE_ATTEMPTS:
                    continue
                return self._write_each(ready)
            except ValidationError:
                return self._write_each(ready)
        written: dict[int, NoteSource] = {}
        for item, result in zip(ready, results, strict=True):
            if isinstance(result, ValidationError):
                self._not_imported(item.source, 1, _validation_message(result))
            elif self._count(result, drafts.get(result.note.pk, 0)):
                written[result.note.pk] = item.source
        return written

    def _write_each(self, ready: list["_Read"]) -> dict[int, NoteSource]:
        written: dict[int, NoteSource] = {}
        for item in ready:
            note_id = self._write_file(item)
            if note_id is not None:
                written[note_id] = item.source
        return written

    def _write_file(self, item: "_Read") -> int | None:
        source, parsed = item.source, item.parsed
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                with transaction.atomic():
                    result = note_import(
                        parsed=parsed,
                        source_path=str(source),
                        content_hash=item.content_hash,
                        actor=self.actor,
                    )
                    drafts = self._extract([(result.note, parsed)]).get(result.note.pk, 0)
                break
            except ValidationError as error:
                if _is_duplicate(error) and attempt < _WRITE_ATTEMPTS:
                    continue
                return self._not_imported(source, 1, _validation_message(error))
            except DatabaseError as error:
                if _sqlstate(error) in _CONFLICTS and attempt < _WRITE_ATTEMPTS:
                    continue
                # The safety net behind the parser's checks: whatever the database refuses
                # of one file costs that file alone.
                return self._not_imported(source, 1, f"could not be saved: {_first_line(error)}")
        return result.note.pk if self._count(result, drafts) else None

    def _extract(self, notes: list[tuple[Note, ParsedNote]]) -> Mapping[int, int]:
        return self.extract(notes) if self.extract and notes else {}

    def _count(self, result: NoteImportResult, drafts: int) -> bool:
        """Count a file written in the report; whether its note was written or given drafts."""
        self.report.drafts += drafts
        match result.outcome:
            case ImportOutcome.CREATED:
                self.report.created += 1
            case ImportOutcome.UPDATED:
                self.report.updated += 1
            case ImportOutcome.UNCHANGED:
                self.report.unchanged += 1
                return drafts > 0
        return True

    def _not_imported(self, source: NoteSource, line: int, message: str) -> None:
        self.error(source, line, message)
        self.report.not_imported += 1


class _Refused(NamedTuple):
    """A file that cannot be imported: where, and why."""

    source: NoteSource
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class _Pending:
    """A file of a batch, read and hashed: unchanged if nothing took its note's slug
    (`unchanged_slug`), or being parsed (`parsing`). Its bytes are kept to parse it here,
    should that be needed after all."""

    source: NoteSource
    content_hash: str
    data: bytes
    unchanged_slug: str | None = None
    parsing: "Future[tuple[str, ParsedNote] | NoteError] | _Later | None" = None


def _parsed(data: bytes, limits: Limits) -> tuple[str, ParsedNote] | NoteError:
    """The text and the parse of a file's bytes, or why they cannot be read: run in the
    parser's process, it touches nothing but its arguments (no database)."""
    try:
        text = decode_note(data, limits)
        return text, parse_note(text, limits)
    except NoteError as error:
        return error


@dataclass(frozen=True, slots=True)
class _Read:
    """A file read and parsed, waiting for its batch to be written."""

    source: NoteSource
    content_hash: str
    text: str
    parsed: ParsedNote


def _one_by_one(extract: Extractor) -> ManyExtractor:
    def extract_many(notes: Sequence[tuple[Note, ParsedNote]]) -> dict[int, int]:
        return {note.pk: extract(note, parsed) for note, parsed in notes}

    return extract_many


def _is_duplicate(error: ValidationError) -> bool:
    """Whether `full_clean` found only a row taken (maybe just now, by another import)."""
    errors = getattr(error, "error_dict", {}).values()
    return bool(errors) and all(item.code == "unique" for items in errors for item in items)


def _sqlstate(error: DatabaseError) -> str | None:
    return getattr(error.__cause__, "sqlstate", None)


def _first_line(error: Exception) -> str:
    return str(error).strip().split("\n", 1)[0]


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
