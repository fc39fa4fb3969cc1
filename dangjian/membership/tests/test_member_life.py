"""A member's life beyond the roster: mobile members (流动党员), reporting to the community
where one lives (在职党员双报到), the care of members in hardship and of the old (困难党员,
走访慰问) and the annual democratic appraisal (民主评议) with its "at most a third excellent"."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.calendar import add_years
from dangjian.core.models import Event, EventAction
from dangjian.membership.appraisal import services as appraisal_services
from dangjian.membership.care import selectors as care_selectors
from dangjian.membership.care import services as care_services
from dangjian.membership.mobile import services as mobile_services
from dangjian.membership.models import (
    Appraisal,
    CareCase,
    CareVisit,
    CommunityReport,
    Grade,
    MobileDirection,
    MobileRecord,
    ReportState,
)
from dangjian.people.models import Member
from tests.factories import as_actor, make_id_number, make_member, make_person

# The mobile-member and care stories happen in autumn 2026 (seen on 28 November); the reminder
# test below derives its dates from today instead and runs at whatever instant the suite runs.
pytestmark = [pytest.mark.django_db, pytest.mark.clock("2026-11-28T10:00:00+08:00")]

D = dt.date
YEAR = 2026  # world.today's year


def zhao(world) -> Member:
    """赵六's member record (branch A1), fresh from the database."""
    return Member.objects.get(person=world.zhao)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- 1. mobile members ------------------------------------------------------------------------


def away(**extra) -> dict:
    return {
        "direction": MobileDirection.OUT,
        "place": "广东省深圳市南山区",
        "other_organization": "南山区流动党员党支部",
        "contact_note": "深圳流动党员微信群",
        "reason": "务工",
        "started_on": D(2026, 9, 1),
        "expected_return_on": D(2027, 1, 31),
        **extra,
    }


def register_away(world, person=None, *, actor=None, organization=None, **extra) -> MobileRecord:
    return mobile_services.mobile_register(
        actor=as_actor(actor or world.users.branch),
        person=person or world.zhao,
        organization=organization or world.branch_a1,
        data=away(**extra),
    )


def test_a_member_leaving_is_registered_by_the_branch_secretary(world):
    record = register_away(world)
    assert (record.person, record.direction, record.organization) == (world.zhao, "out", world.branch_a1)
    assert (record.place, record.started_on, record.expected_return_on, record.ended_on) == (
        "广东省深圳市南山区",
        D(2026, 9, 1),
        D(2027, 1, 31),
        None,
    )
    event = Event.objects.get(target_type=ContentType.objects.get_for_model(MobileRecord), target_id=record.pk)
    assert event.action == EventAction.CREATED and event.actor == world.users.branch


def test_a_second_open_record_is_refused(world):
    register_away(world)
    with pytest.raises(ValidationError) as exc:
        register_away(world, place="北京市")
    assert exc.value.message_dict["person"] == [_("This member already has an open mobile record; end it first.")]
    with pytest.raises(ValidationError):  # in the other direction neither
        register_away(world, direction=MobileDirection.IN)
    assert MobileRecord.objects.count() == 1


def test_only_our_members_in_good_standing_can_be_away(world):
    with pytest.raises(ValidationError) as exc:
        register_away(world, world.qian, actor=as_actor(world.users.secretary))  # 钱七 is no member
    assert "person" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:  # 孙八 is B1's member: not one of A's
        register_away(world, world.sun, actor=as_actor(world.users.secretary))
    assert "person" in exc.value.message_dict
    assert not MobileRecord.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"expected_return_on": D(2026, 8, 31)}, "expected_return_on"),
        ({"place": "  "}, "place"),
        ({"started_on": None}, "started_on"),
        ({"direction": "sideways"}, "direction"),
    ],
)
def test_invalid_records_are_refused(world, extra, field):
    with pytest.raises(ValidationError) as exc:
        register_away(world, **extra)
    assert field in exc.value.message_dict
    assert not MobileRecord.objects.exists()


def test_a_departure_in_the_future_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        register_away(world, started_on=timezone.localdate() + dt.timedelta(days=1), expected_return_on=None)
    assert exc.value.message_dict["started_on"] == [_("This date is in the future.")]


@pytest.mark.parametrize("user", ["outsider", "member", "resident"])
def test_registering_needs_a_manager_of_the_organisation(world, user):
    with pytest.raises(PermissionDenied):
        register_away(world, actor=as_actor(getattr(world.users, user)))


