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
    community = ctx.shared["communities"][0]
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
