"""`bin/serve` starts the site as production runs it: migrate, collectstatic, then gunicorn.

The real script runs in a subprocess with its own default settings (`config.settings.production`),
a random secret key, a free loopback port and a throwaway database of the suite's kind: a SQLite
file, or a new PostgreSQL database on the suite's server, dropped afterwards. The pages are then
read over HTTP. Without collectstatic, every page below that links a static file answered 500
(the manifest storage had no manifest). Deselect with `-m "not serve"`.
"""

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.db import connection
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
#: Migrating an empty database, collecting the static files and booting the workers, on a busy
#: 2-core machine.
START_TIMEOUT = 90
STOP_TIMEOUT = 20
#: A name collectstatic gave a file: its content's hash before the extension.
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}(\.\w+)$")
STATIC_LINK = re.compile(r"""(?:href|src)=["'](/static/[^"']+)["']""")

pytestmark = pytest.mark.serve


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    stdout: Path
    stderr: Path

    def get(self, path: str, **headers: str) -> Response:
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            client.request("GET", path, headers=headers)
            response = client.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            client.close()

    def logs(self) -> str:
        return f"stdout:\n{self.stdout.read_text()}\nstderr:\n{self.stderr.read_text()}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def database_url(tmp_path) -> Iterator[str]:
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
        return
    suite_url = urlsplit(os.environ["DATABASE_URL"])
    name = f"{suite_url.path.lstrip('/')}_serve_{secrets.token_hex(4)}"
    maintenance = suite_url._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield suite_url._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(maintenance, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def server(tmp_path, database_url) -> Iterator[Server]:
    port = _free_port()
    environment = {
        name: value
        for name, value in os.environ.items()
        # bin/serve's own default settings module is under test, not the suite's.
        if name not in {"DJANGO_SETTINGS_MODULE", "PORT"}
    }
    environment.update(
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        # Plain HTTP on loopback: there is no proxy in front to end TLS.
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
    )
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        # A session of its own, so that a failed test can stop gunicorn and its workers at once.
        process = subprocess.Popen(
            [REPO / "bin" / "serve"],
            env=environment,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    served = Server(port, process, stdout, stderr)
    try:
        _wait_until_listening(served)
        yield served
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_listening(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"bin/serve exited with {server.process.returncode}\n{server.logs()}")
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"bin/serve did not listen within {START_TIMEOUT} s\n{server.logs()}")


def test_serve_answers_every_page_and_its_static_files_then_stops_cleanly(server):
    static_paths = set()
    # "/api/v1/" asked for HTML is the browsable API.
    for path in ("/", "/search/", "/admin/login/", "/api/v1/", "/api/v1/docs/", "/api/v1/redoc/"):
        response = server.get(path, Accept="text/html")
        assert response.status == 200, f"{path}\n{server.logs()}"
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        static_paths |= set(STATIC_LINK.findall(response.body.decode()))

    schema = server.get("/api/v1/schema/")
    assert schema.status == 200
    assert schema.body.startswith(b"openapi: 3.")

    unhashed = {HASHED_NAME.sub(r"\1", path) for path in static_paths}
    assert {
        "/static/claims/site.css",
        "/static/admin/css/base.css",
        "/static/rest_framework/css/bootstrap.min.css",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",
    } <= unhashed
    for path in sorted(static_paths):
        response = server.get(path)
        assert response.status == 200, path
        assert HASHED_NAME.search(path), path
        assert response.headers["Cache-Control"] == "max-age=315360000, public, immutable"
    stylesheet = next(path for path in static_paths if path.startswith("/static/admin/css/base."))
    compressed = server.get(stylesheet, **{"Accept-Encoding": "gzip"})
    assert compressed.headers["Content-Encoding"] == "gzip"

    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=STOP_TIMEOUT) == 0
    assert '"GET /admin/login/ HTTP/1.1" 200' in server.stdout.read_text()
    assert "Shutting down: Master" in server.stderr.read_text()
    assert "Traceback" not in server.stderr.read_text()