def test_ending_closes_the_record_once(world):
    record = register_away(world)
    with pytest.raises(ValidationError) as exc:
        mobile_services.mobile_end(actor=as_actor(world.users.branch), record=record, ended_on=D(2026, 8, 1), note="")
    assert "ended_on" in exc.value.message_dict
    ended = mobile_services.mobile_end(
        actor=as_actor(world.users.branch), record=record, ended_on=D(2026, 11, 20), note="已返回"
    )
    assert (ended.ended_on, ended.end_note) == (D(2026, 11, 20), "已返回")
    with pytest.raises(ValidationError) as exc:
        mobile_services.mobile_end(
            actor=as_actor(world.users.branch), record=ended, ended_on=D(2026, 11, 25), note="again"
        )
    assert exc.value.message_dict["ended_on"] == [_("This record is already closed.")]
    assert MobileRecord.objects.get(pk=record.pk).ended_on == D(2026, 11, 20)
    with pytest.raises(PermissionDenied):
        mobile_services.mobile_end(
            actor=as_actor(world.users.outsider), record=register_away(world), ended_on=None, note=""
        )
    # Closed, the member may leave again.
    assert MobileRecord.objects.filter(person=world.zhao, ended_on__isnull=True).count() == 1


def test_a_stale_copy_cannot_close_a_record_twice(world):
    record = register_away(world)
    stale = MobileRecord.objects.get(pk=record.pk)
    mobile_services.mobile_end(
        actor=as_actor(world.users.branch), record=record, ended_on=D(2026, 11, 20), note="已返回"
    )
    with pytest.raises(ValidationError):
        mobile_services.mobile_end(
            actor=as_actor(world.users.branch), record=stale, ended_on=D(2026, 11, 27), note="又关一次"
        )
    assert MobileRecord.objects.get(pk=record.pk).ended_on == D(2026, 11, 20)


@pytest.fixture
def visitor(world):
    """吕九: a member from elsewhere (no record of membership here) with an ID number."""
    number = make_id_number(D(1988, 2, 3))
    return make_person(world.users.admin, world.grid_a1, "吕九", id_number=number), number


