"""The admin's lists at a million rows: estimated counts, page-only annotations, indexed search.

Django's change list counts its rows exactly on every page (twice, with the unfiltered total),
reads every column, and searches with `ILIKE` across joins. On a table of a million claims each
of those costs seconds. `ScaleAdminMixin` makes a list cost what its page does:

- `EstimatedCountPaginator`: past `ESTIMATE_THRESHOLD` rows, the count is PostgreSQL's estimate
  (`pg_class.reltuples` for the whole table, the planner's row estimate for a filtered list);
  below it, and on SQLite, an exact `COUNT(*)`. No unfiltered total is counted at all.
- `page_annotations`: counts and other aggregates computed for the rows of the page only, by a
  second query over their ids, instead of for every row of the table before the LIMIT.
- `search_vector` deferred, on the model and on the relations the list joins.
- `full_text_search`: the list's search through a full-text index instead of `ILIKE`; a search
  that may match a row twice is the admin class's to avoid (no DISTINCT is added).
"""

import json
from collections.abc import Callable

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

#: Rows from which a list's count is PostgreSQL's estimate rather than an exact `COUNT(*)`.
#: Far above what an exact count costs little on, far below where it costs seconds.
ESTIMATE_THRESHOLD = 100_000


def estimated_count(queryset: QuerySet) -> int | None:
    """PostgreSQL's estimate of the rows of `queryset`; None on other databases, or for a
    table never analyzed."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    if not queryset.query.has_filters():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                [connection.ops.quote_name(queryset.model._meta.db_table)],
            )
            row = cursor.fetchone()
        return int(row[0]) if row and row[0] >= 0 else None
    plan = queryset.order_by().values("pk").explain(format="json")
    if not plan:
        # Django explains nothing for a query it knows matches no row (`.none()`, `pk__in=[]`).
        return 0
    return int(json.loads(plan)[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """Pages whose count, past `ESTIMATE_THRESHOLD` rows, is PostgreSQL's estimate."""

    @cached_property
    def count(self) -> int:
        estimate = estimated_count(self.object_list)
        if estimate is not None and estimate >= ESTIMATE_THRESHOLD:
            return estimate
        return super().count


class ScaleAdminMixin:
    """A `ModelAdmin` whose change list costs what its page does, whatever the table's size."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    #: Annotations for the rows of a page only: name → expression (a `Count`, a `Subquery`).
    #: Columns showing them cannot be sorted by: sorting a million rows by a count is the very
    #: cost this avoids.
    page_annotations: dict = {}
    #: `(queryset, search term) -> queryset` through a full-text index; None keeps Django's.
    full_text_search: Callable[[QuerySet, str], QuerySet] | None = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        deferred = [
            f"{prefix}search_vector"
            for prefix, model in self._list_models()
            if any(field.name == "search_vector" for field in model._meta.concrete_fields)
        ]
        return queryset.defer(*deferred) if deferred else queryset

    def _list_models(self):
        yield "", self.model
        if isinstance(self.list_select_related, list | tuple):
            for name in self.list_select_related:
                model = self.model
                for part in name.split("__"):
                    model = model._meta.get_field(part).related_model
                yield f"{name}__", model

    def get_search_results(self, request, queryset, search_term):
        if self.full_text_search is None or not search_term.strip():
            return super().get_search_results(request, queryset, search_term)
        return type(self).full_text_search(queryset, search_term.strip()), False

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        page = list(changelist.result_list)
        if self.page_annotations and page:
            names = list(self.page_annotations)
            values = (
                self.model._default_manager.filter(pk__in=[row.pk for row in page])
                .order_by()
                .annotate(**self.page_annotations)
                .values_list("pk", *names)
            )
            by_pk = {pk: dict(zip(names, rest, strict=True)) for pk, *rest in values}
            for row in page:
                for name, value in by_pk.get(row.pk, {}).items():
                    setattr(row, name, value)
        changelist.result_list = page
        return changelist
