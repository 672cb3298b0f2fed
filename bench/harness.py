"""What the benchmarks share: databases of their own, COPY, gunicorn, wrk and plain HTTP.

A benchmark owns the PostgreSQL databases it creates and marks them with a comment; only a
database carrying its mark is ever dropped. The site is served by gunicorn on a free loopback
port, as in production, and measured with wrk (throughput) or one request at a time (latency).
"""

import argparse
import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")
#: Rows per COPY statement: big enough to be quick, small enough to keep memory flat.
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


class BenchError(Exception):
    """Something the benchmark cannot measure past: the run stops with this message."""


def log(message: str) -> None:
    print(f"{Path(sys.argv[0]).stem}: {message}", file=sys.stderr, flush=True)


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


def exit_on_signal(signum, frame) -> None:
    # SystemExit unwinds through the `finally` blocks that stop the servers.
    sys.exit(128 + signum)


def require_postgres(database_url: str) -> None:
    if urlsplit(database_url).scheme not in POSTGRES_SCHEMES:
        raise BenchError(f"DATABASE_URL must name a PostgreSQL database, not {database_url!r}")


# Databases ------------------------------------------------------------------------------------


def database_name(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/")


def database_url_named(database_url: str, name: str) -> str:
    """The same server and user as `database_url`, another database."""
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))


def maintenance_connection(database_url: str):
    """An autocommit connection to the server's `postgres` database, to create and drop others."""
    import psycopg

    return psycopg.connect(database_url_named(database_url, "postgres"), autocommit=True)


def database_comment(database_url: str) -> str | None:
    """The comment on the database, "" without one, None when the database does not exist."""
    with maintenance_connection(database_url) as maintenance:
        row = maintenance.execute(
            "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
            "WHERE datname = %s",
            [database_name(database_url)],
        ).fetchone()
    return None if row is None else row[0]


def set_database_comment(database_url: str, comment: str) -> None:
    from psycopg import sql

    with maintenance_connection(database_url) as maintenance:
        maintenance.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(database_name(database_url)), sql.Literal(comment)
            )
        )


def prepare_database(
    database_url: str, *, marker: str, reuse: bool, template: str | None = None
) -> bool:
    """Make a benchmark's database ready; True when it is new and needs filling.

    A database that does not exist, or exists without any table, becomes the benchmark's and
    gets `marker` as its comment; one whose comment starts with `marker` was made by the
    benchmark earlier and is dropped and made again. Any other is refused unless `reuse`, which
    keeps whatever database is there. `template` names a database to copy instead of starting
    empty (PostgreSQL's CREATE DATABASE ... TEMPLATE: nobody may be connected to it).
    """
    from psycopg import sql

    name = database_name(database_url)
    comment = database_comment(database_url)
    exists, ours = comment is not None, comment is not None and comment.startswith(marker)
    if exists and reuse:
        log(f"reusing database {name} as it is")
        return False
    if exists and not ours and not _is_empty(database_url):
        raise BenchError(
            f"database {name!r} already holds tables and was not made by this benchmark; name "
            "another in DATABASE_URL, or pass --reuse to measure it as it is"
        )
    with maintenance_connection(database_url) as maintenance:
        if ours:
            maintenance.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
            )
        if not exists or ours:
            create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template is not None:
                create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            maintenance.execute(create)
    set_database_comment(database_url, marker)
    return True


def _is_empty(database_url: str) -> bool:
    import psycopg

    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()
    return row[0] == 0


