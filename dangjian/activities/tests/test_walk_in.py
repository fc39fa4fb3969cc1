"""The organiser signs up someone who walks in, from the activity's page: they find the person by
name among the people they may see (never anyone beyond), and the message says whether the person
got a place or went on the waitlist; until the activity ends. Messages are read in English (the
language cookie), so that the tests do not wait for the translations."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from dangjian.activities import selectors, services
from dangjian.activities.models import Activity, SignUp, SignUpState
from tests.factories import as_actor, make_person

pytestmark = pytest.mark.django_db


def _activity(world, *, capacity=1, **kwargs):
    staff = as_actor(world.users.staff)
    starts = staff.now + dt.timedelta(days=1)
    return services.activity_create(
        actor=staff,
        region=world.community_a,
        title="健康讲座",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        capacity=capacity,
        place="社区会议室",
        **kwargs,
    )


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_organiser_finds_only_people_in_their_scope(world):
    activity = _activity(world)
    staff = as_actor(world.users.staff)
    found = selectors.walk_in_candidates(actor=staff, activity=activity, query="张")
    assert [p.name for p in found] == ["张三"]
    assert selectors.walk_in_candidates(actor=staff, activity=activity, query="王") == []  # 王五 lives in B
    assert selectors.walk_in_candidates(actor=staff, activity=activity, query="2222") == []  # 王五's mobile
    assert [p.name for p in selectors.walk_in_candidates(actor=staff, activity=activity, query="zs")] == ["张三"]
    assert selectors.walk_in_candidates(actor=staff, activity=activity, query="   ") == []
    # Someone who does not organise it finds nobody, even in their own scope.
    resident = as_actor(world.users.resident)
    assert selectors.walk_in_candidates(actor=resident, activity=activity, query="钱") == []
    # The street admin organises it too and sees both communities.
    admin = as_actor(world.users.admin)
    assert [p.name for p in selectors.walk_in_candidates(actor=admin, activity=activity, query="王")] == ["王五"]
    # Out of scope, the person cannot be chosen by id either.
    assert selectors.walk_in_person(actor=staff, pk=world.wang.pk) is None
    assert selectors.walk_in_person(actor=staff, pk=str(world.zhang.pk)) == world.zhang
    for hostile in ("", "abc", "²", "9" * 40, "-1", None):
        assert selectors.walk_in_person(actor=staff, pk=hostile) is None


def test_walk_ins_get_a_place_then_the_waitlist_and_the_message_says_which(world, english):
    activity = _activity(world, capacity=1)
    english.force_login(world.users.staff)
    url = reverse("activities:walk_in", args=[activity.pk])
    page = english.get(url, {"q": "张"}).content.decode()
    assert "张三" in page and "Sign up 张三" in page and "王五" not in page
    first = english.post(url, {"person": world.zhang.pk, "q": "张"}, follow=True)
    assert first.redirect_chain[-1][0].endswith(reverse("activities:detail", args=[activity.pk]) + "#sign-ups")
    assert "张三 is signed up and has a place." in _messages(first)
    second = english.post(url, {"person": world.li.pk}, follow=True)
    assert "All places are taken: 李四 is number 1 on the waitlist." in _messages(second)
    rows = dict(SignUp.objects.filter(activity=activity).values_list("person__name", "state"))
    assert rows == {"张三": SignUpState.CONFIRMED, "李四": SignUpState.WAITLISTED}
    assert set(SignUp.objects.values_list("signed_up_by", flat=True)) == {world.users.staff.pk}
    # Found again, they show as signed up, without a button.
    again = english.get(url, {"q": "张"}).content.decode()
    assert "Sign up 张三" not in again and "signed up" in again
    # Twice: refused with a message, nothing added.
    twice = english.post(url, {"person": world.zhang.pk, "q": "张"}, follow=True)
    assert "张三 is signed up already." in _messages(twice)
    assert twice.redirect_chain[-1][0].endswith(url + "?q=%E5%BC%A0")
    assert SignUp.objects.count() == 2


@pytest.mark.parametrize("person", ["wang", "abc", "²", "9" * 40, ""])
def test_a_person_out_of_scope_or_no_person_is_refused_with_a_message(world, english, person):
    activity = _activity(world)
    english.force_login(world.users.staff)
    value = getattr(world, person).pk if person == "wang" else person
    response = english.post(reverse("activities:walk_in", args=[activity.pk]), {"person": value}, follow=True)
    assert response.status_code == 200
    assert "Choose the person to sign up from the search results." in _messages(response)
    assert not SignUp.objects.exists()


@pytest.mark.parametrize("query", ["²", "9" * 40, "' OR 1=1 --", "%", "_", "<script>alert(1)</script>", "a" * 500])
def test_hostile_searches_answer_a_page(world, client, query):
    activity = _activity(world)
    client.force_login(world.users.staff)
    response = client.get(reverse("activities:walk_in", args=[activity.pk]), {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_only_the_organiser_signs_up_walk_ins(world, client):
    activity = _activity(world)
    url = reverse("activities:walk_in", args=[activity.pk])
    for user in (world.users.resident, world.users.member, world.users.outsider, world.users.branch):
        client.force_login(user)
        assert client.get(url, {"q": "张"}).status_code == 404
        assert client.post(url, {"person": world.zhang.pk}).status_code == 404
        page = client.get(reverse("activities:detail", args=[activity.pk]))
        assert page.status_code == 404 or 'id="walk-in-q"' not in page.content.decode()
    assert not SignUp.objects.exists()
    client.force_login(world.users.staff)
    assert 'id="walk-in-q"' in client.get(reverse("activities:detail", args=[activity.pk])).content.decode()


def test_an_htmx_search_gets_the_results_alone(world, client):
    activity = _activity(world)
    client.force_login(world.users.staff)
    response = client.get(
        reverse("activities:walk_in", args=[activity.pk]), {"q": "张"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "张三" in body and "<html" not in body and 'name="csrfmiddlewaretoken"' in body
    assert "HX-Request" in response["Vary"]


def test_walk_ins_until_the_end_not_after(world, english):
    activity = _activity(world, capacity=0)
    now = as_actor(world.users.staff).now
    # Under way: sign-up closed at the start for residents, the organiser still signs people up.
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=1), sign_up_closes_at=now
    )
    english.force_login(world.users.staff)
    url = reverse("activities:walk_in", args=[activity.pk])
    during = english.post(url, {"person": world.zhang.pk}, follow=True)
    assert "张三 is signed up and has a place." in _messages(during)
    # Over: no search form, and a post is refused with a message.
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=now - dt.timedelta(hours=3), ends_at=now - dt.timedelta(hours=1)
    )
    page = english.get(url, {"q": "李"}).content.decode()
    assert 'id="walk-in-q"' not in page and "Sign up 李四" not in page and "has closed" in page
    after = english.post(url, {"person": world.li.pk}, follow=True)
    assert "Sign-up for this activity has closed." in _messages(after)
    assert 'id="walk-in-q"' not in english.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert list(SignUp.objects.values_list("person__name", flat=True)) == ["张三"]


def test_a_members_only_activity_refuses_a_resident_walk_in_clearly(world, english):
    from dangjian.activities.models import Audience

    activity = _activity(world, audience=Audience.MEMBERS)
    english.force_login(world.users.staff)
    newcomer = make_person(world.users.admin, world.grid_a1, "周邻居")
    response = english.post(reverse("activities:walk_in", args=[activity.pk]), {"person": newcomer.pk}, follow=True)
    assert "This activity is for party members." in _messages(response)
    assert not SignUp.objects.exists()
