"""People pages as a user drives them: register, edit, search, change status, reveal numbers."""

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.accounts.roles import Role
from dangjian.core import crypto
from dangjian.core.models import Event, EventAction
from dangjian.people.models import Person, PersonStatus
from tests.factories import make_id_number, make_person, make_user

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_register_person_derives_birth_and_gender_from_id(world, client):
    login(client, world.users.staff)
    number = make_id_number(dt.date(1990, 2, 14), male=False)
    response = client.post(
        reverse("people:create"),
        {
            "name": " 陈  晓红 ",
            "id_number": number.lower(),
            "phone": "+86 139-0000-3333",
            "gender": "unknown",
            "region": world.grid_a2.pk,
            "address": "钢花新村3栋",
        },
    )
    assert response.status_code == 302
    person = Person.objects.get(name="陈晓红")
    assert person.birth_date == dt.date(1990, 2, 14)
    assert person.gender == "female"
    assert person.id_number_masked == number[:6] + "********" + number[-4:]
    assert person.phone_masked == "139****3333"
    assert crypto.decrypt(person.id_number_encrypted) == number
    assert number not in person.id_number_encrypted
    assert (person.name_pinyin, person.name_initials) == ("chenxiaohong", "cxh")
    event = Event.objects.get(target_id=person.pk, action=EventAction.CREATED)
    assert event.actor == world.users.staff
    assert number not in str(event.changes)  # events keep masked values only


