"""Notices that arrive together are one line with the list they belong to, say which community
they concern and how late; the header shows how many are unread, without a query per page."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import Notification
from dangjian.core.notifications import grouped, notify, unread_count
from tests.factories import as_actor

pytestmark = pytest.mark.django_db


def _overdue(user, n: int, community: str = "红钢城社区") -> None:
    for i in range(n):
        notify(
            recipients=[user.pk],
            kind="request_overdue",
            key=f"request-overdue:{community}{i}",
            params={"number": f"2026-{i:07d}", "due": "2026-12-01 17:30", "community": community},
            url=f"/services/requests/{i + 1}/",
        )


def test_notices_sent_together_are_one_group_with_their_communities(world):
    staff = world.users.staff
    _overdue(staff, 16, "红钢城社区")
    _overdue(staff, 12, "钢花村社区")
    notify(
        recipients=[staff.pk], kind="request_dispatched", key="d1", params={"number": "2026-0000099", "category": "x"}
    )
    groups = grouped(Notification.objects.filter(recipient=staff).order_by("-created_at", "-id"))
    overdue = next(g for g in groups if g.kind == "request_overdue")
    assert overdue.count == 28 and overdue.list_view == "overdue"
    assert overdue.communities == [("红钢城社区", 16), ("钢花村社区", 12)]
    assert sum(g.count for g in groups) == 29
    # an hour later, the next sweep's notices are a group of their own
    Notification.objects.filter(key__startswith="request-overdue:钢花村社区").update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )
    groups = grouped(Notification.objects.filter(recipient=staff).order_by("-created_at", "-id"))
    assert [g.count for g in groups if g.kind == "request_overdue"] == [16, 12]


def test_the_workbench_shows_one_line_for_28_notices_with_the_list_behind_it(world, client):
    staff = world.users.staff
    _overdue(staff, 28)
    client.force_login(staff)
    html = client.get(reverse("dashboard:workbench")).content.decode()
    section = html.split('id="notices-h"')[1].split("</section>")[0]
    assert section.count("<li>") == 1 + 28  # the group's line, and its notices folded below
    assert f'href="{reverse("servicedesk:queue")}?view=overdue"' in section
    assert "红钢城社区 28" in section
    assert "2026-12-01 17:30" in section  # how late: the deadline that passed


def test_the_unread_count_is_cached_and_follows_arrivals_and_reading(world, client):
    cache.clear()
    staff = world.users.staff
    actor = as_actor(staff)
    assert unread_count(actor=actor) == 0
    _overdue(staff, 3)
    assert unread_count(actor=actor) == 3  # a notice arriving drops the cached count
    with CaptureQueriesContext(connection) as queries:
        assert unread_count(actor=actor) == 3
    assert len(queries) == 0
    client.force_login(staff)
    html = client.get(reverse("people:list")).content.decode()
    header = html.split('class="topbar-tools"')[1].split("</div>")[0]
    assert f'href="{reverse("dashboard:notifications")}"' in header and '<span class="count-badge">3</span>' in header
    client.post(reverse("dashboard:notifications_read"))
    assert unread_count(actor=actor) == 0  # reading drops it too
    html = client.get(reverse("people:list")).content.decode()
    assert "count-badge" not in html.split('class="topbar-tools"')[1].split("</div>")[0]
