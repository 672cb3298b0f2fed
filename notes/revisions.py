"""The content revision: a number that moves on every committed change to public content.

The API's ETags and Last-Modified dates come from it, so deciding that a client's copy is
still current costs one indexed read instead of building the response. Writers bump it inside
their own transaction; the row lock makes concurrent writers take turns, so the number grows
in commit order and a reader never sees a revision that hides a committed change.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import F, Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from notes.models import ContentRevision


@dataclass(frozen=True, slots=True)
class Revision:
    number: int
    changed_at: datetime


def current() -> Revision:
    # Raw SQL: every API read asks this first, and the ORM takes several times longer to build
    # the query than the database takes to answer it.
    with connection.cursor() as cursor:
        cursor.execute(_CURRENT_SQL)
        row = cursor.fetchone()
    if row is None:
        return Revision(0, datetime(2000, 1, 1, tzinfo=UTC))
    number, changed_at = row
    if isinstance(changed_at, str):  # SQLite's raw rows hold text
        changed_at = datetime.fromisoformat(changed_at).replace(tzinfo=UTC)
    return Revision(number, changed_at)


_CURRENT_SQL = f"SELECT number, changed_at FROM {ContentRevision._meta.db_table} WHERE id = 1"


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
