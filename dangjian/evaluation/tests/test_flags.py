"""Checks for a reviewer: none on honest data, a finding on a seeded gaming pattern, each with its
records; a reviewer's word is kept across runs on the same records; only the area's admins see
them; a flag never changes a score."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dangjian.evaluation import selectors, services
from dangjian.evaluation.models import FlagState
from dangjian.evaluation.tests.test_runs import AFTER, admin, published_plan, some_requests
from dangjian.servicedesk import flags as sd
from dangjian.servicedesk.tests.test_lifecycle import MON_9, advance, do, submit
from tests.factories import as_actor


def burst(world, n=6, gap=dt.timedelta(seconds=8)):
    """``n`` requests of community A marked handled by 赵六 within a minute (a backlog closed at once)."""
    requests = [advance(world, submit(world, description=f"楼道灯坏了{i}"), "dispatch", "start") for i in range(n)]
    moment = MON_9 + dt.timedelta(hours=3)
    for req in requests:
        do(world, req, "handle", moment)
        moment += gap
    return requests


def test_honest_data_raises_no_flag(world):
    plan = published_plan(world)
    some_requests(world)
    run = services.compute_run(actor=admin(world, AFTER), plan=plan)
    assert list(run.flags.all()) == []


def test_a_burst_of_closures_is_flagged_with_its_requests_and_changes_no_score(world):
    plan = published_plan(world)
    requests = burst(world)
    run = services.compute_run(actor=admin(world, AFTER), plan=plan)
    [flag] = run.flags.all()
    assert (flag.code, flag.unit_id, flag.count, flag.base) == (
        "servicedesk.batch_closures",
        world.community_a.pk,
        6,
        6,
    )
    assert flag.evidence == sorted(r.pk for r in requests) and flag.state == FlagState.OPEN
    evidence = selectors.flag_evidence(actor=admin(world, AFTER), flag=flag)
    assert [r.pk for r in evidence] == flag.evidence
    # Spread over more than a minute, the same work raises nothing.
    assert sd.batch_closures(admin(world, AFTER), plan.start, plan.end, [world.community_a.pk])  # the burst above
    # A flag never changes a score: the result is the scoring of the inputs alone.
    a = run.results.get(unit=world.community_a)
    assert a.total == pytest.approx(sum(x["global_weight"] * x["score"] for x in a.leaves if x["status"] == "ok"))


def test_work_spread_over_time_is_not_a_burst(world):
    plan = published_plan(world)
    burst(world, gap=dt.timedelta(seconds=20))  # 6 in 100 s: never 5 within a minute
    assert sd.batch_closures(admin(world, AFTER), plan.start, plan.end, [world.community_a.pk]) == {}


def test_the_reviewers_word_is_kept_while_the_records_are_the_same(world, client):
    plan = published_plan(world)
    burst(world)
    run = services.compute_run(actor=admin(world, AFTER), plan=plan)
    flag = run.flags.get()
    with pytest.raises(ValidationError):
        services.review_flag(actor=admin(world, AFTER), flag=flag, state="explained", note="")
    with pytest.raises(PermissionDenied):
        services.review_flag(actor=as_actor(world.users.secretary), flag=flag, state="explained", note="补录纸质台账")
    services.review_flag(actor=admin(world, AFTER), flag=flag, state="explained", note="下乡回来后集中补录纸质台账")
    again = services.compute_run(actor=admin(world, AFTER), plan=plan).flags.get()
    assert (again.state, again.note) == (FlagState.EXPLAINED, "下乡回来后集中补录纸质台账")
    # The page: the street admin sees and records; a community's secretary has no such page.
    client.force_login(world.users.admin)
    page = client.get(reverse("evaluation:flags", args=[run.pk]))
    assert page.status_code == 200 and "批量办结" in page.content.decode()
    client.force_login(world.users.secretary)
    assert client.get(reverse("evaluation:flags", args=[run.pk])).status_code == 404


def test_chi_square_tail():
    # The tables' critical values: df 4 at 0.05 is 9.4877, df 1 at 0.001 is 10.828, df 3 at 0.05 is
    # 7.8147, df 5 at 0.05 is 11.0705; df 2 is exp(−x/2); P(χ²₃ ≥ 3) = 0.3916.
    assert sd.chi_square_sf(9.4877, 4) == pytest.approx(0.05, abs=1e-5)
    assert sd.chi_square_sf(10.828, 1) == pytest.approx(0.001, abs=1e-6)
    assert sd.chi_square_sf(7.8147, 3) == pytest.approx(0.05, abs=1e-5)
    assert sd.chi_square_sf(11.0705, 5) == pytest.approx(0.05, abs=1e-5)
    assert sd.chi_square_sf(5.0, 2) == pytest.approx(0.0820850, abs=1e-6)
    assert sd.chi_square_sf(3.0, 3) == pytest.approx(0.391625, abs=1e-6)
    assert sd.chi_square_sf(0, 4) == 1


def test_robust_z_of_a_unit_far_from_its_peers():
    from dangjian.core.indicators import robust_z

    z = robust_z({1: 0.10, 2: 0.12, 3: 0.11, 4: 0.13, 5: 0.60})
    assert z[5] > 3.5 and abs(z[3]) < 1
    # More than half equal (MAD 0): the scaled mean absolute deviation, 1.2533 × 0.1.
    assert robust_z({1: 0.2, 2: 0.2, 3: 0.5})[3] == pytest.approx(0.3 / 0.12533)
    assert robust_z({1: 0.2, 2: 0.2}) == {1: 0.0, 2: 0.0}


def test_peers_are_needed_for_a_comparison(world):
    assert sd._peers_outliers({1: (9, 10), 2: (1, 10)}) == set()  # two units: no comparison
    shares = {1: (1, 100), 2: (2, 100), 3: (1, 100), 4: (2, 100), 5: (40, 100)}
    assert sd._peers_outliers(shares) == {5}
    # Most communities alike (MAD 0): 5 of 6 against the others' 10 of 300 each stands out.
    assert sd._peers_outliers({1: (10, 300), 2: (10, 300), 3: (10, 300), 4: (10, 300), 5: (5, 6)}) == {5}
    # …while 5 of 100 among communities at 4 of 100 is no finding at all.
    assert sd._peers_outliers({1: (4, 100), 2: (4, 100), 3: (4, 100), 4: (5, 100)}) == set()


def test_the_thresholds_are_configuration_and_the_description_says_the_ones_in_force(world, settings):
    from dangjian.core import indicators as registry
    from dangjian.core.conf import override

    plan = published_plan(world)
    burst(world)
    check = registry.check("servicedesk.batch_closures")
    assert "5" in check.describe()
    settings.DANGJIAN = override(EVALUATION_CHECKS={"batch_size": 7})
    assert sd.batch_closures(admin(world, AFTER), plan.start, plan.end, [world.community_a.pk]) == {}
    assert "7" in check.describe() and "5" not in check.describe().replace("60", "")