def test_register_rejects_bad_input_with_chinese_messages_and_saves_nothing(world, client):
    login(client, world.users.staff)
    before = Person.objects.count()
    response = client.post(
        reverse("people:create"),
        {
            "name": "",
            "id_number": "420107198005170011",
            "phone": "1381234",
            "gender": "unknown",
            "region": world.grid_a1.pk,
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"name", "phone"}
    assert Person.objects.count() == before


def test_register_outside_scope_is_refused(world, client):
    login(client, world.users.staff)
    response = client.post(reverse("people:create"), {"name": "周九", "gender": "unknown", "region": world.grid_b1.pk})
    assert response.status_code == 200
    assert "region" in response.context["form"].errors
    assert not Person.objects.filter(name="周九").exists()


def test_duplicate_id_number_is_refused(world, client):
    login(client, world.users.secretary)
    number = crypto.decrypt(world.zhang.id_number_encrypted)
    response = client.post(
        reverse("people:create"),
        {"name": "张三丰", "id_number": number, "gender": "unknown", "region": world.grid_a1.pk},
    )
    assert response.status_code == 200
    assert "id_number" in response.context["form"].errors


def test_birth_date_conflicting_with_id_number_is_refused(world, client):
    login(client, world.users.secretary)
    number = make_id_number(dt.date(1970, 1, 1))
    response = client.post(
        reverse("people:create"),
        {
            "name": "吴十",
            "id_number": number,
            "birth_date": "1971-01-01",
            "gender": "unknown",
            "region": world.grid_a1.pk,
        },
    )
    assert "birth_date" in response.context["form"].errors


def test_edit_records_changes_and_keeps_numbers_when_left_empty(world, client):
    login(client, world.users.secretary)
    zhang = world.zhang
    response = client.post(
        reverse("people:edit", args=[zhang.pk]),
        {
            "name": "张三",
            "gender": zhang.gender,
            "region": world.grid_a2.pk,
            "address": "新地址 8 号",
            "version": zhang.version,
            "reason": "搬到第二网格",
            "tags": [world.lonely.pk],
        },
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    zhang.refresh_from_db()
    assert zhang.region == world.grid_a2
    assert zhang.phone_masked == "138****5678"  # left empty: kept
    event = Event.objects.filter(target_id=zhang.pk, action=EventAction.UPDATED).get()
    assert event.reason == "搬到第二网格"
    assert event.changes["address"] == ["", "新地址 8 号"]
    assert event.changes["region"][1] == "第二网格"


def test_second_concurrent_edit_is_refused(world, client):
    login(client, world.users.secretary)
    zhang = world.zhang
    stale_version = zhang.version
    url = reverse("people:edit", args=[zhang.pk])
    data = {"name": "张三", "gender": zhang.gender, "region": world.grid_a1.pk, "version": stale_version}
    first = client.post(url, {**data, "address": "第一次保存"})
    assert first.status_code == 302
    second = client.post(url, {**data, "address": "第二次保存"})
    assert second.status_code == 200
    assert second.context["form"].non_field_errors()
    zhang.refresh_from_db()
    assert zhang.address == "第一次保存"


def test_status_change_needs_a_reason_and_never_deletes(world, client):
    login(client, world.users.staff)
    url = reverse("people:status", args=[world.zhang.pk])
    client.post(url, {"status": PersonStatus.DECEASED, "reason": ""})
    world.zhang.refresh_from_db()
    assert world.zhang.status == PersonStatus.ACTIVE
    client.post(url, {"status": PersonStatus.DECEASED, "reason": "2026年11月病故"})
    world.zhang.refresh_from_db()
    assert world.zhang.status == PersonStatus.DECEASED
    assert Event.objects.filter(target_id=world.zhang.pk, action=EventAction.STATUS_CHANGED, reason="2026年11月病故")
    # The list shows people living here by default; the deceased are found with the status filter.
    listed = client.get(reverse("people:list"))
    assert world.zhang not in listed.context["page"].object_list
    all_people = client.get(reverse("people:list"), {"status": ""})
    assert world.zhang in all_people.context["page"].object_list


def test_reveal_shows_full_number_and_is_logged(world, client):
    login(client, world.users.staff)
    url = reverse("people:reveal", args=[world.zhang.pk, "phone"])
    response = client.post(url, {"purpose": "contact"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "13812345678" in response.content.decode()
    event = Event.objects.get(target_id=world.zhang.pk, action=EventAction.UNMASKED)
    assert event.actor == world.users.staff
    assert event.changes == {"field": ["phone", "phone"], "purpose": [None, "contact"]}
    assert event.reason == "联系本人"
    # Zhang sees on his own page that his mobile was viewed, by role and place, and why.
    login(client, make_user("zhang_self", Role.RESIDENT, person=world.zhang))
    own = client.get(reverse("people:detail", args=[world.zhang.pk])).content.decode()
    assert "原因：联系本人" in own


@pytest.mark.parametrize("purpose", ["", "curious", "<script>"])
def test_a_full_number_needs_a_stated_purpose(world, client, purpose):
    """No purpose, or one not on the list: the number stays hidden, nothing is logged, and the
    form says why — in place (htmx) or on the person's page."""
    login(client, world.users.staff)
    url = reverse("people:reveal", args=[world.zhang.pk, "phone"])
    response = client.post(url, {"purpose": purpose}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "13812345678" not in body and "138****5678" in body
    assert "请说明为何需要查看完整号码" in body and 'aria-invalid="true"' in body
    assert "<script>" not in body
    page = client.post(url, {"purpose": purpose}, follow=True)
    assert "请说明为何需要查看完整号码" in page.content.decode()
    assert "13812345678" not in page.content.decode()
    assert not Event.objects.filter(action=EventAction.UNMASKED).exists()


def test_detail_shows_masked_numbers_only(world, client):
    login(client, world.users.secretary)
    body = client.get(reverse("people:detail", args=[world.zhang.pk])).content.decode()
    assert "138****5678" in body
    assert "13812345678" not in body
    number = crypto.decrypt(world.zhang.id_number_encrypted)
    assert number not in body
    assert world.zhang.id_number_masked in body


def test_branch_secretary_cannot_reveal(world, client):
    login(client, world.users.branch)
    response = client.post(reverse("people:reveal", args=[world.zhao.pk, "phone"]))
    assert response.status_code == 404
    assert not Event.objects.filter(action=EventAction.UNMASKED).exists()


def test_user_input_is_escaped(world, client):
    login(client, world.users.secretary)
    make_person(world.users.secretary, world.grid_a1, "<script>alert(1)</script>", address="<b>粗体</b>")
    body = client.get(reverse("people:list"), {"q": "script"}).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


@pytest.mark.parametrize(
    ("field", "value", "expect"),
    [
        ("id_number", "11010519491231002x", "1949-12-31"),
        ("id_number", "110105194912310021", "error"),
        ("phone", "12345678901", "error"),
        ("phone", "13812345678", ""),
    ],
)
def test_inline_validation(world, client, field, value, expect):
    login(client, world.users.staff)
    response = client.post(reverse("people:validate"), {"field": field, field: value}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    if expect == "error":
        assert 'class="error"' in body
    elif expect:
        assert expect in body and 'class="error"' not in body
    else:
        assert 'class="error"' not in body


def test_search_and_filters(world, client):
    login(client, world.users.secretary)

    def names(**params):
        response = client.get(reverse("people:list"), params)
        return {p.name for p in response.context["page"].object_list}

    assert names(q="zs") == {"张三"}
    assert names(q="5678") == {"张三"}
    assert names(q=crypto.decrypt(world.zhang.id_number_encrypted)) == {"张三"}
    assert names(q="王五") == set()  # community B is out of scope
    assert names(tag=world.lonely.pk) == {"张三"}
    assert names(member="yes") == {"赵六", "李四"}
    assert names(member="probationary") == {"李四"}
    assert names(region=world.grid_a2.pk) == {"李四"}
    assert names(org=world.branch_a1.pk, member="yes") == {"赵六"}
    assert names(region=world.grid_b1.pk) == {"张三", "李四", "赵六", "钱七"}  # invalid choice: filter ignored


def test_htmx_search_returns_only_the_results_fragment(world, client):
    login(client, world.users.secretary)
    response = client.get(reverse("people:list"), {"q": "zs"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">')
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_editing_without_touching_the_birth_date_keeps_it(world, client):
    """The edit form shows the recorded date (ISO, as <input type=date> needs) and saving keeps it."""
    login(client, world.users.secretary)
    zhang = world.zhang
    page = client.get(reverse("people:edit", args=[zhang.pk])).content.decode()
    assert f'value="{zhang.birth_date:%Y-%m-%d}"' in page
    client.post(
        reverse("people:edit", args=[zhang.pk]),
        {"name": "张三", "gender": "", "birth_date": "", "region": world.grid_a1.pk, "version": zhang.version},
    )
    zhang.refresh_from_db()
    assert zhang.birth_date == dt.date(1980, 5, 17)  # from the recorded ID number
    assert zhang.gender == "male"


def test_edit_refuses_a_birth_date_that_contradicts_the_recorded_id(world, client):
    login(client, world.users.secretary)
    zhang = world.zhang
    response = client.post(
        reverse("people:edit", args=[zhang.pk]),
        {"name": "张三", "birth_date": "1981-01-01", "region": world.grid_a1.pk, "version": zhang.version},
    )
    assert "birth_date" in response.context["form"].errors
    zhang.refresh_from_db()
    assert zhang.birth_date == dt.date(1980, 5, 17)
