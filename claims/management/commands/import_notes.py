"""`manage.py import_notes PATH ...`: pour markdown notes into the database.

The command lives in the claims app because `--extract-claims` writes claims; the import
itself is `notes.importer.import_vault`.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from claims.search import search_index_failures
from claims.services import claims_extract_from_notes
from notes.importer import import_vault

# Below this many files a run is over before a progress bar would tell anything.
PROGRESS_BAR_MIN_FILES = 20


class Command(BaseCommand):
    help = (
        "Import markdown notes (files or folders, searched recursively) into Claimtrack, "
        "committing every IMPORT_BATCH_SIZE files. Unchanged files are skipped, so a run "
        "that stopped halfway resumes; bad files are reported as path:line: message and the "
        "rest still import. Exits 1 if anything was reported."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Do the whole import, report it, then roll everything back.",
        )
        parser.add_argument(
            "--extract-claims",
            action="store_true",
            help="Make a draft claim of each timestamped sentence, for editors to review.",
        )

    def handle(self, *args, paths: list[Path], dry_run: bool, extract_claims: bool, **options):
        show_bar = sys.stderr.isatty() and options["verbosity"] > 0
        if show_bar:
            # Imported only for a terminal: tqdm reads package metadata as it loads, which
            # costs more than a rerun of a small unchanged vault.
            from tqdm import tqdm

        def progress(files):
            if not show_bar or len(files) < PROGRESS_BAR_MIN_FILES:
                return files
            return tqdm(files, unit="file", file=sys.stderr, leave=False)

        def on_error(message: str) -> None:
            if show_bar:
                # tqdm.write keeps the bar below the messages instead of tearing through them.
                tqdm.write(message, file=self.stderr._out)
            else:
                self.stderr._out.write(message + "\n")

        def extract(notes) -> dict[int, int]:
            return claims_extract_from_notes(notes=notes)

        report = import_vault(
            paths,
            dry_run=dry_run,
            extract_many=extract if extract_claims else None,
            index_check=search_index_failures,
            on_error=on_error,
            progress=progress,
        )
        self.stdout.write(report.summary(dry_run=dry_run))
        if report.errors:
            sys.exit(1)