def test_a_member_from_elsewhere_is_registered_through_the_page(world, visitor, client):
    person, number = visitor
    client.force_login(world.users.secretary)
    response = client.post(
        reverse("membership:mobile"),
        {
            "id_number": number,
            "direction": "in",
            "organization": world.committee_a.pk,
            "place": "湖北省黄石市",
            "other_organization": "黄石市某社区党委",
            "started_on": "2026-06-01",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    record = MobileRecord.objects.get(person=person)
    assert (record.direction, record.organization, record.other_organization) == (
        "in",
        world.committee_a,
        "黄石市某社区党委",
    )
    assert not Member.objects.filter(person=person).exists()
    # Form errors: an unknown ID number, a return before the departure.
    response = client.post(
        reverse("membership:mobile"),
        {
            "id_number": make_id_number(D(1989, 1, 1)),
            "direction": "in",
            "organization": world.committee_a.pk,
            "place": "黄石",
            "started_on": "2026-06-01",
        },
    )
    assert response.status_code == 200 and "id_number" in response.context["form"].errors
    response = client.post(
        reverse("membership:mobile"),
        {
            "id_number": number,
            "direction": "out",
            "organization": world.branch_a1.pk,
            "place": "黄石",
            "started_on": "2026-06-01",
            "expected_return_on": "2026-05-01",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "expected_return_on" in errors and "__all__" in errors  # and: not our member, on no field of the form


def test_the_list_shows_open_records_and_the_history_on_request(world, client):
    closed = register_away(world, world.zhao)
    mobile_services.mobile_end(
        actor=as_actor(world.users.branch), record=closed, ended_on=D(2026, 10, 1), note="回来了"
    )
    li = register_away(
        world, world.li, actor=as_actor(world.users.secretary), organization=world.branch_a2, place="上海市"
    )
    client.force_login(world.users.secretary)
    response = client.get(reverse("membership:mobile"))
    assert [r.pk for r in response.context["records"]] == [li.pk]
    assert "上海市" in response.content.decode() and "广东省深圳市南山区" not in response.content.decode()
    history = client.get(reverse("membership:mobile"), {"all": "1"})
    assert {r.pk for r in history.context["records"]} == {li.pk, closed.pk}
    assert "广东省深圳市南山区" in history.content.decode()
    # Closing through the page.
    response = client.post(reverse("membership:mobile_end", args=[li.pk]), {"note": "已返回"})
    assert response.status_code == 302
    assert MobileRecord.objects.get(pk=li.pk).ended_on == timezone.localdate()
    client.post(reverse("membership:mobile_end", args=[li.pk]), {"note": "again"})
    assert MobileRecord.objects.get(pk=li.pk).end_note == "已返回"


def test_community_b_sees_and_closes_none_of_a_s_records(world, client):
    record = register_away(world)
    client.force_login(world.users.outsider)
    for params in ({}, {"all": "1"}):
        response = client.get(reverse("membership:mobile"), params)
        assert list(response.context["records"]) == []
        assert "广东省深圳市南山区" not in response.content.decode()
    assert client.post(reverse("membership:mobile_end", args=[record.pk]), {"note": "x"}).status_code == 404
    assert MobileRecord.objects.get(pk=record.pk).ended_on is None
    # A resident has no form and cannot post one.
    client.force_login(world.users.resident)
    assert client.get(reverse("membership:mobile")).context["form"] is None
    assert client.post(reverse("membership:mobile"), {"direction": "in"}).status_code == 404


# --- 2. 双报到: reporting to the community ------------------------------------------------------


def register_report(client, world, **extra):
    data = {
        "action": "register",
        "community": world.community_a.pk,
        "workplace": "市第九医院党委",
        "categories": ["health", "legal"],
        **extra,
    }
    return client.post(reverse("membership:reports"), data)


def test_a_member_reports_is_confirmed_revokes_and_reports_again(world, client):
    client.force_login(world.users.member)
    assert client.get(reverse("membership:reports")).context["form"] is not None
    response = register_report(client, world)
    assert response.status_code == 302
    report = CommunityReport.objects.get(person=world.zhao)
    assert (report.community, report.workplace, report.categories, report.state) == (
        world.community_a,
        "市第九医院党委",
        ["health", "legal"],
        ReportState.REGISTERED,
    )
    # One current report at a time: no form, and a second registration is refused.
    page = client.get(reverse("membership:reports"))
    assert page.context["form"] is None and page.context["current"] == report
    response = register_report(client, world, community=world.community_b.pk)
    assert response.status_code == 200
    assert CommunityReport.objects.filter(person=world.zhao).count() == 1
    # The member cannot confirm their own report.
    assert client.post(reverse("membership:reports"), {"action": "confirm", "report": report.pk}).status_code == 404
    # B's secretary cannot confirm a report to community A, and does not see it.
    client.force_login(world.users.outsider)
    assert client.get(reverse("membership:reports")).context["incoming"] == []
    assert client.post(reverse("membership:reports"), {"action": "confirm", "report": report.pk}).status_code == 404
    with pytest.raises(PermissionDenied):
        mobile_services.report_confirm(actor=as_actor(world.users.outsider), report=report)
    assert CommunityReport.objects.get(pk=report.pk).state == ReportState.REGISTERED
    # A's secretary sees it and confirms.
    client.force_login(world.users.secretary)
    assert client.get(reverse("membership:reports")).context["incoming"] == [report]
    response = client.post(reverse("membership:reports"), {"action": "confirm", "report": report.pk})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.state, report.confirmed_on) == (ReportState.CONFIRMED, timezone.localdate())
    client.post(reverse("membership:reports"), {"action": "confirm", "report": report.pk})  # once only
    assert CommunityReport.objects.get(pk=report.pk).state == ReportState.CONFIRMED
    # The member revokes: a reason is needed.
    client.force_login(world.users.member)
    client.post(reverse("membership:reports"), {"action": "revoke", "report": report.pk, "reason": " "})
    assert CommunityReport.objects.get(pk=report.pk).state == ReportState.CONFIRMED
    response = client.post(reverse("membership:reports"), {"action": "revoke", "report": report.pk, "reason": "搬家"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.state, report.revoke_reason, report.revoked_on) == (
        ReportState.REVOKED,
        "搬家",
        timezone.localdate(),
    )
    # ... and may report again (to the new community).
    assert client.get(reverse("membership:reports")).context["form"] is not None
    assert register_report(client, world, community=world.community_b.pk).status_code == 302
    states = CommunityReport.objects.filter(person=world.zhao).order_by("pk").values_list("state", "community")
    assert list(states) == [(ReportState.REVOKED, world.community_a.pk), (ReportState.REGISTERED, world.community_b.pk)]


def test_a_refused_second_registration_says_why(world, client):
    client.force_login(world.users.member)
    assert register_report(client, world).status_code == 302
    response = register_report(client, world, community=world.community_b.pk)
    refusal = _("You have already reported to a community; revoke that report first.")
    assert refusal in response.content.decode() or refusal in messages_of(response)


def test_report_register_checks_its_input(world):
    with pytest.raises(ValidationError) as exc:
        mobile_services.report_register(
            actor=as_actor(world.users.member), community=world.grid_a1, workplace=" ", categories=["flying"]
        )
    assert set(exc.value.message_dict) == {"community", "workplace", "categories"}
    with pytest.raises(ValidationError):
        mobile_services.report_register(
            actor=as_actor(world.users.member), community=world.community_a, workplace="医院", categories=[]
        )
    assert not CommunityReport.objects.exists()


def test_a_resident_who_is_no_member_cannot_report(world, client):
    client.force_login(world.users.resident)
    assert client.get(reverse("membership:reports")).status_code == 404  # 双报到 is not for them
    assert register_report(client, world).status_code == 404
    for actor in (world.users.resident, world.users.secretary):  # the secretary has no person at all
        with pytest.raises(PermissionDenied):
            mobile_services.report_register(
                actor=as_actor(actor), community=world.community_a, workplace="医院", categories=["health"]
            )
    assert not CommunityReport.objects.exists()


def test_the_community_may_revoke_but_another_member_may_not(world):
    report = mobile_services.report_register(
        actor=as_actor(world.users.member), community=world.community_a, workplace="医院", categories=["health"]
    )
    with pytest.raises(PermissionDenied):
        mobile_services.report_revoke(actor=as_actor(world.users.resident), report=report, reason="不是我的")
    with pytest.raises(PermissionDenied):
        mobile_services.report_revoke(actor=as_actor(world.users.outsider), report=report, reason="越权")
    revoked = mobile_services.report_revoke(actor=as_actor(world.users.staff), report=report, reason="已搬离本社区")
    assert revoked.state == ReportState.REVOKED
    with pytest.raises(ValidationError):
        mobile_services.report_revoke(actor=as_actor(world.users.staff), report=report, reason="again")


# --- 3. care ----------------------------------------------------------------------------------


def visit(world, member, *, actor=None, **data) -> CareVisit:
    payload = {"visited_on": D(2026, 11, 1), "visitors": "王书记、李委员", **data}
    return care_services.care_visit(actor=as_actor(actor or world.users.branch), member=member, data=payload)


def test_a_member_in_hardship_is_registered_once_per_hardship(world):
    case = care_services.care_register(
        actor=as_actor(world.users.branch),
        member=zhao(world),
        hardship="illness",
        description="肺癌术后",
        registered_on=D(2026, 10, 1),
    )
    assert (case.hardship, case.description, case.ended_on) == ("illness", "肺癌术后", None)
    with pytest.raises(ValidationError) as exc:
        care_services.care_register(
            actor=as_actor(world.users.branch),
            member=zhao(world),
            hardship="illness",
            description="",
            registered_on=D(2026, 11, 1),
        )
    assert exc.value.message_dict["hardship"] == [_("This member is already on the register for this hardship.")]
    care_services.care_register(
        actor=as_actor(world.users.branch),
        member=zhao(world),
        hardship="income",
        description="",
        registered_on=D(2026, 11, 1),
    )
    assert CareCase.objects.filter(member=zhao(world)).count() == 2
    # Closed, the same hardship may be registered again later.
    care_services.care_end(actor=as_actor(world.users.branch), case=case, ended_on=D(2026, 11, 20), reason="康复")
    with pytest.raises(ValidationError):
        care_services.care_end(actor=as_actor(world.users.branch), case=case, ended_on=D(2026, 11, 21), reason="again")
    care_services.care_register(
        actor=as_actor(world.users.branch),
        member=zhao(world),
        hardship="illness",
        description="复发",
        registered_on=D(2026, 11, 25),
    )
    assert CareCase.objects.filter(member=zhao(world), hardship="illness").count() == 2


def test_care_register_refuses_bad_input_and_strangers(world):
    with pytest.raises(ValidationError) as exc:
        care_services.care_register(
            actor=as_actor(world.users.branch),
            member=zhao(world),
            hardship="boredom",
            description="",
            registered_on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert set(exc.value.message_dict) == {"hardship", "registered_on"}
    with pytest.raises(PermissionDenied):
        care_services.care_register(
            actor=as_actor(world.users.outsider),
            member=zhao(world),
            hardship="illness",
            description="",
            registered_on=D(2026, 10, 1),
        )
    with pytest.raises(ValidationError):
        case = care_services.care_register(
            actor=as_actor(world.users.branch),
            member=zhao(world),
            hardship="illness",
            description="",
            registered_on=D(2026, 10, 1),
        )
        care_services.care_end(actor=as_actor(world.users.branch), case=case, ended_on=D(2026, 9, 30), reason="")
    assert not CareCase.objects.filter(ended_on__isnull=False).exists()


def test_a_stale_copy_cannot_close_a_case_twice(world):
    case = care_services.care_register(
        actor=as_actor(world.users.branch),
        member=zhao(world),
        hardship="illness",
        description="",
        registered_on=D(2026, 10, 1),
    )
    stale = CareCase.objects.get(pk=case.pk)
    care_services.care_end(actor=as_actor(world.users.branch), case=case, ended_on=D(2026, 11, 20), reason="康复")
    with pytest.raises(ValidationError):
        care_services.care_end(
            actor=as_actor(world.users.branch), case=stale, ended_on=D(2026, 11, 27), reason="又关一次"
        )
    assert CareCase.objects.get(pk=case.pk).ended_on == D(2026, 11, 20)


def test_a_visit_records_money_and_goods(world):
    recorded = visit(world, zhao(world), occasion="住院探望", money="500", goods="水果、牛奶", note="需要轮椅")
    saved = CareVisit.objects.get(pk=recorded.pk)
    assert (saved.money, saved.goods, saved.occasion, saved.note, saved.recorded_by) == (
        Decimal("500.00"),
        "水果、牛奶",
        "住院探望",
        "需要轮椅",
        world.users.branch,
    )
    assert visit(world, zhao(world), money=None).money is None
    assert visit(world, zhao(world), money="").money is None
    assert CareVisit.objects.get(pk=visit(world, zhao(world), money=Decimal("88.8")).pk).money == Decimal("88.80")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"visited_on": "future"}, "visited_on"),
        ({"visited_on": None}, "visited_on"),
        ({"visitors": "  "}, "visitors"),
        ({"money": Decimal("-1")}, "money"),
        ({"money": "五百"}, "money"),
    ],
)
def test_invalid_visits_are_refused(world, data, field):
    if data.get("visited_on") == "future":
        data = {"visited_on": timezone.localdate() + dt.timedelta(days=1)}
    with pytest.raises(ValidationError) as exc:
        visit(world, zhao(world), **data)
    assert field in exc.value.message_dict
    assert not CareVisit.objects.exists()
    with pytest.raises(PermissionDenied):
        visit(world, zhao(world), actor=as_actor(world.users.outsider))


def old_member(world, name: str, born: dt.date, organization=None, region=None) -> Member:
    person = make_person(world.users.admin, region or world.grid_a1, name, id_number=make_id_number(born))
    assert person.birth_date == born
    return make_member(person, organization or world.branch_a1, joined_on=D(1970, 7, 1))


def due_names(world, user=None) -> list[str]:
    return [
        m.person.name
        for m in care_selectors.visits_due(actor=as_actor(user or world.users.secretary, today=world.today))
    ]


@pytest.mark.clock(None)
def test_visits_due_lists_the_old_and_the_sick_not_visited_for_half_a_year(world):
    today = world.today
    days = dt.timedelta
    eighty = old_member(world, "老甲", add_years(today, -80))  # 80 today (on 29 February too)
    old_member(world, "老乙", add_years(today, -80) + days(1))  # 79 for one more day
    visited = old_member(world, "老丙", add_years(today, -88))
    old_member(world, "老丁", add_years(today, -86), organization=world.branch_b1, region=world.grid_b1)  # B's
    visit(world, visited, visited_on=today - days(58))
    assert due_names(world) == ["老甲"]
    # 赵六 (not old) on the register, last visited more than 183 days ago.
    care_services.care_register(
        actor=as_actor(world.users.branch),
        member=zhao(world),
        hardship="illness",
        description="",
        registered_on=add_years(today, -2),
    )
    visit(world, zhao(world), visited_on=today - days(184))
    assert set(due_names(world)) == {"老甲", "赵六"}
    visit(world, zhao(world), visited_on=today - days(183))  # recent enough
    assert due_names(world) == ["老甲"]
    visit(world, eighty, visited_on=today - days(1))
    assert due_names(world) == []
    assert due_names(world, world.users.outsider) == ["老丁"]
    # A closed case no longer counts.
    care_services.care_register(
        actor=as_actor(world.users.secretary),
        member=world.member_li,
        hardship="income",
        description="",
        registered_on=add_years(today, -2),
    )
    assert due_names(world) == ["李四"]
    case = CareCase.objects.get(member=world.member_li)
    care_services.care_end(actor=as_actor(world.users.secretary), case=case, ended_on=today - days(27), reason="已就业")
    assert due_names(world) == []


def test_members_never_visited_come_first(world):
    never = old_member(world, "老甲", D(1940, 1, 1))
    long_ago = old_member(world, "老乙", D(1941, 1, 1))
    visit(world, long_ago, visited_on=D(2025, 1, 1))
    assert due_names(world) == [never.person.name, long_ago.person.name]
    care_services.care_register(
        actor=as_actor(world.users.branch),
        member=never,
        hardship="elderly",
        description="",
        registered_on=D(2025, 1, 1),
    )
    care_services.care_register(
        actor=as_actor(world.users.branch),
        member=long_ago,
        hardship="elderly",
        description="",
        registered_on=D(2025, 1, 1),
    )
    assert [m.person.name for m in care_selectors.care_cases(actor=as_actor(world.users.secretary))] == [
        "老甲",
        "老乙",
    ]


def test_the_care_page_of_a_member(world, client):
    url = reverse("membership:member_care", args=[zhao(world).pk])
    client.force_login(world.users.branch)
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"action": "case", "hardship": "illness", "description": "住院", "registered_on": "2026-11-01"}
    )
    assert response.status_code == 302
    case = CareCase.objects.get(member=zhao(world))
    response = client.post(
        url, {"action": "case", "hardship": "illness", "description": "again", "registered_on": "2026-11-02"}
    )
    assert response.status_code == 200 and "hardship" in response.context["case_form"].errors
    response = client.post(
        url,
        {
            "action": "visit",
            "visited_on": "2026-11-10",
            "visitors": "王书记",
            "occasion": "住院探望",
            "money": "300",
            "goods": "水果",
        },
    )
    assert response.status_code == 302
    assert CareVisit.objects.get(member=zhao(world)).money == Decimal("300.00")
    response = client.post(url, {"action": "visit", "visited_on": "2026-11-10", "visitors": "", "money": "-5"})
    assert response.status_code == 200
    assert {"visitors", "money"} <= set(response.context["visit_form"].errors)
    page = client.get(url)
    body = page.content.decode()
    assert "住院探望" in body and "300.00" in body and "水果" in body
    assert [c.pk for c in page.context["record"]["cases"]] == [case.pk]
    response = client.post(url, {"action": "end", "case": case.pk, "reason": "出院"})
    assert response.status_code == 302
    assert CareCase.objects.get(pk=case.pk).ended_on == timezone.localdate()
    # Ending it again (a second tab, a double click) is refused with a message, not a 500.
    again = client.post(url, {"action": "end", "case": case.pk, "reason": "出院"}, follow=True)
    assert again.status_code == 200
    assert [m.level_tag for m in again.context["messages"]][-1] == "error"
    assert CareCase.objects.get(pk=case.pk).ended_on == timezone.localdate()
    assert client.post(url, {"action": "dance"}).status_code == 404
    assert client.post(url, {"action": "end", "case": 999999}).status_code == 404


