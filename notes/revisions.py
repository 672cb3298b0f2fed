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

Each kind of content (`KINDS`) also keeps the site's number as it stood at its own last change,
so a response built from claims and speakers, say, is current until one of those two kinds
changes (`current_of`): an edited claim leaves the speakers list's ETag alone. Every bump moves
the site's number, and the kinds it names take that new number, so the latest change among any
set of kinds is the one with the highest number, and no two states of one set share a number.
`bump()` without kinds changes them all.

The detail of one object (a claim's page, say) has a revision of its own as well
(`ObjectRevision`): a change that names the objects whose details it touches (`bump(objects=)`,
or `track(details=)` for saved rows) moves theirs and no other's, so approving an argument for
one claim leaves every other claim's ETag alone. A change that cannot name them (a bulk import,
a load) moves every object's detail of its kinds at once (`KindRevision.every_object_number`).
`current_of(detail=)` reads both.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import router, transaction
from django.db.models import DateTimeField, F, Model, PositiveBigIntegerField, Subquery, Value
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.utils import timezone

from notes.models import ContentRevision, KindRevision, ObjectRevision

#: The kinds of public content, each with a revision of its own. A channel belongs to its
#: videos, an appearance and a claim's topics to its claim.
KINDS = ("claims", "arguments", "speakers", "topics", "videos", "notes")

#: For each kind of object with a detail revision, the kinds whose changes to what its detail
#: shows name it: a claim's detail shows its appearances, its arguments and their premises,
#: each a change of "claims" or "arguments" that names the claims it shows up in.
DETAIL_KINDS = {"claims": ("claims", "arguments")}

#: A `(kind, id)` pair: the object of `kind` whose detail a change touches.
Detail = tuple[str, int]


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


#: Before any change: the revision of a kind that never changed.
_NEVER = Revision(0, datetime(2000, 1, 1, tzinfo=UTC))

#: The revisions of the kinds this process read last from each database alias, and when
#: (time.monotonic()).
_remembered_kinds: dict[str, tuple[float, dict[str, Revision]]] = {}


def current_of(
    kinds: Iterable[str], *, detail: Detail | None = None, using: str | None = None
) -> Revision:
    """The revision of what is built from `kinds`: their latest change, as `using` has it.

    With `detail`, the answer is that object's detail: its own revision stands for the kinds
    of `DETAIL_KINDS` (changes to other objects of those kinds leave it alone), and `kinds`
    name what else it shows.

    All kinds are read in one query and trusted like `current()`'s revision, so a request
    that knows its kinds costs a lookup in this process's memory most of the time; an object's
    revision is trusted as long. By default they are read from the alias public content is
    read from here and now, as in `current()`.
    """
    if using is None:
        using = router.db_for_read(KindRevision)
    by_kind, own = _revisions(using, detail)
    candidates = [by_kind.get(kind, (_NEVER, _NEVER))[0] for kind in kinds]
    if detail is not None:
        covered = DETAIL_KINDS[detail[0]]
        candidates = [
            by_kind.get(name, (_NEVER, _NEVER))[0] for name in kinds if name not in covered
        ]
        candidates += [by_kind.get(name, (_NEVER, _NEVER))[1] for name in covered]
        candidates.append(own)
    return max(candidates, key=lambda revision: revision.number, default=_NEVER)


#: How many objects' revisions a process remembers, the least recently read forgotten first.
_REMEMBERED_OBJECTS = 4096

#: The object revisions this process read last, by (alias, kind, id): when, and what.
_remembered_objects: OrderedDict[tuple[str, str, int], tuple[float, Revision]] = OrderedDict()

#: Stands for the object's row among the kinds' rows of `_revisions`' one query.
_OBJECT_ROW = "#object"


