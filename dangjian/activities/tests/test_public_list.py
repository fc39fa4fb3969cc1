"""The public list of upcoming activities: for visitors without an account, only published
activities open to everyone and not yet over, with their places — never anyone's name —, a link to
sign in to sign up, a community filter that ignores what is not a community, and the same number
of queries for one activity or many."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.activities import services
from dangjian.activities.models import Activity, Audience, Series
from tests.factories import as_actor

pytestmark = pytest.mark.django_db


def _activity(world, title, *, region=None, hours=24, capacity=2, **kwargs):
    staff = as_actor(world.users.admin)
    starts = staff.now + dt.timedelta(hours=hours)
    return services.activity_create(
        actor=staff,
        region=region or world.community_a,
        title=title,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        capacity=capacity,
        place="社区广场",
        **kwargs,
    )


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_visitors_see_upcoming_activities_open_to_everyone_and_no_names(world, english):
    series = Series.objects.create(name="邻居节", region=world.community_a)
    open_one = _activity(world, "邻居节·百家宴", series=series, capacity=2)
    _activity(world, "党员主题党日", audience=Audience.MEMBERS)
    called_off = _activity(world, "取消的讲座")
    services.activity_cancel(actor=as_actor(world.users.admin), activity=called_off, reason="场地维修")
    over = _activity(world, "已结束的义诊")
    now = as_actor(world.users.admin).now
    Activity.objects.filter(pk=over.pk).update(
        starts_at=now - dt.timedelta(hours=3), ends_at=now - dt.timedelta(hours=1)
    )
    street_wide = _activity(world, "街道运动会", region=world.street, capacity=0)
    services.sign_up(actor=as_actor(world.users.resident), activity=open_one, person=world.qian)
    services.sign_up(actor=as_actor(world.users.admin), activity=open_one, person=world.zhang)
    services.sign_up(actor=as_actor(world.users.admin), activity=open_one, person=world.li)  # waits
    response = english.get(reverse("activities:public"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "邻居节·百家宴" in page and "街道运动会" in page and "邻居节" in page and "红钢城社区" in page
    assert "党员主题党日" not in page and "取消的讲座" not in page and "已结束的义诊" not in page
    assert "No place left" in page and "1 waiting" in page and "no limit" in page
    for name in ("钱七", "张三", "李四"):
        assert name not in page
    detail = reverse("activities:detail", args=[open_one.pk])
    assert f'href="{reverse("accounts:login")}?next={detail}"' in page
    # Under way, sign-up closed: no link to sign in.
    Activity.objects.filter(pk=street_wide.pk).update(
        starts_at=now - dt.timedelta(minutes=30),
        sign_up_opens_at=now - dt.timedelta(hours=2),
        sign_up_closes_at=now - dt.timedelta(minutes=30),
    )
    page = english.get(reverse("activities:public")).content.decode()
    assert "街道运动会" in page and "Sign-up for this activity has closed." in page
    assert f"next={reverse('activities:detail', args=[street_wide.pk])}" not in page
    # Signed in, the link opens the activity.
    english.force_login(world.users.resident)
    assert f'href="{detail}"' in english.get(reverse("activities:public")).content.decode()


def test_a_community_filter_and_values_that_are_not_one(world, client):
    _activity(world, "红钢城的讲座")
    _activity(world, "钢花村的义诊", region=world.community_b)
    _activity(world, "街道运动会", region=world.street)
    url = reverse("activities:public")
    b = client.get(url, {"community": world.community_b.pk}).content.decode()
    assert "钢花村的义诊" in b and "街道运动会" in b and "红钢城的讲座" not in b
    # Not a community (a grid, a street, nothing, hostile): ignored, everything shown.
    for value in (world.grid_a1.pk, world.street.pk, 999999, "abc", "²", "9" * 40, "-1", " ", "1 OR 1=1"):
        response = client.get(url, {"community": value})
        assert response.status_code == 200, value
        page = response.content.decode()
        assert "红钢城的讲座" in page and "钢花村的义诊" in page, value


def test_the_public_list_costs_the_same_queries_for_many_activities(world, client, django_assert_num_queries):
    url = reverse("activities:public")
    first = _activity(world, "讲座 0", capacity=5)
    services.sign_up(actor=as_actor(world.users.admin), activity=first, person=world.zhang)

    def queries(query: dict) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, query).status_code == 200
        return len(captured)

    few = (queries({}), queries({"community": world.community_a.pk}))
    for n in range(1, 8):
        activity = _activity(world, f"讲座 {n}", hours=24 + n, capacity=n)
        services.sign_up(actor=as_actor(world.users.admin), activity=activity, person=world.li)
    assert (queries({}), queries({"community": world.community_a.pk})) == few
    # Anonymous: the activities with their counts, the communities of the filter (+ the chosen one).
    with django_assert_num_queries(2):
        client.get(url)
    with django_assert_num_queries(3):
        client.get(url, {"community": world.community_a.pk})
