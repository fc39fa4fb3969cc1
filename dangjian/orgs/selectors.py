"""Reads of the region and organisation trees, through the access layer.

Subtree counts use the fixed-width materialised path: every child of a node has a path of
the same length, so one GROUP BY on the path prefix counts all children's subtrees at once.
"""

import datetime as dt
import operator
from collections.abc import Sequence
from functools import reduce
from typing import Any

from django.db.models import CharField, Count, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Substr
from django.http import Http404

from dangjian.core.access import VIEW, minimal_paths, restrict
from dangjian.core.actors import Actor
from dangjian.core.models import PATH_STEP, TreeNode
from dangjian.orgs.models import Organization, Region, ResidentUnit, ServiceSite


def _roots(qs: QuerySet) -> QuerySet:
    """The topmost nodes of a restricted tree queryset (those whose ancestors are not in it)."""
    paths = minimal_paths(qs.values_list("path", flat=True))
    return qs.filter(path__in=paths)


def org_roots(*, actor: Actor) -> QuerySet[Organization]:
    return _roots(restrict(Organization.objects.all(), actor, VIEW)).select_related("region")


def region_roots(*, actor: Actor) -> QuerySet[Region]:
    return _roots(restrict(Region.objects.all(), actor, VIEW))


def open_regions(*, actor: Actor, action: str, levels: tuple[str, ...]) -> QuerySet[Region]:
    """The regions of ``levels`` not closed where ``actor`` may ``action``, with their parents
    (choices of where to work, shown with their place), in tree order."""
    regions = Region.objects.filter(level__in=levels, closed_on__isnull=True)
    return restrict(regions, actor, action).select_related("parent").order_by("path")


def site_for(*, actor: Actor, pk: int) -> ServiceSite:
    site = restrict(ServiceSite.objects.select_related("region", "organization"), actor, VIEW).filter(pk=pk).first()
    if site is None:
        raise Http404
    return site


def unit_for(*, actor: Actor, pk: int) -> ResidentUnit:
    unit = restrict(ResidentUnit.objects.select_related("region"), actor, VIEW).filter(pk=pk).first()
    if unit is None:
        raise Http404
    return unit


def units_in(*, actor: Actor, region: Region) -> QuerySet[ResidentUnit]:
    return restrict(ResidentUnit.objects.filter(region__path__startswith=region.path), actor, VIEW).order_by("name")


def organization_for(*, actor: Actor, pk: int) -> Organization:
    org = restrict(Organization.objects.select_related("region", "parent"), actor, VIEW).filter(pk=pk).first()
    if org is None:
        raise Http404
    return org


def region_for(*, actor: Actor, pk: int) -> Region:
    region = restrict(Region.objects.select_related("parent"), actor, VIEW).filter(pk=pk).first()
    if region is None:
        raise Http404
    return region


def org_children(*, actor: Actor, parent: Organization) -> list[Organization]:
    return children_of(actor=actor, parents=[parent])[parent.pk]


def region_children(*, actor: Actor, parent: Region) -> list[Region]:
    return children_of(actor=actor, parents=[parent])[parent.pk]


def ancestors(*, actor: Actor, node: Organization | Region) -> list[Any]:
    """Breadcrumb: the node's ancestors that the user may see, top first."""
    model = type(node)
    return list(restrict(model.objects.filter(path__in=node.ancestor_paths()), actor, VIEW).order_by("path"))


