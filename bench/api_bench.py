"""Throughput of the public claim list and the home, video and claim pages against a bare Django
view, on 100,000 claims.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/claimtrack_bench \\
        .venv/bin/python bench/api_bench.py [--claims 100000] [--reuse]

Creates (or recreates) a PostgreSQL database of its own, fills it with published claims, their
appearances and arguments, serves the real WSGI application with gunicorn and measures with
wrk, in interleaved rounds: the claim list, a bare view answering the same bytes, the 304 of a
conditional GET, a deep cursor page, and the reader pages: home, a video, a claim. See
bench/README.md for what the numbers mean.
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/claimtrack_bench"
#: Written on the databases this script creates: only those does it drop and refill.
BENCH_MARKER = "claimtrack api_bench: generated data, dropped and refilled by bench/api_bench.py"
API_PATH = "/api/v1/claims/?page_size=20"
BARE_PATH = "/bench/bare/"
TARGETS = {"api": 0.4, "not_modified": 0.55}

# Sizes of the generated data besides the claims: "a few hundred videos".
CHANNELS = 20
VIDEOS = 300
SPEAKERS = 120
TOPICS = 60
VIDEO_SECONDS = 3 * 60 * 60
COPY_BATCH = 20_000

# wrk prints its own report; this replaces it with one parseable line per run.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "errors": %d, "status_errors": %d,'
    .. ' "mean_us": %.1f, "p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency.mean, latency:percentile(50), latency:percentile(99)))
end
"""


def main() -> int:
    args = _parse_args()
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("api_bench: needs wrk as the load generator: apt-get install -y wrk")
    if urlsplit(database_url).scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(f"api_bench: DATABASE_URL must name a PostgreSQL database, not {database_url!r}")

    fresh = _prepare_database(database_url, reuse=args.reuse)
    _setup_django(database_url)
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    _log(f"migrated in {time.monotonic() - started:.1f} s")
    if fresh:
        _fill(args.claims, seed=args.seed)
    counts = _counts()
    if counts["published claims"] == 0:
        sys.exit("api_bench: the database holds no published claims to list")

    signal.signal(signal.SIGTERM, _exit_on_signal)
    with tempfile.TemporaryDirectory(prefix="api_bench-") as workdir:
        server = Server(Path(workdir), database_url, args)
        try:
            # Before the benchmark adds its own: what else keeps the machine busy.
            load = os.getloadavg()[0]
            server.start()
            results = _measure(server, Path(workdir), wrk, args)
        finally:
            server.stop()
    _print_report(results, counts, args, load)
    return 0


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure GET /api/v1/claims/ against a bare Django view (see bench/README.md)."
    )
    parser.add_argument(
        "--claims", type=_positive, default=100_000, help="published claims to create"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database as it is (migrated, not refilled); needed for a database "
        "this script did not create",
    )
    parser.add_argument("--rounds", type=_positive, default=10, help="interleaved rounds")
    parser.add_argument(
        "--seconds", type=_positive, default=3, help="seconds per endpoint per round"
    )
    parser.add_argument("--workers", type=_positive, default=2, help="gunicorn sync workers")
    parser.add_argument("--connections", type=_positive, default=4, help="wrk's open connections")
    parser.add_argument("--deep-pages", type=int, default=50, help="`next` links to follow")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="DATABASE_CONN_MAX_AGE of the server; 0 opens a connection per request",
    )
    parser.add_argument("--seed", type=int, default=2024, help="seed of the generated data")
    return parser.parse_args()


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


def _log(message: str) -> None:
    print(f"api_bench: {message}", file=sys.stderr, flush=True)


def _exit_on_signal(signum, frame) -> None:
    # SystemExit unwinds through the `finally` that stops the server.
    sys.exit(128 + signum)


# The database ---------------------------------------------------------------------------------


def _prepare_database(database_url: str, *, reuse: bool) -> bool:
    """Make the benchmark's database ready; True when it is new and needs filling.

    A database that does not exist, or exists without any table, becomes the benchmark's; one
    the benchmark made earlier is dropped and made again. Any other is refused unless `reuse`.
    """
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    maintenance_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance_url, autocommit=True) as maintenance:
        row = maintenance.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
        exists, ours = row is not None, row is not None and row[0] == BENCH_MARKER
        if exists and reuse:
            _log(f"reusing database {name} as it is")
            return False
        if exists and not ours and not _is_empty(database_url):
            sys.exit(
                f"api_bench: database {name!r} already holds tables and was not made by this "
                "benchmark; name another in DATABASE_URL, or pass --reuse to measure it as it is"
            )
        if ours:
            _log(f"dropping the benchmark's previous database {name}")
            maintenance.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
            )
        if not exists or ours:
            maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        maintenance.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(BENCH_MARKER)
            )
        )
    _log(f"database {name} is the benchmark's")
    return True


