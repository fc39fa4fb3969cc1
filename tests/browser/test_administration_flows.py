"""A community secretary appoints a new worker in the browser; the worker signs in with the
one-time link; the secretary later ends the role (zh-Hans)."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_secretary_appoints_a_worker_who_signs_in_with_the_link(world, page_for):
    page = page_for(world.users.secretary)
    page.locator("nav.sidenav").get_by_role("link", name="工作人员账号").click()
    expect(page.locator("h1")).to_have_text("工作人员账号")
    expect(page.locator("main")).to_contain_text("staff_a")
    page.get_by_role("link", name="新建账号").click()
    page.get_by_role("button", name="创建账号").click()
    expect(page.locator(".error-summary")).to_contain_text("请")  # every missing field is named
    page.get_by_label("姓名").fill("周八")
    page.get_by_label("登录名").fill("zhouba")
    page.get_by_label("角色").select_option("community_staff")
    page.get_by_label("任职范围").select_option(f"region:{world.grid_a1.pk}")
    page.get_by_label("原因").fill("社区两委会议决定聘任")
    page.get_by_role("button", name="创建账号").click()
    expect(page.locator(".message-success")).to_contain_text("已创建周八的账号")
    link = page.get_by_role("textbox", name="一次性登录链接").input_value()
    assert "/accounts/welcome/" in link
    expect(page.locator("main")).to_contain_text("社区工作人员")

    newcomer = page_for(None)
    newcomer.goto(link)
    expect(newcomer.locator("h1")).to_have_text("设置密码")
    newcomer.locator("#id_new_password1").fill("Hongganglu-88")
    newcomer.locator("#id_new_password2").fill("Hongganglu-88")
    newcomer.get_by_role("button", name="设置密码").click()
    expect(newcomer.locator(".message-success")).to_contain_text("密码已设置")
    newcomer.locator("#id_username").fill("zhouba")
    newcomer.locator("#id_password").fill("Hongganglu-88")
    newcomer.click("main button[type=submit]")
    expect(newcomer.locator("h1")).to_contain_text("您好")
    newcomer.goto(link)
    expect(newcomer.locator("h1")).to_have_text("该链接无法使用")

    page.reload()
    page.get_by_text("终止此角色").click()
    page.get_by_label("原因").last.fill("试用期未通过")
    page.get_by_role("button", name="终止", exact=True).click()
    expect(page.locator(".message-success")).to_contain_text("角色将于所选日期终止")
    expect(page.locator("main table")).to_contain_text("已终止")
    newcomer.goto("/")
    expect(newcomer.locator("nav.sidenav")).not_to_contain_text("人员")  # no rights left