def subtree_counts(queryset: QuerySet, path_lookup: str, parent_paths: list[str], *, level: int = 1) -> dict[str, int]:
    """{node path: rows of ``queryset`` in that node's subtree} for the nodes ``level`` levels
    below each of ``parent_paths`` (level=0: the parents themselves). One GROUP BY per distinct
    depth of the parents (usually one), whatever the size of the tree."""
    by_length: dict[int, list[str]] = {}
    for path in parent_paths:
        by_length.setdefault(len(path), []).append(path)
    counts: dict[str, int] = {}
    for length, paths in by_length.items():
        under = reduce(operator.or_, (Q(**{f"{path_lookup}__startswith": path}) for path in paths))
        rows = (
            queryset.filter(under)
            .annotate(node_path=Substr(path_lookup, 1, length + level * PATH_STEP))
            .values("node_path")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts.update({row["node_path"]: row["n"] for row in rows})
    return counts


def children_of(*, actor: Actor, parents: Sequence[TreeNode]) -> dict[int, list[Any]]:
    """{parent id: its children that the user may see}, for several parents of one model in one query."""
    if not parents:
        return {}
    model: Any = type(parents[0])  # Region or Organization (the ORM plugin of mypy cannot follow an abstract base)
    children: dict[int, list[Any]] = {parent.pk: [] for parent in parents}
    queryset = restrict(model.objects.filter(parent__in=parents), actor, VIEW).order_by("sort_order", "path")
    if model is Organization:
        queryset = queryset.select_related("region")
    for child in queryset:
        children[child.parent_id].append(child)
    return children


def term_reminders(*, actor: Actor, within_days: int) -> QuerySet[Organization]:
    """Organisations whose committee term ends within ``within_days`` or has already ended (换届)."""
    today = actor.today
    return (
        restrict(Organization.objects.filter(term_ends_on__isnull=False), actor, VIEW)
        .filter(term_ends_on__lte=today + dt.timedelta(days=within_days))
        .select_related("region")
        .order_by("term_ends_on")
    )


def sites_for_region(*, actor: Actor, region: Region) -> QuerySet[ServiceSite]:
    """Service sites in or above ``region`` (a resident sees their community's centre)."""
    paths = [*region.ancestor_paths(), region.path]
    return (
        ServiceSite.objects.filter(region__path__in=paths)
        .prefetch_related("rooms")
        .select_related("region")
        .order_by("-region__depth")
    )


def sites_in(*, actor: Actor, region: Region) -> QuerySet[ServiceSite]:
    return restrict(ServiceSite.objects.filter(region__path__startswith=region.path), actor, VIEW).prefetch_related(
        "rooms"
    )


def units(*, actor: Actor) -> QuerySet[ResidentUnit]:
    return restrict(ResidentUnit.objects.select_related("region"), actor, VIEW)


def organizations_serving(*, actor: Actor, region: Region) -> QuerySet[Organization]:
    return restrict(Organization.objects.filter(region=region), actor, VIEW).order_by("path")


def _history_model(model: type[TreeNode]) -> Any:
    from dangjian.orgs.models import OrganizationPath, RegionPath

    return RegionPath if issubclass(model, Region) else OrganizationPath


def _covering(day: dt.date) -> Q:
    return Q(valid_until__gt=day) & (Q(valid_from__isnull=True) | Q(valid_from__lte=day))


def path_on(node: TreeNode, day: dt.date) -> str:
    """Where ``node`` sat in its tree on ``day``: a former path if it has been moved since."""
    former = _history_model(type(node)).objects.filter(_covering(day), node=node).values_list("path", flat=True)
    return next(iter(former), node.path)


def subtree_on(node: TreeNode, day: dt.date) -> QuerySet:
    """The ids of the nodes that were ``node`` and under it on ``day``, as the tree stood then
    (moves since are undone through their path history): a sub-select for the caller's query,
    no query of its own."""
    model = type(node)
    history = _history_model(model).objects.filter(_covering(day))
    then = Subquery(history.filter(node=node.pk).values("path")[:1])
    prefix = Coalesce(then, Value(node.path), output_field=CharField())
    then_under = history.filter(path__startswith=prefix).values("node_id")
    moved_since = history.values("node_id")
    now_and_then = Q(path__startswith=prefix) & ~Q(pk__in=moved_since)
    return model._default_manager.filter(now_and_then | Q(pk__in=then_under)).values("pk")
