"""The service desk's evaluation indicators (core.indicators, issue #13): the same numbers and
the same lists as the rates page, for whoever asks, and nothing outside their scope."""

import datetime as dt

import pytest

from dangjian.core import indicators as registry
from dangjian.core.indicators import HIGHER_IS_BETTER, LOWER_IS_BETTER, Indicator, Measured
from dangjian.servicedesk.models import RequestState
from dangjian.servicedesk.rates import rules
from dangjian.servicedesk.rates import selectors as rs
from dangjian.servicedesk.tests.test_lifecycle import LATER, advance, reach
from dangjian.servicedesk.tests.test_verdicts import NOW
from tests.factories import as_actor

pytestmark = [pytest.mark.django_db, pytest.mark.clock("2026-11-28T10:00:00+08:00")]

S = RequestState
START, END = dt.date(2026, 10, 1), dt.date(2027, 1, 1)  # 2026-Q4
MEASURES = ("response", "on_time", "resolution", "satisfaction", "repeat", "p90")


def some_requests(world):
    """A few requests of community A, through the state machine: confirmed, rejected, open."""
    advance(world, reach(world, S.HANDLED, description="楼道灯坏了", address="一栋"), "confirm", start=LATER)
    advance(world, reach(world, S.HANDLED, description="又坏了", address="一栋"), "reject", start=LATER)
    reach(world, S.DISPATCHED, description="水管漏水")


def test_the_service_desk_registers_group_a_of_the_default_tree():
    codes = {i.code: i for i in registry.indicators() if i.app == "servicedesk"}
    assert set(codes) == {f"servicedesk.{m}" for m in MEASURES}
    assert all(i.group == "A" and i.unit == "community" for i in codes.values())
    assert codes["servicedesk.repeat"].direction == codes["servicedesk.p90"].direction == LOWER_IS_BETTER
    assert codes["servicedesk.response"].direction == HIGHER_IS_BETTER
    assert str(codes["servicedesk.response"].name) == "响应率"


@pytest.mark.parametrize("role", ["secretary", "admin"])
def test_every_number_is_the_rates_pages_and_every_list_its_drilldown(world, role):
    some_requests(world)
    actor = as_actor(getattr(world.users, role), now=NOW)
    period = rules.Period(rules.PeriodKind.CUSTOM, START, END)
    cohort, _ = rs.build_cohort(actor=actor, period=period, node_id=world.community_a.pk)
    page = rs.rates_table(cohort).total.figures
    assert page.total == 3
    for measure in MEASURES:
        indicator = registry.indicator(f"servicedesk.{measure}")
        found = indicator.measure(actor, START, END, [world.community_a.pk])[world.community_a.pk]
        if measure == "p90":
            assert found == Measured(page.p90, page.handled)
        else:
            p = page.proportion(measure)
            assert (found.numerator, found.denominator) == (p.numerator, p.denominator)
        for part in ("numerator", "denominator"):
            listed = set(indicator.records(actor, START, END, world.community_a.pk, part).values_list("pk", flat=True))
            shown = set(rs.drilldown(cohort, measure=measure, part=part).values_list("pk", flat=True))
            assert listed == shown, (measure, part)
            if part == "denominator" and found.denominator is not None:
                assert len(listed) == found.denominator


def test_a_community_outside_the_scope_is_not_measured(world):
    some_requests(world)
    indicator = registry.indicator("servicedesk.response")
    outsider = as_actor(world.users.outsider, now=NOW)  # community B's secretary
    assert indicator.measure(outsider, START, END, [world.community_a.pk]) == {}
    assert set(indicator.measure(as_actor(world.users.admin, now=NOW), START, END, [world.community_a.pk])) == {
        world.community_a.pk
    }
    with pytest.raises(rs.OutOfScope):
        indicator.records(outsider, START, END, world.community_a.pk, "denominator")


def test_a_code_is_registered_once():
    taken = registry.indicator("servicedesk.response")
    other = Indicator(**{**taken.__dict__, "name": "别的"})
    with pytest.raises(ValueError):
        registry.register(other)
    with pytest.raises(ValueError):
        registry.register(Indicator(**{**taken.__dict__, "code": "x.y", "unit": "household"}))
    assert registry.indicator("servicedesk.response") is taken
