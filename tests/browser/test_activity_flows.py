"""Activities in a real browser: a resident signs up on a phone (and waits when it is full, and is
told when a place frees); at the activity, a resident checks in by the organiser's code and the
organiser marks another one from the list."""

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from dangjian.activities import services
from tests.factories import as_actor, make_person, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _activity(world, *, capacity: int, minutes: int = 60 * 24):
    staff = as_actor(world.users.staff)
    starts = staff.now + dt.timedelta(minutes=minutes)
    return services.activity_create(
        actor=staff,
        region=world.community_a,
        title="邻居节·跳蚤市场",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        capacity=capacity,
        place="临江苑中心广场",
    )


def test_a_resident_signs_up_on_a_phone_waits_and_gets_the_place(world, page_for):
    _activity(world, capacity=1)
    first = page_for(world.users.resident, mobile=True)
    first.get_by_role("link", name="活动").first.click()
    expect(first.get_by_role("heading", name="可以参加的活动")).to_be_visible()
    first.get_by_role("link", name="邻居节·跳蚤市场").click()
    first.get_by_role("button", name="我要报名").click()
    expect(first.locator(".messages")).to_contain_text("你已报名成功")
    expect(first.locator("main")).to_contain_text("已报名 1 / 1 人")
    # A second resident finds it full and joins the waitlist.
    neighbour = make_person(world.users.admin, world.grid_a1, "周邻居")
    second = page_for(make_user("resident_zhou", None, person=neighbour), mobile=True)
    second.goto(reverse("activities:list"))
    second.get_by_role("link", name="邻居节·跳蚤市场").click()
    second.get_by_role("button", name="我要报名").click()
    expect(second.locator(".messages")).to_contain_text("名额已满")
    expect(second.locator("main")).to_contain_text("你在候补名单第 1 位")
    # The first gives the place up; the second is signed up and told.
    first.get_by_role("button", name="放弃名额").click()
    expect(first.locator(".messages")).to_contain_text("已放弃名额")
    second.reload()
    expect(second.locator("main")).to_contain_text("你已报名成功")
    second.goto(reverse("dashboard:notifications"))
    expect(second.locator("main")).to_contain_text("有名额空出，你已从候补转为报名成功")


def test_checking_in_by_the_code_and_from_the_list(world, page_for, live_server):
    activity = _activity(world, capacity=10, minutes=10)  # starts in ten minutes: check-in is open
    neighbour = make_person(world.users.admin, world.grid_a1, "周邻居")
    zhou = make_user("resident_zhou", None, person=neighbour)
    services.sign_up(actor=as_actor(zhou), activity=activity, person=neighbour)
    services.sign_up(actor=as_actor(world.users.resident), activity=activity, person=world.qian)
    organiser = page_for(world.users.staff)
    organiser.goto(reverse("activities:detail", args=[activity.pk]))
    organiser.get_by_role("link", name="显示签到码").click()
    expect(organiser.locator("#code svg")).to_be_visible()
    # The resident's phone opens the link the code holds (its text: the page's own code).
    code = services.check_in_code(actor=as_actor(world.users.staff), activity=activity)
    phone = page_for(world.users.resident, mobile=True)
    phone.goto(reverse("activities:check_in", args=[activity.pk]) + f"?code={code}")
    phone.get_by_role("button", name="签到").click()
    expect(phone.locator(".messages")).to_contain_text("签到成功")
    expect(phone.locator("main")).to_contain_text("你已签到")
    # The organiser marks 周邻居 from the list; both are counted as come.
    organiser.goto(reverse("activities:detail", args=[activity.pk]))
    row = organiser.locator("tr", has_text="周邻居")
    row.get_by_role("button", name="登记签到").click()
    expect(organiser.locator("#sign-ups")).to_contain_text("已到 2 人")