def setup_django(database_url: str) -> None:
    """Django for this process, on `database_url`, with the benchmarks' settings, DEBUG off."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    # DEBUG keeps every query in memory, which no production process does.
    os.environ.setdefault("DJANGO_DEBUG", "0")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()


def copy_rows(cursor, model, field_names: str, rows: Iterable[tuple]) -> None:
    """COPY `rows` into the model's table: values of `field_names` (space-separated), in order.

    `cursor` is a psycopg cursor, or Django's wrapper around one.
    """
    quote = _quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in field_names.split())
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    rows = list(rows)
    for start in range(0, len(rows), COPY_BATCH):
        with cursor.copy(statement) as copy:
            for row in rows[start : start + COPY_BATCH]:
                copy.write_row(row)


def _quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# The server -----------------------------------------------------------------------------------


class Server:
    """gunicorn serving the site (with the bare views of `bench.urls`) on a free loopback port.

    `env` adds to or overrides the server's environment: `DATABASE_URL`, a settings flag.
    """

    def __init__(
        self,
        workdir: Path,
        database_url: str,
        *,
        name: str = "site",
        workers: int = 2,
        conn_max_age: int = 60,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.bare_dir = workdir / "bare"
        self.bare_dir.mkdir(exist_ok=True)
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"gunicorn-{name}.log"
        self.workers = workers
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": database_url,
            "DATABASE_CONN_MAX_AGE": str(conn_max_age),
            "DJANGO_DEBUG": "0",
            # Throttling off: the load generator is one client asking far more than anyone may.
            "API_ANON_RATE": "",
            "BENCH_BARE_DIR": str(self.bare_dir),
            **(env or {}),
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
            # A page that takes minutes is a number to report, not a worker to kill.
            "--timeout=900",
            "--log-level=warning",
            "--chdir",
            str(REPO),
        ]
        with self.log.open("wb") as log_file:
            # A session of its own: Ctrl-C reaches the benchmark, which stops the whole group.
            self.process = subprocess.Popen(
                command,
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn ({self.name}) stopped at start:\n{self.log_text()}")
            try:
                get(self.origin + "/api/v1/")
                log(f"gunicorn ({self.name}, {self.workers} sync workers) serves {self.origin}")
                return
            except OSError:
                time.sleep(0.2)
        raise BenchError(f"gunicorn ({self.name}) did not answer in 30 s:\n{self.log_text()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def set_bare_body(self, name: str, body: bytes) -> str:
        """Make `/bench/bare/<name>/` answer `body`; returns its address."""
        (self.bare_dir / f"{name}.json").write_bytes(body)
        return f"{self.origin}/bench/bare/{name}/"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# HTTP -----------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def get(
    url: str, headers: dict[str, str] | None = None, *, opener=None, timeout: float = 900
) -> Response:
    """GET `url`; any status comes back as a Response, only a failed connection raises."""
    request = urllib.request.Request(url, headers=headers or {})
    open_url = opener.open if opener is not None else urllib.request.urlopen
    try:
        with open_url(request, timeout=timeout) as answer:
            return Response(answer.status, dict(answer.headers), answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read())


def expect(response: Response, status: int, what: str) -> None:
    if response.status != status:
        raise BenchError(
            f"{what} answered {response.status}, not {status}:\n"
            f"{response.body[:500].decode(errors='replace')}"
        )


def admin_session(origin: str, username: str, password: str):
    """A urllib opener logged in to the admin at `origin`, as a browser would be."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_url = f"{origin}/admin/login/?next=/admin/"
    expect(get(login_url, opener=opener), 200, "the admin's login page")
    token = next((cookie.value for cookie in jar if cookie.name == "csrftoken"), None)
    if token is None:
        raise BenchError("the admin's login page set no csrftoken cookie")
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "username": username,
            "password": password,
            "next": "/admin/",
        }
    ).encode()
    request = urllib.request.Request(login_url, data=form, headers={"Referer": login_url})
    with opener.open(request, timeout=60) as answer:
        # A failed login answers the form again, at the login address.
        if urlsplit(answer.url).path != "/admin/":
            raise BenchError(f"logging in to {origin}/admin/ as {username!r} failed")
    return opener


# wrk ------------------------------------------------------------------------------------------


@dataclass
class WrkTarget:
    """An address measured with wrk, and the runs measured so far."""

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


class Wrk:
    """wrk (1 thread) with a script that reports each run as one line of JSON."""

    def __init__(self, executable: str, workdir: Path, *, connections: int) -> None:
        self.executable = executable
        self.connections = connections
        self.script = workdir / "summary.lua"
        self.script.write_text(WRK_SCRIPT)

    def run(self, target: WrkTarget, *, seconds: int) -> dict:
        """One run against `target`; any error or unexpected status stops the benchmark."""
        command = [
            self.executable,
            "--threads=1",
            f"--connections={self.connections}",
            f"--duration={seconds}s",
            "--timeout=10s",
            f"--script={self.script}",
        ]
        for name, value in target.headers.items():
            command += ["--header", f"{name}: {value}"]
        finished = subprocess.run(
            [*command, target.url],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 30,
        )
        line = next(line for line in finished.stdout.splitlines() if line.startswith("BENCH "))
        result = json.loads(line.removeprefix("BENCH "))
        if result["errors"] or result["status_errors"]:
            raise BenchError(f"{target.label} had errors under load: {result}")
        return result

    def rounds(self, targets: list[WrkTarget], *, rounds: int, seconds: int) -> None:
        """Warm each target up for a second, then measure them in interleaved rounds.

        Each round starts one target later than the round before, so that drift on the machine
        (other processes, CPU frequency) falls on every target alike instead of on whichever
        one always runs last.
        """
        for target in targets:
            self.run(target, seconds=1)
        for number in range(rounds):
            shift = number % len(targets)
            for target in targets[shift:] + targets[:shift]:
                target.runs.append(self.run(target, seconds=seconds))
            log(f"wrk round {number + 1}/{rounds} done")
