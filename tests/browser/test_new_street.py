"""A street starts on an empty platform: `manage.py setup_street` makes the district, the street,
its working committee and the admin's account; the admin signs in with the one-time link, adds a
community, a grid and the community's party committee in the browser, and appoints the community
secretary, who signs in with her own link and sees exactly her community. Or the admin loads the
trees from one spreadsheet. (The imports of residents and staff of issue #11 are not built yet.)"""

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _link(output: str, live_server) -> str:
    return re.search(r"(/accounts/welcome/\S+)", output).group(1)


def _choose_password(page, link: str, username: str, password: str) -> None:
    page.goto(link)
    page.locator("#id_new_password1").fill(password)
    page.locator("#id_new_password2").fill(password)
    page.get_by_role("button", name="设置密码").click()
    expect(page.locator(".message-success")).to_contain_text("密码已设置")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_contain_text("您好")


def test_a_street_starts_from_an_empty_platform(page_for, live_server):
    from dangjian.accounts.models import User
    from dangjian.orgs.models import Region

    assert not Region.objects.exists() and not User.objects.exists()
    out = io.StringIO()
    call_command(
        "setup_street",
        district="青山区:420107",
        street="和平街道:420107001",
        admin="wangjie",
        admin_name="王杰",
        site_url=live_server.url,
        stdout=out,
    )
    admin = page_for(None)
    _choose_password(admin, _link(out.getvalue(), live_server), "wangjie", "Heping-street-2026")

    admin.locator("nav.sidenav").get_by_role("link", name="社区与网格").click()
    admin.get_by_role("link", name="和平街道").first.click()
    admin.get_by_role("link", name="管理").click()
    admin.locator("#id_add-name").fill("新村社区")
    admin.locator("#id_add-code").fill("420107001009")
    admin.get_by_role("button", name="添加").click()
    expect(admin.locator(".message-success")).to_contain_text("已添加新村社区")
    admin.get_by_role("link", name="新村社区").click()
    admin.get_by_role("link", name="管理").click()
    admin.locator("#id_add-name").fill("第一网格")
    admin.locator("#id_add-code").fill("420107001009001")
    admin.get_by_role("button", name="添加").click()
    expect(admin.locator("main")).to_contain_text("第一网格")

    admin.locator("nav.sidenav").get_by_role("link", name="党组织").click()
    admin.get_by_role("link", name="和平街道党工委").first.click()
    admin.get_by_role("link", name="管理").click()
    admin.locator("#id_add-name").fill("新村社区党委")
    admin.locator("#id_add-code").fill("XC-DW")
    admin.locator("#id_add-kind").select_option("committee")
    admin.locator("#id_add-region").select_option(label="和平街道 › 新村社区")
    admin.get_by_role("button", name="添加").click()
    expect(admin.locator("main")).to_contain_text("新村社区党委")

    admin.locator("nav.sidenav").get_by_role("link", name="工作人员账号").click()
    admin.get_by_role("link", name="新建账号").click()
    admin.get_by_label("姓名").fill("李芳")
    admin.get_by_label("登录名").fill("lifang")
    admin.get_by_label("角色").select_option("community_secretary")
    admin.get_by_label("任职范围").select_option(label="\u3000新村社区")
    admin.get_by_label("原因").fill("社区党委换届选举产生")
    admin.get_by_role("button", name="创建账号").click()
    link = admin.get_by_role("textbox", name="一次性登录链接").input_value()

    secretary = page_for(None)
    _choose_password(secretary, link.removeprefix(live_server.url), "lifang", "Xincun-shequ-2026")
    secretary.locator("nav.sidenav").get_by_role("link", name="社区与网格").click()
    expect(secretary.locator("main")).to_contain_text("新村社区")
    expect(secretary.locator("main")).to_contain_text("第一网格")
    expect(secretary.locator("main")).not_to_contain_text("和平街道 ›")
    assert set(Region.objects.values_list("name", flat=True)) == {"青山区", "和平街道", "新村社区", "第一网格"}


def _trees_file(path) -> None:
    from openpyxl import Workbook

    from dangjian.orgs.importing import COLUMNS

    keys = [column.key for column in COLUMNS]
    rows = [
        {"code": "XC-DW-1", "name": "新村社区第一党支部", "type": "党支部", "parent": "新村社区党委"},
        {"code": "420107001009001", "name": "第一网格", "type": "网格", "parent": "新村社区"},
        {
            "code": "XC-DW",
            "name": "新村社区党委",
            "type": "社区党委",
            "region": "新村社区",
            "term_started_on": "2024-07-01",
        },
        {"code": "420107001009", "name": "新村社区", "type": "社区"},
        {"code": "420107001010", "name": "老街社区", "type": "社区", "parent": "不存在的街道"},
    ]
    workbook = Workbook()
    workbook.active.append([column.label for column in COLUMNS])
    for values in rows:
        workbook.active.append([values.get(key) for key in keys])
    workbook.save(path)


def test_a_street_loads_its_trees_from_a_spreadsheet(page_for, live_server, tmp_path):
    """The admin uploads 组织架构导入表 (rows in any order, one bad row), reads the check, confirms,
    and finds the communities, grids and organisations in the trees."""
    from dangjian.accounts.models import User
    from dangjian.orgs.models import Organization, Region
    from tests.browser.test_membership_flows import run_worker, screenshot

    out = io.StringIO()
    call_command(
        "setup_street",
        district="青山区:420107",
        street="和平街道:420107001",
        admin="wangjie",
        admin_name="王杰",
        site_url=live_server.url,
        stdout=out,
    )
    user = User.objects.get(username="wangjie")
    user.set_password("Heping-street-2026")  # as with the one-time link (the first test walks it)
    user.save()
    admin = page_for(user, password="Heping-street-2026")
    admin.locator("nav.sidenav").get_by_role("link", name="从Excel导入").click()
    expect(admin.locator("h1")).to_have_text("从Excel导入")
    screenshot(admin, "imports-index.png")
    admin.get_by_role("link", name="导入区域和组织架构").click()
    path = tmp_path / "和平街道组织架构.xlsx"
    _trees_file(path)
    admin.set_input_files("input[name=file]", str(path))
    admin.click("main form[enctype='multipart/form-data'] button[type=submit]")
    run_worker()
    status = admin.locator("#job-status")
    expect(status.locator(".count-line")).to_contain_text(re.compile(r"5\D+4\D+1"))  # 5 rows, 4 valid, 1 problem
    expect(status.locator("table tbody tr")).to_have_count(1)
    expect(status.locator("table tbody tr").first).to_contain_text("不存在的街道")
    expect(status).to_contain_text("4行将新增节点")
    screenshot(admin, "imports-trees-check.png")
    admin.locator("form[action$='/confirm/'] button").click()
    run_worker()
    expect(admin.locator("#job-status .count-line")).to_contain_text("新增节点4个")
    admin.get_by_role("button", name="English").click()
    expect(admin.locator("#job-status .count-line")).to_contain_text("Imported: 4 nodes added")
    screenshot(admin, "imports-trees-result-en.png")
    assert Region.objects.get(code="420107001009001").parent.code == "420107001009"
    branch = Organization.objects.get(code="XC-DW-1")
    assert branch.parent.code == "XC-DW" and branch.region.code == "420107001009"
    assert not Region.objects.filter(code="420107001010").exists()
