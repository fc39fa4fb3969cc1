"""Membership flows in a real browser: importing a roster, transferring a member between
communities, and recording dues on a phone.

The membership pages may not be fully translated yet, so elements are found by URL, field name,
button value or id, and where text is checked either language is accepted.
"""

import datetime as dt
import os
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.membership.dues import rules as dues
from tests.browser.conftest import ARTIFACTS
from tests.factories import as_actor, make_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BRANCH_A1 = "红钢城社区第一党支部"


def run_worker():
    """The django-tasks DB worker, once through the queue (the live server shares the database)."""
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def screenshot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=f"{ARTIFACTS}/{name}", full_page=True)


def roster_names(page):
    return page.locator("#results table.list tbody tr td:first-child")


def write_roster(path):
    """A roster as offices send it: a merged title row above the header, two good rows and one
    whose ID number Excel has stored as a number (row 5)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "党员信息"
    header = [
        "姓名",
        "性别",
        "出生日期",
        "公民身份号码",
        "手机号码",
        "所在党组织",
        "正式/预备",
        "人员类别",
        "入党日期",
        "转正日期",
        "所在网格",
    ]
    sheet["A1"] = "红钢城社区第一党支部党员信息采集表"
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header)
    born_zhou, born_wu, born_zheng = dt.date(1978, 4, 9), dt.date(1985, 11, 23), dt.date(1969, 1, 30)
    # 郑海's ID number is typed as a number (what Excel does to a long number): whatever its
    # check digit (an X cannot be a number), the row must be reported, never imported.
    sheet.append(
        [
            "周建国",
            "男",
            born_zhou,
            make_id_number(born_zhou),
            "13811112222",
            BRANCH_A1,
            "正式党员",
            "在职",
            dt.date(2005, 7, 1),
            dt.date(2006, 7, 1),
            "第一网格",
        ]
    )
    sheet.append(
        [
            "吴秀兰",
            "女",
            born_wu,
            make_id_number(born_wu, male=False),
            "13833334444",
            BRANCH_A1,
            "正式党员",
            "离退休",
            dt.date(2012, 6, 20),
            dt.date(2013, 6, 20),
            "第一网格",
        ]
    )
    sheet.append(
        [
            "郑海",
            "男",
            born_zheng,
            int(make_id_number(born_zheng)[:17] + "0"),
            "13855556666",
            BRANCH_A1,
            "正式党员",
            "在职",
            dt.date(1995, 7, 1),
            dt.date(1996, 7, 1),
            "第一网格",
        ]
    )
    for row in sheet.iter_rows(min_row=3, min_col=3, max_col=10):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    workbook.save(path)


def test_import_roster_from_excel(world, page_for, tmp_path):
    """Upload → check in the background → problems by row → confirm → import → on the roster."""
    path = tmp_path / "红钢城社区第一党支部党员名册.xlsx"
    write_roster(path)
    page = page_for(world.users.secretary)
    page.goto("/imports/members/")
    expect(page.locator("a[href$='/imports/members/template.xlsx']")).to_be_visible()
    page.select_option("select[name=target]", str(world.branch_a1.pk))
    page.set_input_files("input[name=file]", str(path))
    page.click("main form[enctype='multipart/form-data'] button[type=submit]")

    expect(page).to_have_url(re.compile(r"/imports/job/\d+/$"))
    expect(page.locator("#job-status progress")).to_be_visible()  # queued: nothing checked yet
    run_worker()
    confirm = page.locator("form[action$='/confirm/'] button")
    expect(confirm).to_be_visible()  # htmx polling picked up the finished check
    status = page.locator("#job-status")
    expect(status.locator(".count-line")).to_contain_text(re.compile(r"3\D+2\D+1"))  # 3 rows, 2 valid, 1 problem
    problems = status.locator("table tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.first.locator("td").first).to_have_text("5")
    expect(problems.first).to_contain_text("公民身份号码")
    expect(problems.first).to_contain_text("Excel")
    expect(status.locator("a[href*='/download']")).to_be_visible()  # the list of problems as .xlsx
    expect(confirm).to_contain_text("2")
    screenshot(page, "membership-import.png")

    confirm.click()
    expect(page).to_have_url(re.compile(r"/imports/job/\d+/$"))
    expect(page.locator("form[action$='/confirm/']")).to_have_count(0)
    run_worker()
    result = page.locator("#job-status .count-line")
    expect(result).to_contain_text(re.compile(r"(^|\D)2\D.*(added|新增|创建|导入)|(added|新增|创建|导入)\D*2(\D|$)"))
    expect(page.locator("#job-status a[href$='/members/']")).to_be_visible()

    page.goto("/members/")
    expect(roster_names(page).filter(has_text="周建国")).to_have_count(1)
    expect(roster_names(page).filter(has_text="吴秀兰")).to_have_count(1)
    expect(roster_names(page).filter(has_text="郑海")).to_have_count(0)
    row = page.locator("#results tbody tr", has_text="吴秀兰")
    expect(row).to_contain_text(BRANCH_A1)
    expect(row).to_contain_text("2012-06-20")


def test_transfer_between_communities(world, page_for):
    """A1 opens, submits and (as committee A) approves; B's secretary accepts; the rosters follow."""
    member = world.zhao.member
    page = page_for(world.users.secretary)
    page.goto(f"/members/{member.pk}/")
    page.locator(f"main a[href$='/members/{member.pk}/transfer/']").click()
    expect(page).to_have_url(re.compile(rf"/members/{member.pk}/transfer/$"))
    page.select_option("select[name=to_organization]", str(world.branch_b1.pk))
    page.fill("input[name=reason]", "搬家到钢花村")
    page.click("main form button[type=submit]")

    expect(page).to_have_url(re.compile(r"/members/transfers/\d+/$"))
    transfer_url = page.url
    expect(page.locator("h1")).to_contain_text("赵六")
    expect(page.locator("h1 .badge")).to_have_text(re.compile("Applied|申请"))
    expect(page.locator("dl.facts")).to_contain_text(world.branch_b1.name)
    expect(page.locator("dl.facts")).to_contain_text("搬家到钢花村")
    expect(page.locator("a[href$='/letter.pdf']")).to_have_count(0)  # no letter before approval

    page.click("button[name=action][value=submit]")
    expect(page.locator("h1 .badge")).to_have_text(re.compile("Under review|审批中|审核中"))
    page.fill("input[name=note]", "同意转出")
    page.click("button[name=action][value=approve]")
    expect(page.locator("h1 .badge")).to_have_text(re.compile("Sent out|已转出"))
    year = timezone.localdate().year
    expect(page.locator("dl.facts")).to_contain_text(f"{world.committee_a.code}-{year}-0001")
    expect(page.locator(".timeline")).to_contain_text("同意转出")
    expect(page.locator("button[name=action][value=accept]")).to_have_count(0)  # that is for the receiver
    letter = page.locator("a[href$='/letter.pdf']")
    expect(letter).to_be_visible()
    screenshot(page, "membership-transfer.png")
    response = page.request.get(letter.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    with open(f"{ARTIFACTS}/membership-transfer-letter.pdf", "wb") as handle:  # for a human to look at
        handle.write(response.body())

    receiver = page_for(world.users.outsider)
    receiver.goto("/members/transfers/?direction=in")
    incoming = receiver.locator("table.list tbody tr", has_text="赵六")
    expect(incoming).to_have_count(1)
    expect(incoming).to_contain_text(BRANCH_A1)
    incoming.get_by_role("link", name="赵六").click()
    expect(receiver).to_have_url(transfer_url)
    receiver.click("button[name=action][value=accept]")
    expect(receiver.locator("h1 .badge")).to_have_text(re.compile("Received|已接收"))
    expect(receiver.locator("button[name=action]")).to_have_count(0)

    page.goto(f"/members/?org={world.branch_a1.pk}")
    expect(page.locator("#results")).to_be_visible()
    expect(roster_names(page).filter(has_text="赵六")).to_have_count(0)
    receiver.goto("/members/")
    moved = receiver.locator("#results tbody tr", has_text="赵六")
    expect(moved).to_have_count(1)
    expect(moved).to_contain_text(world.branch_b1.name)


def test_dues_on_a_phone(world, page_for):
    """The branch secretary assesses 赵六's dues and records last month's payment on a phone."""
    member = world.zhao.member
    today = timezone.localdate()
    month = dues.add_months(dues.month_start(today), -1)
    page = page_for(world.users.branch, mobile=True)
    page.goto(f"/members/{member.pk}/dues/")
    expect(page.locator("h1")).to_contain_text("赵六")

    assess = page.locator("form:has(input[name=action][value=assess])")
    # The assessment of last month's year (this year, except in January) covers last month.
    assess.locator("input[name=year]").fill(str(month.year))
    assess.locator("select[name=kind]").select_option("wage")
    assess.locator("input[name=base]").fill("5400")
    assess.locator("button[type=submit]").click()
    expect(page.locator(".messages .message-success")).to_be_visible()
    assessment = page.locator("section[aria-labelledby=assess-h] tbody tr").first
    expect(assessment).to_contain_text(str(month.year))
    expect(assessment).to_contain_text("5400")
    expect(assessment.locator("td").last).to_contain_text("81.00")

    pay = page.locator("form:has(input[name=action][value=pay])")
    pay.locator(f"input[name=months][value='{month:%Y-%m}']").check()
    pay.locator("select[name=method]").select_option("cash")
    pay.locator("input[name=paid_on]").fill(f"{today:%Y-%m-%d}")
    pay.locator("button[type=submit]").click()
    receipt_number = f"{world.branch_a1.code}-{today.year}-00001"
    expect(page.locator(".messages .message-success")).to_contain_text(receipt_number)
    paid_row = page.locator("section[aria-labelledby=months-h] tbody tr", has_text=f"{month:%Y-%m}")
    expect(paid_row).to_contain_text("81.00")
    expect(page.locator(f"input[name=months][value='{month:%Y-%m}']")).to_have_count(0)  # no longer unpaid
    screenshot(page, "membership-dues-mobile.png")

    paid_row.get_by_role("link", name=receipt_number).click()
    expect(page).to_have_url(re.compile(rf"/members/dues/receipts/{receipt_number}/$"))
    receipt = page.locator("section.receipt dl.facts")
    expect(receipt).to_contain_text("赵六")
    expect(receipt).to_contain_text(f"{month:%Y-%m} (81.00)")
    expect(receipt).to_contain_text(BRANCH_A1)

    page.goto(f"/members/dues/?org={world.branch_a1.pk}&month={month:%Y-%m}")
    bill_row = page.locator("section[aria-labelledby=rows-h] tbody tr", has_text="赵六")
    expect(bill_row).to_have_count(1)
    expect(bill_row).to_contain_text("81.00")
    expect(bill_row).to_contain_text(f"✓ 81.00 · {today:%m-%d}")
    expect(bill_row.get_by_role("link", name=receipt_number)).to_be_visible()
    expect(bill_row.locator(".badge.red")).to_have_count(0)


def test_dues_rate_is_shown_exactly(world, page_for):
    member = world.zhao.member
    page = page_for(world.users.branch)
    page.goto(f"/members/{member.pk}/dues/")
    assess = page.locator("form:has(input[name=action][value=assess])")
    assess.locator("select[name=kind]").select_option("wage")
    assess.locator("input[name=base]").fill("5400")
    assess.locator("button[type=submit]").click()
    cells = page.locator("section[aria-labelledby=assess-h] tbody tr").first.locator("td")
    expect(cells.last).to_contain_text("81.00")
    expect(cells.nth(3)).to_have_text("1.5%", timeout=2_000)


def test_letter_reads_well_when_details_are_missing(world, page_for, tmp_path):
    """赵六 has no gender, date of birth or dues on record: the letter should leave them out."""
    import shutil
    import subprocess

    from dangjian.membership.transfers import services as transfer_services

    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        if os.environ.get("CI"):  # CI installs poppler-utils: a missing tool is a failure there
            pytest.fail("pdftotext not installed: apt-get install -y poppler-utils")
        pytest.skip("pdftotext not installed: apt-get install -y poppler-utils")
    secretary = world.users.secretary
    transfer = transfer_services.transfer_apply(
        actor=as_actor(secretary), member=world.zhao.member, to_organization=world.branch_b1, reason="搬家到钢花村"
    )
    transfer = transfer_services.transfer_submit(actor=as_actor(secretary), transfer=transfer)
    transfer_services.transfer_approve(actor=as_actor(secretary), transfer=transfer)
    page = page_for(secretary)
    page.goto(f"/members/transfers/{transfer.pk}/")
    response = page.request.get(page.locator("a[href$='/letter.pdf']").get_attribute("href"))
    assert response.status == 200
    path = tmp_path / "letter.pdf"
    path.write_bytes(response.body())
    extracted = subprocess.run([pdftotext, str(path), "-"], capture_output=True, text=True, check=True)  # noqa: S603 - fixed arguments
    text = re.sub(r"\s+", "", extracted.stdout)
    assert "兹介绍赵六同志" in text
    assert "（，" not in text and "，，" not in text
    assert "交到未缴" not in text
