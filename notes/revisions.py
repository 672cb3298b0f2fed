"""The content revision: a number that moves on every committed change to public content.

The API's ETags and Last-Modified dates come from it, so deciding that a client's copy is
still current costs one indexed read instead of building the response. Writers bump it inside
their own transaction; the row lock makes concurrent writers take turns, so the number grows
in commit order and a reader never sees a revision that hides a committed change.

A long transaction of many writes (an import batch) bumps once, at its end, inside
`deferred()`: other writers then wait for the row lock only from there to the commit, not
from its first write.

Each process trusts the revision it read for `CONTENT_REVISION_TRUST_SECONDS` (one second by
default) before reading it again: HTTP dates have a one-second grain, so `Last-Modified` is
never more precise than that, and a busy API then reads the row once a second instead of once
a request. A process that writes forgets its copy at once.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import router, transaction
from django.db.models import F, Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from notes.models import ContentRevision


@dataclass(frozen=True, slots=True)
class Revision:
    number: int
    changed_at: datetime


#: The revision this process read last from each database alias, and when (time.monotonic()).
_remembered: dict[str, tuple[float, Revision]] = {}


def current(*, using: str | None = None) -> Revision:
    """The content revision, as the database `using` has it.

    By default, the alias public content is read from here and now (`notes.routing`): a
    response's validators must name the revision of the rows it is built from, and a replica
    may be behind the primary.
    """
    if using is None:
        using = router.db_for_read(ContentRevision)
    now = time.monotonic()
    remembered = _remembered.get(using)
    if remembered is not None and now - remembered[0] < settings.CONTENT_REVISION_TRUST_SECONDS:
        return remembered[1]
    row = (
        ContentRevision.objects.using(using)
        .filter(pk=1)
        .values_list("number", "changed_at")
        .first()
    )
    revision = Revision(*row) if row else Revision(0, datetime(2000, 1, 1, tzinfo=UTC))
    _remembered[using] = (now, revision)
    return revision


def forget() -> None:
    """Make the next `current()` of this process read the revision again."""
    _remembered.clear()


class _Deferral(threading.local):
    """This thread's `deferred()` blocks: how deep, and whether a change waits for a bump."""

    depth = 0
    changed = False


_deferral = _Deferral()


@contextmanager
def deferred() -> Iterator[None]:
    """Bump the revision once, as the block ends, for all the changes made in it.

    Use it inside the transaction that makes the changes, around all of them: the bump must
    be part of that transaction. Nested blocks leave the bump to the outermost. A block left by
    an exception bumps nothing, as its transaction is expected to roll back.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("revisions.deferred() must run inside a transaction.")
    _deferral.depth += 1
    try:
        yield
    finally:
        _deferral.depth -= 1
        changed = _deferral.changed and _deferral.depth == 0
        if _deferral.depth == 0:
            _deferral.changed = False
    if changed:
        bump()


def bump() -> None:
    """Record that public content changed in the current transaction.

    Inside `deferred()` the change is only noted, and the block bumps as it ends.
    """
    if _deferral.depth:
        _deferral.changed = True
        return
    with transaction.atomic():
        updated = ContentRevision.objects.filter(pk=1).update(
            number=F("number") + 1, changed_at=timezone.now()
        )
        if not updated:
            ContentRevision.objects.get_or_create(
                pk=1, defaults={"number": 1, "changed_at": timezone.now()}
            )
    # Now, for this transaction's own reads, and after the commit, for everyone else's.
    forget()
    transaction.on_commit(forget)


def track(*models: type[Model]) -> None:
    """Bump the revision whenever a row of `models` is saved or deleted.

    The revision is derived data, like a cache key, so signal receivers are the right tool:
    they catch every write path (services, admin forms, history reverts) without each one
    having to remember. Bulk paths send no signals and call `bump` themselves.
    """
    for model in models:
        uid = f"content-revision:{model._meta.label}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid, weak=False)
        post_delete.connect(_changed, sender=model, dispatch_uid=uid, weak=False)
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _changed, sender=field.remote_field.through, dispatch_uid=uid, weak=False
            )


def _changed(**kwargs) -> None:
    if kwargs.get("action", "post_").startswith("post_"):
        bump()
