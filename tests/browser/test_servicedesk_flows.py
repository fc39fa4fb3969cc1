"""The service desk in a real browser: a resident asks for help on a phone, staff dispatch and
handle it, the resident confirms and rates it; an anonymous resident must leave a number."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from dangjian.servicedesk.models import Rating, RequestState, ServiceCategory, ServiceRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def catalogue(db):
    """Transactional tests empty the tables, the data migration's catalogue too: load it again."""
    import importlib

    from django.apps import apps

    importlib.import_module("dangjian.servicedesk.migrations.0002_default_catalogue").load(apps, None)


def test_resident_submits_staff_dispatch_and_handle_resident_confirms_and_rates(world, page_for):
    category = ServiceCategory.objects.get(code="legal-advice")

    phone = page_for(world.users.resident, mobile=True)
    phone.goto("/r/")
    phone.select_option("select[name=category]", str(category.pk))
    phone.fill("textarea[name=description]", "房东不退押金，想咨询怎么办<script>alert(1)</script>")
    phone.click("main form.card button[type=submit]")
    expect(phone.locator("h1")).to_contain_text(category.name)
    req = ServiceRequest.objects.get(requester=world.qian)
    assert req.state == RequestState.SUBMITTED and req.channel == "web" and req.region == world.qian.region
    # What the resident typed is shown as text, never run.
    expect(phone.locator("main")).to_contain_text("<script>alert(1)</script>")
    # The page fits the phone: nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    track_url = phone.url

    desk = page_for(world.users.staff)
    desk.goto("/services/requests/?view=new")
    desk.get_by_role("link", name=req.number).click()
    suggestion = desk.locator("form[action$='/act/dispatch/']").first
    expect(suggestion).to_be_visible()
    suggestion.locator("button").click()
    expect(desk.locator("form[action$='/act/start/']")).to_be_visible()
    req.refresh_from_db()
    assert req.state == RequestState.DISPATCHED and req.first_response_at is not None
    desk.click("form[action$='/act/start/'] button")
    desk.fill("textarea[name=result]", "已请法律顾问电话联系居民，讲解押金退还的法律规定并协助起草催告函。")
    desk.click("form[action$='/act/handle/'] button[type=submit]")
    expect(desk.locator("form[action$='/act/handle/']")).to_have_count(0)
    req.refresh_from_db()
    assert req.state == RequestState.HANDLED and req.handle_seconds is not None

    phone.goto(track_url)
    expect(phone.locator("#confirm")).to_be_visible()
    phone.check("#confirm input[name=resolved][value=yes]")
    phone.check("#confirm input[name=score][value='5']")
    phone.click("#confirm button[type=submit]")
    expect(phone.locator("#confirm")).to_have_count(0)
    req.refresh_from_db()
    assert req.state == RequestState.VISITED and req.outcome == "resolved" and req.outcome_source == "resident"
    assert Rating.objects.get(request=req).score == 5
    # The handler does not see who rated it how.
    desk.goto(f"/services/requests/{req.pk}/")
    expect(desk.locator("main")).not_to_contain_text("5/5")


def test_anonymous_resident_must_leave_a_mobile_number(world, page_for):
    category = ServiceCategory.objects.get(code="sanitation")
    phone = page_for(None, mobile=True)
    phone.goto("/r/")
    phone.select_option("select[name=category]", str(category.pk))
    phone.fill("textarea[name=description]", "楼道垃圾三天没人清理")
    phone.select_option("select[name=region]", str(world.community_a.pk))
    phone.click("main form.card button[type=submit]")
    expect(phone.locator("#field-id_phone .error")).to_be_visible()
    assert not ServiceRequest.objects.exists()
    phone.fill("input[name=phone]", "13912345678")
    phone.click("main form.card button[type=submit]")
    expect(phone.locator("h1")).to_contain_text(category.name)
    req = ServiceRequest.objects.get()
    assert req.requester is None and req.phone_masked == "139****5678" and "13912345678" not in req.phone_encrypted


def test_the_desk_records_a_walk_in_with_a_few_inputs(world, page_for):
    category = ServiceCategory.objects.get(code="dispute-mediation")
    desk = page_for(world.users.staff)
    desk.goto("/services/requests/new/")
    desk.fill("#requester-q", "zs")  # pinyin initials of 张三; matches appear as one types
    expect(desk.locator("#people-found")).to_contain_text("张三")
    desk.select_option("select[name=category]", str(category.pk))
    desk.fill("textarea[name=description]", "楼上漏水，与邻居协商不成")
    desk.click("main form.card button[type=submit]")
    expect(desk.locator("h1")).to_contain_text(category.name)
    req = ServiceRequest.objects.get()
    assert req.requester == world.zhang and req.channel == "desk" and req.region == world.zhang.region


