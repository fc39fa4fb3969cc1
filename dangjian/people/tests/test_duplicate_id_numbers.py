"""Issue #10 (security review): the register form is not an oracle of who is registered where
in the district. An ID number recorded outside what the user may see is refused with one
wording that names no one and no place, and such refusals are limited per user; a duplicate
the user may see links to the record."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from dangjian.core import crypto
from dangjian.people import services
from dangjian.people.models import Person
from tests.factories import make_id_number

pytestmark = [pytest.mark.django_db, pytest.mark.clock("2026-03-02T10:07:00+08:00", tick=False)]


def register(client, number: str, region, name: str = "周九"):
    return client.post(
        reverse("people:create"), {"name": name, "id_number": number, "gender": "unknown", "region": region.pk}
    )


def test_a_number_recorded_elsewhere_is_refused_without_saying_whose_or_where(world, client):
    client.force_login(world.users.outsider)  # community B's secretary; 张三 lives in community A
    number = crypto.decrypt(world.zhang.id_number_encrypted)
    response = register(client, number, world.grid_b1)
    assert response.context["form"].errors["id_number"] == [str(services.ID_NUMBER_TAKEN)]
    body = response.content.decode()
    assert "张三" not in body and world.community_a.name not in body
    assert reverse("people:detail", args=[world.zhang.pk]) not in body
    # Editing someone in one's area to carry that number gets the same answer.
    edit = client.post(
        reverse("people:edit", args=[world.wang.pk]),
        {
            "name": "王五",
            "id_number": number,
            "gender": "unknown",
            "region": world.grid_b1.pk,
            "version": world.wang.version,
        },
    )
    assert edit.context["form"].errors["id_number"] == [str(services.ID_NUMBER_TAKEN)]
    assert not Person.objects.filter(name="周九").exists()


def test_a_duplicate_one_may_see_links_to_the_record(world, client):
    client.force_login(world.users.secretary)
    response = register(client, crypto.decrypt(world.zhang.id_number_encrypted), world.grid_a1, "张三丰")
    assert response.context["form"].errors["id_number"]
    assert reverse("people:detail", args=[world.zhang.pk]) in response.content.decode()


def test_refusals_of_numbers_recorded_elsewhere_are_limited_per_user(world, client):
    """Ten an hour: after them the form takes no ID number from this user (any answer would tell
    whether it is registered) until the hour ends. Duplicates the user may see do not count."""
    client.force_login(world.users.staff)
    visible = crypto.decrypt(world.zhang.id_number_encrypted)  # 张三, in the staff member's community
    hidden = crypto.decrypt(world.wang.id_number_encrypted)  # 王五, in community B
    for _ in range(10):
        assert register(client, visible, world.grid_a1).context["form"].errors["id_number"]
    for _ in range(10):
        errors = register(client, hidden, world.grid_a1).context["form"].errors["id_number"]
        assert errors == [str(services.ID_NUMBER_TAKEN)]
    fresh = make_id_number(dt.date(1991, 6, 1))
    refused = register(client, fresh, world.grid_a1)
    assert refused.status_code == 200
    assert "11:00" in " ".join(refused.context["form"].errors["id_number"])
    assert not Person.objects.filter(name="周九").exists()
    # Per user: a colleague registers the person; the hour over, the staff member may again.
    client.force_login(world.users.secretary)
    assert register(client, fresh, world.grid_a1).status_code == 302
    client.force_login(world.users.staff)
    with time_machine.travel(dt.datetime.fromisoformat("2026-03-02T11:00:01+08:00"), tick=False):
        assert register(client, make_id_number(dt.date(1992, 6, 1)), world.grid_a1, "吴十").status_code == 302
