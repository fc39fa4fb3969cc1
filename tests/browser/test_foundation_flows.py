"""The flows a person must be able to do in a real browser (zh-Hans by default)."""

import re

import pytest
from playwright.sync_api import expect

from dangjian.core import crypto

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES_AND_GREETING = ["admin", "secretary", "staff", "branch", "member", "resident", "liaison"]


@pytest.mark.parametrize("role", ROLES_AND_GREETING)
def test_each_role_logs_in_and_sees_a_workbench(world, page_for, role):
    page = page_for(getattr(world.users, role))
    expect(page.locator("h1")).to_contain_text("您好")
    expect(page.locator("nav.sidenav")).to_contain_text("工作台")
    if role in ("admin", "secretary", "staff", "branch"):
        expect(page.locator(".figures")).to_be_visible()
    if role in ("member", "resident"):
        expect(page.get_by_role("heading", name="我的信息")).to_be_visible()
    if role == "liaison":
        expect(page.get_by_role("heading", name="我的单位")).to_be_visible()
        expect(page.locator("main")).to_contain_text(world.unit_a.name)


def test_search_by_pinyin_initials_and_see_masked_id(world, page_for):
    page = page_for(world.users.staff)
    page.click("nav.sidenav >> text=人员")
    page.fill("input[name=q]", "zs")
    # htmx replaces the results as one types; no button press needed.
    expect(page.locator("#results tbody tr")).to_have_count(1)
    row = page.locator("#results tbody tr").first
    expect(row).to_contain_text("张三")
    expect(row).to_contain_text(world.zhang.id_number_masked)
    expect(page).to_have_url(re.compile(r"q=zs"))
    row.get_by_role("link", name="张三").click()
    full_number = crypto.decrypt(world.zhang.id_number_encrypted)
    expect(page.locator("#value-id_number")).to_contain_text(world.zhang.id_number_masked)
    expect(page.locator("main")).not_to_contain_text(full_number)
    # Without a purpose the browser asks for one and the number stays hidden.
    page.locator("#value-id_number").get_by_role("button", name="查看完整").click()
    expect(page.locator("main")).not_to_contain_text(full_number)
    page.locator("#value-id_number").get_by_label("为何需要查看完整号码？").select_option(label="核实身份")
    page.locator("#value-id_number").get_by_role("button", name="查看完整").click()
    expect(page.locator("#value-id_number")).to_have_text(full_number)
    page.reload()
    expect(page.locator(".timeline")).to_contain_text("查看了完整身份证号")
    expect(page.locator(".timeline")).to_contain_text("原因：核实身份")


def test_another_communitys_person_cannot_be_opened(world, page_for, live_server):
    page = page_for(world.users.secretary)
    response = page.goto(f"/people/{world.wang.pk}/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("页面不存在")
    page.goto("/people/?q=ww")
    expect(page.locator("#results")).to_contain_text("没有找到")


def test_register_person_with_inline_validation(world, page_for):
    page = page_for(world.users.staff)
    page.goto("/people/new/")
    page.fill("#id_id_number", "420107198005170019")
    expect(page.locator("#feedback-id_number .error")).to_contain_text("校验位")
    page.fill("#id_id_number", "11010519491231002x")
    expect(page.locator("#feedback-id_number .hint")).to_contain_text("1949-12-31")
    page.fill("#id_name", "周秀英")
    page.fill("#id_phone", "139 0000 4444")
    page.select_option("#id_region", str(world.grid_a1.pk))
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_contain_text("周秀英")
    expect(page.locator("main")).to_contain_text("139****4444")
    expect(page.locator("main")).to_contain_text("1949-12-31")


def test_large_text_and_language_switch(world, page_for):
    page = page_for(world.users.resident, mobile=True)
    size_before = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    page.get_by_role("button", name="大字模式").click()
    expect(page.locator("html")).to_have_class(re.compile("large-text"))
    size_after = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert size_after > size_before
    page.get_by_role("button", name="English").click()
    expect(page.locator("nav.sidenav")).to_contain_text("Workbench")
    page.get_by_role("button", name="中文").click()
    expect(page.locator("nav.sidenav")).to_contain_text("工作台")


def test_export_filtered_people_to_excel(world, page_for, tmp_path):
    """Secretary filters, exports, watches the progress page finish and downloads a real .xlsx."""
    import io

    from django.core.management import call_command
    from openpyxl import load_workbook

    page = page_for(world.users.secretary)
    page.goto("/people/?q=zs")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    page.get_by_role("button", name="导出Excel").click()
    expect(page.locator("#job-status")).to_contain_text("排队中")
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)  # the real worker
    download_link = page.get_by_role("link", name=re.compile("下载"))
    expect(download_link).to_be_visible(timeout=10_000)  # htmx polling picked up the finished job
    with page.expect_download() as info:
        download_link.click()
    path = tmp_path / "export.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(io.BytesIO(path.read_bytes()), read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == "姓名"
    assert [row[0] for row in rows[1:]] == ["张三"]
    assert rows[1][3] == world.zhang.id_number_masked
