"""Activities of the demo community (红钢城社区): a 邻居节 series and 主题党日开放日, a few past
activities with who signed up and who came, and upcoming ones — one full with a waitlist (the
demo ``resident`` can join the waitlist), one the ``resident`` has signed up to, one for members
only (the demo ``member`` may sign up). Their rooms are booked like any activity's.

Written directly (services refuse past times), with its own random numbers so that the rest of
the seed stays as it was. The district seed's scale of activities comes with issue #12's next
step."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from dangjian.activities.models import Activity, Audience, Feedback, Series, SignUp, SignUpState
from dangjian.demo.seeding import SeedContext
from dangjian.orgs.models import Room, RoomBooking
from dangjian.people.models import Person, PersonStatus

ORDER = 50
COMMENTS = ("很热闹，希望多办几次", "组织得很好", "时间有点短", "希望周末也能办", "讲得很实用", "场地有点挤")
OUTCOMES = {
    "邻居节·百家宴": "52 户居民参加；收集到楼道照明、停车管理等意见 9 条，其中 3 条已登记为诉求。",
    "老年人防诈骗讲座": "25 位老人参加，发放宣传手册 40 份；2 位老人反映曾接到可疑电话，已转派出所。",
    "主题党日：走访慰问困难党员": "走访困难党员 6 户，送去慰问品；1 户申请临时救助，已转社区办理。",
}


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def seed(ctx: SeedContext) -> None:
    communities = ctx.shared["communities"]
    _seed_demo_community(ctx, communities[0])
    if ctx.scale.name in ("district", "city"):
        _seed_year(ctx, communities[1:])


# At scale: each other community holds about twenty activities a year (about 50,000 sign-ups in a
# district of 100 communities), a third of them in its two series.
TITLES = (
    "健康讲座",
    "老年人防诈骗讲座",
    "亲子阅读会",
    "法律咨询进社区",
    "垃圾分类宣传",
    "义诊活动",
    "书法兴趣班",
    "消防安全演练",
    "便民理发",
    "手机使用培训",
    "读书分享会",
    "广场舞展演",
)


def _seed_year(ctx: SeedContext, communities: list) -> None:
    rng = random.Random(f"activities-year-{ctx.seed}")
    today = ctx.today
    activities: list[Activity] = []
    for community in communities:
        region = community["region"]
        series = Series.objects.bulk_create(
            [Series(name="邻居节", region=region), Series(name="主题党日开放日", region=region)]
        )
        for _n in range(rng.randint(16, 24)):
            day = today + dt.timedelta(days=rng.randint(-365, 30))
            hour = rng.choice((9, 10, 14, 15, 19))
            starts = _at(day, hour)
            in_series = rng.random() < 0.33
            activities.append(
                Activity(
                    title=rng.choice(("邻居节", "主题党日开放日")) if in_series else rng.choice(TITLES),
                    series=rng.choice(series) if in_series else None,
                    region=region,
                    organization=community["committee"],
                    place=f"{region.name}党群服务中心",
                    starts_at=starts,
                    ends_at=starts + dt.timedelta(hours=rng.choice((1, 2, 3))),
                    capacity=rng.choice((0, 20, 30, 40, 60)),
                    audience=Audience.EVERYONE,
                    sign_up_opens_at=starts - dt.timedelta(days=14),
                    sign_up_closes_at=starts,
                    created_at=starts - dt.timedelta(days=15),
                )
            )
    Activity.objects.bulk_create(activities, batch_size=2000)
    people_of: dict[int, list[int]] = {}
    for community in communities:
        people_of[community["region"].pk] = list(
            Person.objects.filter(region__parent=community["region"], status=PersonStatus.ACTIVE).values_list(
                "pk", flat=True
            )
        )
    rows: list[SignUp] = []
    for activity in activities:
        pool = people_of.get(activity.region_id, [])
        wanted = min(
            len(pool),
            rng.randint(10, 40)
            if not activity.capacity
            else rng.randint(activity.capacity // 2, activity.capacity + 5),
        )
        for index, person_id in enumerate(rng.sample(pool, wanted)):
            confirmed = activity.capacity == 0 or index < activity.capacity
            signed = activity.starts_at - dt.timedelta(days=13, minutes=-index * 41)
            past = activity.ends_at < timezone.now()
            rows.append(
                SignUp(
                    activity=activity,
                    person_id=person_id,
                    state=SignUpState.CONFIRMED if confirmed else SignUpState.WAITLISTED,
                    confirmed_at=signed if confirmed else None,
                    created_at=signed,
                    checked_in_at=activity.starts_at if confirmed and past and rng.random() < 0.8 else None,
                )
            )
    SignUp.objects.bulk_create(rows, batch_size=5000)
    ctx.log(f"activities of the other communities: {len(activities)}, sign-ups: {len(rows)}")


def _seed_demo_community(ctx: SeedContext, community: dict) -> None:
    region = community["region"]
    rng = random.Random(f"activities-{ctx.seed}")
    today = ctx.today
    room = Room.objects.filter(site__region=region, is_bookable=True).order_by("-capacity").first()
    neighbours = Series.objects.create(
        name="邻居节", region=region, description="社区邻里互助、共建共享的品牌活动，每季度一次。"
    )
    open_day = Series.objects.create(
        name="主题党日开放日", region=region, description="党员活动室向居民开放，党员亮身份、作表率。"
    )
    people = list(
        Person.objects.filter(region__parent=region, status=PersonStatus.ACTIVE, user__isnull=True).order_by("pk")[:400]
    )
    members = list(
        Person.objects.filter(
            member__organization__path__startswith=community["committee"].path, member__status="normal"
        )
        .filter(status=PersonStatus.ACTIVE, user__isnull=True)
        .order_by("pk")[:200]
    )
    demo = {
        username: person
        for person in Person.objects.filter(user__username__in=("resident", "member")).select_related("user")
        if person.user is not None and (username := person.user.username)
    }
    plan = [
        # (days from today, hour, hours, title, series, capacity, audience, signed up, came share)
        (-75, 9, 3, "邻居节·百家宴", neighbours, 60, Audience.EVERYONE, 58, 0.9),
        (-40, 14, 2, "老年人防诈骗讲座", None, 40, Audience.EVERYONE, 31, 0.8),
        (-12, 9, 2, "主题党日：走访慰问困难党员", open_day, 0, Audience.MEMBERS, 24, 0.95),
        (3, 14, 2, "家庭急救知识讲座", None, 40, Audience.EVERYONE, 12, 0),
        (5, 9, 3, "邻居节·跳蚤市场", neighbours, 30, Audience.EVERYONE, 34, 0),
        (10, 9, 2, "主题党日：重温入党誓词", open_day, 0, Audience.MEMBERS, 9, 0),
    ]
    sign_ups = 0
    for days, hour, hours, title, series, capacity, audience, wanted, came in plan:
        day = today + dt.timedelta(days=days)
        starts, ends = _at(day, hour), _at(day, hour + hours)
        booking = None
        if room is not None and series is not None:
            booking = RoomBooking.objects.create(room=room, starts_at=starts, ends_at=ends, purpose=title)
        activity = Activity.objects.create(
            title=title,
            series=series,
            region=region,
            organization=community["committee"],
            description="",
            booking=booking,
            place=f"{booking.room.site.name} {booking.room.name}" if booking else f"{region.name}党群服务中心",
            starts_at=starts,
            ends_at=ends,
            capacity=capacity,
            audience=audience,
            sign_up_opens_at=starts - dt.timedelta(days=14),
            sign_up_closes_at=starts,
            created_at=starts - dt.timedelta(days=15),
        )
        pool = members if audience == Audience.MEMBERS else people
        chosen = rng.sample(pool, min(wanted, len(pool)))
        if title == "家庭急救知识讲座" and "resident" in demo:
            chosen = [demo["resident"], *chosen]
        rows = []
        for index, person in enumerate(chosen):
            confirmed = capacity == 0 or index < capacity
            signed = starts - dt.timedelta(days=13, minutes=-index * 37)
            rows.append(
                SignUp(
                    activity=activity,
                    person=person,
                    state=SignUpState.CONFIRMED if confirmed else SignUpState.WAITLISTED,
                    confirmed_at=signed if confirmed else None,
                    created_at=signed,
                    checked_in_at=starts + dt.timedelta(minutes=rng.randint(-20, 15))
                    if confirmed and days < 0 and rng.random() < came
                    else None,
                )
            )
        SignUp.objects.bulk_create(rows)
        sign_ups += len(rows)
        if days < 0:
            came_rows = [row for row in rows if row.checked_in_at is not None]
            Feedback.objects.bulk_create(
                [
                    Feedback(
                        sign_up=row,
                        activity=activity,
                        score=rng.choices((5, 4, 3, 2), weights=(50, 35, 12, 3))[0],
                        comment=rng.choice(COMMENTS) if rng.random() < 0.3 else "",
                        created_at=ends + dt.timedelta(hours=rng.randint(1, 72)),
                    )
                    for row in came_rows
                    if rng.random() < 0.4
                ]
            )
            Activity.objects.filter(pk=activity.pk).update(outcome=OUTCOMES.get(title, ""))
    ctx.log(f"activities: {len(plan)}, sign-ups: {sign_ups}")