def test_the_care_page_is_out_of_reach_out_of_scope(world, client):
    url = reverse("membership:member_care", args=[zhao(world).pk])
    client.force_login(world.users.outsider)
    assert client.get(url).status_code == 404
    response = client.post(url, {"action": "visit", "visited_on": "2026-11-10", "visitors": "越权"})
    assert response.status_code == 404
    assert not CareVisit.objects.exists()
    # 赵六 sees his own page but cannot write to it.
    client.force_login(world.users.member)
    assert client.get(url).context["can_change"] is False
    assert client.post(url, {"action": "visit", "visited_on": "2026-11-10", "visitors": "自己"}).status_code == 404
    # B's page for B's member works for B.
    sun = Member.objects.get(person=world.sun)
    assert client.get(reverse("membership:member_care", args=[sun.pk])).status_code == 404
    client.force_login(world.users.outsider)
    assert client.get(reverse("membership:member_care", args=[sun.pk])).status_code == 200


def test_the_care_overview_page(world, client):
    care_services.care_register(
        actor=as_actor(world.users.branch),
        member=zhao(world),
        hardship="illness",
        description="",
        registered_on=D(2025, 1, 1),
    )
    client.force_login(world.users.secretary)
    response = client.get(reverse("membership:care"))
    assert [m.person.name for m in response.context["register"]] == ["赵六"]
    assert [m.person.name for m in response.context["due"]] == ["赵六"]
    client.force_login(world.users.outsider)
    response = client.get(reverse("membership:care"))
    assert response.context["register"] == [] and response.context["due"] == []


