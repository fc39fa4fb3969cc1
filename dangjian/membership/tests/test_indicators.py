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
