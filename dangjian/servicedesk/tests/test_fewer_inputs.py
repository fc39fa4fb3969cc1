"""Issue #16 at the desk: nothing typed that the platform already knows. A link may fill the desk;
the search text becomes the new person's name or mobile; the address is asked once and places
the person in a grid; equal dispatch suggestions say why one comes first."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from dangjian.accounts.roles import Role
from dangjian.people.models import Household, Person
from dangjian.servicedesk.models import AssigneeKind, RequestState, ServiceCategory, ServiceRequest
from dangjian.servicedesk.requests import dispatch, lifecycle
from tests.factories import as_actor, make_person, make_user

pytestmark = pytest.mark.django_db


def _post(client, **data):
    payload = {
        "category": ServiceCategory.objects.get(code="sanitation").pk,
        "description": "楼道垃圾",
        "channel": "desk",
    }
    return client.post(reverse("servicedesk:desk"), {**payload, **data})


def _handed_over(client, data) -> str:
    """What another page (a care visit) hands over to the desk in the session (core.views.hand_over)."""
    from django.http import HttpRequest

    from dangjian.core.views import hand_over

    handing = HttpRequest()
    handing.session = client.session
    token = hand_over(handing, data)
    handing.session.save()
    return token


def test_a_link_fills_the_desk_with_the_requester_service_and_need(world, client):
    client.force_login(world.users.staff)
    # The need comes only through the session, never from the address (logs, history).
    url = reverse("servicedesk:desk") + f"?person={world.zhang.pk}&category=legal-advice&description=地址里的"
    assert not client.get(url).context["form"]["description"].value()
    token = _handed_over(client, {"person": str(world.zhang.pk), "description": "走访发现：需要法律咨询"})
    response = client.get(reverse("servicedesk:desk") + f"?from={token}&category=legal-advice")
    assert response.status_code == 200
    assert response.context["chosen"] == world.zhang
    form = response.context["form"]
    assert form["category"].value() == ServiceCategory.objects.get(code="legal-advice").pk
    assert form["description"].value() == "走访发现：需要法律咨询"
    body = response.content.decode()
    assert f'name="person" value="{world.zhang.pk}" checked' in body


def test_a_link_cannot_fill_in_someone_out_of_scope_or_break_the_page(world, client):
    client.force_login(world.users.staff)
    wang = _handed_over(client, {"person": str(world.wang.pk), "description": "x"})
    for query in (
        f"?person={world.wang.pk}",
        f"?from={wang}",  # 王五 lives in community B
        "?person=99999999999999999999",
        "?category=<x>&from=" + "长" * 5000,
    ):
        response = client.get(reverse("servicedesk:desk") + query)
        assert response.status_code == 200
        assert response.context["chosen"] is None


@pytest.mark.parametrize(
    ("typed", "field", "value"), [("周九", "name", "周九"), ("136 5555 6666", "phone", "136****6666")]
)
def test_what_was_searched_becomes_the_new_person(world, client, typed, field, value):
    client.force_login(world.users.staff)
    extra = {"phone": "13655556666"} if field == "name" else {"new_name": ""}
    response = _post(client, q=typed, region=world.grid_a2.pk, **({} if field == "phone" else extra))
    if field == "phone":  # digits only: a contact to call back, no person registered
        req = ServiceRequest.objects.get()
        assert response.status_code == 302 and req.requester is None and req.phone_masked == value
    else:
        req = ServiceRequest.objects.get()
        assert req.requester.name == value and req.requester.region == world.grid_a2


def test_the_address_is_asked_once_and_places_the_new_person_by_building(world, client):
    for i in range(3):
        Household.objects.create(region=world.grid_a2, address=f"和平小区8栋{i + 1}单元101室")
    Household.objects.create(region=world.grid_a1, address="和平小区8栋9单元101室")
    client.force_login(world.users.staff)
    response = _post(client, new_name="周九", phone="13655556666", address="和平小区8栋2单元301室")
    assert response.status_code == 302
    person = Person.objects.get(name="周九")
    assert person.region == world.grid_a2 and person.address == "和平小区8栋2单元301室"
    assert person.household.address == "和平小区8栋2单元301室"
    req = ServiceRequest.objects.get()
    assert req.region == world.grid_a2 and req.address == "和平小区8栋2单元301室"


def test_without_a_known_building_the_worker_s_own_grid_and_else_a_clear_message(world, client):
    client.force_login(world.users.staff)
    response = _post(client, new_name="周九", phone="13655556666", address="无名路1号")
    assert (
        response.status_code == 200 and not ServiceRequest.objects.exists() and not Person.objects.filter(name="周九")
    )
    assert response.context["form"].errors["region"]
    # Where a worker lives is not where they work: a community's staff living in grid A1 is asked.
    worker = make_person(world.users.admin, world.grid_a1, "社区干部小陈")
    client.force_login(make_user("desk_worker", Role.COMMUNITY_STAFF, world.community_a, person=worker))
    response = _post(client, new_name="周九", phone="13655556666", address="无名路1号")
    assert response.status_code == 200 and response.context["form"].errors["region"]
    # A grid worker (a role at one grid) registers in that grid, whoever they are.
    client.force_login(make_user("grid_worker", Role.COMMUNITY_STAFF, world.grid_a2))
    response = _post(client, new_name="周九", phone="13655556666", address="无名路1号")
    assert response.status_code == 302
    assert Person.objects.get(name="周九").region == world.grid_a2


def test_equal_suggestions_say_why_one_comes_first(world):
    other = make_user("staff_a2", Role.COMMUNITY_STAFF, world.community_a)
    staff = as_actor(world.users.staff)
    req = lifecycle.request_submit(
        actor=staff,
        channel="desk",
        category=ServiceCategory.objects.get(code="legal-advice"),
        description="咨询劳动合同",
        requester=world.zhang,
    )
    # staff_a2 handled a legal question here last month: on an equal score it comes first.
    done = lifecycle.request_submit(
        actor=staff,
        channel="desk",
        category=ServiceCategory.objects.get(code="legal-advice"),
        description="咨询租房",
        requester=world.li,
    )
    ServiceRequest.objects.filter(pk=done.pk).update(
        state=RequestState.HANDLED,
        assignee_kind=AssigneeKind.STAFF,
        assignee_user=other,
        handled_at=timezone.now() - dt.timedelta(days=1),
    )
    with translation.override("en"):
        found = dispatch.suggestions(actor=staff, req=req)
    people = [s for s in found if s.kind == AssigneeKind.STAFF]
    assert [s.value for s in people] == [other.pk, world.users.staff.pk]
    assert people[0].score == people[1].score
    assert "staff_a" in people[0].tie and "(1 against 0)" in people[0].tie
    # Now staff_a2 has a request in hand and staff_a none: staff_a's load puts it first.
    ServiceRequest.objects.filter(pk=done.pk).update(state=RequestState.IN_PROGRESS)
    with translation.override("en"):
        found = dispatch.suggestions(actor=staff, req=req)
    people = [s for s in found if s.kind == AssigneeKind.STAFF]
    assert people[0].value == world.users.staff.pk
    assert people[0].score > people[1].score or "(0 against 1)" in people[0].tie


def test_a_searched_name_that_finds_someone_is_not_a_new_person(world, client):
    """Without the page's script the server carries the search text too, but only when the search
    finds nobody: 张三 is on record, so no second 张三 is made."""
    client.force_login(world.users.staff)
    response = _post(client, q="张三", phone="13655556666", region=world.grid_a1.pk)
    assert response.status_code == 302
    assert Person.objects.filter(name="张三").count() == 1
    assert ServiceRequest.objects.get().requester is None  # a contact to call back, as sent