# --- 4. democratic appraisal ------------------------------------------------------------------


@pytest.fixture
def branch(world) -> list[Member]:
    """Branch A1 with six members in good standing: 赵六 and five more (in pinyin order)."""
    members = [zhao(world)]
    for i, name in enumerate(("艾一", "白二", "蔡三", "戴四", "鄂五")):
        person = make_person(world.users.admin, world.grid_a1, name, id_number=make_id_number(D(1980 + i, 1, 2)))
        members.append(make_member(person, world.branch_a1))
    assert Member.objects.filter(organization=world.branch_a1).count() == 6
    return members


def appraise(world, member, grade="", *, actor=None, confirm_excess=False, **data) -> Appraisal:
    payload = {
        "grade": grade,
        "votes_excellent": 3,
        "votes_qualified": 2,
        "votes_basic": 1,
        "votes_unqualified": 0,
        "self_assessment": "认真履行党员义务",
        **data,
    }
    return appraisal_services.appraisal_save(
        actor=as_actor(actor or world.users.branch),
        member=member,
        year=YEAR,
        data=payload,
        confirm_excess=confirm_excess,
    )


def test_at_most_a_third_excellent_unless_the_branch_confirms_with_a_note(world, branch):
    assert appraisal_services.excellent_limit(6) == 2
    appraise(world, branch[0], Grade.EXCELLENT)
    appraise(world, branch[1], Grade.EXCELLENT)
    with pytest.raises(ValidationError) as exc:
        appraise(world, branch[2], Grade.EXCELLENT)
    assert list(exc.value.message_dict) == ["grade"]
    assert not Appraisal.objects.filter(member=branch[2]).exists()  # nothing half-saved
    with pytest.raises(ValidationError):  # confirmed without a note
        appraise(world, branch[2], Grade.EXCELLENT, confirm_excess=True)
    with pytest.raises(ValidationError):  # a note without confirming
        appraise(world, branch[2], Grade.EXCELLENT, grade_note="支部大会表决通过")
    third = appraise(
        world, branch[2], Grade.EXCELLENT, confirm_excess=True, grade_note="抗洪抢险表现突出，支部大会表决通过"
    )
    assert third.grade == Grade.EXCELLENT
    # Saving an excellent member again does not count them twice.
    assert appraise(world, branch[0], Grade.EXCELLENT, votes_excellent=5).votes_excellent == 5
    # Other grades are never limited.
    for member in branch[3:]:
        appraise(world, member, Grade.QUALIFIED)
    assert Appraisal.objects.filter(organization=world.branch_a1, year=YEAR).count() == 6


