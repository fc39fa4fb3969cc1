"""URL access cases of the service desk's request pages and the resident pages (see
tests/test_url_access.py). The request is community A's, for 张三; its tracking token is the
requester's key, so the resident pages answer anyone who holds it and 404 to a wrong one."""

from django.urls import reverse

from tests.factories import as_actor
from tests.url_access_base import STAFF, Case, expect, only

A_STAFF = ("admin", "secretary", "staff")
CREATORS = ("admin", "secretary", "staff", "outsider")


def _request(world):
    from dangjian.servicedesk.models import ServiceCategory
    from dangjian.servicedesk.requests import lifecycle

    return lifecycle.request_submit(
        actor=as_actor(world.users.staff),
        channel="desk",
        category=ServiceCategory.objects.get(code="legal-advice"),
        description="楼道漏水，想咨询物业责任",
        region=world.grid_a1,
        requester=world.zhang,
    )


def _attachment(world):
    from django.core.files.base import ContentFile

    from dangjian.servicedesk.models import RequestAttachment

    req = _request(world)
    item = RequestAttachment(request=req, name="photo.png")
    item.file.save("photo.png", ContentFile(b"\x89PNG\r\n\x1a\n0000"), save=True)
    return item


def _own_request(world):
    """A request of the resident 钱七 (world.users.resident), submitted on the resident pages."""
    from dangjian.servicedesk.models import ServiceCategory
    from dangjian.servicedesk.requests import lifecycle

    return lifecycle.request_submit(
        actor=as_actor(world.users.resident),
        channel="web",
        category=ServiceCategory.objects.get(code="legal-advice"),
        description="咨询遗产继承",
        requester=world.qian,
    )


CASES: list[Case] = [
    Case("servicedesk:queue", "the queue is for staff", lambda w: reverse("servicedesk:queue"), only(STAFF, 200)),
    Case(
        "servicedesk:desk",
        "the desk needs the create right",
        lambda w: reverse("servicedesk:desk"),
        only(CREATORS, 200),
    ),
    Case(
        "servicedesk:desk_people",
        "requester search for staff",
        lambda w: reverse("servicedesk:desk_people") + "?q=zs",
        only(STAFF, 200),
    ),
    Case(
        "servicedesk:request",
        "a request of community A",
        lambda w: reverse("servicedesk:request", args=[_request(w).pk]),
        only(A_STAFF, 200),
    ),
    Case(
        "servicedesk:request_act",
        "accept a request of community A",
        lambda w: reverse("servicedesk:request_act", args=[_request(w).pk, "accept"]),
        only(A_STAFF, 302),
        method="post",
    ),
    Case(
        "servicedesk:request_attachment",
        "an attachment of a request of community A",
        lambda w: (lambda a: reverse("servicedesk:request_attachment", args=[a.request_id, a.pk]))(_attachment(w)),
        only(A_STAFF, 200),
    ),
    Case("servicedesk:callbacks", "callbacks to make", lambda w: reverse("servicedesk:callbacks"), only(STAFF, 200)),
    Case("portal:submit", "anyone may ask for help", lambda w: reverse("portal:submit"), expect(200, anonymous=200)),
    Case("portal:mine", "own requests need an account", lambda w: reverse("portal:mine"), expect(200)),
    Case("portal:board", "the public board is public", lambda w: reverse("portal:board"), expect(200, anonymous=200)),
    Case("portal:find", "finding a request is public", lambda w: reverse("portal:find"), expect(200, anonymous=200)),
    Case(
        "portal:services",
        "services and time limits are public",
        lambda w: reverse("portal:services"),
        expect(200, anonymous=200),
    ),
    Case(
        "portal:track",
        "the tracking link opens the request",
        lambda w: reverse("portal:track", args=[_own_request(w).token]),
        expect(200, anonymous=200),
    ),
    Case(
        "portal:track",
        "a wrong token finds nothing",
        lambda w: (_own_request(w), reverse("portal:track", args=["not-a-token"]))[1],
        expect(404, anonymous=404),
    ),
    Case(
        "portal:act",
        "the token holder may withdraw",
        lambda w: reverse("portal:act", args=[_own_request(w).token, "withdraw"]),
        expect(302, anonymous=302),
        method="post",
    ),
    Case(
        "portal:act",
        "a wrong token may do nothing",
        lambda w: (_own_request(w), reverse("portal:act", args=["not-a-token", "withdraw"]))[1],
        expect(404, anonymous=404),
        method="post",
    ),
]


def _reception(world, booked=False):
    import datetime as dt

    from django.utils import timezone

    from dangjian.servicedesk.receptions import services as reception_services

    start = timezone.now() + dt.timedelta(days=3)
    session = reception_services.session_create(
        actor=as_actor(world.users.staff),
        community=world.community_a,
        representative=world.zhao,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        place="党群服务中心二楼",
        slots=5,
    )
    if booked:
        return reception_services.booking_create(
            actor=as_actor(world.users.resident), session=session, topic="想反映停车难"
        )
    return session


CASES += [
    Case(
        "servicedesk:receptions",
        "receptions are for staff",
        lambda w: reverse("servicedesk:receptions"),
        only(STAFF, 200),
    ),
    Case(
        "servicedesk:reception",
        "a reception of community A",
        lambda w: reverse("servicedesk:reception", args=[_reception(w).pk]),
        only(A_STAFF, 200),
    ),
    Case(
        "servicedesk:reception_cancel",
        "cancel a reception of community A",
        lambda w: reverse("servicedesk:reception_cancel", args=[_reception(w).pk]),
        only(A_STAFF, 302, no=404),
        method="post",
        data=lambda w: {"reason": "党代表临时出差"},
    ),
    Case(
        "servicedesk:booking_raise",
        "record a booking of community A as a request",
        lambda w: (lambda b: reverse("servicedesk:booking_raise", args=[b.session_id, b.pk]))(_reception(w, True)),
        only(A_STAFF, 302),
        method="post",
        data=lambda w: {"description": "停车难"},
    ),
    Case(
        "portal:receptions",
        "upcoming receptions are public",
        lambda w: reverse("portal:receptions"),
        expect(200, anonymous=200),
    ),
    Case(
        "portal:book",
        "anyone may book (anonymous needs a number: back to the list with a message)",
        lambda w: reverse("portal:book", args=[_reception(w).pk]),
        expect(302, anonymous=302),
        method="post",
        data=lambda w: {"topic": "想反映停车难", "phone": "13912345678"},
    ),
    Case(
        "portal:booking_cancel",
        "only the resident who booked cancels",
        lambda w: reverse("portal:booking_cancel", args=[_reception(w, True).pk]),
        only(("resident",), 302),
        method="post",
    ),
]

CASES += [
    Case("dashboard:notifications", "everyone has an inbox", lambda w: reverse("dashboard:notifications"), expect(200)),
    Case(
        "dashboard:notifications_read",
        "mark one's own notifications read",
        lambda w: reverse("dashboard:notifications_read"),
        expect(302),
        method="post",
    ),
]

CASES += [
    Case(
        "servicedesk:request_contact",
        "the number to call back the requester of a request of community A (logged)",
        lambda w: reverse("servicedesk:request_contact", args=[_request(w).pk]),
        only(A_STAFF, 200),
        method="post",
    ),
]
