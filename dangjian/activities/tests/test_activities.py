"""Activities: publishing with a room booked (no double booking), signing up with a waitlist that
moves up when a place frees (and tells the person), checking in by a signed, expiring code, and
the pages of a resident and an organiser."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dangjian.activities import services
from dangjian.activities.models import Activity, ActivityStatus, Audience, SignUp, SignUpState
from dangjian.core.models import Event, Notification
from dangjian.orgs.models import Room, RoomBooking
from dangjian.orgs.services import book_room
from tests.factories import as_actor, make_person, make_user

pytestmark = pytest.mark.django_db


def _soon(world, hours: int = 24):
    return as_actor(world.users.staff).now + dt.timedelta(hours=hours)


def _activity(world, *, capacity=2, room=None, place="社区广场", audience=Audience.EVERYONE, **kwargs):
    starts = kwargs.pop("starts_at", _soon(world))
    return services.activity_create(
        actor=as_actor(world.users.staff),
        region=world.community_a,
        title="邻居节·百家宴",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        capacity=capacity,
        audience=audience,
        room=room,
        place="" if room else place,
        **kwargs,
    )


def _resident(world, name: str, username: str):
    person = make_person(world.users.admin, world.grid_a1, name)
    user = make_user(username, None, person=person)
    return person, as_actor(user)


def test_a_room_is_booked_with_the_activity_and_never_twice_at_once(world):
    room = Room.objects.get(site=world.site_a)
    first = _activity(world, room=room)
    assert first.booking is not None and first.booking.room == room
    assert first.place == "红钢城社区党群服务中心 党员活动室"
    with pytest.raises(ValidationError) as taken:
        _activity(world, room=room, starts_at=first.starts_at + dt.timedelta(hours=1))
    assert "已被预订" in " ".join(taken.value.messages) and "邻居节" in " ".join(taken.value.messages)
    assert Activity.objects.count() == 1 and RoomBooking.objects.count() == 1  # nothing half-written
    # Right after it is free; and calling the first one off frees its time.
    _activity(world, room=room, starts_at=first.ends_at)
    services.activity_cancel(actor=as_actor(world.users.staff), activity=first, reason="天气原因")
    _activity(world, room=room, starts_at=first.starts_at)
    assert RoomBooking.objects.filter(cancelled_at__isnull=True).count() == 2


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"title": "  "}, "标题"),
        ({"capacity": -1}, "名额"),
        ({"place": ""}, "地点"),
    ],
)
def test_bad_activities_are_refused_in_chinese(world, change, words):
    starts = _soon(world)
    data = {
        "actor": as_actor(world.users.staff),
        "region": world.community_a,
        "title": "讲座",
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(hours=1),
        "capacity": 10,
        "place": "会议室",
        **change,
    }
    with pytest.raises(ValidationError) as refused:
        services.activity_create(**data)
    assert words in " ".join(refused.value.messages)


def test_times_in_the_wrong_order_and_in_the_past_are_refused(world):
    now = as_actor(world.users.staff).now
    with pytest.raises(ValidationError) as reversed_times:
        services.activity_create(
            actor=as_actor(world.users.staff),
            region=world.community_a,
            title="讲座",
            starts_at=now + dt.timedelta(hours=3),
            ends_at=now + dt.timedelta(hours=2),
            capacity=5,
            place="会议室",
        )
    assert "结束时间" in " ".join(reversed_times.value.messages)
    with pytest.raises(ValidationError) as past:
        _activity(world, starts_at=now - dt.timedelta(hours=1))
    assert "开始之前" in " ".join(past.value.messages)
    with pytest.raises(PermissionDenied):  # community B's secretary cannot publish in A
        services.activity_create(
            actor=as_actor(world.users.outsider),
            region=world.community_a,
            title="讲座",
            starts_at=now + dt.timedelta(hours=3),
            ends_at=now + dt.timedelta(hours=4),
            capacity=5,
            place="会议室",
        )


def test_places_then_the_waitlist_which_moves_up_and_tells_the_person(world):
    activity = _activity(world, capacity=2)
    people = [_resident(world, f"居民{n}", f"resident{n}") for n in range(4)]
    rows = [services.sign_up(actor=actor, activity=activity, person=person) for person, actor in people]
    assert [row.state for row in rows] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    with pytest.raises(ValidationError) as twice:
        services.sign_up(actor=people[2][1], activity=activity, person=people[2][0])
    assert "已在候补名单中" in " ".join(twice.value.messages)
    # The second person gives their place up: the first on the waitlist gets it and is told.
    services.sign_up_cancel(actor=people[1][1], sign_up=rows[1])
    states = dict(SignUp.objects.filter(activity=activity).values_list("person__name", "state"))
    assert states == {"居民0": "confirmed", "居民1": "cancelled", "居民2": "confirmed", "居民3": "waitlisted"}
    notice = Notification.objects.get(kind="activity_promoted")
    assert notice.recipient_id == people[2][0].user_id and notice.params["title"] == "邻居节·百家宴"
    # A waitlisted person leaving moves nobody; the one who left can sign up again (at the end).
    services.sign_up_cancel(actor=people[3][1], sign_up=rows[3])
    again = services.sign_up(actor=people[1][1], activity=activity, person=people[1][0])
    assert again.state == SignUpState.WAITLISTED
    assert Notification.objects.filter(kind="activity_promoted").count() == 1


def test_who_may_sign_up_whom(world):
    activity = _activity(world, capacity=0)
    person, actor = _resident(world, "居民甲", "resident_x")
    other, _other_actor = _resident(world, "居民乙", "resident_y")
    with pytest.raises(PermissionDenied):  # a resident cannot sign someone else up
        services.sign_up(actor=actor, activity=activity, person=other)
    with pytest.raises(PermissionDenied):  # community B's resident: not their community
        services.sign_up(
            actor=as_actor(make_user("b_resident", None, person=world.wang)), activity=activity, person=world.wang
        )
    walk_in = services.sign_up(actor=as_actor(world.users.staff), activity=activity, person=other)  # staff: a walk-in
    assert walk_in.state == SignUpState.CONFIRMED and walk_in.signed_up_by == world.users.staff
    members_only = _activity(world, capacity=0, audience=Audience.MEMBERS, starts_at=_soon(world, 48))
    with pytest.raises(PermissionDenied):
        services.sign_up(actor=actor, activity=members_only, person=person)
    assert (
        services.sign_up(actor=as_actor(world.users.member), activity=members_only, person=world.zhao).state
        == "confirmed"
    )


def test_sign_up_window_and_a_called_off_activity(world):
    now = as_actor(world.users.staff).now
    activity = _activity(world, sign_up_opens_at=now + dt.timedelta(hours=1))
    person, actor = _resident(world, "居民甲", "resident_x")
    with pytest.raises(ValidationError) as early:
        services.sign_up(actor=actor, activity=activity, person=person)
    assert "报名将于" in " ".join(early.value.messages)
    services.activity_cancel(actor=as_actor(world.users.staff), activity=activity, reason="场地维修")
    later = as_actor(actor.user, now=now + dt.timedelta(hours=2))
    with pytest.raises(ValidationError) as cancelled:
        services.sign_up(actor=later, activity=Activity.objects.get(pk=activity.pk), person=person)
    assert "已取消" in " ".join(cancelled.value.messages)
    assert Activity.objects.get(pk=activity.pk).status == ActivityStatus.CANCELLED


def test_check_in_by_the_organisers_code_expires_and_cannot_be_forged(world):
    activity = _activity(world, capacity=1)
    person, actor = _resident(world, "居民甲", "resident_x")
    services.sign_up(actor=actor, activity=activity, person=person)
    code = services.check_in_code(actor=as_actor(world.users.staff), activity=activity)
    at_start = as_actor(actor.user, now=activity.starts_at + dt.timedelta(minutes=1))
    with pytest.raises(PermissionDenied):  # only the organiser shows a code
        services.check_in_code(actor=actor, activity=activity)
    # Made a day before (more than 90 seconds): expired.
    with pytest.raises(ValidationError) as expired:
        services.check_in(actor=at_start, activity=activity, code=code)
    assert "已过期" in " ".join(expired.value.messages)
    at_the_door = as_actor(world.users.staff, now=activity.starts_at)  # the organiser's screen then
    good = services.check_in_code(actor=at_the_door, activity=activity)
    with pytest.raises(ValidationError) as forged:
        services.check_in(actor=at_start, activity=activity, code=good[:-2] + "xx")
    assert "不是本活动的签到码" in " ".join(forged.value.messages)
    other = _activity(world, capacity=1, starts_at=_soon(world, 72))
    with pytest.raises(ValidationError) as elsewhere:  # another activity's code
        services.check_in(
            actor=at_start, activity=activity, code=services.check_in_code(actor=at_the_door, activity=other)
        )
    assert "不是本活动的签到码" in " ".join(elsewhere.value.messages)
    row = services.check_in(actor=at_start, activity=activity, code=good)
    assert row.checked_in_at is not None
    again = services.check_in(actor=at_start, activity=activity, code=good)  # a replay changes nothing
    assert again.checked_in_at == row.checked_in_at
    # Not signed up and the one place taken: refused.
    _late, late_actor = _resident(world, "居民乙", "resident_y")
    at_start_late = as_actor(late_actor.user, now=activity.starts_at + dt.timedelta(minutes=1))
    with pytest.raises(ValidationError) as full:
        services.check_in(actor=at_start_late, activity=activity, code=good)
    assert "名额已满" in " ".join(full.value.messages)


def test_the_organiser_marks_who_came(world):
    activity = _activity(world, capacity=0)
    person, actor = _resident(world, "居民甲", "resident_x")
    row = services.sign_up(actor=actor, activity=activity, person=person)
    with pytest.raises(PermissionDenied):
        services.mark_attended(actor=actor, sign_up=row, attended=True)
    with pytest.raises(ValidationError) as early:  # the day before: nobody has come yet
        services.mark_attended(actor=as_actor(world.users.staff), sign_up=row, attended=True)
    assert "签到时间为" in " ".join(early.value.messages)
    at_the_door = as_actor(world.users.staff, now=activity.starts_at)
    services.mark_attended(actor=at_the_door, sign_up=row, attended=True)
    assert SignUp.objects.get(pk=row.pk).checked_in_at is not None
    services.mark_attended(actor=at_the_door, sign_up=row, attended=False)
    assert SignUp.objects.get(pk=row.pk).checked_in_at is None
    assert Event.objects.filter(target_id=row.pk, changes__has_key="checked_in_at").count() == 2


def test_booking_a_room_needs_the_right_over_it(world):
    room = Room.objects.get(site=world.site_a)
    now = as_actor(world.users.staff).now
    with pytest.raises(PermissionDenied):
        book_room(
            actor=as_actor(world.users.outsider),
            room=room,
            starts_at=now + dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(hours=2),
            purpose="会议",
        )


def test_a_resident_signs_up_on_the_page_and_the_organiser_sees_them(world, client):
    activity = _activity(world, capacity=1)
    _person, actor = _resident(world, "居民甲", "resident_x")
    client.force_login(actor.user)
    listing = client.get(reverse("activities:list")).content.decode()
    assert "邻居节·百家宴" in listing and "已报名 0 / 1 人" in listing
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "我要报名" in page
    done = client.post(reverse("activities:sign_up", args=[activity.pk]), follow=True).content.decode()
    assert "报名成功" in done and "放弃名额" in done
    # The next resident finds the activity full and waits.
    _second, second_actor = _resident(world, "居民乙", "resident_y")
    client.force_login(second_actor.user)
    waited = client.post(reverse("activities:sign_up", args=[activity.pk]), follow=True).content.decode()
    assert "候补名单" in waited and "第 1 位" in waited
    # The organiser's page lists both, with who came.
    client.force_login(world.users.staff)
    organiser = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "居民甲" in organiser and "居民乙" in organiser and "签到码" in organiser
    assert client.get(reverse("activities:code", args=[activity.pk])).status_code == 200
    # Community B's secretary does not see it at all.
    client.force_login(world.users.outsider)
    assert client.get(reverse("activities:detail", args=[activity.pk])).status_code == 404
    assert client.get(reverse("activities:code", args=[activity.pk])).status_code == 404


def test_those_who_came_rate_it_once_and_the_organiser_sees_no_names(world, client):
    from dangjian.activities.models import Feedback
    from dangjian.activities.selectors import feedback_summary

    activity = _activity(world, capacity=0)
    at_start = as_actor(world.users.staff, now=activity.starts_at)
    residents = [_resident(world, f"居民{n}", f"resident{n}") for n in range(4)]
    for person, actor in residents:
        row = services.sign_up(actor=actor, activity=activity, person=person)
        if person.name != "居民3":
            services.mark_attended(actor=at_start, sign_up=row, attended=True)
    # The activity took place: its times moved to the hours just past, so that the page, read now,
    # is the page after the activity.
    now = as_actor(world.users.staff).now
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=now - dt.timedelta(hours=3), ends_at=now - dt.timedelta(hours=1)
    )
    activity.refresh_from_db()
    after = now
    with pytest.raises(ValidationError) as absent:  # 居民3 did not come
        services.feedback_give(actor=as_actor(residents[3][1].user, now=after), activity=activity, score=5)
    assert "参加了活动" in " ".join(absent.value.messages)
    first = as_actor(residents[0][1].user, now=after)
    services.feedback_give(actor=first, activity=activity, score=5, comment="很热闹，希望多办")
    with pytest.raises(ValidationError) as twice:
        services.feedback_give(actor=first, activity=activity, score=1)
    assert "已经评价过" in " ".join(twice.value.messages)
    # Below three ratings nothing but the number is shown.
    organiser = as_actor(world.users.staff, now=after)
    assert feedback_summary(actor=organiser, activity=activity)["count"] == 1
    services.feedback_give(actor=as_actor(residents[1][1].user, now=after), activity=activity, score=4)
    services.feedback_give(
        actor=as_actor(residents[2][1].user, now=after), activity=activity, score=3, comment="时间太短"
    )
    # Until rating closes only the number is shown: a summary that changed with each rating would
    # give each one away.
    summary = feedback_summary(actor=organiser, activity=activity)
    assert summary["count"] == 3 and not summary["shown"] and "average" not in summary
    closed = as_actor(world.users.staff, now=activity.ends_at + dt.timedelta(days=15))
    summary = feedback_summary(actor=closed, activity=activity)
    assert summary["average"] == 4.0 and summary["comments"] == sorted(["很热闹，希望多办", "时间太短"])
    late = as_actor(residents[1][1].user, now=activity.ends_at + dt.timedelta(days=15))
    with pytest.raises(ValidationError):
        services.feedback_give(actor=late, activity=activity, score=2)
    assert Feedback.objects.count() == 3
    # The organiser records the outcome; the page shows the average and comments, no names.
    services.activity_record_outcome(
        actor=organiser, activity=activity, outcome="收集居民需求 12 条，其中 3 条已作为诉求受理"
    )
    client.force_login(world.users.staff)
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "目前有 3 人评价" in page and "平均" not in page
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=now - dt.timedelta(days=16), ends_at=now - dt.timedelta(days=15, hours=22)
    )
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "平均 4.0 分" in page and "时间太短" in page and "收集居民需求 12 条" in page
    ratings = page[page.index("参加者评价") : page.index("活动成效")]
    assert not any(f"居民{n}" in ratings for n in range(4))


def test_the_outcome_waits_for_the_start(world):
    activity = _activity(world, capacity=0)
    with pytest.raises(ValidationError) as early:
        services.activity_record_outcome(actor=as_actor(world.users.staff), activity=activity, outcome="很好")
    assert "活动开始后" in " ".join(early.value.messages)
    with pytest.raises(PermissionDenied):
        services.activity_record_outcome(
            actor=as_actor(world.users.outsider, now=activity.starts_at), activity=activity, outcome="很好"
        )


def test_the_pages_cost_the_same_queries_for_more_activities_and_sign_ups(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    first = _activity(world, capacity=0)
    residents = [_resident(world, f"居民{n}", f"resident{n}") for n in range(12)]
    services.sign_up(actor=residents[0][1], activity=first, person=residents[0][0])
    client.force_login(world.users.staff)
    detail = reverse("activities:detail", args=[first.pk])
    queries(reverse("activities:list"))  # the session's first request loads what later ones find cached
    few = (queries(reverse("activities:list")), queries(detail))
    for n in range(1, 12):
        _activity(world, capacity=0, starts_at=_soon(world, 24 + n * 5))
        services.sign_up(actor=residents[n][1], activity=first, person=residents[n][0])
    assert (queries(reverse("activities:list")), queries(detail)) == few
    client.force_login(residents[0][1].user)
    queries(reverse("activities:list"))
    mine = queries(reverse("activities:list"))
    _activity(world, capacity=0, starts_at=_soon(world, 200))
    assert queries(reverse("activities:list")) == mine


def test_a_branch_secretary_calls_off_the_branchs_activity_and_frees_its_room(world):
    room = Room.objects.get(site=world.site_a)
    activity = _activity(world, room=room, organization=world.branch_a1)
    services.activity_cancel(actor=as_actor(world.users.branch), activity=activity, reason="支部换届推迟")
    assert RoomBooking.objects.get(pk=activity.booking_id).cancelled_at is not None


def test_the_waitlist_comes_before_newcomers_and_walk_ins_must_be_eligible(world):
    activity = _activity(world, capacity=1, audience=Audience.MEMBERS)
    services.sign_up(actor=as_actor(world.users.member), activity=activity, person=world.zhao)
    zhang = world.zhang  # a member of branch A1 too, made here
    from tests.factories import make_member

    make_member(zhang, world.branch_a1)
    waiting = services.sign_up(actor=as_actor(world.users.staff), activity=activity, person=zhang)
    assert waiting.state == SignUpState.WAITLISTED
    # After the start 赵六 gives the place up: 张三, waiting, gets it — not the next to sign up.
    during = activity.starts_at + dt.timedelta(minutes=10)
    row = SignUp.objects.get(activity=activity, person=world.zhao)
    services.sign_up_cancel(actor=as_actor(world.users.member, now=during), sign_up=row)
    assert SignUp.objects.get(pk=waiting.pk).state == SignUpState.CONFIRMED
    # A resident who is no member cannot walk in with the code of a members-only activity.
    person, actor = _resident(world, "居民甲", "resident_x")
    code = services.check_in_code(actor=as_actor(world.users.staff, now=during), activity=activity)
    with pytest.raises(ValidationError) as not_yours:
        services.check_in(actor=as_actor(actor.user, now=during), activity=activity, code=code)
    assert "不面向你开放" in " ".join(not_yours.value.messages)
    assert not SignUp.objects.filter(activity=activity, person=person).exists()


def test_a_check_in_code_is_good_for_90_seconds_and_not_one_more(world):
    activity = _activity(world, capacity=2)
    early, late = _resident(world, "居民甲", "resident_x"), _resident(world, "居民乙", "resident_y")
    for person, actor in (early, late):
        services.sign_up(actor=actor, activity=activity, person=person)
    shown = activity.starts_at.replace(microsecond=0)  # a code holds whole seconds
    code = services.check_in_code(actor=as_actor(world.users.staff, now=shown), activity=activity)
    edge = shown + dt.timedelta(seconds=services.CHECK_IN_SECONDS)
    row = services.check_in(actor=as_actor(early[1].user, now=edge), activity=activity, code=code)
    assert row.checked_in_at is not None  # at 90 seconds: still good
    with pytest.raises(ValidationError) as expired:
        services.check_in(
            actor=as_actor(late[1].user, now=edge + dt.timedelta(seconds=1)), activity=activity, code=code
        )
    assert "已过期" in " ".join(expired.value.messages)