def test_the_limit_counts_the_branch_only_and_the_year_only(world, branch):
    appraise(world, branch[0], Grade.EXCELLENT)
    appraise(world, branch[1], Grade.EXCELLENT)
    sun = Member.objects.get(person=world.sun)  # B1 has one member: limit 0, A1's excellents do not count
    with pytest.raises(ValidationError):
        appraise(world, sun, Grade.EXCELLENT, actor=as_actor(world.users.outsider))
    appraisal_services.appraisal_save(
        actor=as_actor(world.users.branch), member=branch[2], year=YEAR - 1, data={"grade": Grade.EXCELLENT}
    )  # another year: within its own limit


def test_unqualified_needs_the_reasons_and_votes_cannot_be_negative(world, branch):
    with pytest.raises(ValidationError) as exc:
        appraise(world, branch[0], Grade.UNQUALIFIED)
    assert list(exc.value.message_dict) == ["grade_note"]
    assert appraise(world, branch[0], Grade.UNQUALIFIED, grade_note="长期不参加组织生活").grade == Grade.UNQUALIFIED
    with pytest.raises(ValidationError) as exc:
        appraise(world, branch[1], Grade.QUALIFIED, votes_basic=-1)
    assert "votes_excellent" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        appraise(world, branch[1], "splendid")
    assert "grade" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        appraisal_services.appraisal_save(
            actor=as_actor(world.users.branch), member=branch[1], year=timezone.localdate().year + 1, data={}
        )
    assert "year" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        appraise(world, branch[1], Grade.QUALIFIED, actor=as_actor(world.users.outsider))
    assert not Appraisal.objects.filter(member=branch[1]).exists()


