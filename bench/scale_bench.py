"""Issue 10's table, measured: the admin, search, cold pages and the importer at scale.

    .venv/bin/python bench/scale_bench.py            # 1,000,000 claims, 10,000 notes
    .venv/bin/python bench/scale_bench.py --quick    # 50,000 claims, 500 notes
    .venv/bin/python bench/scale_bench.py --reuse --only search,admin

Generates N published claims into a PostgreSQL database of its own (`DATABASE_URL`, by
default `claimtrack_scale`) and 10,000 into a second one (`<name>_10k`), writes a vault of
notes into a temporary folder, imports it into copies of the small database (`<name>_import`),
serves both databases with gunicorn and measures each ratio of the issue in interleaved
rounds. Prints the issue's table with today's numbers; exits non-zero when anything answers an
error. See bench/README.md for what each row means.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from harness import (
    REPO,
    BenchError,
    Server,
    Wrk,
    WrkTarget,
    admin_session,
    database_comment,
    database_name,
    database_url_named,
    exit_on_signal,
    expect,
    get,
    log,
    maintenance_connection,
    positive,
    prepare_database,
    require_postgres,
    set_database_comment,
)
from scale_data import (
    ABSENT_WORD,
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    COMMON_WORD,
    NOTES_PER_FOLDER,
    vault_folder,
    vocabulary,
    write_vault,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/claimtrack_scale"
QUICK_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/claimtrack_scale_quick"
#: Written on the databases this script creates: only those does it drop and refill. A filled
#: database's comment goes on with what it holds, as JSON.
MARKER = "claimtrack scale_bench: generated data, dropped and refilled by bench/scale_bench.py"
#: The admin's claim list is compared with itself on a database this size.
REFERENCE_CLAIMS = 10_000
SECTIONS = ("admin", "search", "pages", "import", "memory", "generator")
#: The sections that need the database of N claims.
BIG_SECTIONS = {"admin", "search", "pages", "generator"}
FULL = {"claims": 1_000_000, "notes": 10_000, "memory_notes": "200,2000,20000"}
QUICK = {"claims": 50_000, "notes": 500, "memory_notes": "50,200,1000"}
#: The issue's target for the generator, for a million claims.
GENERATOR_TARGET_SECONDS = 300
ADMIN_QUERIES = {
    "plain": "",
    f"`?q={COMMON_WORD}`": f"q={COMMON_WORD}",
    "`?status__exact=published`": "status__exact=published",
}
_SUMMARY_RE = re.compile(
    r"(\d+) files: (\d+) created, (\d+) updated, (\d+) unchanged, (\d+) errors"
)


def main() -> int:
    args = _parse_args()
    database_url = os.environ.get(
        "DATABASE_URL", QUICK_DATABASE_URL if args.quick else DEFAULT_DATABASE_URL
    )
    require_postgres(database_url)
    name = database_name(database_url)
    urls = Databases(
        big=database_url,
        reference=database_url_named(database_url, f"{name}_10k"),
        imports=database_url_named(database_url, f"{name}_import"),
    )
    if args.drop:
        _drop(urls)
        return 0

    signal.signal(signal.SIGTERM, exit_on_signal)
    load = os.getloadavg()[0]
    started = time.monotonic()
    results = Results(load=load)
    if BIG_SECTIONS & args.only:
        results.big = _database(urls.big, args.claims, args, reuse=args.reuse)
    results.reference = _database(
        urls.reference, REFERENCE_CLAIMS, args, reuse=args.reuse, exact=True
    )
    with tempfile.TemporaryDirectory(prefix="scale_bench-") as workdir_name:
        workdir = Path(workdir_name)
        if {"import", "memory"} & args.only:
            vault = workdir / "vault"
            count = max(args.notes, *args.memory_notes) if "memory" in args.only else args.notes
            step = time.monotonic()
            write_vault(vault, count, seed=args.seed)
            log(f"wrote {count:,} notes in {time.monotonic() - step:.1f} s")
            # Imports first: copying the small database needs nobody connected to it.
            if "import" in args.only:
                results.imports = _measure_imports(urls, vault, args)
            if "memory" in args.only:
                results.memory = _measure_memory(urls, vault, args)
        if {"admin", "search", "pages"} & args.only:
            _measure_site(urls, workdir, args, results)
    results.seconds = time.monotonic() - started
    _print_report(results, args)
    return 0


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure issue 10's table on generated data (see bench/README.md)."
    )
    parser.add_argument(
        "--claims", type=positive, help=f"published claims to generate ({FULL['claims']:,})"
    )
    parser.add_argument(
        "--notes", type=positive, help=f"notes to import, in rounds ({FULL['notes']:,})"
    )
    parser.add_argument(
        "--memory-notes",
        help=f"vault sizes whose import's peak memory is measured ({FULL['memory_notes']})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK['claims']:,} claims, {QUICK['notes']:,} notes, memory at "
        f"{QUICK['memory_notes']} notes, in the database claimtrack_scale_quick",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the databases as they are (migrated, not refilled); also for a database "
        "this script did not create",
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to measure, of {', '.join(SECTIONS)} (all)",
    )
    parser.add_argument("--rounds", type=positive, default=5, help="interleaved rounds (5)")
    parser.add_argument(
        "--seconds", type=positive, default=3, help="seconds of wrk per address and round (3)"
    )
    parser.add_argument("--workers", type=positive, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--connections", type=positive, default=4, help="wrk's connections (4)")
    parser.add_argument("--jobs", type=positive, default=2, help="generator processes (2)")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the generated data")
    parser.add_argument(
        "--drop", action="store_true", help="drop the benchmark's databases and stop"
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    args.claims = args.claims or sizes["claims"]
    args.notes = args.notes or sizes["notes"]
    args.memory_notes = _sizes(args.memory_notes or sizes["memory_notes"], parser)
    if args.notes % (2 * NOTES_PER_FOLDER):
        parser.error(f"--notes must be a multiple of {2 * NOTES_PER_FOLDER}")
    args.only = set(filter(None, args.only.split(",")))
    if unknown := args.only - set(SECTIONS):
        parser.error(f"unknown sections {', '.join(sorted(unknown))}; choose from {SECTIONS}")
    return args


def _sizes(text: str, parser: argparse.ArgumentParser) -> list[int]:
    try:
        sizes = sorted(int(size) for size in text.split(","))
    except ValueError:
        parser.error(f"--memory-notes takes numbers separated by commas, not {text!r}")
    if len(sizes) < 2 or any(size < 1 or size % NOTES_PER_FOLDER for size in sizes):
        parser.error(f"--memory-notes takes two or more multiples of {NOTES_PER_FOLDER}")
    return sizes


# The databases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Databases:
    big: str
    reference: str
    imports: str


def _drop(urls: Databases) -> None:
    from psycopg import sql

    for url in (urls.big, urls.reference, urls.imports):
        comment = database_comment(url)
        name = database_name(url)
        if comment is None:
            log(f"{name}: no such database")
        elif not comment.startswith(MARKER):
            log(f"{name}: not made by this benchmark, left alone")
        else:
            with maintenance_connection(url) as maintenance:
                maintenance.execute(
                    sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
                )
            log(f"{name}: dropped")


def _database(
    url: str, claims: int, args: argparse.Namespace, *, reuse: bool, exact: bool = False
) -> dict:
    """Migrate the database and, unless it may be reused as it is, fill it with `claims`.

    With `reuse`, a database filled by this benchmark is kept (when `exact`, only if it holds
    `claims` claims), and so is one it did not make; one it began but never finished filling is
    filled again. Returns what `scale_data.py` reports, with the record of the fill.
    """
    comment = database_comment(url)
    record = _fill_record(comment)
    keep = reuse and comment is not None
    if keep and comment.startswith(MARKER):
        keep = record is not None and (not exact or record["claims"] == claims)
    if keep:
        report = _scale_data(url)
        report["record"] = record
        return report

    prepare_database(url, marker=MARKER, reuse=False)
    log(f"generating {claims:,} claims into {database_name(url)}")
    report = _scale_data(
        url, "--fill", f"--claims={claims}", f"--seed={args.seed}", f"--jobs={args.jobs}"
    )
    if report["vectors_differ"]:
        log(
            f"warning: {report['vectors_differ']} of 50 sampled claims get another search "
            "vector from claims.search than the generator wrote; search numbers may mislead"
        )
    record = {
        "claims": claims,
        "seed": args.seed,
        "migrate_seconds": round(report["migrate_seconds"], 1),
        "fill_seconds": round(report["fill"]["seconds"]["total"], 1),
        "fill_steps": {step: round(s, 1) for step, s in report["fill"]["seconds"].items()},
        "fill_cpu_seconds": {part: round(s) for part, s in report["fill"]["cpu_seconds"].items()},
        "filled_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    set_database_comment(url, f"{MARKER} {json.dumps(record)}")
    report["record"] = record
    log(
        f"generated {database_name(url)} in {record['fill_seconds']} s: {record['fill_steps']}; "
        f"CPU seconds: {record['fill_cpu_seconds']}"
    )
    return report


def _fill_record(comment: str | None) -> dict | None:
    if comment is None or not comment.startswith(MARKER + " "):
        return None
    return json.loads(comment.removeprefix(MARKER + " "))


def _scale_data(url: str, *options: str) -> dict:
    words = ",".join([COMMON_WORD, vocabulary().rare_word, ABSENT_WORD])
    finished = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "scale_data.py"),
            url,
            *options,
            f"--count-words={words}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    if finished.returncode:
        raise BenchError(f"bench/scale_data.py failed on {database_name(url)}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def _copy_reference(urls: Databases) -> None:
    """A fresh `<name>_import`: a copy of the 10,000-claim database, for the importer."""
    import psycopg

    for attempt in range(10):
        try:
            prepare_database(
                urls.imports, marker=MARKER, reuse=False, template=database_name(urls.reference)
            )
            return
        except psycopg.errors.ObjectInUse:
            # Autovacuum may still be finishing on the database just filled.
            time.sleep(1 + attempt)
    raise BenchError(f"{database_name(urls.reference)} stays in use; cannot copy it")


# Statistics -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """The median of some measurements, with their smallest and largest."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def text(self, fmt: str = ".2f", unit: str = "") -> str:
        return (
            f"{self.median:{fmt}}{unit} ({self.low:{fmt}}–{self.high:{fmt}})"
            if len(self.values) > 1
            else f"{self.median:{fmt}}{unit}"
        )

    def duration(self) -> str:
        return f"{_duration(self.median)} ({_duration(self.low)}–{_duration(self.high)})"


