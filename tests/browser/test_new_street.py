"""A street starts on an empty platform: `manage.py setup_street` makes the district, the street,
its working committee and the admin's account; the admin signs in with the one-time link, adds a
community, a grid and the community's party committee in the browser, and appoints the community
secretary, who signs in with her own link and sees exactly her community. Or the admin loads the
street's trees, residents, members and staff from four spreadsheets."""

import datetime as dt
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


def _workbook(path, columns, rows) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append([column.label for column in columns])
    for values in rows:
        workbook.active.append([values.get(column.key) for column in columns])
    workbook.save(path)


def _import(page, title: str, target: str, path, run_worker, screenshot=None) -> str:
    """From the imports page: upload ``path`` into ``target``, read the check, confirm, and return
    the check's count line."""
    page.locator("nav.sidenav").get_by_role("link", name="从Excel导入").click()
    page.get_by_role("link", name=title).click()
    page.locator("select[name=target]").select_option(target)
    page.set_input_files("input[name=file]", str(path))
    page.click("main form[enctype='multipart/form-data'] button[type=submit]")
    run_worker()
    confirm = page.locator("form[action$='/confirm/'] button")
    expect(confirm).to_be_visible()
    checked = page.locator("#job-status .count-line").inner_text()
    if screenshot is not None:
        screenshot(page)
    confirm.click()
    expect(page.locator("form[action$='/confirm/']")).to_have_count(0)
    run_worker()
    expect(page.locator("#job-status .count-line")).to_contain_text("导入完成")
    return checked


def test_a_street_loads_its_own_four_spreadsheets(page_for, live_server, tmp_path):
    """An empty platform, `setup_street`, then in the browser the admin loads the street's trees,
    residents, members and staff from four spreadsheets (the trees with one bad row, reported and
    skipped); gives the new community secretary her one-time link; she signs in and sees her
    community's residents and members, not the other community's."""
    from dangjian.accounts.importing import COLUMNS as STAFF
    from dangjian.accounts.models import RoleGrant, User
    from dangjian.membership.importing.members import TEMPLATE_COLUMNS as MEMBERS
    from dangjian.orgs.importing import COLUMNS as TREES
    from dangjian.orgs.models import Organization, Region
    from dangjian.people.importing import COLUMNS as RESIDENTS
    from dangjian.people.models import Member, Person
    from tests.browser.test_membership_flows import run_worker, screenshot
    from tests.factories import make_id_number

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
    street = str(Region.objects.get(code="420107001").pk)

    trees = tmp_path / "和平街道组织架构.xlsx"
    _workbook(
        trees,
        TREES,
        [
            {"code": "XC-DW-1", "name": "新村社区第一党支部", "type": "党支部", "parent": "新村社区党委"},
            {"code": "420107001009001", "name": "第一网格", "type": "网格", "parent": "新村社区"},
            {"code": "420107001009002", "name": "第二网格", "type": "网格", "parent": "420107001009"},
            {"code": "XC-DW", "name": "新村社区党委", "type": "社区党委", "region": "新村社区"},
            {"code": "420107001009", "name": "新村社区", "type": "社区"},
            {"code": "420107001010", "name": "老街社区", "type": "社区"},
            {"code": "420107001010001", "name": "老街第一网格", "type": "网格", "parent": "老街社区"},
            {"code": "420107001011", "name": "河东社区", "type": "社区", "parent": "不存在的街道"},
        ],
    )
    admin.locator("nav.sidenav").get_by_role("link", name="从Excel导入").click()
    expect(admin.locator("h1")).to_have_text("从Excel导入")
    screenshot(admin, "imports-index.png")
    checked = _import(
        admin, "导入区域和组织架构", street, trees, run_worker, lambda page: screenshot(page, "imports-trees-check.png")
    )
    assert re.search(r"8\D+7\D+1", checked), checked  # 8 rows, 7 valid, 1 problem
    assert Organization.objects.get(code="XC-DW-1").region.code == "420107001009"
    assert not Region.objects.filter(code="420107001011").exists()

    numbers = [make_id_number(dt.date(1950 + n, 3, 4)) for n in range(4)]
    residents = tmp_path / "居民.xlsx"
    _workbook(
        residents,
        RESIDENTS,
        [
            {"name": "周建国", "id_number": numbers[0], "grid": "新村社区第一网格", "household": "新村1栋101"},
            {"name": "周李氏", "id_number": numbers[1], "grid": "新村社区第一网格", "household": "新村1栋101"},
            {"name": "吴桂兰", "id_number": numbers[2], "grid": "第二网格", "phone": "13912340002"},
            {"name": "郑老街", "id_number": numbers[3], "grid": "老街第一网格"},
        ],
    )
    checked = _import(admin, "导入居民", street, residents, run_worker)
    assert re.search(r"4\D+4\D+0", checked), checked
    members = tmp_path / "党员.xlsx"
    _workbook(
        members,
        MEMBERS,
        [
            {
                "name": "周建国",
                "id_number": numbers[0],
                "organization": "新村社区第一党支部",
                "joined_on": "1975-07-01",
                "full_on": "1976-07-01",
                "grid": "第一网格",
            }
        ],
    )
    _import(admin, "从Excel导入党员", str(Organization.objects.get(code="XC-DW").pk), members, run_worker)
    staff = tmp_path / "工作人员.xlsx"
    _workbook(
        staff,
        STAFF,
        [{"name": "李芳", "username": "lifang", "role": "社区书记", "node": "新村社区", "reason": "换届选举产生"}],
    )
    _import(admin, "导入工作人员账号", street, staff, run_worker)
    admin.get_by_role("button", name="English").click()
    expect(admin.locator("#job-status .count-line")).to_contain_text("Imported. Roles given: 1")
    screenshot(admin, "imports-staff-result-en.png")
    admin.get_by_role("button", name="中文").click()
    assert Person.objects.count() == 4 and Member.objects.get().organization.code == "XC-DW-1"
    assert RoleGrant.objects.get(user__username="lifang").region.code == "420107001009"

    admin.locator("nav.sidenav").get_by_role("link", name="工作人员账号").click()
    admin.get_by_role("link", name="李芳").click()
    admin.get_by_role("button", name="重新发放登录链接").click()
    link = admin.get_by_role("textbox", name="一次性登录链接").input_value()
    secretary = page_for(None)
    _choose_password(secretary, link.removeprefix(live_server.url), "lifang", "Xincun-shequ-2026")
    secretary.locator("nav.sidenav").get_by_role("link", name="人员信息").click()
    expect(secretary.locator("#results .count-line")).to_contain_text("3")
    expect(secretary.locator("#results")).to_contain_text("周建国")
    expect(secretary.locator("#results")).not_to_contain_text("郑老街")
    secretary.locator("nav.sidenav").get_by_role("link", name="党员").click()
    expect(secretary.locator("main")).to_contain_text("周建国")