def test_saving_again_updates_the_one_appraisal_of_the_year(world, branch):
    first = appraise(world, branch[0], Grade.QUALIFIED)
    second = appraise(world, branch[0], Grade.BASIC, votes_basic=4, self_assessment="有不足")
    assert second.pk == first.pk
    assert Appraisal.objects.filter(member=branch[0], year=YEAR).count() == 1
    saved = Appraisal.objects.get(pk=first.pk)
    assert (saved.grade, saved.votes_basic, saved.self_assessment, saved.organization) == (
        Grade.BASIC,
        4,
        "有不足",
        world.branch_a1,
    )
    changes = Event.objects.filter(
        target_type=ContentType.objects.get_for_model(Member), target_id=branch[0].pk, action=EventAction.UPDATED
    ).values_list("changes", flat=True)
    assert sorted(c[f"appraisal_{YEAR}"] for c in changes) == [["", Grade.QUALIFIED], [Grade.QUALIFIED, Grade.BASIC]]


def appraisal_url(world, org=None, **params) -> str:
    from django.utils.http import urlencode

    query = {"org": (org or world.branch_a1).pk, "year": YEAR, **params}
    return f"{reverse('membership:appraisal')}?{urlencode(query)}"


def form_data(member, grade, **extra) -> dict:
    return {
        "member": member.pk,
        "votes_excellent": "4",
        "votes_qualified": "1",
        "votes_basic": "0",
        "votes_unqualified": "0",
        "grade": grade,
        "grade_note": "",
        **extra,
    }


