"""The default service catalogue, its configuration by admins, and corrections of the
business calendar. Both apply to the whole district: only a configure right at the root of the
region tree (a district admin) or a superuser changes them, not a street admin."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.core import calendar
from dangjian.core.models import CalendarDay, Event
from dangjian.servicedesk.catalogue import selectors, services
from dangjian.servicedesk.models import ServiceCategory
from tests.factories import as_actor, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def district_admin(world):
    """The district/street admin role granted at the root of the region tree (青山区)."""
    return make_user("admin_district", Role.DISTRICT_ADMIN, world.district)


def test_the_default_catalogue_has_the_three_families_of_the_issue():
    names = {
        family: set(ServiceCategory.objects.filter(family=family).values_list("name", flat=True))
        for family in ("party", "convenience", "units")
    }
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
        "code": "elder-meals",
        "name": "老年助餐",
        "family": "convenience",
        "description": "",
        "response_target": 8,
        "response_unit": "hours",
        "resolution_target": 3,
        "resolution_unit": "days",
        "default_level": "community",
        "is_active": True,
        "sort_order": 20,
        "skills": [],
    }
    data.update(overrides)
    return data


def test_a_district_admin_adds_and_edits_a_service(world, district_admin):
    admin = district_admin
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
        (
            {"response_target": 3, "response_unit": "days", "resolution_target": 10, "resolution_unit": "hours"},
            "resolution_target",
        ),
        ({"default_level": "planet"}, "default_level"),
        ({"code": "dispute-mediation"}, "code"),
        ({"code": "!!"}, "code"),
        ({"sort_order": 40000}, "sort_order"),  # a small integer column: PostgreSQL refused it with a 500
        ({"sort_order": -1}, "sort_order"),
    ],
)
def test_bad_configuration_is_refused_and_nothing_saved(world, district_admin, changes, field):
    before = ServiceCategory.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.category_create(actor=as_actor(district_admin), data=_data(**changes))
    assert field in excinfo.value.message_dict
    assert ServiceCategory.objects.count() == before


@pytest.mark.parametrize("role", ["admin", "secretary", "staff", "branch", "member", "resident", "outsider"])
def test_only_the_district_configures(world, district_admin, role):
    """Every service refuses anyone below the root, the street admin (configure at the street)
    included, and changes nothing."""
    actor = as_actor(getattr(world.users, role))
    category = ServiceCategory.objects.get(code="legal-advice")
    entry = services.calendar_set_day(actor=as_actor(district_admin), day=dt.date(2027, 2, 8), is_workday=False)
    events = Event.objects.count()
    with pytest.raises(PermissionDenied):
        services.category_create(actor=actor, data=_data())
    with pytest.raises(PermissionDenied):
        services.category_update(actor=actor, category=category, data={"resolution_target": 9}, expected_version=1)
    with pytest.raises(PermissionDenied):
        services.calendar_set_day(actor=actor, day=dt.date(2027, 2, 9), is_workday=False)
    with pytest.raises(PermissionDenied):
        services.calendar_clear_day(actor=actor, entry=entry)
    category.refresh_from_db()
    assert category.resolution_target == 5 and not ServiceCategory.objects.filter(code="elder-meals").exists()
    assert list(CalendarDay.objects.values_list("day", flat=True)) == [dt.date(2027, 2, 8)]
    assert Event.objects.count() == events


def test_a_superuser_configures(world):
    root = User.objects.create_superuser(username="root", password="Test-pass-2026")
    category = services.category_create(actor=as_actor(root), data=_data())
    entry = services.calendar_set_day(actor=as_actor(root), day=dt.date(2027, 2, 8), is_workday=False)
    services.calendar_clear_day(actor=as_actor(root), entry=entry)
    assert category.pk and not CalendarDay.objects.exists()


def test_configure_must_cover_every_root_of_the_region_tree(world, district_admin):
    """A second district makes the first one's admin a partial configurer: the catalogue applies
    to both, so neither district's admin changes it alone."""
    from dangjian.orgs.models import Region, RegionLevel
    from dangjian.orgs.trees import TreeBuilder

    assert selectors.may_configure(actor=as_actor(district_admin))
    regions = TreeBuilder(Region)
    regions.root_count = Region.objects.filter(parent__isnull=True).count()
    regions.add(None, name="武昌区", code="420106", level=RegionLevel.DISTRICT)
    regions.save()
    assert not selectors.may_configure(actor=as_actor(district_admin))
    with pytest.raises(PermissionDenied):
        services.category_create(actor=as_actor(district_admin), data=_data())


