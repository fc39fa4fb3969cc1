"""The membership leaf of the evaluation (党费按期缴纳率), worked by hand: two members of community A
due for 2026-Q4; 赵六 pays October and November together in December (quarterly: on time) and
December in it, 李四 pays October on time, November after the quarter and December not at all."""

import datetime as dt

from dangjian.core import indicators as registry
from dangjian.membership.dues.services import dues_assess, dues_record_payment
from tests.factories import as_actor

START, END = dt.date(2026, 10, 1), dt.date(2027, 1, 1)


def _pay(world, member, month, paid_on):
    dues_record_payment(
        actor=as_actor(world.users.secretary, today=paid_on),
        member=member,
        months=[month],
        method="cash",
        paid_on=paid_on,
    )


def test_dues_paid_on_time_counts_members_who_paid_every_month_by_its_end(world):
    secretary = as_actor(world.users.secretary, today=dt.date(2026, 9, 1))
    zhao, li = world.zhao.member, world.li.member
    li.joined_on = dt.date(2025, 11, 1)
    li.save(update_fields=["joined_on"])
    for member in (zhao, li):
        dues_assess(actor=secretary, member=member, year=2026, kind="fixed", monthly="0.20")
    _pay(world, zhao, dt.date(2026, 10, 1), dt.date(2026, 12, 10))
    _pay(world, zhao, dt.date(2026, 11, 1), dt.date(2026, 12, 10))
    _pay(world, zhao, dt.date(2026, 12, 1), dt.date(2026, 12, 31))  # the quarter's last day: on time
    _pay(world, li, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    _pay(world, li, dt.date(2026, 11, 1), dt.date(2027, 1, 1))  # the day after the quarter: late
    indicator = registry.indicator("membership.dues_on_time")
    assert indicator.group == "C"
    actor = as_actor(world.users.admin, today=dt.date(2027, 1, 5))
    measured = indicator.measure(actor, START, END, [world.community_a.pk, world.community_b.pk])
    a = measured[world.community_a.pk]
    assert (a.numerator, a.denominator, a.value) == (1, 2, 0.5)
    assert measured[world.community_b.pk].denominator == 0  # 孙八 was never assessed: not due
    assert [m.person.name for m in indicator.records(actor, START, END, world.community_a.pk, "numerator")] == ["赵六"]
    assert indicator.records(actor, START, END, world.community_a.pk, "denominator").count() == 2
    # Out of a secretary's scope: community B is not measured, its records are none.
    mine = as_actor(world.users.secretary, today=dt.date(2027, 1, 5))
    assert set(indicator.measure(mine, START, END, [world.community_a.pk, world.community_b.pk])) == {
        world.community_a.pk
    }
    assert indicator.records(mine, START, END, world.community_b.pk, "denominator").count() == 0


def _measure(world, code, actor=None):
    from dangjian.core import indicators as registry

    actor = actor or as_actor(world.users.admin, today=dt.date(2027, 1, 5))
    indicator = registry.indicator(code)
    found = indicator.measure(actor, START, END, [world.community_a.pk, world.community_b.pk])
    return indicator, found, actor


def test_care_visits_count_the_members_to_visit_who_were_visited_in_the_half_year(world):
    from dangjian.membership.models import CareCase, CareVisit

    CareCase.objects.create(member=world.zhao.member, hardship="illness", registered_on=dt.date(2026, 1, 1))
    CareVisit.objects.create(member=world.zhao.member, visited_on=dt.date(2026, 9, 1), visitors="社区党委")
    CareVisit.objects.create(
        member=world.li.member, visited_on=dt.date(2026, 5, 1), visitors="社区党委"
    )  # too long ago
    world.li.birth_date = dt.date(1940, 3, 1)  # 86: to be visited every half-year
    world.li.save(update_fields=["birth_date"])
    indicator, found, actor = _measure(world, "membership.care_visits")
    assert (found[world.community_a.pk].numerator, found[world.community_a.pk].denominator) == (1, 2)
    assert [m.person.name for m in indicator.records(actor, START, END, world.community_a.pk, "numerator")] == ["赵六"]
    assert found[world.community_b.pk].denominator == 0


def test_development_on_time_counts_candidates_who_met_each_deadline_of_the_period(world):
    from dangjian.membership.models import Candidate, DevelopmentStep

    def candidate(person, steps):
        c = Candidate.objects.create(person=person, organization=world.branch_a1)
        for code, day in steps.items():
            DevelopmentStep.objects.create(candidate=c, code=code, done_on=day)
        return c

    met = candidate(world.qian, {"application": dt.date(2026, 9, 20), "talk": dt.date(2026, 10, 15)})  # due 10-21
    candidate(world.zhang, {"application": dt.date(2026, 10, 10), "talk": dt.date(2026, 11, 20)})  # due 11-10: late
    candidate(world.wang, {"pre_review": dt.date(2026, 12, 15)})  # its meeting is due in January: not this period
    indicator, found, actor = _measure(world, "membership.development_on_time")
    assert (found[world.community_a.pk].numerator, found[world.community_a.pk].denominator) == (1, 2)
    assert list(indicator.records(actor, START, END, world.community_a.pk, "numerator")) == [met]


def test_in_service_members_living_in_the_community_who_report_to_it(world):
    from dangjian.membership.mobile.services import report_confirm, report_register
    from tests.factories import make_user

    world.sun.region = world.grid_a1  # 孙八 lives in A, his branch is B's: an in-service member for A
    world.sun.save(update_fields=["region"])
    _indicator, before, _actor = _measure(world, "membership.dual_registration")
    assert (before[world.community_a.pk].numerator, before[world.community_a.pk].denominator) == (0, 1)
    report = report_register(
        actor=as_actor(make_user("member_b", "member", person=world.sun), today=dt.date(2026, 11, 2)),
        community=world.community_a,
        workplace="钢城一中党支部",
        categories=["governance"],
    )
    report_confirm(actor=as_actor(world.users.secretary, today=dt.date(2026, 11, 3)), report=report)
    _indicator, after, _actor = _measure(world, "membership.dual_registration")
    assert (after[world.community_a.pk].numerator, after[world.community_a.pk].denominator) == (1, 1)
