"""Regression tests of the problems a review of the service desk found (each fixed)."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import Notification
from dangjian.people.models import Person
from dangjian.servicedesk.models import AssigneeKind, Callback, ServiceCategory, ServiceRequest
from dangjian.servicedesk.receptions import services as reception_services
from dangjian.servicedesk.requests import lifecycle
from dangjian.servicedesk.requests import selectors as request_selectors
from tests.factories import as_actor

pytestmark = pytest.mark.django_db


def own_request(world, **kw):
    """钱七's own request (world.users.resident), handled by community staff."""
    category = ServiceCategory.objects.get(code="legal-advice")
    req = lifecycle.request_submit(
        actor=as_actor(world.users.resident),
        channel="web",
        category=category,
        description="咨询继承",
        requester=world.qian,
        **kw,
    )
    req = lifecycle.request_dispatch(
        actor=as_actor(world.users.secretary), req=req, kind=AssigneeKind.STAFF, user=world.users.staff
    )
    lifecycle.request_note(actor=as_actor(world.users.staff), req=req, note="SECRET-NOTE 内部备注")
    return lifecycle.request_handle(actor=as_actor(world.users.staff), req=req, result="已电话解答")


def test_the_requester_is_sent_to_her_own_page_not_the_staff_one(world, client):
    req = own_request(world)
    client.force_login(world.users.resident)
    response = client.get(reverse("servicedesk:request", args=[req.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("portal:track", args=[req.token])
    assert "SECRET-NOTE" not in client.get(response["Location"]).content.decode()


def test_the_handler_does_not_see_the_rating_or_its_comment(world, client):
    req = own_request(world)
    lifecycle.request_confirm(actor=as_actor(world.users.resident), req=req, resolved=True, score=1, comment="态度很差")
    assert "态度很差" not in "".join(s.note for s in req.steps.all())
    client.force_login(world.users.staff)
    body = client.get(reverse("servicedesk:request", args=[req.pk])).content.decode()
    assert "态度很差" not in body
    url = reverse("servicedesk:rates:requests") + "?measure=satisfaction&part=denominator&period=year"
    assert req.number not in client.get(url).content.decode()
    client.force_login(world.users.secretary)  # a reviewer above the handler sees it
    assert req.number in client.get(url).content.decode()


def test_only_sampled_requests_wait_for_a_callback(world):
    req = own_request(world)
    assert request_selectors.callbacks_due(actor=as_actor(world.users.admin)) == []
    Callback.objects.create(request=req)
    assert request_selectors.callbacks_due(actor=as_actor(world.users.admin)) == [req]
    # The community's own secretary works inside the handling unit: not hers to call.
    assert request_selectors.callbacks_due(actor=as_actor(world.users.secretary)) == []


def test_a_superusers_inbox_holds_only_her_own_notifications(world, client, django_user_model):
    from dangjian.core.notifications import notify

    root = django_user_model.objects.create_superuser("root", password="Test-pass-2026")
    notify(recipients=[world.users.staff.pk], kind="request_overdue", key="k1", params={"number": "2026-0000001"})
    client.force_login(root)
    assert "2026-0000001" not in client.get(reverse("dashboard:notifications")).content.decode()
    client.post(reverse("dashboard:notifications_read"))
    assert Notification.objects.get(recipient=world.users.staff).read_at is None


def test_a_request_is_reopened_once(world):
    req = own_request(world)
    req = lifecycle.request_confirm(actor=as_actor(world.users.resident), req=req, resolved=True)
    lifecycle.request_reopen(actor=as_actor(AnonymousUser()), req=req, note="又坏了", token=req.token)
    with pytest.raises(Exception) as err:
        lifecycle.request_reopen(actor=as_actor(AnonymousUser()), req=req, note="又坏了", token=req.token)
    assert err.value.code == "reopened"
    assert ServiceRequest.objects.filter(reopened_from=req).count() == 1


def test_the_desk_keeps_no_new_person_without_the_request(world, client):
    client.force_login(world.users.staff)
    category = ServiceCategory.objects.get(code="sanitation")
    client.post(
        reverse("servicedesk:desk"),
        {
            "new_name": "周九",
            "phone": "13655556666",
            "category": category.pk,
            "description": "x",
            "channel": "desk",
            "region": world.grid_a2.pk,
        },
    )
    assert not Person.objects.filter(name="周九").exists() and not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["/services/requests/?region=²", "/services/requests/?q=²", "/r/board/?community=²", "/services/calendar/?year=²"],
)
def test_digits_that_are_not_ascii_do_not_break_pages(world, client, url):
    from dangjian.accounts.roles import Role
    from tests.factories import make_user

    # the calendar is the district's to configure; the street admin does the rest
    district = make_user("district_admin", Role.DISTRICT_ADMIN, world.district)
    client.force_login(district if "calendar" in url else world.users.admin)
    assert client.get(url).status_code == 200


def test_a_booking_from_another_community_becomes_a_request_with_their_number(world):
    start = timezone.now() + dt.timedelta(days=2)
    session = reception_services.session_create(
        actor=as_actor(world.users.outsider),
        community=world.community_b,
        representative=world.sun,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        place="钢花村党群服务中心",
        slots=3,
    )
    qian = world.qian
    qian.phone_encrypted, qian.phone_masked = (
        __import__("dangjian.core.crypto", fromlist=["x"]).encrypt("13911112222"),
        "139****2222",
    )
    qian.save(update_fields=["phone_encrypted", "phone_masked"])
    booking = reception_services.booking_create(
        actor=as_actor(world.users.resident), session=session, topic="想反映停车"
    )
    req = reception_services.booking_raise(actor=as_actor(world.users.outsider), booking=booking, description="停车难")
    assert req.requester is None and req.phone_masked == "139****2222" and req.contact_name == "钱七"


def test_the_open311_board_leaves_classified_cases_out(world, client):
    req = own_request(world)
    req = lifecycle.request_confirm(actor=as_actor(world.users.resident), req=req, resolved=True)
    lifecycle.request_set_public(actor=as_actor(world.users.resident), req=req, consent=True, token=req.token)
    lifecycle.request_set_public(actor=as_actor(world.users.staff), req=req, summary="已为居民解答法律问题")
    assert req.pk in [r["service_request_id"] for r in client.get("/open311/v2/requests.json").json()]
    lifecycle.request_classify(actor=as_actor(world.users.staff), req=req, classification="untrue", note="核实不属实")
    lifecycle.request_sign_off(actor=as_actor(world.users.secretary), req=req)
    assert req.pk not in [r["service_request_id"] for r in client.get("/open311/v2/requests.json").json()]


def test_staff_cannot_rate_their_own_work_even_on_their_own_request(world):
    from django.core.exceptions import PermissionDenied

    staff_person = Person.objects.get(user=world.users.staff) if Person.objects.filter(user=world.users.staff) else None
    if staff_person is None:
        staff_person = world.li
        staff_person.user = world.users.staff
        staff_person.save(update_fields=["user"])
    category = ServiceCategory.objects.get(code="legal-advice")
    req = lifecycle.request_submit(
        actor=as_actor(world.users.staff),
        channel="web",
        category=category,
        description="自己的诉求",
        requester=staff_person,
    )
    req = lifecycle.request_dispatch(
        actor=as_actor(world.users.secretary), req=req, kind=AssigneeKind.STAFF, user=world.users.staff
    )
    req = lifecycle.request_handle(actor=as_actor(world.users.staff), req=req, result="已办")
    assert not lifecycle.may(as_actor(world.users.staff), req, "confirm")
    with pytest.raises(PermissionDenied):
        lifecycle.request_confirm(actor=as_actor(world.users.staff), req=req, resolved=True, score=5)
    assert (
        lifecycle.request_confirm(actor=as_actor(AnonymousUser()), req=req, resolved=True, token=req.token).state
        == "visited"
    )
