"""The quarterly statistics a street sends up, counted from the records: each figure is the one its
own module gives (members from the placements, the rates from the rates page's indicators, dues
and hours summed), the total adds the communities, and only the area's admins have it."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.core import indicators as registry
from dangjian.evaluation.tests.test_runs import AFTER, some_requests
from dangjian.evaluation.upward import upward_rows
from dangjian.membership.dues.services import dues_assess, dues_record_payment
from tests.factories import as_actor

START, END = dt.date(2026, 10, 1), dt.date(2027, 1, 1)


def test_the_quarter_is_counted_from_the_records(world):
    from dangjian.membership.models import Placement

    # 李四 joined in 2026 (the world dates him from its own today, which may be any year).
    Placement.objects.filter(member=world.li.member).update(started_on=dt.date(2026, 1, 10))
    type(world.li.member).objects.filter(pk=world.li.member.pk).update(joined_on=dt.date(2026, 1, 10))
    some_requests(world)
    secretary = as_actor(world.users.secretary, today=dt.date(2026, 9, 1))
    dues_assess(actor=secretary, member=world.zhao.member, year=2026, kind="fixed", monthly="0.50")
    dues_record_payment(
        actor=as_actor(world.users.secretary, today=dt.date(2026, 10, 20)),
        member=world.zhao.member,
        months=[dt.date(2026, 10, 1), dt.date(2026, 11, 1)],
        method="cash",
        paid_on=dt.date(2026, 10, 20),
    )
    actor = as_actor(world.users.admin, today=AFTER)
    rows, total = upward_rows(actor=actor, region=world.street, start=START, end=END)
    a, b = rows
    assert (a.name, b.name) == ("红钢城社区", "钢花村社区")
    assert (a.members, a.probationary, b.members) == (2, 1, 1)  # 赵六 and 李四 (probationary); 孙八
    assert a.dues == Decimal("1.00") and b.dues == 0
    assert (a.requests, a.handled) == (3, 1)  # the one the requester said is not resolved is open again
    resolution = registry.indicator("servicedesk.resolution").measure(actor, START, END, [world.community_a.pk])[
        world.community_a.pk
    ]
    assert a.rates["servicedesk.resolution"] == (resolution.numerator, resolution.denominator) == (1, 2)
    assert a.rate("servicedesk.resolution") == 0.5
    assert total.members == 3 and total.requests == 3 and total.rates["servicedesk.resolution"] == (1, 2)
    # A community's secretary counts their own community only.
    mine, _total = upward_rows(
        actor=as_actor(world.users.secretary, today=AFTER), region=world.street, start=START, end=END
    )
    assert [r.name for r in mine] == ["红钢城社区"]


@pytest.mark.clock("2027-01-05T10:00:00+08:00")
def test_the_page_and_its_workbook_are_the_area_admins(world, client):
    from openpyxl import load_workbook

    client.force_login(world.users.admin)
    page = client.get(reverse("evaluation:upward") + "?period=2026-10-01")
    assert page.status_code == 200 and "红钢城社区" in page.content.decode()
    book = client.get(reverse("evaluation:upward") + "?period=2026-10-01&format=xlsx")
    rows = list(load_workbook(io.BytesIO(book.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "社区" and [r[0] for r in rows[1:]] == ["红钢城社区", "钢花村社区", "合计"]
    assert client.get(reverse("evaluation:upward") + "?period=not-a-date&region=x").status_code == 200
    client.force_login(world.users.secretary)
    assert client.get(reverse("evaluation:upward")).status_code == 404
