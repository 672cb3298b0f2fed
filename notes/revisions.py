"""The content revision: a number that moves on every committed change to public content.

The API's ETags and Last-Modified dates come from it, so deciding that a client's copy is
still current costs one indexed read instead of building the response. Writers bump it inside
their own transaction; the row lock makes concurrent writers take turns, so the number grows
in commit order and a reader never sees a revision that hides a committed change.

Each process trusts the revision it read for `CONTENT_REVISION_TRUST_SECONDS` (one second by
default) before reading it again: HTTP dates have a one-second grain, so `Last-Modified` is
never more precise than that, and a busy API then reads the row once a second instead of once
a request. A process that writes forgets its copy at once.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from notes.models import ContentRevision


@dataclass(frozen=True, slots=True)
class Revision:
    number: int
    changed_at: datetime


#: The revision this process read last, and when (time.monotonic()).
_remembered: tuple[float, Revision] | None = None


def current() -> Revision:
    global _remembered
    now = time.monotonic()
    remembered = _remembered
    if remembered is not None and now - remembered[0] < settings.CONTENT_REVISION_TRUST_SECONDS:
        return remembered[1]
    row = ContentRevision.objects.filter(pk=1).values_list("number", "changed_at").first()
    revision = Revision(*row) if row else Revision(0, datetime(2000, 1, 1, tzinfo=UTC))
    _remembered = (now, revision)
    return revision


def forget() -> None:
    """Make the next `current()` of this process read the revision again."""
    global _remembered
    _remembered = None


def bump() -> None:
    """Record that public content changed in the current transaction."""
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
