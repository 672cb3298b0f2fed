"""gunicorn's settings for `bin/serve`, read from the environment.

BIND                          address to listen on, e.g. `127.0.0.1:8000` or `unix:/run/ct.sock`;
                              unset: `0.0.0.0:$PORT` if PORT is set, else `127.0.0.1:8000`
WEB_CONCURRENCY               worker processes; default 2 × cores + 1, at most 8
GUNICORN_TIMEOUT              seconds a request may take before its worker is killed (30)
GUNICORN_GRACEFUL_TIMEOUT     seconds a worker may finish its request after a stop or restart (30)
GUNICORN_MAX_REQUESTS         requests after which a worker is replaced; 0 never (1000)
GUNICORN_MAX_REQUESTS_JITTER  up to this many more, at random, per worker (100)

A malformed value stops gunicorn before it binds, with a message naming the variable (gunicorn
itself refuses a WEB_CONCURRENCY that is not a number, with a traceback, before reading this).
"""

import os


def _whole_number(name: str, default: int, *, minimum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise SystemExit(f"{name}={raw!r} must be a whole number of at least {minimum}.")
    return value


def _default_workers() -> int:
    # Cores this process may run on, which a container's CPU set can make fewer than the
    # machine's. Past 8, a sync worker mostly waits on PostgreSQL while it costs about 80 MB
    # and a database connection; a larger machine sets WEB_CONCURRENCY.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(2 * (cores or 1) + 1, 8)


wsgi_app = "config.wsgi:application"
proc_name = "claimtrack"

if address := os.environ.get("BIND", "").strip():
    bind = [address]
elif port := os.environ.get("PORT", "").strip():
    bind = [f"0.0.0.0:{port}"]
else:
    bind = ["127.0.0.1:8000"]

workers = _whole_number("WEB_CONCURRENCY", _default_workers(), minimum=1)
# A worker stuck on one request longer than this is killed and replaced, so that a runaway
# request costs one request, not a worker for good.
timeout = _whole_number("GUNICORN_TIMEOUT", 30, minimum=1)
graceful_timeout = _whole_number("GUNICORN_GRACEFUL_TIMEOUT", 30, minimum=0)
# Replacing each worker now and then bounds the memory a long-lived process accumulates; the
# jitter keeps the workers from all restarting at once.
max_requests = _whole_number("GUNICORN_MAX_REQUESTS", 1000, minimum=0)
max_requests_jitter = _whole_number("GUNICORN_MAX_REQUESTS_JITTER", 100, minimum=0)

# One line per request on stdout, with its duration in milliseconds; errors stay on stderr.
accesslog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# Workers report that they are alive by touching a file; in memory, a slow or full disk cannot
# make the master think they hang.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
