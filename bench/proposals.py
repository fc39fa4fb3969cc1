"""EXPERIMENT ONLY: the query changes proposed in docs/performance.md, applied by monkeypatching
inside the benchmark process so that their effect on whole pages can be measured
(``python bench/run.py --proposals``). Nothing here is used by the application; each change has
to be made properly in the application code (and the indexes as migrations) to take effect.

P1  access layer: drop the "own record" branch of the access filter (``OR person.id = <me>``)
    when the user's own record is already inside their region/organisation grants. The OR
    spans two tables (person and region), so PostgreSQL cannot use any index for it and scans
    all 600,000 people even for a community secretary.
P2  people search: when a search box filter is active, order by ``name_pinyin COLLATE "C"``
    (same order for the lower-case ASCII pinyin) so that PostgreSQL cannot walk the
    name_pinyin index looking for 25 matches (which are clustered: "zs" → all "zhang s…",
    so it reads ~500,000 rows first) and uses the selective search index + a top-N sort.
P3  name search: also require ``string_to_array(name, NULL) @> ARRAY[chars]``, which a GIN
    index can answer (needs, by hand here / as a migration in the application:
    ``CREATE INDEX person_name_chars_gin ON people_person USING gin (string_to_array(name, NULL))``).
    Unlike pg_trgm this works for one- and two-character Chinese queries.
P4  workbench tag counts: count rows of the person↔tag table whose person is in scope
    (a top-level ``IN``, i.e. a semi-join) instead of ``COUNT(...) FILTER (WHERE person_id IN
    (subquery))``, which PostgreSQL evaluates as a SubPlan once per tag row and which, when the
    scope's 600,000 ids do not fit in work_mem, rescans them for each of the 71,742 rows.
P5  org tree: the children of all roots in one query and the member counts of all roots and
    their children in one GROUP BY, instead of 1 + 2 queries per root (a district admin has
    10 roots, the street working committees: 36 queries → 9, whatever the number of roots).
"""

from __future__ import annotations

import dataclasses
from typing import Any

APPLIED: list[str] = []


from actors import bench_actor as _actor  # noqa: E402 - bench/actors.py, beside this script


def apply() -> list[str]:
    """Patch the 399a4a0-era code. Since 21c748b the application has its own versions of these
    changes (core.paging, restrict_via, constant-query trees…): patching it would replace them."""
    import importlib.util

    if importlib.util.find_spec("dangjian.core.paging") is not None:
        raise SystemExit(
            "bench/proposals.py: not applicable, the application already contains its own versions of "
            "these changes (since commit 21c748b); run without --proposals."
        )
    if APPLIED:
        return APPLIED
    _p1_access_own_record()
    _p2_p3_search()
    _p4_tag_counts()
    _p5_org_tree()
    return APPLIED


def _p1_access_own_record() -> None:
    from dangjian.core import access

    original = access.q_for
    memo: dict[tuple, bool] = {}

    def q_for(model, scope, action):
        rule = access.rule_for(model)
        if scope.superuser or not (rule.person and scope.person_id and action in rule.self_actions):
            return original(model, scope, action)
        without_self = dataclasses.replace(scope, person_id=None)
        q = original(model, without_self, action)
        if q is None or q == access.Q(pk__in=[]):
            return original(model, scope, action)
        # Is the user's own record already covered? (In the application this belongs in
        # build_scope, which already loads the user's person: one indexed lookup per model.)
        key = (model, scope.user_id, scope.person_id, action, q.deconstruct().__repr__())
        if key not in memo:
            own = model._default_manager.filter(**{rule.person: scope.person_id})
            memo[key] = not own.exclude(q).exists()
        return q if memo[key] else original(model, scope, action)

    access.q_for = q_for
    APPLIED.append("P1 access: no own-record OR when the own record is inside the grants")