def _spread(values) -> Spread:
    return Spread(tuple(values))


def _ratios(numerators: list[float], denominators: list[float]) -> Spread:
    """Round by round: each ratio is of two things measured side by side."""
    return _spread(a / b for a, b in zip(numerators, denominators, strict=True))


def _duration(seconds: float) -> str:
    if seconds >= 10:
        return f"{seconds:.0f} s"
    if seconds >= 1:
        return f"{seconds:.1f} s"
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


# Importing --------------------------------------------------------------------------------------


@dataclass
class ImportResults:
    slice_notes: int = 0
    parse: list[float] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    again: list[float] = field(default_factory=list)
    parse_extract: list[float] = field(default_factory=list)
    extract: list[float] = field(default_factory=list)
    queries: list[float] = field(default_factory=list)
    queries_extract: list[float] = field(default_factory=list)
    drafts: int = 0


def _measure_imports(urls: Databases, vault: Path, args: argparse.Namespace) -> ImportResults:
    """In each round, two new slices of the vault: one imported plainly and then again
    unchanged, one with `--extract-claims`; each parsed on its own for comparison."""
    rounds = min(args.rounds, args.notes // (2 * NOTES_PER_FOLDER))
    size = args.notes // (2 * rounds) // NOTES_PER_FOLDER * NOTES_PER_FOLDER
    results = ImportResults(slice_notes=size)
    _copy_reference(urls)
    log(f"importing {2 * rounds * size:,} notes in {rounds} rounds of 2 x {size:,}")
    for number in range(rounds):
        plain = _folders(vault, 2 * number * size, size)
        extracted = _folders(vault, (2 * number + 1) * size, size)
        results.parse.append(_probe(urls.imports, "parse", plain)["seconds"])
        first = _probe(urls.imports, "import", plain, expect_created=size)
        results.first.append(first["seconds"])
        results.queries.append(first["queries"] / size)
        results.again.append(
            _probe(urls.imports, "import", plain, expect_unchanged=size)["seconds"]
        )
        results.parse_extract.append(_probe(urls.imports, "parse", extracted)["seconds"])
        extract = _probe(urls.imports, "import", extracted, "--extract-claims", expect_created=size)
        results.extract.append(extract["seconds"])
        results.queries_extract.append(extract["queries"] / size)
        log(
            f"import round {number + 1}/{rounds}: {size / first['seconds']:.1f} notes/s, "
            f"{size / extract['seconds']:.1f} with --extract-claims"
        )
    return results


def _folders(vault: Path, first: int, count: int) -> list[Path]:
    return [vault_folder(vault, n) for n in range(first, first + count, NOTES_PER_FOLDER)]


def _probe(
    database_url: str,
    mode: str,
    folders: list[Path],
    *options: str,
    expect_created: int | None = None,
    expect_unchanged: int | None = None,
) -> dict:
    finished = subprocess.run(
        [sys.executable, str(REPO / "bench" / "import_probe.py"), mode, *options, *folders],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
    )
    if finished.returncode:
        raise BenchError(f"import_probe.py {mode} failed:\n{finished.stderr[-3000:]}")
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    if mode == "parse":
        if result["errors"]:
            raise BenchError(f"{result['errors']} generated notes do not parse")
        return result
    summary = " ".join(result["summary"])
    if result["status"]:
        raise BenchError(f"import_notes reported errors: {summary} {result['errors']}")
    counts = _SUMMARY_RE.search(summary)
    if counts is None:
        raise BenchError(f"cannot read import_notes' summary line {summary!r}")
    created, unchanged = int(counts[2]), int(counts[4])
    if expect_created is not None and created != expect_created:
        raise BenchError(f"expected {expect_created} notes created, not: {summary}")
    if expect_unchanged is not None and unchanged != expect_unchanged:
        raise BenchError(f"expected {expect_unchanged} notes unchanged, not: {summary}")
    return result


@dataclass
class MemoryResult:
    notes: int
    #: The importing process's peak, and its parser process's (0 for a run without one).
    importer_mb: float
    parser_mb: float
    seconds: float

    @property
    def peak_mb(self) -> float:
        """Both peaks: the parser's counts the pages it shares with the importer twice."""
        return self.importer_mb + self.parser_mb


def _measure_memory(urls: Databases, vault: Path, args: argparse.Namespace) -> list[MemoryResult]:
    """Import the first N notes of the vault into a fresh copy, for each N; the importing
    process's peak memory each time."""
    results = []
    for count in args.memory_notes:
        _copy_reference(urls)
        found = _probe(urls.imports, "import", _folders(vault, 0, count), expect_created=count)
        results.append(
            MemoryResult(count, found["peak_mb"], found["parser_peak_mb"], found["seconds"])
        )
        log(
            f"import of {count:,} notes: {found['peak_mb']:.0f} MB at most, and "
            f"{found['parser_peak_mb']:.0f} MB in its parser process; {found['seconds']:.0f} s"
        )
    return results


# The site ---------------------------------------------------------------------------------------


@dataclass
class Probe:
    """An address measured one request at a time."""

    key: str
    url: str
    opener: object = None
    check: Callable[[bytes], bool] = lambda body: True
    times: list[float] = field(default_factory=list)

    def request(self) -> float:
        started = time.perf_counter()
        response = get(self.url, opener=self.opener)
        elapsed = time.perf_counter() - started
        expect(response, 200, f"GET {self.url}")
        if not self.check(response.body):
            raise BenchError(f"GET {self.url} did not answer the expected page")
        return elapsed


def _measure_site(
    urls: Databases, workdir: Path, args: argparse.Namespace, results: "Results"
) -> None:
    wanted = args.only
    servers = {
        "cold": Server(
            workdir,
            urls.big,
            name="cold",
            workers=args.workers,
            env={"BENCH_RESPONSE_CACHE": "0"},
        ),
        "warm": Server(workdir, urls.big, name="warm", workers=args.workers),
        "reference": Server(workdir, urls.reference, name="reference", workers=args.workers),
    }
    needed = {"cold"}
    if {"search", "pages"} & wanted:
        needed.add("warm")
    if "admin" in wanted:
        needed.add("reference")
    try:
        for key in needed:
            servers[key].start()
        probes = _probes(servers, wanted) if {"admin", "search"} & wanted else []
        if probes:
            _probe_rounds(probes, args.rounds)
            results.probes = {probe.key: probe.times for probe in probes}
        if "pages" in wanted:
            wrk = shutil.which("wrk")
            if wrk is None:
                results.pages_missing = "needs wrk as the load generator: apt-get install -y wrk"
            else:
                results.pages = _measure_pages(
                    servers, Wrk(wrk, workdir, connections=args.connections), args
                )
    finally:
        for server in servers.values():
            server.stop()


def _probes(servers: dict[str, Server], wanted: set[str]) -> list[Probe]:
    probes = []
    if "admin" in wanted:
        for where in ("cold", "reference"):
            opener = admin_session(servers[where].origin, ADMIN_USERNAME, ADMIN_PASSWORD)
            for label, query in ADMIN_QUERIES.items():
                probes.append(
                    Probe(
                        f"admin {where} {label}",
                        f"{servers[where].origin}/admin/claims/claim/?{query}".rstrip("?"),
                        opener=opener,
                        check=lambda body: b'id="changelist"' in body,
                    )
                )
    if "search" in wanted:
        words = {"common": COMMON_WORD, "rare": vocabulary().rare_word, "absent": ABSENT_WORD}
        for where in ("cold", "warm"):
            origin = servers[where].origin
            for kind, word in words.items():
                probes.append(
                    Probe(f"search {where} {kind}", f"{origin}/api/v1/search/?q={quote(word)}")
                )
                probes.append(
                    Probe(f"list {where} {kind}", f"{origin}/api/v1/claims/?q={quote(word)}")
                )
    return probes


def _probe_rounds(probes: list[Probe], rounds: int) -> None:
    """One request to each address first (the warm ones fill their cache), then `rounds`
    rounds of one request each, every round starting one address later than the last."""
    log(f"warming up {len(probes)} addresses")
    for probe in probes:
        # Each worker keeps its own response cache: ask often enough to reach both.
        for _ in range(4 if " warm " in probe.key else 1):
            probe.request()
    for number in range(rounds):
        shift = number % len(probes)
        for probe in probes[shift:] + probes[:shift]:
            probe.times.append(probe.request())
        log(f"round {number + 1}/{rounds} of {len(probes)} addresses done")


def _measure_pages(servers: dict[str, Server], wrk: Wrk, args: argparse.Namespace) -> dict:
    cold, warm = servers["cold"], servers["warm"]
    page = get(f"{cold.origin}/api/v1/claims/")
    expect(page, 200, "the claim list")
    claim_id = json.loads(page.body)["results"][0]["id"]
    detail = get(f"{cold.origin}/api/v1/claims/{claim_id}/")
    expect(detail, 200, "a claim's detail")
    targets = [
        WrkTarget(
            "bare list", "bare view, the list's bytes", cold.set_bare_body("list", page.body)
        ),
        WrkTarget("cold list", "claims list, cold", f"{cold.origin}/api/v1/claims/"),
        WrkTarget(
            "bare detail",
            "bare view, the detail's bytes",
            cold.set_bare_body("detail", detail.body),
        ),
        WrkTarget("cold detail", "claim detail, cold", f"{cold.origin}/api/v1/claims/{claim_id}/"),
        WrkTarget("warm list", "claims list, warm", f"{warm.origin}/api/v1/claims/"),
        WrkTarget("warm detail", "claim detail, warm", f"{warm.origin}/api/v1/claims/{claim_id}/"),
    ]
    for target in targets:
        expect(get(target.url), 200, target.label)
    total = args.rounds * args.seconds * len(targets)
    log(f"wrk: {args.rounds} interleaved rounds of {args.seconds} s per address (~{total} s)")
    wrk.rounds(targets, rounds=args.rounds, seconds=args.seconds)
    return {target.key: target for target in targets}


# The report -------------------------------------------------------------------------------------


@dataclass
class Results:
    load: float
    seconds: float = 0
    big: dict = field(default_factory=dict)
    reference: dict = field(default_factory=dict)
    imports: ImportResults | None = None
    memory: list[MemoryResult] | None = None
    probes: dict[str, list[float]] = field(default_factory=dict)
    pages: dict[str, WrkTarget] | None = None
    pages_missing: str = ""


def _print_report(results: Results, args: argparse.Namespace) -> None:
    reference = results.reference["counts"]["published claims"]
    claims = args.claims
    print()
    if results.big:
        counts = results.big["counts"]
        claims = counts["published claims"]
        words = results.big["word_claims"]
        rare = vocabulary().rare_word
        print(
            f"Claimtrack scale benchmark: {claims:,} published claims, "
            f"{counts['appearances']:,} appearances, {counts['arguments']:,} arguments, "
            f"{counts['videos']:,} videos; the reference database {reference:,} claims"
        )
        print(
            f"Search words: common {COMMON_WORD!r} in {words[COMMON_WORD]:,} claims "
            f"({words[COMMON_WORD] / max(claims, 1):.0%}), rare {rare!r} in {words[rare]:,}, "
            f"absent {ABSENT_WORD!r} in {words[ABSENT_WORD]:,}"
        )
    else:
        print(f"Claimtrack scale benchmark: the reference database {reference:,} claims")
    print(
        f"{args.rounds} interleaved rounds; gunicorn {args.workers} sync workers, DEBUG off, no "
        "throttling; cold: every cache a dummy (BENCH_RESPONSE_CACHE=0), warm: the site's "
        "response cache; values are median (min–max) over the rounds"
    )
    print(
        f"1-minute load average before the benchmark: {results.load:.2f}; "
        f"the run took {_duration(results.seconds)}"
    )
    print()
    rows = [
        *_admin_rows(results, claims),
        *_search_rows(results, claims),
        *_import_rows(results),
        _memory_row(results),
        *_pages_rows(results),
        _generator_row(results, claims),
    ]
    print("| measure | now | target | met |")
    print("|---|---|---|---|")
    for measure, now, target, met in rows:
        verdict = "—" if met is None else ("yes" if met else "**no**")
        print(f"| {measure} | {now} | {target} | {verdict} |")


Row = tuple[str, str, str, bool | None]
_SKIPPED = "not measured (--only)"


def _admin_rows(results: Results, claims: int) -> list[Row]:
    rows = []
    target = f"≤ 1.5×, and under 1 s at {claims:,}"
    for label in ADMIN_QUERIES:
        measure = f"admin claims list, {claims:,} ÷ {REFERENCE_CLAIMS:,} claims, {label}"
        big = results.probes.get(f"admin cold {label}")
        if big is None:
            rows.append((measure, _SKIPPED, target, None))
            continue
        small = results.probes[f"admin reference {label}"]
        ratio = _ratios(big, small)
        now = (
            f"{ratio.text('.1f', '×')}: {_spread(big).duration()} against "
            f"{_spread(small).duration()}"
        )
        rows.append((measure, now, target, ratio.median <= 1.5 and _spread(big).median < 1))
    return rows


def _search_rows(results: Results, claims: int) -> list[Row]:
    probes = results.probes
    measures = [
        (f"API search, a common ÷ a rare word, {claims:,} claims", "≤ 10× (cold)"),
        (f"API search, an absent ÷ a rare word, {claims:,} claims", "≤ 2× (cold)"),
        ("claims list `?q=` a rare word", "under 50 ms (cold)"),
        ("claims list `?q=` an absent word", "under 50 ms (cold)"),
        ("claims list `?q=` a common word ÷ `/search/?q=` the same", "≤ 10× (cold)"),
    ]
    if "search cold common" not in probes:
        return [(measure, _SKIPPED, target, None) for measure, target in measures]

    def ratio(first: str, second: str, limit: float) -> tuple[str, bool]:
        cold = _ratios(
            probes[f"{first[0]} cold {first[1]}"], probes[f"{second[0]} cold {second[1]}"]
        )
        warm = _ratios(
            probes[f"{first[0]} warm {first[1]}"], probes[f"{second[0]} warm {second[1]}"]
        )
        cold_first = _spread(probes[f"{first[0]} cold {first[1]}"])
        cold_second = _spread(probes[f"{second[0]} cold {second[1]}"])
        now = (
            f"cold {cold.text('.1f', '×')}: {cold_first.duration()} against "
            f"{cold_second.duration()}; warm {warm.text('.1f', '×')}"
        )
        return now, cold.median <= limit

    def duration(key: str) -> tuple[str, bool]:
        cold, warm = _spread(probes[f"list cold {key}"]), _spread(probes[f"list warm {key}"])
        return f"cold {cold.duration()}; warm {warm.duration()}", cold.median < 0.05

    values = [
        ratio(("search", "common"), ("search", "rare"), 10),
        ratio(("search", "absent"), ("search", "rare"), 2),
        duration("rare"),
        duration("absent"),
        ratio(("list", "common"), ("search", "common"), 10),
    ]
    return [
        (measure, now, target, met)
        for (measure, target), (now, met) in zip(measures, values, strict=True)
    ]


def _import_rows(results: Results) -> list[Row]:
    measures = [
        ("`import_notes`, notes/s ÷ a pure parse of the same files", "≥ 0.5"),
        ("`import_notes --extract-claims`, notes/s ÷ a pure parse of the same files", "≥ 0.5"),
        ("re-import of unchanged notes ÷ their first import", "≤ 0.05"),
    ]
    found = results.imports
    if found is None:
        return [(measure, _SKIPPED, target, None) for measure, target in measures]
    size = found.slice_notes
    plain = _ratios(found.parse, found.first)
    extract = _ratios(found.parse_extract, found.extract)
    again = _ratios(found.again, found.first)
    now = [
        f"{plain.text()}: {_rates(size, found.first)} notes/s against "
        f"{_rates(size, found.parse)} parsing; {statistics.median(found.queries):.1f} queries "
        "per note",
        f"{extract.text('.3f')}: {_rates(size, found.extract)} notes/s; "
        f"{statistics.median(found.queries_extract):.1f} queries per note",
        f"{again.text('.3f')}: {_spread(found.again).duration()} against "
        f"{_spread(found.first).duration()} for {size:,} notes",
    ]
    met = [plain.median >= 0.5, extract.median >= 0.5, again.median <= 0.05]
    return [
        (f"{measure} ({size:,} notes a round)", text, target, verdict)
        for (measure, target), text, verdict in zip(measures, now, met, strict=True)
    ]


def _rates(notes: int, seconds: list[float]) -> str:
    return _spread(notes / s for s in seconds).text(".1f")


def _memory_row(results: Results) -> Row:
    if results.memory is None:
        return ("peak memory importing notes", _SKIPPED, "flat", None)
    sizes = " / ".join(f"{m.notes:,}" for m in results.memory)
    middle, largest = results.memory[-2], results.memory[-1]
    growth = (largest.peak_mb - middle.peak_mb) * 1024 / (largest.notes - middle.notes)
    ratio = largest.peak_mb / middle.peak_mb
    now = (
        f"{' / '.join(f'{m.peak_mb:.0f}' for m in results.memory)} MB "
        f"({' / '.join(f'{m.importer_mb:.0f} + {m.parser_mb:.0f}' for m in results.memory)} "
        f"in the importer + its parser process), growing {growth:.2f} kB per note; "
        f"{largest.notes:,} ÷ {middle.notes:,} notes = {ratio:.2f}"
    )
    target = f"flat: within 10% from {middle.notes:,} to {largest.notes:,} notes"
    return (f"peak memory importing {sizes} notes", now, target, ratio <= 1.10)


def _pages_rows(results: Results) -> list[Row]:
    measures = [
        ("a cold claims list ÷ the bare view", "list", 0.15),
        ("a cold claim detail ÷ the bare view", "detail", 0.25),
    ]
    rows = []
    for measure, kind, goal in measures:
        target = f"≥ {goal}"
        if results.pages is None:
            rows.append((measure, results.pages_missing or _SKIPPED, target, None))
            continue
        bare = results.pages[f"bare {kind}"]
        cold, warm = results.pages[f"cold {kind}"], results.pages[f"warm {kind}"]
        ratio = _ratios(cold.round_rates, bare.round_rates)
        warm_ratio = _ratios(warm.round_rates, bare.round_rates)
        now = (
            f"{ratio.text('.3f')}: {cold.per_second:.0f} against {bare.per_second:.0f} "
            f"requests/s (mean {cold.mean_ms:.1f} ms); warm {warm_ratio.text()}"
        )
        rows.append((measure, now, target, ratio.median >= goal))
    return rows


def _generator_row(results: Results, claims: int) -> Row:
    record = results.big.get("record")
    measure = f"bench data generator for {claims:,} claims"
    target = "under 5 minutes for 1,000,000 claims"
    if not results.big:
        return (measure, _SKIPPED, target, None)
    if record is None:
        return (measure, "not generated by this benchmark (--reuse)", target, None)
    now = f"{record['fill_seconds']:.0f} s, and {record['migrate_seconds']:.0f} s to migrate"
    if cpu := record.get("fill_cpu_seconds"):
        now += f"; CPU: {cpu['postgresql']} s in PostgreSQL, {cpu['python']} s in Python"
    if not results.big.get("fill"):
        now += f" (generated {record['filled_at']}; reused)"
    met = record["fill_seconds"] < GENERATOR_TARGET_SECONDS if claims == 1_000_000 else None
    return (measure, now, target, met)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        sys.exit(f"scale_bench: {error}")
    except KeyboardInterrupt:
        log("interrupted; the servers are stopped")
        sys.exit(130)
