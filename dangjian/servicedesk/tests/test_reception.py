"""党代表接访: scheduling, booking (places counted, one per person, anonymous with a number),
cancelling, and turning what was raised into a request."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dangjian.servicedesk.models import ReceptionBooking, RequestState, ServiceRequest
from dangjian.servicedesk.receptions import services as rs
from tests.factories import as_actor

pytestmark = pytest.mark.django_db


def session(world, slots=2, **kw):
    start = timezone.now() + dt.timedelta(days=2)
    data = {
        "actor": as_actor(world.users.staff),
        "community": world.community_a,
        "representative": world.zhao,
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=2),
        "place": "党群服务中心",
        "slots": slots,
        **kw,
    }
    return rs.session_create(**data)


def test_staff_out_of_the_community_cannot_schedule(world):
    with pytest.raises(PermissionDenied):
        session(world, actor=as_actor(world.users.outsider))


def test_a_reception_ends_after_it_starts_and_has_places(world):
    start = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as err:
        session(world, starts_at=start, ends_at=start, slots=0, place=" ")
    assert set(err.value.message_dict) == {"ends_at", "slots", "place"}


def test_places_are_counted_and_a_person_books_once(world):
    s = session(world, slots=2)
    rs.booking_create(actor=as_actor(world.users.resident), session=s, topic="反映停车难")
    with pytest.raises(ValidationError) as err:
        rs.booking_create(actor=as_actor(world.users.resident), session=s, topic="再约一次")
    assert err.value.code == "twice"
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ValidationError) as err:
        rs.booking_create(actor=as_actor(AnonymousUser()), session=s, topic="加装电梯")
    assert "phone" in err.value.message_dict
    rs.booking_create(
        actor=as_actor(AnonymousUser()), session=s, topic="加装电梯", phone="13912345678", contact_name="王阿姨"
    )
    with pytest.raises(ValidationError) as err:
        rs.booking_create(actor=as_actor(AnonymousUser()), session=s, topic="第三位", phone="13912340000")
    assert err.value.code == "full"
    assert s.bookings.filter(cancelled_at__isnull=True).count() == 2


def test_a_cancelled_place_can_be_booked_again(world):
    from django.contrib.auth.models import AnonymousUser

    s = session(world, slots=1)
    booking = rs.booking_create(actor=as_actor(world.users.resident), session=s, topic="反映停车难")
    with pytest.raises(PermissionDenied):  # someone else's booking
        rs.booking_cancel(actor=as_actor(world.users.member), booking=booking)
    rs.booking_cancel(actor=as_actor(world.users.resident), booking=booking)
    rs.booking_create(actor=as_actor(AnonymousUser()), session=s, topic="加装电梯", phone="13912345678")


def test_what_was_raised_becomes_a_request_of_the_booker(world):
    s = session(world)
    booking = rs.booking_create(actor=as_actor(world.users.resident), session=s, topic="小区停车难，希望增加车位")
    req = rs.booking_raise(actor=as_actor(world.users.staff), booking=booking, description="停车难，请协调增设车位")
    assert req.channel == "reception" and req.requester == world.qian and req.category.code == "deputy-reception"
    assert req.community == world.community_a and req.state == RequestState.SUBMITTED
    booking.refresh_from_db()
    assert booking.request == req
    with pytest.raises(ValidationError):
        rs.booking_raise(actor=as_actor(world.users.staff), booking=booking, description="again")
    assert ServiceRequest.objects.count() == 1


def test_an_anonymous_booking_becomes_a_request_with_its_contact(world):
    from django.contrib.auth.models import AnonymousUser

    s = session(world)
    booking = rs.booking_create(actor=as_actor(AnonymousUser()), session=s, topic="加装电梯", phone="13912345678")
    req = rs.booking_raise(actor=as_actor(world.users.staff), booking=booking, description="")
    assert req.requester is None and req.phone_masked == "139****5678" and req.description == "加装电梯"


def test_the_public_list_shows_places_left_and_books(world, client):
    s = session(world, slots=3)
    rs.booking_create(actor=as_actor(world.users.resident), session=s, topic="反映停车难")
    body = client.get(reverse("portal:receptions")).content.decode()
    assert world.zhao.name in body and "党群服务中心" in body
    response = client.post(reverse("portal:book", args=[s.pk]), {"topic": "<script>x</script>", "phone": "13912345678"})
    assert response.status_code == 302
    assert ReceptionBooking.objects.filter(session=s).count() == 2
    client.force_login(world.users.staff)
    body = client.get(reverse("servicedesk:reception", args=[s.pk])).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in body and "<script>x</script>" not in body


def test_each_booking_form_has_its_own_ids_and_a_refusal_keeps_what_was_typed(world, client):
    """Four receptions on one page: a label of the second form must not point at the first's field,
    and a refused booking comes back with its text and the error beside the field."""
    import re

    first, second = session(world), session(world, place="二楼会议室")
    body = client.get(reverse("portal:receptions")).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', body)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert f'for="r{second.pk}-id_topic"' in body or f'for="r{second.pk}-topic"' in body
    response = client.post(reverse("portal:book", args=[second.pk]), {"topic": "加装电梯", "phone": "123"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "加装电梯" in body and 'aria-invalid="true"' in body
    assert f'id="r{second.pk}-phone_error"' in body
    assert not ReceptionBooking.objects.exists()
    assert f'id="r{first.pk}-topic"' in body  # the other reception's form is there, empty and apart
