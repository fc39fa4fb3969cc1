"""Deadlines reach people as notifications: due soon to the handler, past the deadline to the
handler and the community's staff, and escalated to the street's admins — each once."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import Notification
from dangjian.servicedesk.models import AssigneeKind, ServiceCategory
from dangjian.servicedesk.requests import lifecycle
from tests.factories import as_actor

pytestmark = pytest.mark.django_db
MON_9 = timezone.make_aware(dt.datetime(2026, 11, 23, 9, 0))


def _dispatched(world):
    category = ServiceCategory.objects.get(code="sanitation")  # resolution within 3 business days
    req = lifecycle.request_submit(
        actor=as_actor(world.users.staff, now=MON_9),
        channel="desk",
        category=category,
        description="楼道垃圾",
        region=world.grid_a1,
        requester=world.zhang,
    )
    return lifecycle.request_dispatch(
        actor=as_actor(world.users.secretary, now=MON_9 + dt.timedelta(minutes=5)),
        req=req,
        kind=AssigneeKind.STAFF,
        user=world.users.staff,
    )


def kinds(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_due_soon_reaches_the_handler_once(world):
    req = _dispatched(world)
    before = req.resolution_due_at - dt.timedelta(hours=1)
    lifecycle.sweep(actor=as_actor(now=before))
    lifecycle.sweep(actor=as_actor(now=before + dt.timedelta(minutes=5)))
    assert kinds(world.users.staff) == ["request_dispatched", "request_due_soon"]  # dispatched to them first
    assert kinds(world.users.secretary) == [] and kinds(world.users.admin) == []


def test_a_breach_reaches_the_community_and_is_escalated_to_the_street(world):
    req = _dispatched(world)
    after = req.resolution_due_at + dt.timedelta(hours=1)
    lifecycle.sweep(actor=as_actor(now=after))
    lifecycle.sweep(actor=as_actor(now=after + dt.timedelta(hours=1)))
    assert kinds(world.users.staff) == ["request_dispatched", "request_overdue"]
    assert kinds(world.users.secretary) == ["request_overdue"]
    assert kinds(world.users.admin) == ["request_escalated"]
    assert kinds(world.users.outsider) == []  # community B's secretary
    notice = Notification.objects.get(recipient=world.users.admin)
    assert notice.params["number"] == req.number and notice.url == reverse("servicedesk:request", args=[req.pk])


def test_the_inbox_shows_ones_own_and_marks_them_read(world, client):
    req = _dispatched(world)
    lifecycle.sweep(actor=as_actor(now=req.resolution_due_at + dt.timedelta(hours=1)))
    client.force_login(world.users.admin)
    body = client.get(reverse("dashboard:workbench")).content.decode()
    assert req.number in body
    body = client.get(reverse("dashboard:notifications")).content.decode()
    assert req.number in body
    client.post(reverse("dashboard:notifications_read"))
    assert not Notification.objects.filter(recipient=world.users.admin, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=world.users.staff, read_at__isnull=True).exists()  # not theirs
    client.force_login(world.users.outsider)
    assert req.number not in client.get(reverse("dashboard:notifications")).content.decode()


def test_dispatch_tells_whoever_holds_the_request_and_it_is_theirs_in_the_queue(world, client):
    """Dispatched to a branch, nothing reached it: no notice, and its queue's 派给我的 said 0."""
    category = ServiceCategory.objects.get(code="sanitation")
    req = lifecycle.request_submit(
        actor=as_actor(world.users.staff),
        channel="desk",
        category=category,
        description="楼道垃圾",
        region=world.grid_a1,
        requester=world.zhang,
    )
    req = lifecycle.request_dispatch(
        actor=as_actor(world.users.staff), req=req, kind=AssigneeKind.BRANCH, organization=world.branch_a1
    )
    notice = Notification.objects.get(recipient=world.users.branch, kind="request_dispatched")
    assert notice.params["number"] == req.number and not Notification.objects.filter(recipient=world.users.staff)
    client.force_login(world.users.branch)
    assert client.get(notice.url).status_code == 200  # the link it is given opens
    home = client.get(reverse("dashboard:workbench")).content.decode()
    assert req.number in home  # the unread notice, on the workbench
    queue = client.get(reverse("servicedesk:queue"), {"view": "mine"})
    assert queue.context["counts"]["mine"] == 1 and [r.pk for r in queue.context["page"]] == [req.pk]
    # Dispatched again, to a staff member: they are told, once.
    req = lifecycle.request_dispatch(
        actor=as_actor(world.users.secretary), req=req, kind=AssigneeKind.STAFF, user=world.users.staff
    )
    assert kinds(world.users.staff) == ["request_dispatched"]
