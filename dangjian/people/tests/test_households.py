"""Households (家庭户): set on a person's edit page by the household's address (one household per
grid and address, as the residents' import finds them), listed per community or grid."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core.models import Event, EventAction
from dangjian.people.models import Household, Person
from tests.factories import make_person

pytestmark = pytest.mark.django_db
ADDRESS = "钢花新村3栋2单元501"


def _edit(client, person, **changes):
    person.refresh_from_db()
    data = {
        "name": person.name,
        "gender": person.gender,
        "ethnicity": person.ethnicity or "汉族",
        "region": person.region_id,
        "address": person.address,
        "version": person.version,
        **changes,
    }
    return client.post(reverse("people:edit", args=[person.pk]), data)


def test_the_edit_page_puts_people_of_one_grid_and_address_in_one_household(world, client):
    client.force_login(world.users.staff)
    assert _edit(client, world.zhang, household_address=f"  {ADDRESS} ").status_code == 302
    assert _edit(client, world.qian, household_address=ADDRESS).status_code == 302
    assert _edit(client, world.li, household_address=ADDRESS).status_code == 302  # 李四 lives in grid A2
    zhang, qian, li = (Person.objects.get(pk=p.pk) for p in (world.zhang, world.qian, world.li))
    assert zhang.household_id == qian.household_id and zhang.household.address == ADDRESS
    assert li.household_id != zhang.household_id and li.household.region_id == world.grid_a2.pk
    assert Household.objects.filter(address=ADDRESS).count() == 2
    event = Event.objects.filter(target_id=zhang.pk, action=EventAction.UPDATED).latest("occurred_at")
    assert event.changes["household"] == ["", ADDRESS]
    # The edit page shows the household; emptied, the person is in none (the household stays).
    assert ADDRESS in client.get(reverse("people:edit", args=[zhang.pk])).content.decode()
    assert _edit(client, zhang, household_address="").status_code == 302
    assert Person.objects.get(pk=zhang.pk).household_id is None
    # Saving without touching it changes nothing and records no household change.
    _edit(client, qian, household_address=ADDRESS, notes="")
    assert (
        not Event.objects.filter(target_id=qian.pk, changes__has_key="household")
        .exclude(changes__household=["", ADDRESS])
        .exists()
    )


def test_registering_with_a_household_joins_it(world, client):
    client.force_login(world.users.staff)
    _edit(client, world.zhang, household_address=ADDRESS)
    response = client.post(
        reverse("people:create"),
        {
            "name": "张小三",
            "gender": "male",
            "ethnicity": "汉族",
            "region": world.grid_a1.pk,
            "household_address": ADDRESS,
        },
    )
    assert response.status_code == 302
    child = Person.objects.get(name="张小三")
    assert child.household_id == Person.objects.get(pk=world.zhang.pk).household_id


def test_the_households_list_shows_each_household_with_who_lives_there_in_scope(world, client):
    client.force_login(world.users.staff)
    _edit(client, world.zhang, household_address=ADDRESS)
    _edit(client, world.qian, household_address=ADDRESS)
    Household.objects.create(region=world.grid_b1, address="钢花村8栋101")
    client.force_login(world.users.secretary)
    body = client.get(reverse("people:households")).content.decode()
    assert ADDRESS in body and "钢花村8栋101" not in body
    assert "共 1 户" in body
    row = body[body.index(ADDRESS) :]
    row = row[: row.index("</tr>")]
    assert '<td class="num">2</td>' in row and "张三" in row and "钱七" in row
    assert reverse("people:detail", args=[world.zhang.pk]) in row
    # Found by part of the address, and by grid; another grid's list is empty.
    assert ADDRESS in client.get(reverse("people:households"), {"q": "3栋"}).content.decode()
    other = client.get(reverse("people:households"), {"region": world.grid_a2.pk}).content.decode()
    assert ADDRESS not in other and "没有找到家庭户" in other
    # Community B's secretary sees B's household, not A's; a resident sees none.
    client.force_login(world.users.outsider)
    body = client.get(reverse("people:households")).content.decode()
    assert "钢花村8栋101" in body and ADDRESS not in body
    client.force_login(world.users.resident)
    assert "没有找到家庭户" in client.get(reverse("people:households")).content.decode()
    # The person's page links to the household in the list.
    client.force_login(world.users.staff)
    page = client.get(reverse("people:detail", args=[world.zhang.pk])).content.decode()
    assert reverse("people:households") + f"?region={world.grid_a1.pk}" in page


@pytest.mark.parametrize(
    "query",
    [{"page": "abc"}, {"page": "99999"}, {"region": "abc"}, {"region": "99999999999999999999"}, {"q": "x" * 500}],
)
def test_hostile_query_values_answer_a_page(world, client, query):
    client.force_login(world.users.secretary)
    assert client.get(reverse("people:households"), query).status_code == 200


def test_the_households_page_costs_the_same_queries_for_more_households(world, client):
    client.force_login(world.users.secretary)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("people:households")).status_code == 200
        return len(captured)

    def add(n: int, grid) -> None:
        household = Household.objects.create(region=grid, address=f"红钢城{n}栋")
        Person.objects.filter(pk=make_person(world.users.admin, grid, f"住户{n}").pk).update(household=household)

    for n in range(2):
        add(n, world.grid_a1)
    queries()  # the first request of the session loads what later ones find cached
    few = queries()
    for n in range(2, 12):
        add(n, world.grid_a2)
    assert queries() == few
