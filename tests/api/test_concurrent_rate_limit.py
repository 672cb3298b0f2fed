"""The rate limit holds when many requests of one client arrive at once, as workers sharing
one Redis answer them.

A module of its own: its test commits to the database from several threads, which must not meet
the worked example that other API test modules keep in an open transaction.
"""

import io
import os
import threading
from collections import Counter
from wsgiref.util import setup_testing_defaults

import pytest
import redis
from django.core.cache import cache
from rest_framework.throttling import AnonRateThrottle

from config.wsgi import application

#: A Redis database of the test suite's own; the test empties it.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


@pytest.fixture
def shared_redis_cache(settings):
    """The default cache in Redis, as every worker of a deployment shares it."""
    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis at {TEST_REDIS_URL} is not reachable ({error})")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": TEST_REDIS_URL,
        }
    }
    cache.clear()
    yield
    cache.clear()


def wsgi_get(path: str, address: str) -> int:
    """The status of a GET sent through the WSGI application, as a server worker calls it."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "REMOTE_ADDR": address,
        "wsgi.input": io.BytesIO(),
    }
    setup_testing_defaults(environ)
    statuses: list[str] = []
    body = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        b"".join(body)
    finally:
        body.close()
    return int(statuses[0].split()[0])


# Serialized rollback, as the suite's other transactional test has: without it, the flush after
# this test lets Django recreate the content types under new ids, which that test then restores.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_clients_together_never_get_past_the_limit(shared_redis_cache, tiny_rate):
    limit, clients, requests_each = 50, 16, 10
    AnonRateThrottle.THROTTLE_RATES = {"anon": f"{limit}/minute"}  # undone by tiny_rate
    start = threading.Barrier(clients)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def client() -> None:
        start.wait()
        for _ in range(requests_each):
            status = wsgi_get("/api/v1/speakers/", "203.0.113.50")
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == {200: limit, 429: clients * requests_each - limit}
