"""Reads of the region and organisation trees, through the access layer.

Subtree counts use the fixed-width materialised path: every child of a node has a path of
the same length, so one GROUP BY on the path prefix counts all children's subtrees at once.
"""

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import Substr
from django.http import Http404

from dangjian.core.access import VIEW, minimal_paths, restrict
from dangjian.core.models import PATH_STEP
from dangjian.orgs.models import Organization, Region, ResidentUnit, ServiceSite


def _roots(qs: QuerySet) -> QuerySet:
    """The topmost nodes of a restricted tree queryset (those whose ancestors are not in it)."""
    paths = minimal_paths(qs.values_list("path", flat=True))
    return qs.filter(path__in=paths)


def org_roots(*, user: Any) -> QuerySet[Organization]:
    return _roots(restrict(Organization.objects.all(), user, VIEW)).select_related("region")


def region_roots(*, user: Any) -> QuerySet[Region]:
    return _roots(restrict(Region.objects.all(), user, VIEW))


def organization_for(*, user: Any, pk: int) -> Organization:
    org = restrict(Organization.objects.select_related("region", "parent"), user, VIEW).filter(pk=pk).first()
    if org is None:
        raise Http404
    return org


def region_for(*, user: Any, pk: int) -> Region:
    region = restrict(Region.objects.select_related("parent"), user, VIEW).filter(pk=pk).first()
    if region is None:
        raise Http404
    return region


def org_children(*, user: Any, parent: Organization) -> list[Organization]:
    return list(restrict(parent.children.select_related("region"), user, VIEW).order_by("sort_order", "path"))


def region_children(*, user: Any, parent: Region) -> list[Region]:
    return list(restrict(parent.children.all(), user, VIEW).order_by("sort_order", "path"))


def ancestors(*, user: Any, node: Organization | Region) -> list[Any]:
    """Breadcrumb: the node's ancestors that the user may see, top first."""
    model = type(node)
    return list(restrict(model.objects.filter(path__in=node.ancestor_paths()), user, VIEW).order_by("path"))


def subtree_counts(queryset: QuerySet, path_lookup: str, parent_path: str) -> dict[str, int]:
    """{child path: number of rows of ``queryset`` under that child} for the children of one node."""
    length = len(parent_path) + PATH_STEP
    rows = (
        queryset.filter(**{f"{path_lookup}__startswith": parent_path})
        .annotate(child_path=Substr(path_lookup, 1, length))
        .values("child_path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["child_path"]: row["n"] for row in rows}


def count_under(queryset: QuerySet, path_lookup: str, paths: list[str]) -> dict[str, int]:
    """Counts under several unrelated nodes (e.g. the roots of a user's tree), one query each."""
    return {path: queryset.filter(**{f"{path_lookup}__startswith": path}).count() for path in paths}


def term_reminders(*, user: Any, today: dt.date, within_days: int) -> QuerySet[Organization]:
    """Organisations whose committee term ends within ``within_days`` or has already ended (换届)."""
    return (
        restrict(Organization.objects.filter(term_ends_on__isnull=False), user, VIEW)
        .filter(term_ends_on__lte=today + dt.timedelta(days=within_days))
        .select_related("region")
        .order_by("term_ends_on")
    )


def sites_for_region(*, user: Any, region: Region) -> QuerySet[ServiceSite]:
    """Service sites in or above ``region`` (a resident sees their community's centre)."""
    paths = [*region.ancestor_paths(), region.path]
    return (
        ServiceSite.objects.filter(region__path__in=paths)
        .prefetch_related("rooms")
        .select_related("region")
        .order_by("-region__depth")
    )


def sites_in(*, user: Any, region: Region) -> QuerySet[ServiceSite]:
    return restrict(ServiceSite.objects.filter(region__path__startswith=region.path), user, VIEW).prefetch_related(
        "rooms"
    )


def units(*, user: Any) -> QuerySet[ResidentUnit]:
    return restrict(ResidentUnit.objects.select_related("region"), user, VIEW)


def organizations_serving(*, user: Any, region: Region) -> QuerySet[Organization]:
    return restrict(Organization.objects.filter(region=region), user, VIEW).order_by("path")
