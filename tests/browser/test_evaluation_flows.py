"""The evaluation in a real browser, as the street admin: in the AHP workshop of a draft plan the
consistency ratio follows the comparisons as they are typed and names the pair to revisit; the
consistent comparisons are kept and become the groups' weights. Then the street's results: a
community's figures open its scorecard, and a numerator opens the list of as many records."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from dangjian.evaluation import services
from dangjian.servicedesk.models import RequestState
from dangjian.servicedesk.tests.test_lifecycle import LATER, advance, reach
from tests.factories import as_actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def test_the_street_admin_weighs_the_groups_and_reads_a_scorecard(world, page_for, live_server):
    start = _quarter_start(world.today)
    following = services.period_bounds("quarter", start + dt.timedelta(days=100))[0]
    before = as_actor(world.users.admin, today=start - dt.timedelta(days=1))
    plan = services.publish_plan(
        actor=before, plan=services.create_plan(actor=before, region=world.street, kind="quarter", start=start)
    )
    draft = services.create_plan(
        actor=as_actor(world.users.admin), region=world.street, kind="quarter", start=following
    )
    advance(world, reach(world, RequestState.HANDLED, description="楼道灯坏了", address="一栋"), "confirm", start=LATER)
    advance(world, reach(world, RequestState.HANDLED, description="又坏了", address="一栋"), "reject", start=LATER)
    run = services.compute_run(actor=as_actor(world.users.admin), plan=plan)

    page = page_for(world.users.admin)
    page.get_by_role("link", name="科学化评价").first.click()
    page.get_by_role("link", name=re.compile(f"{following:%Y-%m-%d}")).click()
    expect(page).to_have_url(re.compile(rf"/evaluation/plans/{draft.pk}/$"))
    page.get_by_role("link", name="专家对五个一级指标的两两比较（AHP）").click()
    page.locator("#id_expert").fill("王教授")
    live = page.locator("#ahp-live")
    expect(live).to_contain_text("一致性可以接受")  # all 1: perfectly consistent
    # A over B 9 times, B over C 9 times, and C over A 9 times: the ratio says so at once.
    page.get_by_label("A 为民服务实效 相对于 B 党员作用发挥").fill("9")
    page.get_by_label("B 党员作用发挥 相对于 C 组织生活规范").fill("9")
    page.get_by_label("A 为民服务实效 相对于 C 组织生活规范").fill("1/9")
    expect(live).to_contain_text("一致性不够")
    expect(live).to_contain_text("相对于")
    page.get_by_label("A 为民服务实效 相对于 B 党员作用发挥").fill("2")
    page.get_by_label("B 党员作用发挥 相对于 C 组织生活规范").fill("1")
    page.get_by_label("A 为民服务实效 相对于 C 组织生活规范").fill("3")
    expect(live).to_contain_text("一致性可以接受")
    page.get_by_role("button", name="保存这组比较").click()
    expect(page.locator(".messages")).to_contain_text("已保存这组判断")
    page.get_by_role("button", name="用作这一层的权重").click()
    expect(page.locator(".messages")).to_contain_text("这一层的权重已改为专家的综合判断")
    weights = dict(draft.groups.values_list("code", "weight"))
    assert max(weights, key=weights.get) == "A"

    page.goto(live_server.url + reverse("evaluation:run", args=[run.pk]))
    expect(page.get_by_role("heading", name="各社区对照")).to_be_visible()
    page.get_by_role("row", name=re.compile("红钢城社区")).get_by_role("link").nth(1).click()
    expect(page).to_have_url(re.compile(rf"/evaluation/runs/{run.pk}/units/{world.community_a.pk}/$"))
    row = page.get_by_role("row", name=re.compile("^解决率"))
    expect(row).to_contain_text("50.0%")
    row.get_by_role("link", name="2").click()  # the denominator: one confirmed, one not resolved
    expect(page.get_by_role("heading", name="计入分母的记录")).to_be_visible()
    expect(page.locator("ol.record-list li")).to_have_count(2)
    expect(page.locator("main")).to_contain_text("现在读到 2 条记录")