def test_a_secretary_schedules_a_reception_and_a_resident_sees_it(world, page_for):
    """The scheduling form accepted no representative at all (its choices were a sliced
    queryset, which a choice cannot be validated against): every POST failed."""
    from django.utils import timezone

    from dangjian.servicedesk.models import ReceptionSession

    start = (timezone.localtime() + timezone.timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    secretary = page_for(world.users.secretary)
    secretary.goto("/services/receptions/")
    secretary.select_option("select[name=community]", str(world.community_a.pk))
    secretary.select_option("select[name=representative]", str(world.zhao.pk))
    secretary.fill("input[name=starts_at]", start.strftime("%Y-%m-%dT%H:%M"))
    secretary.fill("input[name=ends_at]", (start + timezone.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    secretary.fill("input[name=place]", "党群服务中心二楼接待室")
    secretary.get_by_role("button", name="安排", exact=True).click()
    expect(secretary.locator("main")).to_contain_text("接访活动已安排")
    session = ReceptionSession.objects.get()
    assert (session.representative, session.community, session.place) == (
        world.zhao,
        world.community_a,
        "党群服务中心二楼接待室",
    )

    resident = page_for(world.users.resident, mobile=True)
    resident.goto("/r/receptions/")
    expect(resident.locator("main")).to_contain_text("赵六")


def _ask_from_the_front_page(page_for, world, category, description: str):
    """A visitor on a phone: the front page's 求助, a community and a mobile number; sent."""
    phone = page_for(None, mobile=True)
    phone.goto("/")
    phone.click(".home-action.primary")
    phone.select_option("select[name=category]", str(category.pk))
    phone.fill("textarea[name=description]", description)
    phone.select_option("select[name=region]", str(world.community_a.pk))
    phone.fill("input[name=phone]", "13912345678")
    phone.click("main form.card button[type=submit]")
    return phone


def test_a_visitor_asks_from_the_front_page_and_finds_the_request_again(world, page_for):
    """The front page leads a visitor to 求助; the tracking page offers its link to keep; later,
    without the link, 进度查询 with the number and the mobile number leads back to it."""
    category = ServiceCategory.objects.get(code="sanitation")
    phone = _ask_from_the_front_page(page_for, world, category, "楼道垃圾三天没人清理")
    expect(phone.locator("details.keep-link")).to_have_attribute("open", "")
    req = ServiceRequest.objects.get()
    expect(phone.locator("#track-link")).to_have_value(re.compile(re.escape(f"/r/t/{req.token}/") + "$"))
    phone.click("button[data-copy=track-link]")
    expect(phone.locator("#copy-status")).not_to_be_empty()
    expect(phone.locator("details.keep-link svg")).to_be_visible()
    # another day, another phone: the number and the mobile number lead back
    later = page_for(None, mobile=True)
    later.goto("/")
    later.click(f"a[href='{reverse('portal:find')}']")
    later.fill("input[name=number]", req.number)
    later.fill("input[name=phone]", "13900000000")
    later.click("main form.card button[type=submit]")
    expect(later.locator(".error-summary")).to_be_visible()
    later.fill("input[name=phone]", "13912345678")
    later.click("main form.card button[type=submit]")
    expect(later.locator("h1")).to_contain_text(category.name)
    assert later.url.endswith(f"/r/t/{req.token}/")


def test_the_story_from_the_handlers_side(world, page_for):
    """Phone → desk → handler told → handled → resident confirms → the rates count it, walked as
    each person in it: the desk calls the resident back with the number revealed, dispatches to
    the branch; the branch secretary learns of it from the header and the workbench, handles it;
    the resident confirms and rates; the community's rates list it."""
    category = ServiceCategory.objects.get(code="dispute-mediation")
    phone = _ask_from_the_front_page(page_for, world, category, "楼上装修每天早上七点开始电钻，协商无果")
    req = ServiceRequest.objects.get()
    track_url = phone.url.split("?")[0]

    desk = page_for(world.users.staff)
    desk.goto("/services/requests/?view=new")
    desk.get_by_role("link", name=req.number).click()
    desk.click("#contact button")  # to call the resident back
    expect(desk.locator("#contact a[href='tel:13912345678']")).to_be_visible()
    branch = f"form[action$='/act/dispatch/']:has(input[name=value][value='{world.branch_a1.pk}'])"
    desk.click(f"{branch}:has(input[name=kind][value=branch]) button")
    expect(desk.locator(f"{branch}:has(input[name=kind][value=branch])")).to_have_count(0)  # it holds it now
    req.refresh_from_db()
    assert req.state == RequestState.DISPATCHED and req.assignee_organization_id == world.branch_a1.pk

    handler = page_for(world.users.branch)
    expect(handler.locator(".topbar .count-badge")).to_have_text("1")  # told, on every page
    expect(handler.locator("#notices-h")).to_be_visible()
    handler.get_by_role("link", name=re.compile(re.escape(req.number))).first.click()
    handler.click("form[action$='/act/start/'] button")
    handler.fill("textarea[name=result]", "支部书记上门协调，双方约定工作日九点后施工。")
    handler.click("form[action$='/act/handle/'] button[type=submit]")
    expect(handler.locator("form[action$='/act/handle/']")).to_have_count(0)
    req.refresh_from_db()
    assert req.state == RequestState.HANDLED

    phone.goto(track_url)
    phone.check("#confirm input[name=resolved][value=yes]")
    phone.check("#confirm input[name=score][value='4']")
    phone.click("#confirm button[type=submit]")
    expect(phone.locator("#verdict")).to_contain_text("4")
    req.refresh_from_db()
    assert req.outcome == "resolved" and Rating.objects.get(request=req).score == 4

    secretary = page_for(world.users.secretary)
    secretary.goto(f"/services/rates/requests/?node={world.community_a.pk}&measure=satisfaction")
    expect(secretary.locator("main")).to_contain_text(req.number)