def _revisions(
    using: str, detail: Detail | None
) -> tuple[dict[str, tuple[Revision, Revision]], Revision]:
    """Each kind's revision and every-object revision, and the revision of `detail`'s object,
    as `using` has them: from this process's memory when it is recent, else in one query."""
    now = time.monotonic()
    trusted = settings.CONTENT_REVISION_TRUST_SECONDS
    remembered = _remembered_kinds.get(using)
    by_kind = remembered[1] if remembered and now - remembered[0] < trusted else None
    own, key = _NEVER, None
    if detail is not None:
        key = (using, *detail)
        known = _remembered_objects.get(key)
        if known is not None and now - known[0] < trusted:
            _remembered_objects.move_to_end(key)
            own, key = known[1], None
    if by_kind is not None and key is None:
        return by_kind, own
    rows = ObjectRevision.objects.using(using).none()
    if key is not None:
        rows = (
            ObjectRevision.objects.using(using)
            .filter(kind=detail[0], object_id=detail[1])
            .annotate(
                row=Value(_OBJECT_ROW),
                every_number=Value(0, output_field=PositiveBigIntegerField()),
                every_changed_at=Value(None, output_field=DateTimeField()),
            )
            .values_list("row", "number", "changed_at", "every_number", "every_changed_at")
        )
    if by_kind is None:
        kinds = KindRevision.objects.using(using).values_list(
            "kind", "number", "changed_at", "every_object_number", "every_object_changed_at"
        )
        rows = kinds.union(rows, all=True) if key is not None else kinds
    fetched = list(rows)
    if by_kind is None:
        by_kind = {
            kind: (Revision(number, changed_at), Revision(every, every_at or changed_at))
            for kind, number, changed_at, every, every_at in fetched
            if kind != _OBJECT_ROW
        }
        _remembered_kinds[using] = (now, by_kind)
    if key is not None:
        own = next((Revision(n, at) for kind, n, at, *_ in fetched if kind == _OBJECT_ROW), _NEVER)
        _remembered_objects[key] = (now, own)
        while len(_remembered_objects) > _REMEMBERED_OBJECTS:
            _remembered_objects.popitem(last=False)
    return by_kind, own


def detail_of(kind: str, pk: object) -> Detail | None:
    """`(kind, id)` for a key from a URL, or None when it names no object (the view's 404)."""
    text = str(pk)
    if text.isascii() and text.isdigit() and len(text) < 19:
        return kind, int(text)
    return None


def forget() -> None:
    """Make the next `current()` of this process read the revision again."""
    _remembered.clear()
    _remembered_kinds.clear()
    _remembered_objects.clear()


class _Deferral(threading.local):
    """This thread's `deferred()` blocks: how deep, and which kinds changed, waiting for a bump."""

    depth = 0

    def __init__(self) -> None:
        self.kinds: set[str] = set()
        # Kinds changed without naming their objects, and the objects named.
        self.every_object: set[str] = set()
        self.details: set[Detail] = set()


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
        changed, every_object, details = set(), set(), set()
        if _deferral.depth == 0:
            changed, every_object, details = (
                _deferral.kinds,
                _deferral.every_object,
                _deferral.details,
            )
            _deferral.kinds, _deferral.every_object, _deferral.details = set(), set(), set()
    if changed:
        _write_bump(sorted(changed), every_object, details)


def bump(*kinds: str, details: Iterable[Detail] | None = None) -> None:
    """Record that public content of `kinds` (all of them when none is named) changed in the
    current transaction.

    `details` names the objects whose details the change touched (`(kind, id)` pairs; see
    `DETAIL_KINDS`); without it, every object's detail of `kinds` may have changed. An empty
    `details` says that no detail did (a change seen only in lists and searches).

    Inside `deferred()` the change is only noted, and the block bumps as it ends.
    """
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"Unknown kinds of content: {', '.join(sorted(unknown))}.")
    kinds = tuple(dict.fromkeys(kinds)) or KINDS
    named = set() if details is None else {(kind, int(pk)) for kind, pk in details}
    unnamed = set(kinds) if details is None else set()
    if _deferral.depth:
        _deferral.kinds.update(kinds)
        _deferral.every_object.update(unnamed)
        _deferral.details.update(named)
        return
    _write_bump(kinds, unnamed, named)


def _write_bump(kinds: Iterable[str], every_object: set[str], details: set[Detail]) -> None:
    kinds = tuple(kinds)
    changed_at = timezone.now()
    with transaction.atomic():
        # The site's row first: its lock makes writers take turns, whatever kinds they change.
        updated = ContentRevision.objects.filter(pk=1).update(
            number=F("number") + 1, changed_at=changed_at
        )
        if not updated:
            ContentRevision.objects.get_or_create(
                pk=1, defaults={"number": 1, "changed_at": changed_at}
            )
        site_number = Subquery(ContentRevision.objects.filter(pk=1).values("number")[:1])
        updated = KindRevision.objects.filter(kind__in=kinds).update(
            number=site_number, changed_at=changed_at
        )
        if every_object:
            KindRevision.objects.filter(kind__in=every_object).update(
                every_object_number=site_number, every_object_changed_at=changed_at
            )
        number = None
        if updated < len(kinds):
            # A kind's first change (rows are made by a migration, so only after a flush).
            number = ContentRevision.objects.values_list("number", flat=True).get(pk=1)
            KindRevision.objects.bulk_create(
                [
                    KindRevision(
                        kind=kind,
                        number=number,
                        changed_at=changed_at,
                        every_object_number=number if kind in every_object else 0,
                        every_object_changed_at=changed_at if kind in every_object else None,
                    )
                    for kind in kinds
                ],
                update_conflicts=True,
                unique_fields=["kind"],
                update_fields=["number", "changed_at"],
            )
        if details:
            if number is None:
                number = ContentRevision.objects.values_list("number", flat=True).get(pk=1)
            ObjectRevision.objects.bulk_create(
                [
                    ObjectRevision(kind=kind, object_id=pk, number=number, changed_at=changed_at)
                    for kind, pk in sorted(details)
                ],
                update_conflicts=True,
                unique_fields=["kind", "object_id"],
                update_fields=["number", "changed_at"],
            )
    # Now, for this transaction's own reads, and after the commit, for everyone else's.
    forget()
    transaction.on_commit(forget)


