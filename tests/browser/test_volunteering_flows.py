"""Volunteering in a real browser: on a phone, the member 赵六 opens 志愿服务, finds an open post and
claims it (待社区确认); the community's staff confirm the claim on the post's page; at the post he
checks in and, an hour and a half after its start (the clock moved, in the live server's thread as
in the test's), checks out, and finds the hours on 我的服务."""

import datetime as dt
import re
import tempfile
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import expect

from dangjian.volunteering import services
from dangjian.volunteering.models import Claim, ClaimState, LedgerEntry
from tests.factories import as_actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(tempfile.gettempdir()) / "vol_browser_member_post.png"  # /tmp: looked at, not asserted


def _post(world, *, minutes: int = 20):
    """A post of community A starting in ``minutes``: open to claims, and its check-in (from half
    an hour before the start) open already."""
    staff = as_actor(world.users.staff)
    starts = (staff.now + dt.timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    return services.post_create(
        actor=staff,
        region=world.community_a,
        title="周末楼道清洁",
        category="governance",
        place="临江苑3栋",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        places=2,
    )


def test_a_member_claims_a_post_on_a_phone_the_staff_confirm_and_he_checks_in_and_out(world, page_for):
    post = _post(world)
    # (a) The member, on a phone, opens 志愿服务 and claims the post.
    phone = page_for(world.users.member, mobile=True)
    phone.get_by_role("link", name="志愿服务").first.click()
    expect(phone.get_by_role("heading", name="可认领的岗位")).to_be_visible()
    card = phone.locator("article", has_text="周末楼道清洁")
    expect(card).to_contain_text("临江苑3栋")
    expect(card).to_contain_text("已确认 0 / 2 人")
    card.get_by_role("link", name="周末楼道清洁").click()
    expect(phone).to_have_url(re.compile(rf"/volunteering/posts/{post.pk}/$"))
    phone.get_by_label("备注（选填）").fill("带扫帚")
    phone.get_by_role("button", name="认领这个岗位").click()
    expect(phone.locator(".messages")).to_contain_text("已认领，社区确认后会通知您。")
    expect(phone.locator("main")).to_contain_text("待社区确认")
    expect(phone.get_by_role("button", name="认领这个岗位")).to_have_count(0)
    claim = Claim.objects.get(post=post, person=world.zhao)
    assert claim.state == ClaimState.PENDING

    # (b) The staff confirm the claim on the post's page.
    desk = page_for(world.users.staff)
    desk.goto(reverse("volunteering:post", args=[post.pk]))
    row = desk.locator("tr", has_text="赵六")
    expect(row).to_contain_text("待社区确认")
    expect(row).to_contain_text("带扫帚")
    row.get_by_role("button", name="确认", exact=True).click()
    expect(desk.locator(".messages")).to_contain_text("已确认，已通知认领人。")
    expect(desk.locator("tr", has_text="赵六")).to_contain_text("已确认")
    expect(desk.locator("main")).to_contain_text("已确认 1 / 2 人")

    # (c) At the post (check-in is open from half an hour before its start) he checks in...
    phone.reload()
    expect(phone.locator("main")).to_contain_text("已确认")
    phone.get_by_role("button", name="签到", exact=True).click()
    expect(phone.locator(".messages")).to_contain_text("已签到")
    expect(phone.get_by_role("button", name="签退", exact=True)).to_be_visible()
    # ...and an hour and a half after the start he checks out: 90 minutes inside the post's time.
    with time_machine.travel(post.starts_at + dt.timedelta(minutes=90), tick=True):
        phone.get_by_role("button", name="签退", exact=True).click()
        expect(phone.locator(".messages")).to_contain_text("已签退：1.5 小时已登记并存入您的时间银行。谢谢您！")
        expect(phone.locator("main")).to_contain_text("谢谢您！")
        phone.get_by_role("link", name="志愿服务").first.click()
        phone.locator("nav.tabs").get_by_role("link", name="我的服务").click()
        expect(phone.get_by_role("heading", name="我的服务", exact=True)).to_be_visible()
        hours = phone.locator("section", has=phone.locator("#sum-h"))
        expect(hours).to_contain_text(re.compile(r"累计已核实\s*1\.5 小时"))
        expect(hours).to_contain_text(re.compile(r"时间银行余额\s*1\.5 小时"))
        expect(phone.locator("section", has=phone.locator("#records-h"))).to_contain_text("周末楼道清洁")
        phone.goto(reverse("volunteering:post", args=[post.pk]))
        expect(phone.locator("main")).to_contain_text("岗位时间内的 1.5 小时已登记。谢谢您！")
        phone.screenshot(path=SCREENSHOT, full_page=True)
    line = LedgerEntry.objects.get(person=world.zhao)
    assert (line.kind, line.minutes) == ("earned", 90)