def _is_empty(database_url: str) -> bool:
    import psycopg

    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()
    return row[0] == 0


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


_VOCABULARY = """
vaccine climate border tariff inflation wages rent energy nuclear wind solar grid oil
crime police court election ballot turnout senate budget deficit debt tax rate bank school
teacher hospital doctor nurse drug price insurance pension migrant asylum job factory farm
water river forest carbon emissions study survey poll percent million billion doubled
halved rose fell since last year decade never always every most fewer more than the a of
in on for by with that this was were has have not no
"""
_WORDS = _VOCABULARY.split()


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(_WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def _fill(claim_count: int, *, seed: int) -> None:
    """Published claims with 1–2 appearances and 1–3 arguments each, written with COPY.

    Rows go in as the services would leave them, minus history: bulk writes send no signals, so
    the search vectors are rebuilt and the content revision bumped once at the end.
    """
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from claims.models import Appearance, Argument, Claim, Speaker, Stance, Status
    from claims.search import search_index_rebuild
    from notes import revisions
    from notes.models import Channel, Topic, Video

    # Plain strings: COPY writes values as given, and an enum member is not one.
    published, stances = Status.PUBLISHED.value, list(Stance.values)
    rng = random.Random(seed)
    now = datetime.now(UTC)
    started = time.monotonic()
    with transaction.atomic():
        channels = Channel.objects.bulk_create(
            Channel(slug=f"channel-{i}", name=f"Channel {i}") for i in range(CHANNELS)
        )
        video_ids = [
            video.pk
            for video in Video.objects.bulk_create(
                Video(
                    youtube_id=f"bench{i:06d}",
                    title=f"Debate {i}",
                    channel=channels[i % CHANNELS],
                    duration_seconds=VIDEO_SECONDS,
                )
                for i in range(VIDEOS)
            )
        ]
        speaker_ids = [
            speaker.pk
            for speaker in Speaker.objects.bulk_create(
                Speaker(slug=f"speaker-{i}", name=f"Speaker {i}") for i in range(SPEAKERS)
            )
        ]
        topic_ids = [
            topic.pk
            for topic in Topic.objects.bulk_create(
                Topic(slug=f"topic-{i}", name=f"Topic {i}") for i in range(TOPICS)
            )
        ]

        claims, appearances, arguments, topic_links = [], [], [], []
        for claim_id in range(1, claim_count + 1):
            # Distinct publication times, newest last: the cursor orders by them.
            published_at = now - timedelta(minutes=claim_count - claim_id)
            claims.append((claim_id, _sentence(rng, 8, 24), published, "", now, now, published_at))
            for _ in range(rng.randint(1, 2)):
                start = rng.randrange(VIDEO_SECONDS - 120)
                appearances.append(
                    (
                        len(appearances) + 1,
                        claim_id,
                        rng.choice(video_ids),
                        start,
                        start + rng.randint(5, 90),
                        rng.choice(speaker_ids),
                        _sentence(rng, 6, 20) if rng.random() < 0.6 else "",
                        now,
                    )
                )
            for _ in range(rng.randint(1, 3)):
                on_video = rng.random() < 0.7
                start = rng.randrange(VIDEO_SECONDS) if on_video else None
                arguments.append(
                    (
                        len(arguments) + 1,
                        claim_id,
                        rng.choice(stances),
                        _sentence(rng, 10, 40),
                        rng.choice(speaker_ids),
                        rng.choice(video_ids) if on_video else None,
                        start,
                        None,
                        "" if on_video else f"https://example.org/source/{claim_id}",
                        published,
                        "",
                        now,
                        now,
                    )
                )
            for topic_id in rng.sample(topic_ids, rng.randint(0, 2)):
                topic_links.append((len(topic_links) + 1, claim_id, topic_id))

        _copy(Claim, "id text status retraction_reason created_at updated_at published_at", claims)
        _copy(
            Appearance,
            "id claim video start_seconds end_seconds speaker quote created_at",
            appearances,
        )
        _copy(
            Argument,
            "id claim stance text speaker video start_seconds end_seconds source_url status "
            "retraction_reason created_at updated_at",
            arguments,
        )
        _copy(Claim.topics.through, "id claim topic", topic_links)
        models = [Claim, Appearance, Argument, Claim.topics.through]
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
        _log(
            f"wrote {len(claims):,} claims, {len(appearances):,} appearances, "
            f"{len(arguments):,} arguments in {time.monotonic() - started:.1f} s"
        )

        started = time.monotonic()
        search_index_rebuild()
        revisions.bump()
    _log(f"rebuilt the search index in {time.monotonic() - started:.1f} s")

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    _log(f"vacuumed and analyzed in {time.monotonic() - started:.1f} s")


def _copy(model, field_names: str, rows: list[tuple]) -> None:
    """COPY `rows` into the model's table: values of `field_names` (space-separated), in order."""
    from django.db import connection

    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in field_names.split())
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), COPY_BATCH):
            with cursor.copy(statement) as copy:
                for row in rows[start : start + COPY_BATCH]:
                    copy.write_row(row)


