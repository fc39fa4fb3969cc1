"""WCAG 2.1 AA and the 适老化 guideline, checked in a real browser.

Every page below is loaded by the role that uses it; the ``page_for`` fixture audits each load with
axe-core (every ``<details>`` opened), so a violation anywhere fails the walk. Forms are also
submitted empty, so that the pages after a failed submit are audited too, and the large-text mode's
computed sizes are measured against the MIIT guideline (text ≥ 18 px, touch targets ≥ 60 px).
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.accounts.roles import Role
from dangjian.servicedesk.models import ServiceCategory
from dangjian.servicedesk.receptions.services import booking_create, session_create
from dangjian.servicedesk.requests import lifecycle
from tests.factories import as_actor, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def catalogue(db):
    """Transactional tests empty the tables, the data migration's catalogue too: load it again."""
    import importlib

    from django.apps import apps

    importlib.import_module("dangjian.servicedesk.migrations.0002_default_catalogue").load(apps, None)


@pytest.fixture
def desk(world):
    """A handled request of the resident 钱七 (awaiting her confirmation), an open one of 张三,
    and a reception that the resident has booked."""
    staff = world.users.staff
    legal = ServiceCategory.objects.get(code="legal-advice")
    handled = lifecycle.request_submit(
        actor=as_actor(world.users.resident),
        channel="web",
        category=legal,
        description="房东不退押金，想咨询怎么办",
        requester=world.qian,
    )
    handled = lifecycle.request_accept(actor=as_actor(staff), req=handled)
    handled = lifecycle.request_dispatch(actor=as_actor(staff), req=handled, kind="grid", grid=world.grid_a1)
    handled = lifecycle.request_handle(actor=as_actor(staff), req=handled, result="已请法律顾问电话联系居民。")
    open_one = lifecycle.request_submit(
        actor=as_actor(staff),
        channel="desk",
        category=legal,
        description="楼道灯坏了",
        region=world.grid_a1,
        requester=world.zhang,
    )
    starts = timezone.localtime() + dt.timedelta(days=3)
    session = session_create(
        actor=as_actor(world.users.secretary),
        community=world.community_a,
        representative=world.zhao,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        place="党群服务中心二楼",
        slots=4,
    )
    booking_create(actor=as_actor(world.users.resident), session=session, topic="小区停车难")
    return {"handled": handled, "open": open_one, "session": session}


def walk(page, paths):
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"


def submit_empty(page, path, form="main form[method=post]"):
    """Loads ``path`` and sends its first POST form as it is, to audit the page with errors."""
    page.goto(path)
    form = page.locator(form).first
    with page.expect_navigation():
        form.locator("button[type=submit]").last.click()


def test_staff_pages_have_no_wcag_violations(world, desk, page_for):
    page = page_for(world.users.staff)
    walk(
        page,
        [
            "/",
            reverse("people:list"),
            reverse("people:detail", args=[world.zhang.pk]),
            reverse("people:edit", args=[world.zhang.pk]),
            reverse("servicedesk:queue"),
            reverse("servicedesk:request", args=[desk["open"].pk]),
            reverse("servicedesk:request", args=[desk["handled"].pk]),
            reverse("servicedesk:callbacks"),
            reverse("servicedesk:receptions"),
            reverse("servicedesk:reception", args=[desk["session"].pk]),
            reverse("dashboard:notifications"),
            reverse("accounts:security"),
        ],
    )
    submit_empty(page, reverse("people:create"))
    submit_empty(page, reverse("servicedesk:desk"))
    # After a failed submit: one alert, focused, and the title says so.
    expect(page.locator(".error-summary")).to_be_focused()
    assert page.title().startswith("错误：")
    assert page.locator("[role=alert]").count() == 1
    described = page.locator("#id_description").get_attribute("aria-describedby")
    assert "id_description_error" in described.split() and page.locator("#id_description_error").count() == 1
    expect(page.locator("#id_description")).to_have_attribute("aria-invalid", "true")
    submit_empty(page, reverse("servicedesk:receptions"))


