"""The pages a community worker uses on a phone fit its screen (issue #10): nothing scrolls
sideways at 390 px — in Chinese and in English, in the normal and in the large-text mode — no
button lies over an input, and the labels of the charts are drawn whole."""

import pytest
from django.conf import settings

from dangjian.core.context_processors import LARGE_TEXT_COOKIE
from dangjian.people.models import Tag, TagKind
from tests.factories import make_working_records

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The elements that stick out past the right edge of the screen (outside scrolling boxes).
BEYOND_THE_SCREEN = """() => [...document.querySelectorAll("main *")]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest(".table-wrap"))
  .slice(0, 4).map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.name ? "[name=" + el.name + "]" : ""))"""

# Inputs that leave their card (or form) or lie under a button of their form.
COVERED_INPUTS = """() => [...document.querySelectorAll("main form")].flatMap((form) => {
  const box = (form.closest(".card") || form).getBoundingClientRect();
  const buttons = [...form.querySelectorAll("button")].map((b) => b.getBoundingClientRect());
  const inputs = form.querySelectorAll("input:not([type=hidden], [type=checkbox], [type=radio]), select, textarea");
  return [...inputs].flatMap((input) => {
    const r = input.getBoundingClientRect();
    if (!r.width) return [];
    const found = [];
    if (r.right > box.right + 0.5 || r.left < box.left - 0.5) found.push(input.name + " leaves its card");
    if (buttons.some((b) => r.left < b.right && b.left < r.right && r.top < b.bottom && b.top < r.bottom)) {
      found.push(input.name + " lies under a button");
    }
    return found;
  });
})"""

# Each line of text an ECharts chart draws (axis labels, values; a wrapped label is drawn as
# several lines of one text): the whole text and whether the line lies inside the chart.
CHART_TEXTS = """(selector) => [...document.querySelectorAll(selector)].map((el) => {
  const chart = echarts.getInstanceByDom(el);
  const width = chart.getWidth();
  return chart.getZr().storage.getDisplayList(true).filter((e) => e.type === "tspan" && e.style.text)
    .map((line) => {
      const r = line.getBoundingRect().clone();
      if (line.transform) r.applyTransform(line.transform);
      const text = line.parent && line.parent.style.text ? line.parent.style.text : line.style.text;
      return {text: String(text), inside: r.x >= -0.5 && r.x + r.width <= width + 0.5};
    });
})"""


@pytest.fixture
def records(world):
    """A member on the hardship register with assessed dues, a transfer, an applicant and a request."""
    made = make_working_records(world)
    return {"member": made.member, "request": made.request}


def phone_pages(world, records) -> list[str]:
    member = records["member"]
    return [
        "/members/care/",
        f"/members/{member.pk}/care/",
        "/members/",
        f"/members/{member.pk}/",
        f"/members/{member.pk}/dues/",
        "/people/",
        f"/people/{world.zhang.pk}/",
        "/services/requests/",
        f"/services/requests/{records['request'].pk}/",
        "/members/dues/",
        "/members/transfers/",
        "/members/development/",
        "/",
    ]


def worker_page(page_for, world, *, language: str, large_text: bool, mobile: bool = True):
    """The secretary's page in ``language`` (chosen as with the header's button: a cookie)."""
    page = page_for(world.users.secretary, mobile=mobile)
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": page.url}]
    if large_text:
        cookies.append({"name": LARGE_TEXT_COOKIE, "value": "1", "url": page.url})
    page.context.add_cookies(cookies)
    return page


@pytest.mark.parametrize(("language", "large_text"), [("zh-hans", False), ("zh-hans", True), ("en", True)])
def test_the_pages_a_worker_uses_fit_a_phone(world, records, page_for, language, large_text):
    page = worker_page(page_for, world, language=language, large_text=large_text)
    problems = []
    for url in phone_pages(world, records):
        page.goto(url)
        mode = page.evaluate(
            "[document.documentElement.lang, document.documentElement.classList.contains('large-text')]"
        )
        assert mode == [language, large_text]
        scroll_width, screen = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll_width > screen:
            problems.append(f"{url} is {scroll_width} px wide: {page.evaluate(BEYOND_THE_SCREEN)}")
        problems += [f"{url}: {problem}" for problem in page.evaluate(COVERED_INPUTS)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", [390, 1440])
def test_the_status_and_care_forms_keep_their_inputs_clear_of_the_buttons(world, records, page_for, width):
    """The status form's button once sat in the grid beside the reason, which ran into it."""
    page = worker_page(page_for, world, language="zh-hans", large_text=width == 390)
    page.set_viewport_size({"width": width, "height": 900})
    member = records["member"]
    for url in (f"/members/{member.pk}/", f"/members/{member.pk}/care/", f"/members/{member.pk}/dues/"):
        page.goto(url)
        assert page.evaluate(COVERED_INPUTS) == [], url


@pytest.mark.parametrize("mobile", [True, False])
def test_chart_labels_are_drawn_whole_in_english(world, records, page_for, mobile):
    Tag.objects.create(kind=TagKind.PERSON, name="低保户、特困供养人员及重度残疾人")
    page = worker_page(page_for, world, language="en", large_text=False, mobile=mobile)
    page.goto("/members/composition/")
    page.wait_for_function("document.querySelectorAll('.composition-chart canvas').length > 0")
    charts = page.evaluate(CHART_TEXTS, ".composition-chart")
    assert charts and all(charts)
    drawn = {t["text"] for chart in charts for t in chart}
    assert "Primary school or below" in drawn and "Junior secondary" in drawn  # every bar has its label
    assert [t["text"] for chart in charts for t in chart if not t["inside"]] == []
    page.goto("/")
    page.wait_for_function("document.querySelectorAll('#care-chart canvas').length > 0")
    (care,) = page.evaluate(CHART_TEXTS, "#care-chart")
    assert "低保户、特困供养人员及重度残疾人" in {t["text"] for t in care}
    assert [t["text"] for t in care if not t["inside"]] == []


def test_every_menu_entry_fits_the_menu_in_english(world, page_for):
    """A tester found “Representative receptions” running past the menu's edge: on a desktop the
    menu is a column, and every entry (the longest are English) wraps inside it."""
    page = page_for(world.users.admin)
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": page.url}])
    page.goto("/members/")
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('.sidenav a')]
            .filter(a => a.scrollWidth > a.clientWidth + 1 || a.getBoundingClientRect().right >
                         a.closest('.sidenav').getBoundingClientRect().right + 1)
            .map(a => a.textContent.trim())"""
    )
    assert overflowing == []
