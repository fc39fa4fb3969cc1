"""Walk-ins in a real browser: at the door, the organiser finds a person from the activity's page
(the results come as one types) and signs them up — a place while places last, then the
waitlist —, also without the inline results (the search's own page). And a visitor without an
account finds the activity on the public list on a phone and signs in to sign up.

The new texts may not be translated yet: the steps find the search box, the buttons and the
messages by their place and the names in them, not by their words."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from dangjian.activities import services
from tests.factories import PASSWORD, as_actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _activity(world, *, capacity: int, minutes: int = 10):
    staff = as_actor(world.users.staff)
    starts = staff.now + dt.timedelta(minutes=minutes)
    return services.activity_create(
        actor=staff,
        region=world.community_a,
        title="邻居节·百家宴",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        capacity=capacity,
        place="临江苑中心广场",
    )


def test_the_organiser_signs_up_walk_ins_from_the_activity_page(world, page_for):
    activity = _activity(world, capacity=2)
    services.sign_up(actor=as_actor(world.users.resident), activity=activity, person=world.qian)
    organiser = page_for(world.users.staff)
    organiser.goto(reverse("activities:detail", args=[activity.pk]))
    # Typing finds 张三 (htmx, in place); 王五 of community B is never found.
    search = organiser.locator("#walk-in-q")
    search.fill("王")
    expect(organiser.locator("#walk-in-found")).to_contain_text("未找到相关人员")
    search.fill("张")
    found = organiser.locator("#walk-in-found li", has_text="张三")
    expect(found).to_be_visible()
    found.get_by_role("button").click()
    expect(organiser.locator(".messages")).to_contain_text("张三")
    row = organiser.locator("#sign-ups").locator("xpath=..").locator("tr", has_text="张三")
    expect(row).to_contain_text("已确认")
    # Full now: 李四, found with the search's own page (as without JavaScript), waits.
    organiser.locator("#walk-in-q").fill("李")
    organiser.locator("form.walk-in button[type=submit]").click()
    expect(organiser).to_have_url(re.compile(rf"/activities/{activity.pk}/walk-in/\?q=%E6%9D%8E$"))
    organiser.locator("#walk-in-found li", has_text="李四").get_by_role("button").click()
    expect(organiser.locator(".messages")).to_contain_text("李四")
    row = organiser.locator("#sign-ups").locator("xpath=..").locator("tr", has_text="李四")
    expect(row).to_contain_text("候补中")
    # Found again, 张三 shows as signed up, without a button.
    organiser.locator("#walk-in-q").fill("张")
    found = organiser.locator("#walk-in-found li", has_text="张三")
    expect(found).to_contain_text("已报名")
    expect(found.get_by_role("button")).to_have_count(0)


def test_a_visitor_finds_the_activity_on_a_phone_and_signs_in_to_sign_up(world, page_for):
    activity = _activity(world, capacity=20, minutes=60 * 24)
    visitor = page_for(None, mobile=True)
    visitor.goto(reverse("activities:public"))
    card = visitor.locator("article", has_text="邻居节·百家宴")
    expect(card).to_contain_text("临江苑中心广场")
    expect(card).to_contain_text("红钢城社区")
    card.get_by_role("link").click()
    visitor.fill("#id_username", world.users.resident.username)
    visitor.fill("#id_password", PASSWORD)
    visitor.click("main button[type=submit]")
    expect(visitor).to_have_url(re.compile(rf"/activities/{activity.pk}/$"))
    visitor.get_by_role("button", name="我要报名").click()
    expect(visitor.locator(".messages")).to_contain_text("你已报名成功")
