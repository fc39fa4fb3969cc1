"""Reads of the catalogue and the business calendar (configuration, not personal data: the
catalogue is public, like a service counter's list of what it does), and who may change them."""

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet

from dangjian.accounts.roles import CONFIGURE
from dangjian.accounts.scopes import covers_region_tree
from dangjian.core import calendar
from dangjian.core.actors import Actor
from dangjian.core.models import CalendarDay
from dangjian.people.models import Tag
from dangjian.servicedesk.models import Family, ServiceCategory


def may_configure(*, actor: Actor) -> bool:
    """Whether ``actor`` may change the catalogue and the business calendar. Both apply to the
    whole district (every request's category and deadlines), so the ``configure`` right must
    cover the root of the region tree: a district admin or a superuser, not a street admin."""
    return covers_region_tree(actor.scope, CONFIGURE)


def catalogue(*, include_inactive: bool = False) -> list[dict[str, Any]]:
    """The categories by family, in order."""
    qs = ServiceCategory.objects.prefetch_related(
        Prefetch("skills", queryset=Tag.objects.order_by("sort_order", "name"))
    )
    if not include_inactive:
        qs = qs.filter(is_active=True)
    rows = list(qs)
    return [
        {"family": family, "label": label, "categories": [c for c in rows if c.family == family]}
        for family, label in Family.choices
    ]


def calendar_overview(*, year: int) -> dict[str, Any]:
    """The admins' corrections for ``year`` and whether the package covers it."""
    corrections: QuerySet[CalendarDay] = CalendarDay.objects.filter(day__year=year).order_by("day")
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return {
        "year": year,
        "covered": calendar.covered(year),
        "corrections": list(corrections),
        "workdays": calendar.workdays_between(first, last),
    }