def test_a_correction_changes_the_business_calendar_until_it_is_removed(world, district_admin):
    admin = district_admin
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


def test_the_pages(world, client, district_admin):
    client.force_login(district_admin)
    response = client.get(reverse("servicedesk:catalogue"))
    assert response.status_code == 200 and "纠纷调解" in response.content.decode()
    response = client.post(reverse("servicedesk:category_new"), {**_data(), "skills": [], "is_active": "on"})
    assert response.status_code == 302 and ServiceCategory.objects.filter(code="elder-meals").exists()
    response = client.post(reverse("servicedesk:category_new"), {**_data(), "response_target": "", "skills": []})
    assert response.status_code == 200 and ServiceCategory.objects.filter(code="elder-meals").count() == 1
    response = client.post(reverse("servicedesk:category_new"), {**_data(code="meals-2", sort_order=40000)})
    assert response.status_code == 200 and not ServiceCategory.objects.filter(code="meals-2").exists()
    response = client.post(reverse("servicedesk:calendar"), {"day": "2027-02-08", "is_workday": "0", "note": "春节"})
    assert response.status_code == 302 and CalendarDay.objects.filter(day=dt.date(2027, 2, 8)).exists()
    body = client.get(reverse("servicedesk:calendar") + "?year=2027").content.decode()
    assert "2027-02-08" in body
    client.force_login(world.users.resident)
    body = client.get(reverse("servicedesk:catalogue")).content.decode()
    assert "纠纷调解" in body and reverse("servicedesk:category_new") not in body


def _links(html):
    return set(re.findall(r'href="(/services/(?:catalogue|calendar)/[^"]*)"', html))


def test_a_street_admin_gets_no_edit_page_and_no_link_to_one(world, client):
    """The street admin holds configure at the street: the catalogue page shows no edit links
    or buttons, inactive services stay hidden, and every edit page is 404, read or posted."""
    category = ServiceCategory.objects.get(code="legal-advice")
    ServiceCategory.objects.filter(code="sanitation").update(is_active=False)
    entry = CalendarDay.objects.create(day=dt.date(2027, 2, 8), is_workday=False, note="春节")
    client.force_login(world.users.admin)
    html = client.get(reverse("servicedesk:catalogue")).content.decode()
    assert "纠纷调解" in html and "卫生保洁" not in html
    assert _links(html) == {reverse("servicedesk:catalogue")}  # only the navigation's own entry
    edit = reverse("servicedesk:category_edit", args=[category.pk])
    for url in (reverse("servicedesk:category_new"), edit, reverse("servicedesk:calendar")):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("servicedesk:category_new"), {**_data(), "is_active": "on"}).status_code == 404
    assert client.post(edit, {**_data(resolution_target=9), "version": 1}).status_code == 404
    posted = client.post(reverse("servicedesk:calendar"), {"day": "2027-02-09", "is_workday": "0", "note": ""})
    assert posted.status_code == 404
    assert client.post(reverse("servicedesk:calendar_clear", args=[entry.pk])).status_code == 404
    category.refresh_from_db()
    assert category.resolution_target == 5 and not ServiceCategory.objects.filter(code="elder-meals").exists()
    assert list(CalendarDay.objects.values_list("day", flat=True)) == [dt.date(2027, 2, 8)]


def test_every_edit_link_the_district_admin_is_shown_opens(world, client, district_admin):
    """A link shown is a link allowed: the district admin sees the buttons, an edit link per
    service (inactive ones too) and each opens."""
    ServiceCategory.objects.filter(code="sanitation").update(is_active=False)
    client.force_login(district_admin)
    html = client.get(reverse("servicedesk:catalogue")).content.decode()
    links = _links(html)
    assert "卫生保洁" in html
    assert {reverse("servicedesk:category_new"), reverse("servicedesk:calendar")} <= links
    edits = {url for url in links if re.fullmatch(r"/services/catalogue/\d+/", url)}
    assert len(edits) == ServiceCategory.objects.count()
    assert all(client.get(url).status_code == 200 for url in links), links
