"""Time the importer, or a pure parse of the same files, in a process of its own.

    DATABASE_URL=postgres://... .venv/bin/python bench/import_probe.py import FOLDER ...
    .venv/bin/python bench/import_probe.py parse FOLDER ...

Run by `scale_bench.py`. `import` runs `manage.py import_notes` in this process (with
`--extract-claims` if asked), counts the SQL statements it sends and reads this process's
peak memory; `parse` reads, decodes and parses each file with `notes.parsing`, as the importer
does before writing anything. The clock starts after Django is set up and stops when the last
file is done. Prints one line of JSON, with the peak memory of this process and of the
parser process a long import forks.
"""

import argparse
import io
import json
import os
import resource
import sys
import time
from pathlib import Path

from harness import setup_django


def main() -> int:
    parser = argparse.ArgumentParser(description="Time import_notes or a pure parse of notes.")
    parser.add_argument("mode", choices=["import", "parse"])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--extract-claims", action="store_true")
    args = parser.parse_args()
    setup_django(os.environ["DATABASE_URL"])
    result = _import(args.paths, args.extract_claims) if args.mode == "import" else _parse(args)
    print(json.dumps(result))
    return 0


def _parse(args: argparse.Namespace) -> dict:
    from notes.importer import ImportReport, find_note_files, import_limits
    from notes.parsing import NoteError, decode_note, parse_note

    started = time.perf_counter()
    files = find_note_files(args.paths, ImportReport())
    limits = import_limits()
    errors = 0
    for path in files:
        try:
            parse_note(decode_note(path.read_bytes(limits.file_bytes), limits), limits)
        except NoteError:
            errors += 1
    return {"files": len(files), "seconds": time.perf_counter() - started, "errors": errors}


def _import(paths: list[Path], extract_claims: bool) -> dict:
    from django.core.management import call_command
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    out, err = io.StringIO(), io.StringIO()
    status = 0
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        try:
            call_command(
                "import_notes", *paths, extract_claims=extract_claims, stdout=out, stderr=err
            )
        except SystemExit as exit_:
            status = exit_.code or 0
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        # The parser process of a long import (`notes.importer`), once it has ended.
        "parser_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "queries": queries,
        "status": status,
        "summary": out.getvalue().strip().splitlines()[-1:],
        "errors": err.getvalue().strip().splitlines()[:5],
    }


def _peak_mb() -> float:
    """The most this process has held in RAM (VmHWM), in megabytes.

    Not `ru_maxrss`: that also counts the memory of the parent this process was forked from,
    before it became Python.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    sys.exit(main())