def _counts() -> dict[str, int]:
    from claims.models import Appearance, Argument, Claim
    from notes.models import Video

    return {
        "published claims": Claim.objects.published().count(),
        "appearances": Appearance.objects.count(),
        "arguments": Argument.objects.count(),
        "videos": Video.objects.count(),
    }


# The server -----------------------------------------------------------------------------------


class Server:
    """gunicorn serving the site (with the bare view) on a free loopback port."""

    def __init__(self, workdir: Path, database_url: str, args: argparse.Namespace) -> None:
        self.bare_body = workdir / "bare.json"
        self.port = _free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "gunicorn.log"
        self.workers = args.workers
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": database_url,
            "DATABASE_CONN_MAX_AGE": str(args.conn_max_age),
            "DJANGO_DEBUG": "0",
            # Throttling off: the load generator is one client asking far more than anyone may.
            "API_ANON_RATE": "",
            "BENCH_BARE_BODY": str(self.bare_body),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn),
            "config.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            "--worker-class=sync",
            "--log-level=warning",
            "--chdir",
            str(REPO),
        ]
        with self.log.open("wb") as log:
            # A session of its own: Ctrl-C reaches this script, which stops the whole group.
            self.process = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"api_bench: gunicorn stopped at start:\n{self.log.read_text()}")
            try:
                _get(self.origin + "/api/v1/")
                _log(f"gunicorn ({self.workers} sync workers) serves {self.origin}")
                return
            except OSError:
                time.sleep(0.2)
        sys.exit(f"api_bench: gunicorn did not answer in 30 s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def _get(url: str, headers: dict[str, str] | None = None) -> Response:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return Response(answer.status, dict(answer.headers), answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read())


# Measuring ------------------------------------------------------------------------------------


@dataclass
class Target:
    key: str
    label: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body_bytes: int = 0
    runs: list[dict] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(run["requests"] for run in self.runs)

    @property
    def per_second(self) -> float:
        return self.requests / (sum(run["duration_us"] for run in self.runs) / 1e6)

    @property
    def round_rates(self) -> list[float]:
        return [run["requests"] / (run["duration_us"] / 1e6) for run in self.runs]

    @property
    def mean_ms(self) -> float:
        return sum(run["mean_us"] * run["requests"] for run in self.runs) / self.requests / 1000

    @property
    def p99_ms(self) -> float:
        return max(run["p99_us"] for run in self.runs) / 1000


def _measure(server: Server, workdir: Path, wrk: str, args: argparse.Namespace) -> list[Target]:
    first = _get(server.origin + API_PATH)
    _expect(first, 200, "the first page")
    server.bare_body.write_bytes(first.body)
    bare = _get(server.origin + BARE_PATH)
    _expect(bare, 200, "the bare view")
    not_modified = _get(server.origin + API_PATH, {"If-None-Match": first.headers["ETag"]})
    _expect(not_modified, 304, "the conditional GET")

    deep_url, deep = server.origin + API_PATH, first
    for _ in range(args.deep_pages):
        next_url = json.loads(deep.body)["next"]
        if next_url is None:
            break
        deep_url, deep = next_url, _get(next_url)
        _expect(deep, 200, "a next page")
    depth = args.deep_pages + 1

    claim = json.loads(first.body)["results"][0]
    pages = {
        "home": "/",
        "video_page": f"/videos/{claim['appearances'][0]['video']}/",
        "claim_page": f"/claims/{claim['id']}/",
    }
    page_bodies = {}
    for key, path in pages.items():
        page = _get(server.origin + path)
        _expect(page, 200, f"the page {path}")
        page_bodies[key] = len(page.body)

    targets = [
        Target("api", f"GET {API_PATH}", server.origin + API_PATH, body_bytes=len(first.body)),
        Target(
            "bare",
            f"GET {BARE_PATH} (same bytes)",
            server.origin + BARE_PATH,
            body_bytes=len(bare.body),
        ),
        Target(
            "not_modified",
            f"GET {API_PATH}, If-None-Match (304)",
            server.origin + API_PATH,
            headers={"If-None-Match": first.headers["ETag"]},
        ),
        Target(
            "deep", f"GET page {depth} by cursor, page_size=20", deep_url, body_bytes=len(deep.body)
        ),
        *(
            Target(key, f"GET {path} (page)", server.origin + path, body_bytes=page_bodies[key])
            for key, path in pages.items()
        ),
    ]
    script = workdir / "summary.lua"
    script.write_text(WRK_SCRIPT)

    _log("warming up")
    for target in targets:
        _wrk(wrk, script, target, seconds=1, connections=args.connections)
    total = args.rounds * args.seconds * len(targets)
    _log(f"measuring: {args.rounds} interleaved rounds of {args.seconds} s each (~{total} s)")
    for number in range(args.rounds):
        # Each round starts one endpoint later, so no endpoint always follows the same one.
        shift = number % len(targets)
        for target in targets[shift:] + targets[:shift]:
            target.runs.append(
                _wrk(wrk, script, target, seconds=args.seconds, connections=args.connections)
            )
        _log(f"round {number + 1}/{args.rounds} done")
    return targets


def _expect(response: Response, status: int, what: str) -> None:
    if response.status != status:
        sys.exit(
            f"api_bench: {what} answered {response.status}, not {status}:\n"
            f"{response.body[:500].decode(errors='replace')}"
        )


def _wrk(wrk: str, script: Path, target: Target, *, seconds: int, connections: int) -> dict:
    command = [wrk, "--threads=1", f"--connections={connections}", f"--duration={seconds}s"]
    command += ["--timeout=10s", f"--script={script}"]
    for name, value in target.headers.items():
        command += ["--header", f"{name}: {value}"]
    finished = subprocess.run(
        [*command, target.url], capture_output=True, text=True, check=True, timeout=seconds + 30
    )
    line = next(line for line in finished.stdout.splitlines() if line.startswith("BENCH "))
    result = json.loads(line.removeprefix("BENCH "))
    if result["errors"] or result["status_errors"]:
        sys.exit(f"api_bench: {target.label} had errors under load: {result}")
    return result


# The report -----------------------------------------------------------------------------------


def _print_report(
    targets: list[Target], counts: dict[str, int], args: argparse.Namespace, load: float
) -> None:
    by_key = {target.key: target for target in targets}
    bare = by_key["bare"].per_second
    print()
    print("Claimtrack API benchmark: " + ", ".join(f"{n:,} {name}" for name, n in counts.items()))
    print(
        f"gunicorn {args.workers} sync workers, DEBUG off, no throttling, "
        f"DATABASE_CONN_MAX_AGE={args.conn_max_age}; wrk 1 thread, {args.connections} "
        f"connections; {args.rounds} interleaved rounds x {args.seconds} s per endpoint"
    )
    # Other processes on the machine move every number; the ratios, measured side by side,
    # move much less.
    print(f"1-minute load average before the benchmark started: {load:.2f}")
    print()
    header = (
        f"{'endpoint':<52} {'body B':>7} {'req/s':>8} {'rounds min-max':>15} "
        f"{'mean ms':>8} {'p99 ms':>7} {'/ bare':>7}  target"
    )
    print(header)
    print("-" * len(header))
    for target in targets:
        rates = target.round_rates
        ratio = target.per_second / bare
        goal = TARGETS.get(target.key)
        verdict = ""
        if goal is not None:
            verdict = f">= {goal:.2f} {'met' if ratio >= goal else 'MISSED'}"
        elif target.key == "deep":
            verdict = f"{target.per_second / by_key['api'].per_second:.2f} x the first page"
        print(
            f"{target.label:<52} {target.body_bytes:>7} {target.per_second:>8.1f} "
            f"{min(rates):>7.1f}-{max(rates):<7.1f} {target.mean_ms:>8.2f} "
            f"{target.p99_ms:>7.2f} {ratio:>7.3f}  {verdict}"
        )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        _log("interrupted; the server is stopped")
        sys.exit(130)
