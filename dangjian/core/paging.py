"""Pagination for large lists: pick the page's keys on the main table, then load its rows.

Two things make Django's plain Paginator slow at district scale (600,000 people):

* it slices the joined queryset, so PostgreSQL joins every matching row before keeping 25;
* with ORDER BY … LIMIT, PostgreSQL likes to walk the sort index and filter as it goes. That is
  ideal when matches are dense (a district admin's whole list) and terrible when they are
  sparse (one community is 1% of the table: page 50 walks 130,000 index entries) or correlated
  with the sort (a search for 王 walks the whole index up to "wang").

So the page's primary keys are chosen by a sub-select on the main table alone, sorted either by
the indexed ordering (walk) or by ``sort_ordering``, an equivalent ordering that no index serves
(sort the matches), whichever reads fewer rows by the estimate below; the joins then run for the
page's rows only. The results and the number of queries are those of the plain Paginator.

A search that is an OR of conditions answered by different indexes (a name: the full name or the
given name) is given as ``branches`` instead: each branch is then read on its own, from an index
that covers it, and their union is counted and sorted (UNION ALL: the branches exclude each
other). PostgreSQL would answer an OR by reading the table's pages of every match. The page's keys
are then read by a query of their own (one query more than the plain Paginator).
"""

import time
from collections.abc import Sequence
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.utils.functional import cached_property

_ESTIMATES: dict[str, tuple[float, int]] = {}
ESTIMATE_TTL = 300.0  # seconds; the estimate only steers a plan choice
SMALL = 2000  # matches that are always cheaper to sort than to look for in an index


def estimated_rows(model: type[Model]) -> int:
    """The table's row count from PostgreSQL's statistics, or an exact count elsewhere; kept in
    the process for ESTIMATE_TTL seconds."""
    now = time.monotonic()
    cached = _ESTIMATES.get(model._meta.db_table)
    if cached and now - cached[0] < ESTIMATE_TTL:
        return cached[1]
    rows = _estimate(model)
    _ESTIMATES[model._meta.db_table] = (now, rows)
    return rows


def _estimate(model: type[Model]) -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
            row = cursor.fetchone()
        if row and row[0] > 0:
            return int(row[0])
    return model._default_manager.count()


class PrimaryKeyPaginator(Paginator):
    def __init__(
        self,
        object_list: QuerySet,
        per_page: int,
        *,
        sort_ordering: Sequence[Any] | None = None,
        always_sort: bool = False,
        count_limit: int | None = None,
        branches: Sequence[Q] = (),
        branch_ordering: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.sort_ordering = tuple(sort_ordering) if sort_ordering else None
        self.always_sort = always_sort
        self.count_limit = count_limit
        self.capped = False
        # The rows of object_list meeting any of ``branches`` (conditions that exclude each
        # other), in the order of ``branch_ordering`` (plain field names), then the primary key.
        self.branches = tuple(branches)
        self.branch_ordering = tuple(branch_ordering)

    @property
    def queryset(self) -> QuerySet:
        """``object_list``, which this paginator requires to be a QuerySet."""
        return cast(QuerySet, self.object_list)

    @cached_property
    def count(self) -> int:
        """The exact count, or ``count_limit`` when there are more (``capped`` then says so):
        counting 57,000 matches of a search costs more than showing its first page."""
        if self.count_limit is None:
            return self._union().count() if self.branches else self.queryset.count()
        keys = self._union() if self.branches else self.queryset.order_by().values("pk")
        found = keys[: self.count_limit + 1].count()
        self.capped = found > self.count_limit
        return min(found, self.count_limit)

    def _ordering(self, bottom: int) -> tuple[Any, ...]:
        indexed = tuple(self.queryset.query.order_by)
        if not self.sort_ordering:
            return indexed
        if self.always_sort or self.count <= SMALL:  # a correlated search, or few matches
            return self.sort_ordering
        # Walking the index reads about (rows to skip and show) / (share of rows that match);
        # sorting reads the matches. Walk only when it reads clearly fewer rows.
        matches = max(self.count, 1)
        table = max(estimated_rows(self.queryset.model), matches)
        walk = (bottom + self.per_page) * table / matches
        return indexed if walk * 4 < matches else self.sort_ordering

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        queryset = self.queryset
        if self.branches:
            ordering: tuple[Any, ...] = (*self.branch_ordering, "pk")
            keys: Any = [row[-1] for row in self._union().order_by(*ordering)[bottom:top]]
        else:
            ordering = self._ordering(bottom)
            keys = queryset.order_by(*ordering).values("pk")[bottom:top]
        rows = queryset.model._default_manager.filter(pk__in=keys)
        rows = rows.select_related(*_select_related(queryset)).order_by(*ordering)
        rows = rows.prefetch_related(*queryset._prefetch_related_lookups)  # type: ignore[attr-defined]  # kept too
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]  # Paginator's own hook

    def _union(self) -> QuerySet:
        """The branches' rows (their ordering fields and key), one index scan each, as UNION ALL."""
        parts = [
            self.queryset.filter(branch).order_by().values_list(*self.branch_ordering, "pk") for branch in self.branches
        ]
        return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


def _select_related(queryset: QuerySet) -> list[str]:
    related = queryset.query.select_related
    if not isinstance(related, dict):
        return []

    def walk(tree: dict, prefix: str = "") -> list[str]:
        names = []
        for name, sub in tree.items():
            names.append(prefix + name)
            names.extend(walk(sub, prefix + name + "__"))
        return names

    return walk(related)