def test_secretary_and_street_pages_have_no_wcag_violations(world, desk, page_for):
    page = page_for(world.users.secretary)
    walk(
        page,
        [
            "/",
            reverse("dashboard:org_tree"),
            reverse("dashboard:org_detail", args=[world.committee_a.pk]),
            reverse("dashboard:region_tree"),
            reverse("dashboard:region_detail", args=[world.community_a.pk]),
            reverse("membership:list"),
            reverse("membership:detail", args=[world.zhao.member.pk]),
            reverse("membership:composition"),
            reverse("membership:development"),
            reverse("membership:transfers"),
            reverse("membership:dues_bill"),
            reverse("membership:dues_arrears"),
            reverse("membership:member_dues", args=[world.zhao.member.pk]),
            reverse("membership:mobile"),
            reverse("membership:reports"),
            reverse("membership:care"),
            reverse("membership:member_care", args=[world.zhao.member.pk]),
            reverse("membership:appraisal"),
            reverse("imports:upload", args=["members"]),
            reverse("servicedesk:rates:index") + "?level=grid",
            reverse("servicedesk:rates:requests") + "?measure=response",
            reverse("servicedesk:rates:classified"),
        ],
    )
    submit_empty(page, reverse("membership:create"))
    submit_empty(page, reverse("membership:candidate_new"))
    street = page_for(world.users.admin)
    walk(street, ["/", reverse("servicedesk:catalogue"), reverse("servicedesk:rates:index")])
    # The catalogue's edit pages and the calendar are the district's (configure at the root).
    district = page_for(make_user("admin_district", Role.DISTRICT_ADMIN, world.district))
    walk(district, [reverse("servicedesk:catalogue"), reverse("servicedesk:calendar")])


def test_resident_pages_have_no_wcag_violations(world, desk, page_for):
    phone = page_for(world.users.resident, mobile=True)
    walk(
        phone,
        [
            "/",
            reverse("portal:mine"),
            reverse("portal:board"),
            reverse("portal:receptions"),
            reverse("portal:track", args=[desk["handled"].token]),
        ],
    )
    submit_empty(phone, reverse("portal:submit"), "main form.card")
    visitor = page_for(mobile=True)
    walk(visitor, [reverse("accounts:login"), reverse("portal:submit"), reverse("portal:board")])
    submit_empty(visitor, reverse("accounts:login"))


def test_english_pages_have_no_wcag_violations(world, desk, page_for):
    page = page_for(world.users.staff)
    page.goto("/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    walk(page, [reverse("servicedesk:queue"), reverse("servicedesk:request", args=[desk["open"].pk])])
    submit_empty(page, reverse("servicedesk:desk"))


MEASURE = """() => {
  const px = (el, prop) => parseFloat(getComputedStyle(el)[prop]);
  const visible = (el) => el.offsetParent !== null && getComputedStyle(el).visibility !== "hidden";
  const texts = [...document.querySelectorAll("main p, main label, main li, main td, main th, main .help, main a, main button, main input, main select, main textarea, main legend, nav a")]
    .filter(visible).map((el) => [el.tagName + (el.className ? "." + el.className : ""), px(el, "fontSize")]);
  // A check box or radio is touched through its label (the whole label is the target).
  const target = (el) => (el.matches("input[type=radio], input[type=checkbox]") && el.closest("label")) || el;
  const targets = [...document.querySelectorAll("main button, main input:not([type=hidden]), main select, main summary")]
    .filter(visible).map((el) => { const r = target(el).getBoundingClientRect(); return [el.tagName + ":" + (el.getAttribute("name") || el.textContent.trim().slice(0, 12)), Math.round(r.height)]; });
  return {texts, targets};
}"""


def test_large_text_mode_meets_the_elderly_guideline(world, desk, page_for):
    phone = page_for(world.users.resident, mobile=True)
    phone.goto(reverse("portal:track", args=[desk["handled"].token]))
    toggle = phone.locator("form[action='/ui/large-text/'] button")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    label = toggle.inner_text()
    toggle.click()
    expect(phone.locator("html")).to_have_class("large-text")
    toggle = phone.locator("form[action='/ui/large-text/'] button")
    # A toggle button keeps its name; its state is aria-pressed (a changing label would contradict it).
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert toggle.inner_text() == label == "大字模式"
    for path in (reverse("portal:track", args=[desk["handled"].token]), reverse("portal:submit")):
        phone.goto(path)
        measured = phone.evaluate(MEASURE)
        small = [(name, size) for name, size in measured["texts"] if size < 18]
        assert small == [], f"{path}: text under 18 px in large-text mode: {small[:10]}"
        short = [(name, height) for name, height in measured["targets"] if height < 60]
        assert short == [], f"{path}: touch targets under 60 px in large-text mode: {short[:10]}"


def test_the_audit_finds_what_it_is_for(world, page_for):
    """The harness itself: a page with a known defect fails the audit (so a clean walk means something)."""
    from tests.browser.conftest import axe_violations

    page = page_for(mobile=True)
    page.goto(reverse("portal:submit"))
    assert axe_violations(page) == []
    page.evaluate(
        """() => {
        document.querySelector("main").insertAdjacentHTML("beforeend",
          '<details><summary>more</summary><p style="color:#aaa;background:#fff">浅灰字</p><input type="text">' +
          '<button style="color:#fff;background:#fff;border:0">白底白字</button></details>');
    }"""
    )
    assert {v["id"] for v in axe_violations(page)} == {"color-contrast", "color-contrast-equal", "label"}
    page.goto(reverse("portal:submit"))  # leave the page clean for the audit at the end
