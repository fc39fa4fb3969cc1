"""URL access cases of the activity pages (see tests/test_url_access.py): an activity of community
A is seen by the community's staff and the street admin, and by who may join it (the member and the
resident who live there); its organisers' pages by the staff only; community B sees nothing. The
public list of upcoming activities is open to everyone, signed in or not."""

import datetime as dt

from django.urls import reverse

from tests.url_access_base import Case, expect, only


def _activity(world):
    from dangjian.activities import services
    from dangjian.activities.models import Activity
    from tests.factories import as_actor

    found = Activity.objects.filter(title="邻居节·百家宴").first()
    if found is not None:
        return found
    staff = as_actor(world.users.staff)
    starts = staff.now + dt.timedelta(days=1)
    return services.activity_create(
        actor=staff,
        region=world.community_a,
        title="邻居节·百家宴",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        capacity=20,
        place="临江苑中心广场",
    )


def _qians_sign_up(world):
    from dangjian.activities import services
    from dangjian.activities.models import SignUp
    from tests.factories import as_actor

    activity = _activity(world)
    found = SignUp.objects.filter(activity=activity, person=world.qian).first()
    return found or services.sign_up(actor=as_actor(world.users.resident), activity=activity, person=world.qian)


ORGANISERS = ("admin", "secretary", "staff")
SEES = (*ORGANISERS, "member", "resident")

CASES: list[Case] = [
    Case(
        "activities:list",
        "activities (each sees what they may join and their area's)",
        lambda w: reverse("activities:list"),
        expect(200),
    ),
    Case(
        "activities:new",
        "the form to publish an activity",
        lambda w: reverse("activities:new"),
        only((*ORGANISERS, "outsider"), 200),
    ),
    Case(
        "activities:new",
        "publish an activity in community A",
        lambda w: reverse("activities:new"),
        {**only(ORGANISERS, 302), "outsider": 200},  # B's secretary: the form says community A is not theirs
        method="post",
        data=lambda w: {
            "title": "健康讲座",
            "region": w.community_a.pk,
            "starts_at": (w.today + dt.timedelta(days=3)).isoformat() + "T09:00",
            "ends_at": (w.today + dt.timedelta(days=3)).isoformat() + "T10:30",
            "place": "社区会议室",
            "capacity": "30",
            "audience": "everyone",
        },
    ),
    Case(
        "activities:detail",
        "an activity of community A",
        lambda w: reverse("activities:detail", args=[_activity(w).pk]),
        only(SEES, 200),
    ),
    Case(
        "activities:sign_up",
        "sign oneself up",
        lambda w: reverse("activities:sign_up", args=[_activity(w).pk]),
        only(("member", "resident"), 302),
        method="post",
    ),
    Case(
        "activities:cancel",
        "call the activity off",
        lambda w: reverse("activities:cancel", args=[_activity(w).pk]),
        only(ORGANISERS, 302),
        method="post",
        data=lambda w: {"reason": "场地维修"},
    ),
    Case(
        "activities:feedback",
        "rate the activity (a person who may join; only who came, after the start: a message)",
        lambda w: reverse("activities:feedback", args=[_activity(w).pk]),
        only(("member", "resident"), 302),  # the staff accounts of the world are nobody's person
        method="post",
        data=lambda w: {"score": "5", "comment": "很好"},
    ),
    Case(
        "activities:outcome",
        "record what came of it (the organiser, once it started: a message, back to the page)",
        lambda w: reverse("activities:outcome", args=[_activity(w).pk]),
        only(ORGANISERS, 302),
        method="post",
        data=lambda w: {"outcome": "收集需求 12 条"},
    ),
    Case(
        "activities:code",
        "the check-in code",
        lambda w: reverse("activities:code", args=[_activity(w).pk]),
        only(ORGANISERS, 200),
    ),
    Case(
        "activities:check_in",
        "the check-in page a code opens",
        lambda w: reverse("activities:check_in", args=[_activity(w).pk]) + "?code=x",
        only(SEES, 200),
    ),
    Case(
        "activities:sign_up_cancel",
        "give 钱七's place up",
        lambda w: reverse("activities:sign_up_cancel", args=[_qians_sign_up(w).pk]),
        only((*ORGANISERS, "resident"), 302),
        method="post",
    ),
    Case(
        "activities:sign_up_mark",
        "mark 钱七 as come",
        lambda w: reverse("activities:sign_up_mark", args=[_qians_sign_up(w).pk]),
        only(ORGANISERS, 302),
        method="post",
        data=lambda w: {"came": "1"},
    ),
    Case(
        "activities:public",
        "the public list of upcoming activities (anyone, signed in or not)",
        lambda w: reverse("activities:public"),
        expect(200, anonymous=200),
    ),
    Case(
        "activities:public",
        "the public list of one community",
        lambda w: reverse("activities:public") + f"?community={w.community_a.pk}",
        expect(200, anonymous=200),
    ),
    Case(
        "activities:walk_in",
        "find a walk-in to sign up (the organisers)",
        lambda w: reverse("activities:walk_in", args=[_activity(w).pk]) + "?q=张",
        only(ORGANISERS, 200),
    ),
    Case(
        "activities:walk_in",
        "sign 张三 up as a walk-in (the organisers)",
        lambda w: reverse("activities:walk_in", args=[_activity(w).pk]),
        only(ORGANISERS, 302),
        method="post",
        data=lambda w: {"person": w.zhang.pk, "q": "张"},
    ),
]
