"""`manage.py import_data PATH`: load a file written by `export_data` (see claims.dump)."""

import sys
from contextlib import AbstractContextManager, nullcontext
from typing import BinaryIO

from django.core.management.base import BaseCommand, CommandError

from claims.dump import DumpError, dump_import, dump_summary

STDIN = "-"


class Command(BaseCommand):
    help = (
        "Load a file written by export_data (PATH, or - for stdin) into an empty database, in "
        "one transaction. A database that already holds content, a dump that is cut off or "
        "whose end line counts other rows than it holds, or any line that cannot be loaded "
        "(reported as PATH:LINE: message) stops the import with nothing written and exit "
        "status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="The dump to load, or - for stdin.")

    def handle(self, *args, path: str, **options):
        source = "<stdin>" if path == STDIN else path
        try:
            with _open(path) as lines:
                counts = dump_import(lines, source=source, warn=self._warn)
        except DumpError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Imported {dump_summary(counts)} from {source}")

    def _warn(self, message: str) -> None:
        self.stderr.write(message, style_func=self.style.WARNING)


def _open(path: str) -> AbstractContextManager[BinaryIO]:
    """The dump's bytes: lines are decoded one by one, so bad UTF-8 is reported with its line."""
    if path == STDIN:
        return nullcontext(sys.stdin.buffer)
    try:
        return open(path, "rb")
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror or error}") from None
