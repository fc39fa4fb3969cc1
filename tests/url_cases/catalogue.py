"""URL access cases of the service catalogue and the business calendar (see
tests/test_url_access.py).

The catalogue is public to every signed-in user. Changing it, and the calendar, is configuration
of the whole district: only a configure right at the root of the region tree (``district``) or a
superuser opens the edit pages. The world's ``admin`` holds configure at the street: 404, like
everyone else.
"""

import datetime as dt

from django.urls import reverse

from tests.url_access_base import Case, expect, only


def _district(yes: int) -> dict[str, int]:
    return {**only((), yes), "district": yes, "superuser": yes}


def _calendar_day(world):
    from dangjian.core.models import CalendarDay

    return CalendarDay.objects.create(day=dt.date(2027, 2, 8), is_workday=False, note="2027年春节")


def _category():
    from dangjian.servicedesk.models import ServiceCategory

    return ServiceCategory.objects.get(code="legal-advice")


CASES: list[Case] = [
    Case(
        "servicedesk:catalogue",
        "the service catalogue is public",
        lambda w: reverse("servicedesk:catalogue"),
        {**expect(200), "district": 200, "superuser": 200},
    ),
    Case(
        "servicedesk:category_new",
        "add a service (the district configures; a street admin does not)",
        lambda w: reverse("servicedesk:category_new"),
        _district(200),
    ),
    Case(
        "servicedesk:category_edit",
        "edit a service",
        lambda w: reverse("servicedesk:category_edit", args=[_category().pk]),
        _district(200),
    ),
    Case(
        "servicedesk:calendar",
        "the business calendar",
        lambda w: reverse("servicedesk:calendar"),
        _district(200),
    ),
    Case(
        "servicedesk:calendar",
        "record a holiday",
        lambda w: reverse("servicedesk:calendar"),
        _district(302),
        method="post",
        data=lambda w: {"day": "2027-02-09", "is_workday": "0", "note": "春节"},
    ),
    Case(
        "servicedesk:calendar_clear",
        "remove a correction of the calendar",
        lambda w: reverse("servicedesk:calendar_clear", args=[_calendar_day(w).pk]),
        _district(302),
        method="post",
    ),
]