def track(
    *models: type[Model],
    kind: str,
    details: Callable[[Model], Iterable[Detail]] | None = None,
) -> None:
    """Bump the revision of `kind` whenever a row of `models` is saved or deleted, or the
    rows a many-to-many field of theirs links change.

    `details(row)` names the objects whose details show the row (see `DETAIL_KINDS`).

    The revision is derived data, like a cache key, so signal receivers are the right tool:
    they catch every write path (services, admin forms, history reverts) without each one
    having to remember. Bulk paths send no signals and call `bump` themselves.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of content: {kind}.")

    def changed(instance=None, **kwargs) -> None:
        action = kwargs.get("action", "post_")
        if not action.startswith("post_"):
            return
        # From a many-to-many field's other side (`topic.claims.add()`, rare), `instance` is
        # not one of `models`: every detail of the kind may have changed.
        if details is None or kwargs.get("reverse"):
            bump(kind)
        else:
            bump(kind, details=details(instance))

    for model in models:
        uid = f"content-revision:{model._meta.label}"
        post_save.connect(changed, sender=model, dispatch_uid=uid, weak=False)
        post_delete.connect(changed, sender=model, dispatch_uid=uid, weak=False)
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                changed, sender=field.remote_field.through, dispatch_uid=uid, weak=False
            )


def track_changes(
    model: type[Model], *, fields: Iterable[str], kind: str, naming: str | None = None
) -> None:
    """Bump the revision of `kind` when a row of `model` is saved with one of `fields` changed
    and, with `naming` (a foreign key), when a row naming something there is created or deleted,
    or a change touches a row that names something there before or after it.

    For what another kind shows of `model`'s rows: which speakers the public sees depends on the
    status of claims and on which appearances and arguments name them, not on a claim's text,
    so a claim's edit leaves the speakers list current while its publication moves it. A save
    naming its `update_fields` (the services' saves) changed those; a full save is compared
    with the stored row, one query.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of content: {kind}.")
    attnames = {model._meta.get_field(name).attname for name in fields}
    named = model._meta.get_field(naming).attname if naming else None
    flag = f"_bumps_{kind}"

    def names_something(values: Mapping[str, object]) -> bool:
        return named is None or values.get(named) is not None

    def before_save(instance, raw=False, using=None, update_fields=None, **kwargs) -> None:
        now = {name: getattr(instance, name) for name in (*attnames, *filter(None, [named]))}
        if instance._state.adding:
            setattr(instance, flag, named is not None and names_something(now))
            return
        if update_fields is not None:
            saved = {model._meta.get_field(name).attname for name in update_fields}
            # A field the save writes is one the services changed: what it held is unknown,
            # so a row that names nothing now may have named something before.
            changed = attnames & saved
            touches = named in saved or names_something(now)
        else:
            stored = model._base_manager.using(using).filter(pk=instance.pk).values(*now).first()
            if stored is None:
                setattr(instance, flag, named is not None and names_something(now))
                return
            changed = {name for name in attnames if stored[name] != now[name]}
            touches = names_something(now) or names_something(stored)
        setattr(instance, flag, bool(changed) and touches)

    def after_save(instance, **kwargs) -> None:
        if instance.__dict__.pop(flag, False):
            bump(kind)

    def after_delete(instance, **kwargs) -> None:
        if named is not None and getattr(instance, named) is not None:
            bump(kind)

    uid = f"content-revision:{model._meta.label}:{kind}"
    pre_save.connect(before_save, sender=model, dispatch_uid=uid, weak=False)
    post_save.connect(after_save, sender=model, dispatch_uid=uid, weak=False)
    post_delete.connect(after_delete, sender=model, dispatch_uid=uid, weak=False)