def _p2_p3_search() -> None:
    from django.contrib.postgres.fields import ArrayField
    from django.contrib.postgres.lookups import DataContains
    from django.db.models import F, Func, Q, TextField, Value
    from django.db.models.functions import Collate

    from dangjian.people import selectors

    original_filter = selectors.search_filter
    original_list = selectors.people_list

    def search_filter(query: str) -> Q | None:
        q = original_filter(query)
        if q is None:
            return None
        children = getattr(q, "children", [])
        if len(children) == 1 and isinstance(children[0], tuple) and children[0][0] == "name__contains":
            text = children[0][1]
            chars = Func(F("name"), Value(None), function="string_to_array", output_field=ArrayField(TextField()))
            wanted = Value(sorted(set(text)), output_field=ArrayField(TextField()))
            return Q(DataContains(chars, wanted)) & q
        return q

    def people_list(*, user: Any, filters: Any, today: Any = None):
        qs = original_list(user=user, filters=filters, today=today)
        if original_filter(filters.q) is not None:
            qs = qs.order_by(Collate("name_pinyin", "C"), "id")
        return qs

    selectors.search_filter = search_filter
    selectors.people_list = people_list
    APPLIED.append('P2 search: ORDER BY name_pinyin COLLATE "C" when searching')
    APPLIED.append("P3 name search: string_to_array(name, NULL) @> chars (GIN-indexable) AND name LIKE")


def _p4_tag_counts() -> None:
    from django.db.models import Count

    from dangjian.core.access import VIEW, restrict
    from dangjian.people import selectors
    from dangjian.people.models import Person, PersonStatus, Tag, TagKind

    def tag_counts(*, user: Any) -> list[dict[str, Any]]:
        people = restrict(Person.objects.filter(status=PersonStatus.ACTIVE), _actor(user), VIEW)
        counts = dict(
            Person.tags.through.objects.filter(tag__kind=TagKind.PERSON, person__in=people.values("pk"))
            .values_list("tag_id")
            .annotate(n=Count("*"))
            .order_by()
        )
        return [
            {"pk": pk, "name": name, "n": counts.get(pk, 0)}
            for pk, name in Tag.objects.filter(kind=TagKind.PERSON).order_by("sort_order").values_list("pk", "name")
        ]

    selectors.tag_counts = tag_counts
    APPLIED.append("P4 workbench: tag counts by a semi-join on the person-tag table")


def _p5_org_tree() -> None:
    import operator
    from functools import reduce

    from django.db.models import Count, Q
    from django.db.models.functions import Substr
    from django.shortcuts import render
    from django.urls import get_resolver
    from django.utils import timezone
    from django.views.decorators.http import require_GET

    from dangjian.core.access import VIEW, restrict
    from dangjian.core.models import PATH_STEP
    from dangjian.orgs import selectors as org_selectors
    from dangjian.orgs.models import Organization
    from dangjian.people.models import Member, MembershipStatus

    @require_GET
    def org_tree(request):
        user = request.user
        roots = list(org_selectors.org_roots(actor=_actor(user)))
        children: dict[int, list] = {root.pk: [] for root in roots}
        counts: dict[str, int] = {}
        if roots:
            for child in restrict(
                Organization.objects.filter(parent__in=roots).select_related("region"),
                _actor(user),
                VIEW,
            ).order_by("sort_order", "path"):
                children[child.parent_id].append(child)
            members = restrict(Member.objects.filter(status=MembershipStatus.NORMAL), _actor(user), VIEW)
            by_length: dict[int, list[str]] = {}
            for root in roots:
                by_length.setdefault(len(root.path), []).append(root.path)
            for length, paths in by_length.items():  # one query when the roots are on one level
                under = reduce(operator.or_, [Q(organization__path__startswith=path) for path in paths])
                rows = (
                    members.filter(under)
                    .annotate(child=Substr("organization__path", 1, length + PATH_STEP))
                    .values("child")
                    .annotate(n=Count("pk"))
                    .order_by()
                )
                for row in rows:
                    counts[row["child"]] = row["n"]
                    root_path = row["child"][:length]
                    counts[root_path + "*"] = counts.get(root_path + "*", 0) + row["n"]
        branches = [
            {
                "node": root,
                "count": counts.get(root.path + "*", 0),
                "children": [{"node": c, "count": counts.get(c.path, 0)} for c in children[root.pk]],
            }
            for root in roots
        ]
        return render(request, "dashboard/org_tree.html", {"branches": branches, "today": timezone.localdate()})

    for pattern in get_resolver().url_patterns:
        for sub in getattr(pattern, "url_patterns", []):
            if getattr(sub, "name", None) == "org_tree":
                sub.callback = org_tree
    APPLIED.append("P5 org tree: children and member counts of all roots in 2 queries")
