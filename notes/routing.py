"""Reads of the public API and pages from a streaming replica, when `DATABASE_REPLICA_URL` is set.

A read goes to the `replica` alias only when all of these hold:

- the request is a public read, inside `public_reads()`: a page (`claims.views.public_page`)
  or an API read endpoint (`config.api.PublicReadMixin`); the admin, accounts, API tokens and
  anything else never are, nor is a management command;
- its method is safe (GET, HEAD, OPTIONS);
- the reader wrote nothing in the last `DATABASE_REPLICA_STICKY_SECONDS` (see below);
- the model is public content (`REPLICA_APPS`): users, sessions, tokens and lockouts are read
  from the primary, where a login or a new token is visible at once;
- no transaction is open on the primary: what a transaction reads must be what it writes on;
- the replica answers: when it is down, everything is read from the primary (with a warning),
  and for `REPLICA_RETRY_SECONDS` this process does not try it again: a replica that does not
  answer may take its connection timeout to say so, on every request that asks.

Writes and migrations go to the primary only.

**Reading one's own writes.** A replica replays the primary's changes a little later, so a user
who just saved something could read the page from before. `ReplicaRoutingMiddleware` gives a
request that wrote (an unsafe method, or any write through the ORM) a signed, timestamped cookie;
for `DATABASE_REPLICA_STICKY_SECONDS` after it, that browser's or client's reads go to the
primary. The cookie also names the content revision the write left; past the window, and for up
to `REVISION_WAIT_SECONDS`, a reader holding it still reads from the primary while the replica's
revision is older than that: a replica that lags longer than the window still never shows a
writer a page from before their write. An API client gets the same if it sends the cookie back.

The content revision behind ETags and the shared response cache is read through this router
too, from the alias the response is built from (`notes.revisions.current`): a lagging replica's
page is then kept under the replica's older revision, never under a newer one it does not show.
"""

import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core import signing
from django.db import DatabaseError, connections

from notes import revisions

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = "default"
#: Apps whose rows are public content, the same for every reader: these may come from a replica.
REPLICA_APPS = frozenset({"notes", "claims"})
STICKY_COOKIE = "db_primary"
_STICKY_SALT = "notes.routing.sticky"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: How long after a write its writer's reads check that the replica has it: past this, a replica
#: still behind is trusted anyway (a writer's cookie cannot pin them to the primary for good).
REVISION_WAIT_SECONDS = 300
#: How long a process reads from the primary, without trying the replica, after the replica
#: failed to answer.
REPLICA_RETRY_SECONDS = 30.0

#: When (`_clock()`) this process may try the replica again after it failed; 0: it may now.
_replica_down_until = 0.0
_clock = time.monotonic


@dataclass(slots=True)
class RequestRouting:
    """What the router knows of the request being served in this context."""

    #: A safe request from a reader with no recent write: its public reads may use the replica.
    may_use_replica: bool
    #: Inside `public_reads()`: the view serves public content.
    public: bool = False
    #: A write reached the ORM during the request.
    wrote: bool = False


_routing: ContextVar[RequestRouting | None] = ContextVar("db_routing", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def public_reads() -> Iterator[None]:
    """Let the public content read inside the block come from the replica, if the request may."""
    routing = _routing.get()
    if routing is None or routing.public:
        yield
        return
    routing.public = True
    if routing.may_use_replica and replica_configured():
        routing.may_use_replica = _replica_reachable()
    try:
        yield
    finally:
        routing.public = False


def public_view(view):
    """`view` inside `public_reads()`, its template response rendered there too."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        with public_reads():
            response = view(request, *args, **kwargs)
            if getattr(response, "is_rendered", True) is False:
                response.render()
            return response

    return wrapped


def content_alias() -> str:
    """The alias public content is read from here and now."""
    routing = _routing.get()
    if (
        routing is not None
        and routing.public
        and routing.may_use_replica
        and replica_configured()
        and not connections[PRIMARY].in_atomic_block
    ):
        return REPLICA
    return PRIMARY


class ReplicaRouter:
    """Django's database router for the rules above."""

    def db_for_read(self, model, **hints) -> str:
        if model._meta.app_label in REPLICA_APPS:
            return content_alias()
        return PRIMARY

    def db_for_write(self, model, **hints) -> str:
        routing = _routing.get()
        if routing is not None:
            # The request's later reads must see what it wrote.
            routing.wrote = True
            routing.may_use_replica = False
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # The replica is a copy of the primary: a row read from either is the same row.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == PRIMARY


class ReplicaRoutingMiddleware:
    """Decides per request whether public reads may use the replica, and marks the writers.

    Without `DATABASE_REPLICA_URL` it does nothing. Put it after the session and authentication
    middleware, so that what they read and write is done before, on the primary.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        safe = request.method in SAFE_METHODS
        routing = RequestRouting(may_use_replica=safe and not _reads_own_writes(request))
        token = _routing.set(routing)
        try:
            response = self.get_response(request)
        finally:
            _routing.reset(token)
        if not safe or routing.wrote:
            _mark_writer(response)
        return response


def _replica_known_down() -> bool:
    """Whether the replica failed to answer less than `REPLICA_RETRY_SECONDS` ago."""
    return _clock() < _replica_down_until


def _replica_failed() -> None:
    global _replica_down_until
    _replica_down_until = _clock() + REPLICA_RETRY_SECONDS
    logger.warning(
        "The replica does not answer; reading from the primary. Trying it again in %g s.",
        REPLICA_RETRY_SECONDS,
        exc_info=True,
    )


def _replica_reachable() -> bool:
    """Whether the replica answers; a replica that is down must not take the site with it."""
    if _replica_known_down():
        return False
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError:
        _replica_failed()
        return False
    return True


def _mark_writer(response) -> None:
    """Send the writer's reads to the primary until the replica has what they wrote."""
    revision = revisions.current(using=PRIMARY).number
    # Cut to the millisecond, never rounded up: a mark from the future would hold the reader
    # to the primary even with no window at all.
    written_at = math.floor(time.time() * 1000) / 1000
    response.set_signed_cookie(
        STICKY_COOKIE,
        f"{revision}:{written_at:.3f}",
        salt=_STICKY_SALT,
        max_age=REVISION_WAIT_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def _reads_own_writes(request) -> bool:
    """Whether this reader wrote recently enough that the replica may not show it yet."""
    if STICKY_COOKIE not in request.COOKIES:
        return False
    try:
        value = request.get_signed_cookie(
            STICKY_COOKIE, salt=_STICKY_SALT, max_age=REVISION_WAIT_SECONDS
        )
        revision, written_at = value.split(":")
        revision, written_at = int(revision), float(written_at)
    except (signing.BadSignature, ValueError):
        return False
    if time.time() - written_at < settings.DATABASE_REPLICA_STICKY_SECONDS:
        return True
    # Past the window, the primary still while the replica has not replayed the write.
    if _replica_known_down():
        return True
    try:
        return revisions.current(using=REPLICA).number < revision
    except DatabaseError:
        _replica_failed()
        return True
