"""The default service catalogue, its configuration by admins, and corrections of the
business calendar."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dangjian.core import calendar
from dangjian.core.models import CalendarDay, Event
from dangjian.servicedesk.catalogue import services
from dangjian.servicedesk.models import ServiceCategory
from tests.factories import as_actor

pytestmark = pytest.mark.django_db


def test_the_default_catalogue_has_the_three_families_of_the_issue():
    names = {family: set(ServiceCategory.objects.filter(family=family).values_list("name", flat=True))
             for family in ("party", "convenience", "units")}  # fmt: skip
    assert names == {
        "party": {"困难帮扶", "纠纷调解", "法律咨询", "党代表接访", "党员教育培训", "党组织关系接转"},
        "convenience": {"文体娱乐", "职业介绍", "法律援助", "社会救助", "科普讲座", "家政服务"},
        "units": {"医疗义诊", "就业帮扶", "综治调解", "卫生保洁", "社会治安"},
    }
    mediation = ServiceCategory.objects.get(code="dispute-mediation")
    assert (mediation.response_target, mediation.response_unit) == (2, "hours")
    assert (mediation.resolution_target, mediation.resolution_unit) == (7, "days")
    assert mediation.default_level == "grid"
    assert list(mediation.skills.values_list("name", "kind")) == [("纠纷调解", "skill")]


def _data(**overrides):
    data = {
        "code": "elder-meals", "name": "老年助餐", "family": "convenience", "description": "",
        "response_target": 8, "response_unit": "hours", "resolution_target": 3, "resolution_unit": "days",
        "default_level": "community", "is_active": True, "sort_order": 20, "skills": [],
    }  # fmt: skip
    data.update(overrides)
    return data


def test_an_admin_adds_and_edits_a_service(world):
    admin = world.users.admin
    category = services.category_create(actor=as_actor(admin), data=_data())
    assert category.code == "elder-meals" and Event.objects.filter(target_id=category.pk).count() == 1
    services.category_update(
        actor=as_actor(admin), category=category, data=_data(resolution_target=5), expected_version=1
    )
    category.refresh_from_db()
    assert (category.resolution_target, category.version) == (5, 2)
    with pytest.raises(ValidationError) as stale:
        services.category_update(
            actor=as_actor(admin), category=category, data=_data(resolution_target=6), expected_version=1
        )
    assert stale.value.code == "stale"
    category.refresh_from_db()
    assert category.resolution_target == 5


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"response_target": 0}, "response_target"),
        ({"resolution_target": 400}, "resolution_target"),
        ({"response_target": 3, "response_unit": "days", "resolution_target": 10, "resolution_unit": "hours"},
         "resolution_target"),
        ({"default_level": "planet"}, "default_level"),
        ({"code": "dispute-mediation"}, "code"),
        ({"code": "!!"}, "code"),
    ],
)  # fmt: skip
def test_bad_configuration_is_refused_and_nothing_saved(world, changes, field):
    before = ServiceCategory.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.category_create(actor=as_actor(world.users.admin), data=_data(**changes))
    assert field in excinfo.value.message_dict
    assert ServiceCategory.objects.count() == before


@pytest.mark.parametrize("role", ["secretary", "staff", "branch", "member", "resident", "outsider"])
def test_only_admins_configure(world, role):
    with pytest.raises(PermissionDenied):
        services.category_create(actor=as_actor(getattr(world.users, role)), data=_data())
    with pytest.raises(PermissionDenied):
        services.calendar_set_day(actor=as_actor(getattr(world.users, role)), day=dt.date(2027, 2, 8), is_workday=False)


def test_a_correction_changes_the_business_calendar_until_it_is_removed(world):
    admin = world.users.admin
    spring_festival = dt.date(2027, 2, 8)  # a Monday in a year the package does not know yet
    assert calendar.is_workday(spring_festival)
    assert not calendar.covered(2027)
    entry = services.calendar_set_day(actor=as_actor(admin), day=spring_festival, is_workday=False, note="2027年春节")
    assert not calendar.is_workday(spring_festival)
    assert calendar.workdays_between(dt.date(2027, 2, 8), dt.date(2027, 2, 12)) == 4
    assert calendar.covered(2027)
    makeup = services.calendar_set_day(actor=as_actor(admin), day=dt.date(2027, 2, 6), is_workday=True, note="调休上班")
    assert calendar.is_workday(dt.date(2027, 2, 6))  # a Saturday
    # A correction overrides the package for a covered year too (2026-10-01 is a holiday).
    services.calendar_set_day(actor=as_actor(admin), day=dt.date(2026, 10, 1), is_workday=True)
    assert calendar.is_workday(dt.date(2026, 10, 1))
    services.calendar_clear_day(actor=as_actor(admin), entry=entry)
    services.calendar_clear_day(actor=as_actor(admin), entry=makeup)
    assert calendar.is_workday(spring_festival) and not calendar.is_workday(dt.date(2027, 2, 6))
    assert CalendarDay.objects.count() == 1


def test_the_pages(world, client):
    client.force_login(world.users.admin)
    response = client.get(reverse("servicedesk:catalogue"))
    assert response.status_code == 200 and "纠纷调解" in response.content.decode()
    response = client.post(reverse("servicedesk:category_new"), {**_data(), "skills": [], "is_active": "on"})
    assert response.status_code == 302 and ServiceCategory.objects.filter(code="elder-meals").exists()
    response = client.post(reverse("servicedesk:category_new"), {**_data(), "response_target": "", "skills": []})
    assert response.status_code == 200 and ServiceCategory.objects.filter(code="elder-meals").count() == 1
    response = client.post(reverse("servicedesk:calendar"), {"day": "2027-02-08", "is_workday": "0", "note": "春节"})
    assert response.status_code == 302 and CalendarDay.objects.filter(day=dt.date(2027, 2, 8)).exists()
    body = client.get(reverse("servicedesk:calendar") + "?year=2027").content.decode()
    assert "2027-02-08" in body
    client.force_login(world.users.resident)
    body = client.get(reverse("servicedesk:catalogue")).content.decode()
    assert "纠纷调解" in body and reverse("servicedesk:category_new") not in body
