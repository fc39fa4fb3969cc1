"""Volunteering: teams; posts claimed by members and confirmed by the community, with overlapping
claims and full posts refused; checking in and out within the post's time; the organiser's
verification; an hour never counted twice and a daily cap; 微心愿 closed only by the resident's
word; the append-only time bank that reconciles with the records; the evidence and the flags."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from dangjian.core.models import Event, Notification
from dangjian.volunteering import selectors, services
from dangjian.volunteering.models import (
    Claim,
    ClaimState,
    LedgerEntry,
    LedgerKind,
    RecordState,
    ServiceRecord,
    TeamMember,
    Wish,
    WishState,
)
from dangjian.volunteering.tests.helpers import at, confirmed_claim, make_post, make_team, make_wish, tomorrow_at
from tests.factories import as_actor, make_member, make_person, make_user

pytestmark = pytest.mark.django_db


def _messages(excinfo) -> str:
    return " ".join(excinfo.value.messages)


# -- Teams ----------------------------------------------------------------------------------------


def test_a_team_is_founded_with_its_leader_as_first_member_and_names_are_unique(world):
    team = make_team(world)
    assert list(TeamMember.objects.filter(team=team).values_list("person__name", flat=True)) == ["赵六"]
    services.team_add_member(actor=as_actor(world.users.staff), team=team, person=world.qian)
    with pytest.raises(ValidationError) as twice:
        services.team_add_member(actor=as_actor(world.users.staff), team=team, person=world.qian)
    assert "已在服务队中" in _messages(twice)
    with pytest.raises(ValidationError) as same_name:
        make_team(world)
    assert "同名" in _messages(same_name)
    # Community B's secretary neither founds a team in A nor adds B's people to A's team.
    with pytest.raises(PermissionDenied):
        services.team_add_member(actor=as_actor(world.users.outsider), team=team, person=world.wang)
    # Leaving keeps the row.
    row = TeamMember.objects.get(team=team, person=world.qian)
    services.team_remove_member(actor=as_actor(world.users.resident), membership=row)
    row.refresh_from_db()
    assert row.left_on == as_actor(world.users.resident).today


# -- Posts and claims -----------------------------------------------------------------------------


def test_a_member_claims_the_community_confirms_and_the_member_is_told(world):
    post = make_post(world)
    member = as_actor(world.users.member)
    assert services.may_claim(actor=member, post=post)
    assert [p.pk for p in selectors.posts_open_to_me(actor=member)] == [post.pk]
    claim = services.claim_post(actor=member, post=post, note="带工具")
    assert claim.state == ClaimState.PENDING
    with pytest.raises(ValidationError) as twice:
        services.claim_post(actor=member, post=post)
    assert "已认领" in _messages(twice)
    services.claim_decide(actor=as_actor(world.users.staff), claim=claim, confirm=True)
    claim.refresh_from_db()
    assert claim.state == ClaimState.CONFIRMED
    notice = Notification.objects.get(recipient=world.users.member, kind="claim_confirmed")
    assert notice.params["title"] == "周末楼道清洁"
    # A resident without party membership, and a member of community B, may not claim A's post.
    assert not services.may_claim(actor=as_actor(world.users.resident), post=post)
    with pytest.raises(PermissionDenied):
        services.claim_post(actor=as_actor(world.users.resident), post=post)


def test_a_member_reporting_to_the_community_may_claim_its_posts(world):
    from dangjian.membership.mobile.services import report_confirm, report_register

    sun_user = make_user("member_b", "member", person=world.sun)  # lives in community B
    post = make_post(world)
    assert not services.may_claim(actor=as_actor(sun_user), post=post)
    report = report_register(
        actor=as_actor(sun_user), community=world.community_a, workplace="钢城一中党支部", categories=["governance"]
    )
    report_confirm(actor=as_actor(world.users.secretary), report=report)
    assert services.may_claim(actor=as_actor(sun_user), post=post)


def test_overlapping_claims_full_posts_and_started_posts_are_refused(world):
    first = make_post(world, hour=9, hours=2)
    overlapping = make_post(world, hour=10, hours=2, title="法律咨询值班")
    member = as_actor(world.users.member)
    services.claim_post(actor=member, post=first)
    with pytest.raises(ValidationError) as clash:
        services.claim_post(actor=member, post=overlapping)
    assert "同一时间" in _messages(clash) and "周末楼道清洁" in _messages(clash)
    # Full: one place, taken by a resident unit's claim.
    single = make_post(world, hour=14, hours=1, places=1, title="助老送餐")
    services.claim_post(actor=as_actor(world.users.liaison), post=single, unit=world.unit_a)
    with pytest.raises(ValidationError) as full:
        services.claim_post(actor=member, post=single)
    assert "名额已满" in _messages(full)
    # Started: no claim.
    late = at(world.users.member, single.starts_at + dt.timedelta(minutes=1))
    with pytest.raises(ValidationError) as started:
        services.claim_post(actor=late, post=make_post(world, hour=16, hours=1, title="巡逻"))  # not started
        services.claim_post(actor=late, post=single)
    assert "已开始" in _messages(started) or "名额已满" in _messages(started)
    assert Claim.objects.filter(person=world.zhao).count() == 2  # the refused claims wrote nothing


def test_checking_in_and_out_inside_the_post_records_verified_hours_once(world):
    claim = confirmed_claim(world)
    post = claim.post
    too_early = at(world.users.member, post.starts_at - dt.timedelta(hours=1))
    with pytest.raises(ValidationError) as early:
        services.claim_check_in(actor=too_early, claim=claim)
    assert "半小时" in _messages(early)
    arrived = at(world.users.member, post.starts_at - dt.timedelta(minutes=10))
    services.claim_check_in(actor=arrived, claim=claim)
    with pytest.raises(ValidationError):
        services.claim_check_in(actor=arrived, claim=claim)
    left = at(world.users.member, post.starts_at + dt.timedelta(minutes=95))
    record = services.claim_check_out(actor=left, claim=claim)
    # From the start (not the early arrival) to the check-out: 95 minutes, verified by check-in.
    assert (record.minutes, record.state, record.method) == (95, RecordState.VERIFIED, "check_in")
    assert LedgerEntry.objects.get(record=record).minutes == 95
    with pytest.raises(ValidationError) as again:
        services.claim_check_out(actor=left, claim=claim)
    assert "已签退" in _messages(again)
    # The organiser cannot record the same claim's time again: it counts once.
    with pytest.raises(ValidationError) as twice:
        services.record_service(
            actor=at(world.users.staff, post.ends_at),
            person=world.zhao,
            community=world.community_a,
            started_at=post.starts_at,
            ended_at=post.ends_at,
            description="",
            claim=claim,
        )
    assert "不能重复计算" in _messages(twice)
    assert ServiceRecord.objects.count() == 1 and LedgerEntry.objects.count() == 1


def test_hours_outside_the_posts_window_or_longer_than_the_time_are_refused(world):
    claim = confirmed_claim(world)
    post = claim.post
    staff = at(world.users.staff, post.ends_at + dt.timedelta(hours=1))
    with pytest.raises(ValidationError) as outside:
        services.record_service(
            actor=staff,
            person=world.zhao,
            community=world.community_a,
            started_at=post.starts_at - dt.timedelta(hours=1),
            ended_at=post.ends_at,
            description="",
            claim=claim,
        )
    assert "岗位时间" in _messages(outside)
    with pytest.raises(ValidationError) as too_long:
        services.record_service(
            actor=staff,
            person=world.zhao,
            community=world.community_a,
            started_at=post.starts_at,
            ended_at=post.ends_at,
            minutes=180,
            description="",
            claim=claim,
        )
    assert "不能超过" in _messages(too_long)
    assert ServiceRecord.objects.count() == 0 and LedgerEntry.objects.count() == 0


def test_overlapping_time_and_the_daily_cap_are_refused(world, settings):
    from dangjian.core.conf import override

    settings.DANGJIAN = override(SERVICE_DAILY_CAP_HOURS=3)
    staff = at(world.users.staff, tomorrow_at(world, 23))

    def record(hour: int, hours: int):
        start = tomorrow_at(world, hour)
        return services.record_service(
            actor=staff,
            person=world.zhao,
            community=world.community_a,
            started_at=start,
            ended_at=start + dt.timedelta(hours=hours),
            description="入户走访独居老人",
        )

    record(8, 2)
    with pytest.raises(ValidationError) as overlap:
        record(9, 1)
    assert "只计一次" in _messages(overlap) or "已有" in _messages(overlap)
    with pytest.raises(ValidationError) as cap:
        record(14, 2)
    assert "每天最多计 3 小时" in _messages(cap)
    record(14, 1)
    assert sum(ServiceRecord.objects.values_list("minutes", flat=True)) == 180


def test_a_members_own_record_waits_for_someone_else_to_verify_it(world):
    member = at(world.users.member, tomorrow_at(world, 20))
    start = tomorrow_at(world, 15)
    record = services.record_submit(
        actor=member,
        community=world.community_a,
        started_at=start,
        ended_at=start + dt.timedelta(hours=1),
        description="帮邻居修水管",
    )
    assert record.state == RecordState.PENDING and not LedgerEntry.objects.exists()
    assert [r.pk for r in selectors.pending_records(actor=as_actor(world.users.staff))] == [record.pk]
    with pytest.raises(ValidationError) as why:
        services.record_verify(actor=as_actor(world.users.staff), record=record, verified=False)
    assert "原因" in _messages(why)
    services.record_verify(actor=at(world.users.staff, tomorrow_at(world, 21)), record=record, verified=True)
    record.refresh_from_db()
    assert record.state == RecordState.VERIFIED and LedgerEntry.objects.get(record=record).minutes == 60
    # Community B's secretary sees nothing to verify of A's, and may not.
    assert selectors.pending_records(actor=as_actor(world.users.outsider)) == []


# -- The time bank --------------------------------------------------------------------------------


def _verified(world, hour: int, hours: int = 1, person=None):
    start = tomorrow_at(world, hour)
    return services.record_service(
        actor=at(world.users.staff, tomorrow_at(world, 23)),
        person=person or world.zhao,
        community=world.community_a,
        started_at=start,
        ended_at=start + dt.timedelta(hours=hours),
        description="社区治理议事",
    )


def test_the_ledger_is_append_only_and_a_reversal_undoes_a_record(world):
    record = _verified(world, 9, 2)
    line = LedgerEntry.objects.get(record=record)
    with pytest.raises(ValidationError):
        line.save()
    with pytest.raises(ValidationError):
        line.delete()
    with pytest.raises(ValidationError):
        LedgerEntry.objects.filter(pk=line.pk).update(minutes=1000)
    with pytest.raises(ValidationError):
        LedgerEntry.objects.all().delete()
    with pytest.raises(ValidationError):  # the base manager (Django's own deletes and updates) too
        LedgerEntry._base_manager.filter(pk=line.pk).update(minutes=1000)
    with pytest.raises(IntegrityError), transaction.atomic():  # an earned line is some record's
        LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(
                    person=world.zhao,
                    kind=LedgerKind.EARNED,
                    minutes=60,
                    community=world.community_a,
                    created_at=line.created_at,
                )
            ]
        )
    assert services.balance(world.zhao.pk) == 120
    services.record_reverse(actor=as_actor(world.users.staff), record=record, reason="重复登记")
    assert services.balance(world.zhao.pk) == 0
    kinds = sorted(LedgerEntry.objects.values_list("kind", "minutes"))
    assert kinds == [(LedgerKind.EARNED, 120), (LedgerKind.REVERSAL, -120)]
    with pytest.raises(ValidationError):
        services.record_reverse(actor=as_actor(world.users.staff), record=record, reason="再撤一次")


def test_spending_and_giving_hours_within_the_balance(world):
    _verified(world, 9, 3)
    staff = as_actor(world.users.staff)
    with pytest.raises(ValidationError) as too_much:
        services.ledger_spend(actor=staff, person=world.zhao, minutes=200, memo="理发服务")
    assert "3 小时" in _messages(too_much)
    services.ledger_spend(actor=staff, person=world.zhao, minutes=60, memo="理发服务")
    services.ledger_donate(actor=staff, donor=world.zhao, recipient=world.zhang, minutes=90, memo="赠予独居老人")
    assert (services.balance(world.zhao.pk), services.balance(world.zhang.pk)) == (30, 90)
    with pytest.raises(PermissionDenied):  # B's secretary does not keep A's time banks
        services.ledger_spend(actor=as_actor(world.users.outsider), person=world.zhao, minutes=1, memo="x")


def test_the_ledger_reconciles_with_the_records_at_every_level_and_catches_a_stray_line(world):
    _verified(world, 8, 2)
    reversed_one = _verified(world, 11, 1)
    _verified(world, 8, 1, person=world.qian)
    services.record_reverse(actor=as_actor(world.users.staff), record=reversed_one, reason="误记")
    services.ledger_spend(actor=as_actor(world.users.staff), person=world.zhao, minutes=30, memo="家政")
    staff = as_actor(world.users.secretary)
    rows = selectors.ledger_reconciliation(actor=staff)
    assert len(rows) == 1 and rows[0].level == "total" and rows[0].balanced
    assert (rows[0].verified_minutes, rows[0].records) == (180, 2)
    # A line changed around the services (by SQL) shows up at the person's and the community's level.
    line = LedgerEntry.objects.filter(person=world.zhao, kind=LedgerKind.EARNED).first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE volunteering_ledgerentry SET minutes = 600 WHERE id = %s", [line.pk])
    rows = selectors.ledger_reconciliation(actor=staff)
    levels = {(row.level, row.key) for row in rows if row.level != "total"}
    assert levels == {("person", world.zhao.pk), ("community", world.community_a.pk)}
    assert not rows[-1].balanced


# -- 微心愿 -----------------------------------------------------------------------------------------


def test_a_wish_is_closed_only_by_the_residents_word_and_its_time_counts_then(world):
    wish = make_wish(world)
    member = as_actor(world.users.member)
    assert [w.pk for w in selectors.wishes_open_to_me(actor=member)] == [wish.pk]
    services.wish_claim(actor=member, wish=wish)
    with pytest.raises(ValidationError) as taken:
        services.wish_claim(actor=member, wish=wish)
    assert "已被" in _messages(taken)
    start = tomorrow_at(world, 10)
    services.wish_fulfil(
        actor=at(world.users.member, tomorrow_at(world, 12)),
        wish=wish,
        note="送去收音机并教会使用",
        started_at=start,
        ended_at=start + dt.timedelta(minutes=45),
    )
    wish.refresh_from_db()
    assert wish.state == WishState.FULFILLED
    record = ServiceRecord.objects.get(wish=wish)
    assert record.state == RecordState.PENDING and not LedgerEntry.objects.exists()
    assert Notification.objects.filter(recipient=world.users.resident, kind="wish_fulfilled").exists()
    # The one who took it cannot confirm it for the resident.
    with pytest.raises(PermissionDenied):
        services.wish_confirm(actor=member, wish=wish, fulfilled=True)
    # The resident says not yet: back to the member, the time does not count.
    services.wish_confirm(actor=as_actor(world.users.resident), wish=wish, fulfilled=False)
    wish.refresh_from_db()
    record.refresh_from_db()
    assert wish.state == WishState.CLAIMED and record.state == RecordState.REJECTED
    assert Notification.objects.filter(recipient=world.users.member, kind="wish_not_fulfilled").exists()
    # Done again, without time this time; now the resident confirms.
    services.wish_fulfil(actor=member, wish=wish, note="换了一台新的")
    services.wish_confirm(actor=as_actor(world.users.resident), wish=wish, fulfilled=True)
    wish.refresh_from_db()
    assert (wish.state, wish.confirmed_via) == (WishState.CONFIRMED, "resident")


def test_the_residents_confirmation_verifies_the_time_of_the_wish(world):
    wish = make_wish(world)
    services.wish_claim(actor=as_actor(world.users.member), wish=wish)
    start = tomorrow_at(world, 10)
    services.wish_fulfil(
        actor=at(world.users.member, tomorrow_at(world, 12)),
        wish=wish,
        note="陪同复查",
        started_at=start,
        ended_at=start + dt.timedelta(hours=1),
    )
    # The staff record the resident's answer given by phone: they must say how.
    with pytest.raises(ValidationError) as how:
        services.wish_confirm(actor=as_actor(world.users.staff), wish=wish, fulfilled=True)
    assert "如何" in _messages(how)
    services.wish_confirm(actor=as_actor(world.users.staff), wish=wish, fulfilled=True, note="电话回访本人确认")
    record = ServiceRecord.objects.get(wish=wish)
    assert (record.state, record.method) == (RecordState.VERIFIED, "resident")
    assert services.balance(world.zhao.pk) == 60
    assert Wish.objects.get(pk=wish.pk).confirmed_via == "staff"


def test_a_private_wish_is_seen_by_the_staff_the_resident_and_its_taker_only(world):
    from django.http import Http404

    wish = make_wish(world, shown=False)
    member = as_actor(world.users.member)
    assert selectors.wishes_open_to_me(actor=member) == []
    with pytest.raises(Http404):
        selectors.wish_for(actor=member, pk=wish.pk)
    with pytest.raises(PermissionDenied):
        services.wish_claim(actor=member, wish=wish)
    with pytest.raises(Http404):
        selectors.wish_for(actor=as_actor(world.users.outsider), pk=wish.pk)
    assert selectors.wish_for(actor=as_actor(world.users.resident), pk=wish.pk) == wish
    # The staff give it to the member, who then sees it.
    services.wish_claim(actor=as_actor(world.users.staff), wish=wish, claimer=world.zhao)
    assert selectors.wish_for(actor=member, pk=wish.pk) == wish


def test_staff_record_a_wish_for_a_resident_in_their_area_only(world):
    staff = as_actor(world.users.staff)
    wish = services.wish_create(actor=staff, resident=world.zhang, title="希望有人帮忙换灯泡")
    assert wish.community == world.community_a and wish.recorded_by == world.users.staff
    with pytest.raises(PermissionDenied):
        services.wish_create(actor=staff, resident=world.wang, title="换灯泡")  # 王五 lives in community B
    with pytest.raises(ValidationError) as empty:
        services.wish_create(actor=staff, resident=world.zhang, title="  ")
    assert "心愿" in _messages(empty)


# -- Evidence and flags ---------------------------------------------------------------------------


def test_gini_and_top_share_on_known_vectors():
    assert selectors.gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert selectors.gini([0, 0, 0, 10]) == pytest.approx(0.75)
    assert selectors.gini([1, 2, 3, 4, 5]) == pytest.approx(4 / 15)
    assert selectors.gini([]) is None and selectors.gini([0, 0]) is None
    assert selectors.top_share([10, 0, 0, 0, 0, 0, 0, 0, 0, 0]) == pytest.approx(1.0)
    assert selectors.top_share(list(range(1, 21))) == pytest.approx((20 + 19) / 210)


def test_volunteering_evidence_equals_its_records(world):
    extra = make_person(world.users.admin, world.grid_a2, "周九")
    make_member(extra, world.branch_a2)
    _verified(world, 8, 2)  # 赵六
    _verified(world, 8, 1, person=extra)
    _verified(world, 10, 1, person=world.qian)  # a resident, not a member: not in the members' figures
    staff = as_actor(world.users.secretary)
    today = staff.today
    period = (today, today + dt.timedelta(days=2))
    [row] = selectors.volunteering_evidence(actor=staff, units=[world.community_a], start=period[0], end=period[1])
    members = selectors.members_of(actor=staff, unit=world.community_a)
    records = selectors.member_service_records(actor=staff, unit=world.community_a, start=period[0], end=period[1])
    assert row.members == members.count() == 3  # 赵六, 周九 and 张三? no: see below
    assert row.volunteers == len({r.person_id for r in records}) == 2
    assert row.minutes == sum(r.minutes for r in records) == 180
    assert row.participation == pytest.approx(2 / 3)
    assert row.hours_per_member == pytest.approx(1.0)
    assert row.gini == pytest.approx(selectors.gini([120, 60, 0]))
    # Out of scope: community B's secretary counts none of A's.
    [other] = selectors.volunteering_evidence(
        actor=as_actor(world.users.outsider), units=[world.community_a], start=period[0], end=period[1]
    )
    assert (other.members, other.minutes) == (0, 0)


def test_dual_report_evidence_counts_reports_served_and_claims_served(world):
    from dangjian.membership.mobile.services import report_confirm, report_register

    sun_user = make_user("member_b", "member", person=world.sun)
    report = report_register(
        actor=as_actor(sun_user), community=world.community_a, workplace="钢城一中党支部", categories=["governance"]
    )
    report_confirm(actor=as_actor(world.users.secretary), report=report)
    claim = confirmed_claim(world)
    confirmed_claim(world, post=make_post(world, hour=14, title="助老送餐"))
    services.record_service(
        actor=at(world.users.staff, claim.post.ends_at),
        person=world.zhao,
        community=world.community_a,
        started_at=claim.post.starts_at,
        ended_at=claim.post.ends_at,
        description="",
        claim=claim,
    )
    staff = as_actor(world.users.secretary)
    start, end = staff.today, staff.today + dt.timedelta(days=2)
    [row] = selectors.dual_report_evidence(actor=staff, units=[world.community_a], start=start, end=end)
    assert (row.reported, row.served, row.claims_confirmed, row.claims_served) == (1, 0, 2, 1)
    assert row.completion == pytest.approx(1 / 3)
    assert selectors.dual_reports(actor=staff, unit=world.community_a, start=start, end=end).count() == row.reported
    # A report holds from its confirmation: none in a period that ended the day before it.
    earlier = selectors.dual_report_evidence(
        actor=staff, units=[world.community_a], start=start - dt.timedelta(days=90), end=start - dt.timedelta(days=1)
    )
    assert earlier[0].reported == 0
    assert selectors.dual_report_claims(actor=staff, unit=world.community_a, start=start, end=end).count() == 2


def test_flags_round_hours_above_the_post_and_days_over_the_cap(world, settings):
    from dangjian.core.conf import override

    claim = confirmed_claim(world, post=make_post(world, hour=9, hours=1))
    ServiceRecord.objects.create(  # written around the platform: 3 whole hours for a 1-hour post
        person=world.zhao,
        community=world.community_a,
        claim=claim,
        description="x",
        started_at=claim.post.starts_at,
        ended_at=claim.post.ends_at,
        minutes=180,
        state=RecordState.VERIFIED,
    )
    _verified(world, 13, 4)
    settings.DANGJIAN = override(SERVICE_DAILY_CAP_HOURS=5)  # lowered afterwards
    staff = as_actor(world.users.secretary)
    start, end = staff.today, staff.today + dt.timedelta(days=2)
    assert [r.minutes for r in selectors.flag_round_hours(actor=staff, start=start, end=end)] == [180]
    [over] = selectors.flag_over_cap(actor=staff, start=start, end=end)
    assert (over["name"], over["minutes"], over["cap"]) == ("赵六", 420, 300)
    assert selectors.flag_over_cap(actor=as_actor(world.users.outsider), start=start, end=end) == []


def test_every_write_is_an_event(world):
    claim = confirmed_claim(world)
    assert Event.objects.filter(target_id=str(claim.pk), changes__state__1="confirmed").exists()


# -- Requests dispatched to volunteer teams ---------------------------------------------------------


def _legal_request(world):
    from dangjian.servicedesk.models import ServiceCategory
    from dangjian.servicedesk.requests import lifecycle

    return lifecycle.request_submit(
        actor=as_actor(world.users.staff),
        channel="desk",
        category=ServiceCategory.objects.get(code="legal-aid"),
        description="邻里漏水纠纷，想咨询法律意见",
        region=world.grid_a1,
        requester=world.zhang,
    )


def test_a_request_suggests_the_members_of_the_team_whose_specialty_it_is(world):
    from dangjian.servicedesk.models import AssigneeKind
    from dangjian.servicedesk.requests import dispatch

    req = _legal_request(world)
    staff = as_actor(world.users.staff)
    assert not any(s.kind == AssigneeKind.VOLUNTEER for s in dispatch.suggestions(actor=staff, req=req))
    make_team(world)  # 红钢城法律援助志愿服务队, specialty 法律援助, led by 赵六 (a member with an account)
    services.team_add_member(actor=staff, team=make_team(world, name="第二法律服务队"), person=world.qian)
    found = [s for s in dispatch.suggestions(actor=staff, req=req) if s.kind == AssigneeKind.VOLUNTEER]
    assert [s.value for s in found] == [world.zhao.pk]  # 钱七 is no party member: a request cannot go to her
    [zhao] = found
    assert "红钢城法律援助志愿服务队队长" in zhao.reasons and "第二法律服务队队长" in zhao.reasons
    # Community B's secretary is offered none of A's team members.
    outsider = dispatch.suggestions(actor=as_actor(world.users.outsider), req=req)
    assert not any(s.kind == AssigneeKind.VOLUNTEER for s in outsider)


def test_the_hours_of_a_request_count_once_and_only_for_its_volunteer(world):
    from dangjian.servicedesk.models import AssigneeKind
    from dangjian.servicedesk.requests import lifecycle

    req = _legal_request(world)
    staff = as_actor(world.users.staff)
    lifecycle.request_dispatch(actor=staff, req=req, kind=AssigneeKind.VOLUNTEER, person=world.zhao)
    req.refresh_from_db()
    start = staff.now - dt.timedelta(hours=3)

    def record(person):
        return services.record_service(
            actor=staff,
            person=person,
            community=world.community_a,
            started_at=start,
            ended_at=start + dt.timedelta(hours=1),
            description="上门提供法律咨询",
            service_request=req,
        )

    with pytest.raises(ValidationError) as not_theirs:
        record(world.qian)
    assert "没有派给" in _messages(not_theirs)
    record(world.zhao)
    with pytest.raises(ValidationError) as twice:
        services.record_service(
            actor=staff,
            person=world.zhao,
            community=world.community_a,
            started_at=start + dt.timedelta(hours=2),
            ended_at=start + dt.timedelta(hours=2, minutes=30),
            description="回访",
            service_request=req,
        )
    assert "只计一次" in _messages(twice)


def test_a_liaison_takes_a_shown_wish_for_the_unit_and_only_then(world):
    from django.http import Http404

    liaison = as_actor(world.users.liaison)
    hidden = make_wish(world, shown=False, title="希望有人帮忙修理轮椅")
    shown = make_wish(world, shown=True)
    assert [w.pk for w in selectors.wishes_open_to_units(actor=liaison)] == [shown.pk]
    with pytest.raises(Http404):
        selectors.wish_for(actor=liaison, pk=hidden.pk)
    with pytest.raises(PermissionDenied):
        services.wish_claim(actor=liaison, wish=hidden, unit=world.unit_a)
    with pytest.raises(PermissionDenied):  # not the liaison's unit
        services.wish_claim(actor=liaison, wish=shown, unit=world.unit_b)
    services.wish_claim(actor=liaison, wish=shown, unit=world.unit_a)
    shown.refresh_from_db()
    assert (shown.state, shown.claimer_unit) == (WishState.CLAIMED, world.unit_a)
    services.wish_fulfil(actor=liaison, wish=shown, note="医院志愿者送到家")
    # Community A's staff may not hand a wish to a unit of community B.
    other = make_wish(world, shown=False, title="想要一个电饭煲")
    with pytest.raises(PermissionDenied):
        services.wish_claim(actor=as_actor(world.users.staff), wish=other, unit=world.unit_b)


# -- Found in review: each of these once went through ---------------------------------------------


def test_staff_never_verify_or_confirm_their_own_hours(world):
    worker = make_person(world.users.admin, world.grid_a1, "吴九")
    make_member(worker, world.branch_a1)
    staff_user = make_user("staff_member_a", "community_staff", world.community_a, person=worker)
    staff = at(staff_user, tomorrow_at(world, 23))
    start = tomorrow_at(world, 9)
    with pytest.raises(ValidationError) as own:
        services.record_service(
            actor=staff,
            person=worker,
            community=world.community_a,
            started_at=start,
            ended_at=start + dt.timedelta(hours=8),
            description="值班",
        )
    assert "由他人核实" in _messages(own)
    post = make_post(world)
    claim = services.claim_post(actor=as_actor(staff_user), post=post)
    with pytest.raises(ValidationError):
        services.claim_decide(actor=as_actor(staff_user), claim=claim, confirm=True)
    assert not ServiceRecord.objects.exists()


def test_a_registration_the_community_has_not_confirmed_opens_nothing(world):
    from dangjian.membership.mobile.services import report_register

    sun_user = make_user("member_b", "member", person=world.sun)
    report_register(
        actor=as_actor(sun_user), community=world.community_a, workplace="钢城一中党支部", categories=["governance"]
    )
    post = make_post(world)
    shown = make_wish(world)
    assert not services.may_claim(actor=as_actor(sun_user), post=post)
    assert selectors.wishes_open_to_me(actor=as_actor(sun_user)) == []
    assert not services.may_take_wish(actor=as_actor(sun_user), wish=shown)


def test_no_hours_after_a_withdrawal_and_no_calling_off_a_running_post(world):
    claim = confirmed_claim(world)
    post = claim.post
    running = at(world.users.member, post.starts_at + dt.timedelta(minutes=5))
    services.claim_check_in(actor=running, claim=claim)
    with pytest.raises(ValidationError) as checked_in:
        services.claim_withdraw(actor=running, claim=claim)
    assert "签退" in _messages(checked_in)
    with pytest.raises(ValidationError) as started:
        services.post_cancel(
            actor=at(world.users.staff, post.starts_at + dt.timedelta(minutes=6)), post=post, reason="下雨"
        )
    assert "已开始" in _messages(started)
    # The staff decline it behind the member's back (a stale claim object): no hours at check-out.
    Claim.objects.filter(pk=claim.pk).update(state=ClaimState.DECLINED)
    with pytest.raises(ValidationError) as gone:
        services.claim_check_out(actor=at(world.users.member, post.starts_at + dt.timedelta(hours=1)), claim=claim)
    assert "不再是确认状态" in _messages(gone)
    assert not ServiceRecord.objects.exists()


def test_a_wishs_time_is_not_verified_before_the_residents_word(world):
    wish = make_wish(world)
    services.wish_claim(actor=as_actor(world.users.member), wish=wish)
    start = tomorrow_at(world, 10)
    services.wish_fulfil(
        actor=at(world.users.member, tomorrow_at(world, 12)),
        wish=wish,
        note="送到",
        started_at=start,
        ended_at=start + dt.timedelta(hours=1),
    )
    record = ServiceRecord.objects.get(wish=wish)
    assert selectors.pending_records(actor=as_actor(world.users.staff)) == []
    with pytest.raises(ValidationError) as early:
        services.record_verify(actor=as_actor(world.users.staff), record=record, verified=True)
    assert "居民确认" in _messages(early)


def test_records_far_away_in_time_or_longer_than_a_day_are_refused(world):
    member = at(world.users.member, tomorrow_at(world, 20))
    for start, end in (
        (dt.datetime(1, 1, 1, tzinfo=dt.UTC), dt.datetime(1, 1, 1, 2, tzinfo=dt.UTC)),
        (tomorrow_at(world, 8) - dt.timedelta(days=400), tomorrow_at(world, 9) - dt.timedelta(days=400)),
        (tomorrow_at(world, 8) - dt.timedelta(days=3), tomorrow_at(world, 9)),
    ):
        with pytest.raises(ValidationError):
            services.record_submit(
                actor=member, community=world.community_a, started_at=start, ended_at=end, description="修水管"
            )
    assert not ServiceRecord.objects.exists()


def test_the_evaluation_reads_volunteerings_leaves_together_as_each_alone(world):
    """The indicators that share their evidence give the same numbers measured together."""
    from dangjian.core import indicators as registry

    claim = confirmed_claim(world)
    services.record_service(
        actor=at(world.users.staff, claim.post.ends_at),
        person=world.zhao,
        community=world.community_a,
        started_at=claim.post.starts_at,
        ended_at=claim.post.ends_at,
        description="",
        claim=claim,
    )
    actor = as_actor(world.users.admin)
    start, end = actor.today - dt.timedelta(days=10), actor.today + dt.timedelta(days=10)
    units = [world.community_a.pk, world.community_b.pk]
    codes = [i.code for i in registry.indicators() if i.app == "volunteering"]
    together = registry.measure_together(actor, start, end, units, codes)
    alone = {code: registry.indicator(code).measure(actor, start, end, units) for code in codes}
    assert together == alone
    assert together["volunteering.claims"][world.community_a.pk].numerator == 1


def test_the_round_hours_check_speaks_from_three_records_in_a_community(world):
    from dangjian.core import indicators as registry

    check = registry.check("volunteering.round_hours")
    staff = as_actor(world.users.secretary)
    start, end = staff.today, staff.today + dt.timedelta(days=2)
    made = []
    for hour in (8, 10, 14):
        claim = confirmed_claim(world, post=make_post(world, hour=hour, hours=1, title=f"岗位{hour}"))
        made.append(
            ServiceRecord.objects.create(  # written around the platform: 2 whole hours for a 1-hour post
                person=world.zhao,
                community=world.community_a,
                claim=claim,
                description="x",
                started_at=claim.post.starts_at,
                ended_at=claim.post.starts_at + dt.timedelta(hours=2),
                minutes=120,
                state=RecordState.VERIFIED,
            ).pk
        )
        found = check.detect(staff, start, end, [world.community_a.pk, world.community_b.pk])
        assert (world.community_a.pk in found) == (len(made) == 3)  # two are not yet a pattern
    assert found[world.community_a.pk].evidence == sorted(made)
    assert [r.pk for r in check.records(staff, made)] == sorted(made)
    assert check.detect(as_actor(world.users.outsider), start, end, [world.community_a.pk]) == {}


def test_the_resident_gives_and_takes_back_consent_to_show_a_wish(world):
    wish = make_wish(world, shown=False)  # 钱七's
    resident, staff, member = as_actor(world.users.resident), as_actor(world.users.staff), as_actor(world.users.member)
    assert not services.may_take_wish(actor=member, wish=wish)
    services.wish_set_shown(actor=resident, wish=wish, shown=True)
    wish.refresh_from_db()
    assert wish.shown_to_members and services.may_take_wish(actor=member, wish=wish)
    with pytest.raises(ValidationError) as silent:  # the staff say how she said so
        services.wish_set_shown(actor=staff, wish=wish, shown=False)
    assert "如何表示同意" in " ".join(silent.value.messages)
    services.wish_set_shown(actor=staff, wish=wish, shown=False, note="本人电话要求不再公开")
    wish.refresh_from_db()
    assert not wish.shown_to_members and not services.may_take_wish(actor=member, wish=wish)
    with pytest.raises(PermissionDenied):
        services.wish_set_shown(actor=member, wish=wish, shown=True)
    assert Event.objects.filter(reason="本人电话要求不再公开").exists()


def test_the_evaluations_periods_end_the_day_before_their_end(world):
    """The registry's periods are [start, end): a record on the day ``end`` is the next period's."""
    from django.utils import timezone

    from dangjian.core import indicators as registry

    day = dt.date(2026, 10, 1)  # the first day of Q4: not Q3's, whose end it is
    ServiceRecord.objects.create(
        person=world.zhao,
        community=world.community_a,
        description="x",
        started_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10))),
        ended_at=timezone.make_aware(dt.datetime.combine(day, dt.time(11))),
        minutes=60,
        state=RecordState.VERIFIED,
    )
    actor = as_actor(world.users.admin)
    indicator = registry.indicator("volunteering.participation")
    q3 = indicator.measure(actor, dt.date(2026, 7, 1), dt.date(2026, 10, 1), [world.community_a.pk])
    q4 = indicator.measure(actor, dt.date(2026, 10, 1), dt.date(2027, 1, 1), [world.community_a.pk])
    assert q3[world.community_a.pk].numerator == 0 and q4[world.community_a.pk].numerator == 1
    listed = indicator.records(actor, dt.date(2026, 7, 1), dt.date(2026, 10, 1), world.community_a.pk, "numerator")
    assert listed.count() == 0
