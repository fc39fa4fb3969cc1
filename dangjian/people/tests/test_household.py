"""A person's page shows their household and the others in it whom the reader may see: staff see
the names (each a link), a resident on their own page sees the address only."""

import pytest
from django.urls import reverse

from dangjian.people.models import Household, Person

pytestmark = pytest.mark.django_db


def test_the_household_and_its_visible_members_are_on_the_person_page(world, client):
    home = Household.objects.create(region=world.grid_a1, address="钢花新村3栋2单元501")
    Person.objects.filter(pk__in=[world.zhang.pk, world.qian.pk, world.wang.pk]).update(household=home)
    client.force_login(world.users.secretary)
    page = client.get(reverse("people:detail", args=[world.zhang.pk])).content.decode()
    assert "钢花新村3栋2单元501" in page
    assert reverse("people:detail", args=[world.qian.pk]) in page  # in her community
    assert world.wang.name not in page  # 王五 is registered in 钢花村社区: not hers to see
    client.force_login(world.users.resident)  # 钱七, on her own page
    page = client.get(reverse("people:detail", args=[world.qian.pk])).content.decode()
    assert "钢花新村3栋2单元501" in page and world.zhang.name not in page
    client.force_login(world.users.secretary)
    page = client.get(reverse("people:detail", args=[world.li.pk])).content.decode()  # no household
    assert "钢花新村3栋2单元501" not in page