def test_the_appraisal_page_counts_and_shows_the_limit(world, branch, client):
    client.force_login(world.users.branch)
    url = appraisal_url(world)
    page = client.get(url)
    sheet = page.context["sheet"]
    assert [m.pk for m, _a in sheet["rows"]] == [m.pk for m in sorted(branch, key=lambda m: m.person.name_pinyin)]
    assert (sheet["excellent_limit"], sheet["graded"], sheet["over_limit"]) == (2, 0, False)
    assert '<p class="error">' not in page.content.decode()
    for member in branch[:2]:
        response = client.post(url, form_data(member, Grade.EXCELLENT))
        assert response.status_code == 302 and response.url == url
    response = client.post(url, form_data(branch[2], Grade.EXCELLENT))
    assert response.status_code == 200 and "grade" in response.context["form"].errors
    response = client.post(
        url, form_data(branch[2], Grade.EXCELLENT, confirm_excess="on", grade_note="支部大会表决通过")
    )
    assert response.status_code == 302
    assert client.post(url, form_data(branch[3], Grade.UNQUALIFIED)).context["form"].errors["grade_note"]
    assert client.post(url, form_data(branch[3], Grade.QUALIFIED, votes_basic="-2")).context["form"].errors
    client.post(url, form_data(branch[3], Grade.QUALIFIED))
    page = client.get(url)
    sheet = page.context["sheet"]
    counts = {grade: n for grade, _label, n in sheet["counts"]}
    assert counts == {Grade.EXCELLENT: 3, Grade.QUALIFIED: 1, Grade.BASIC: 0, Grade.UNQUALIFIED: 0}
    assert (sheet["graded"], sheet["over_limit"]) == (4, True)
    assert '<p class="error">' in page.content.decode()
    # The edit form comes with what was saved.
    edit = client.get(appraisal_url(world, member=branch[0].pk))
    assert edit.context["form"].initial["grade"] == Grade.EXCELLENT


def test_a_branch_secretary_edits_the_own_branch_only(world, branch, client):
    sun = Member.objects.get(person=world.sun)
    client.force_login(world.users.branch)
    assert client.get(appraisal_url(world, member=branch[1].pk)).context["form"] is not None
    assert client.get(appraisal_url(world, member=sun.pk)).status_code == 404
    assert client.get(appraisal_url(world, world.branch_b1, member=sun.pk)).status_code == 404
    assert client.get(appraisal_url(world, member=world.member_li.pk)).status_code == 404  # branch A2
    assert client.post(appraisal_url(world, world.branch_b1), form_data(sun, Grade.QUALIFIED)).status_code == 404
    assert not Appraisal.objects.filter(member=sun).exists()
    # Looking at B1 falls back to the own branch.
    assert client.get(appraisal_url(world, world.branch_b1)).context["organization"] == world.branch_a1
    # B's secretary edits B1's member.
    client.force_login(world.users.outsider)
    response = client.post(appraisal_url(world, world.branch_b1), form_data(sun, Grade.QUALIFIED))
    assert response.status_code == 302
    assert Appraisal.objects.get(member=sun).grade == Grade.QUALIFIED
    # A member without a grant sees no branch at all.
    client.force_login(world.users.member)
    assert client.get(appraisal_url(world)).status_code == 404


def test_messages_after_saving(world, branch, client):
    client.force_login(world.users.branch)
    response = client.post(appraisal_url(world), form_data(branch[0], Grade.QUALIFIED), follow=True)
    assert _("The appraisal of %(name)s has been saved.") % {"name": "赵六"} in messages_of(response)
