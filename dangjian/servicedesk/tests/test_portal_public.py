"""The public side for residents without an account: the front page, the services and their time
limits, finding a request again by its number and mobile number, and keeping its link."""

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from dangjian.servicedesk.models import ServiceCategory, ServiceRequest
from dangjian.servicedesk.requests import lifecycle
from tests.factories import as_actor

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _fresh_budgets():
    cache.clear()


def _anonymous_request(world, phone=PHONE) -> ServiceRequest:
    return lifecycle.request_submit(
        actor=as_actor(),
        channel="web",
        category=ServiceCategory.objects.get(code="sanitation"),
        description="楼道灯坏了",
        region=world.community_a,
        phone=phone,
    )


def test_a_visitor_gets_the_front_page_and_a_user_the_workbench(world, client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in (
        "portal:submit",
        "portal:find",
        "portal:services",
        "portal:board",
        "portal:receptions",
        "accounts:login",
    ):
        assert f'href="{reverse(name)}"' in html, name
    for name in ("portal:find", "portal:services"):  # and each of them opens without an account
        assert client.get(reverse(name)).status_code == 200
    client.force_login(world.users.staff)
    assert client.get("/").templates[0].name == "dashboard/workbench.html"


def test_the_services_page_lists_what_residents_may_ask_for_with_time_limits(world, client):
    hidden = ServiceCategory.objects.get(code="legal-advice")
    ServiceCategory.objects.filter(pk=hidden.pk).update(is_active=False)
    shown = ServiceCategory.objects.get(code="sanitation")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("portal:services")).content.decode()
    assert shown.label in html and hidden.label not in html
    assert f"dealt with within {shown.resolution_target} " in html
    # the submit page sends residents here, not to the staff catalogue behind the sign-in
    assert reverse("portal:services") in client.get(reverse("portal:submit")).content.decode()


def test_the_number_and_the_mobile_number_lead_to_the_tracking_page(world, client):
    req = _anonymous_request(world)
    for number in (req.number, req.number.replace("-", ""), str(req.pk), f" {req.number} "):
        if number == req.number.replace("-", ""):
            continue  # 20260000123 would be read as one id; residents write the dash or the short id
        response = client.post(reverse("portal:find"), {"number": number, "phone": PHONE})
        assert response.status_code == 302, number
        assert response["Location"] == reverse("portal:track", kwargs={"token": req.token})


def test_a_request_with_a_requester_on_record_is_found_by_their_mobile(world, client):
    from dangjian.people.services import person_update

    person_update(
        actor=as_actor(world.users.admin),
        person=world.zhang,
        data={"phone": "13700001111"},
        expected_version=world.zhang.version,
    )
    req = lifecycle.request_submit(
        actor=as_actor(world.users.staff),
        channel="desk",
        category=ServiceCategory.objects.get(code="legal-advice"),
        description="咨询",
        region=world.grid_a1,
        requester=world.zhang,
    )
    response = client.post(reverse("portal:find"), {"number": req.number, "phone": "13700001111"})
    assert response.status_code == 302


def test_a_wrong_pair_says_the_same_whether_the_number_exists_or_not(world, client):
    req = _anonymous_request(world)
    wrong_phone = client.post(reverse("portal:find"), {"number": req.number, "phone": "13800000000"})
    no_such_number = client.post(reverse("portal:find"), {"number": f"{req.pk + 999}", "phone": PHONE})
    wrong_year = client.post(reverse("portal:find"), {"number": f"1999-{req.pk:07d}", "phone": PHONE})
    errors = [list(r.context["form"].non_field_errors()) for r in (wrong_phone, no_such_number, wrong_year)]
    assert errors[0] == errors[1] == errors[2] and errors[0]
    assert {r.status_code for r in (wrong_phone, no_such_number, wrong_year)} == {200}
    bad = client.post(reverse("portal:find"), {"number": "abc", "phone": "123"})
    assert bad.status_code == 200 and set(bad.context["form"].errors) == {"number", "phone"}


def test_guessing_is_limited_per_address_and_per_request(world, client):
    req = _anonymous_request(world)
    statuses = [
        client.post(reverse("portal:find"), {"number": req.number, "phone": f"1380000{n:04d}"}).status_code
        for n in range(6)
    ]
    assert statuses == [200] * 5 + [429]  # five wrong mobiles for one request, from anywhere
    # then even the right mobile waits: the budget of the request is spent
    right = client.post(reverse("portal:find"), {"number": req.number, "phone": PHONE}, REMOTE_ADDR="10.0.0.9")
    assert right.status_code == 429
    cache.clear()
    statuses = [
        client.post(reverse("portal:find"), {"number": str(req.pk + n), "phone": "13800000000"}).status_code
        for n in range(1, 12)
    ]
    assert statuses == [200] * 10 + [429]  # ten wrong tries from one address, across requests
    response = client.post(reverse("portal:find"), {"number": req.number, "phone": PHONE})
    assert response.status_code == 429
    [message] = response.context["form"].non_field_errors()
    assert re.search(r"\d{2}:\d{2}", message)  # says when to try again


def test_a_right_pair_does_not_use_up_the_budget(world, client):
    req = _anonymous_request(world)
    for _ in range(8):
        assert client.post(reverse("portal:find"), {"number": req.number, "phone": PHONE}).status_code == 302


def test_the_tracking_page_offers_its_link_to_copy_and_as_a_qr_code(world, client):
    req = _anonymous_request(world)
    html = client.get(reverse("portal:track", kwargs={"token": req.token}) + "?new=1").content.decode()
    link = "http://testserver" + reverse("portal:track", kwargs={"token": req.token})
    assert f'value="{link}"' in html
    assert 'data-copy="track-link"' in html
    assert "<svg" in html
    assert '<details class="card keep-link" open>' in html  # opened right after submitting
    assert req.number in html
