"""The workbench's doors to everyday work (issue #16): staff who take requests record one at the
desk from there (its only request button used to open the resident pages), and those who record
dues find a member's dues by name. Each door is shown only to those who may go through it."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def workbench(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("dashboard:workbench"))
    assert response.status_code == 200
    return response.content.decode()


def link(body: str, element_id: str) -> str | None:
    found = re.search(rf'<a [^>]*id="{element_id}"[^>]*>', body)
    return re.search(r'href="([^"]+)"', found.group(0)).group(1) if found else None


@pytest.mark.parametrize(
    ("role", "desk"),
    [("admin", True), ("secretary", True), ("staff", True), ("outsider", True), ("branch", False)],
)
def test_staff_who_take_requests_open_the_desk_from_the_workbench(world, client, role, desk):
    body = workbench(client, getattr(world.users, role))
    assert link(body, "record-request") == (reverse("servicedesk:desk") if desk else None)
    if desk:  # the door leads somewhere that opens
        assert client.get(reverse("servicedesk:desk")).status_code == 200


@pytest.mark.parametrize("role", ["member", "resident"])
def test_residents_keep_their_own_way_to_ask_for_help(world, client, role):
    body = workbench(client, getattr(world.users, role))
    assert link(body, "record-request") is None
    assert f'href="{reverse("portal:submit")}"' in body


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("branch", True),
        ("secretary", True),
        ("staff", True),
        ("admin", True),
        ("member", False),
        ("resident", False),
        ("liaison", False),
    ],
)
def test_those_who_record_dues_find_a_member_from_the_workbench(world, client, role, shown):
    body = workbench(client, getattr(world.users, role))
    assert ('id="dues-entry"' in body) is shown
    if shown:
        form = re.search(r'<section [^>]*id="dues-entry".*?</section>', body, re.S).group(0)
        assert f'action="{reverse("membership:dues_find")}"' in form
        assert f'hx-get="{reverse("membership:dues_find")}"' in form and 'name="q"' in form
        found = client.get(reverse("membership:dues_find"), {"q": "zl"}, headers={"HX-Request": "true"})
        # 赵六 (branch A1) is a member of each of these users' scope: a click from his dues
        assert f'href="{reverse("membership:member_dues", args=[world.zhao.member.pk])}"' in found.content.decode()
