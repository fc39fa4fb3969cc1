"""Shared makers of the volunteering tests: a team, a post of community A that starts tomorrow, a
claim confirmed by the community, a wish of 钱七 (the resident of community A)."""

import datetime as dt

from django.utils import timezone

from dangjian.servicedesk.models import ServiceCategory
from dangjian.volunteering import services
from tests.factories import as_actor


def tomorrow_at(world, hour: int) -> dt.datetime:
    """The hour of tomorrow in the site's time zone (Asia/Shanghai): the date is taken there, not in
    UTC, or between 16:00 and 24:00 UTC "tomorrow at 7" would already have passed in Shanghai."""
    day = timezone.localdate(as_actor(world.users.staff).now) + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def make_team(world, name: str = "红钢城法律援助志愿服务队"):
    return services.team_create(
        actor=as_actor(world.users.staff),
        region=world.community_a,
        name=name,
        specialty=ServiceCategory.objects.get(code="legal-aid"),
        leader=world.zhao,
    )


def make_post(world, *, hour: int = 9, hours: int = 2, places: int = 2, title: str = "周末楼道清洁", team=None):
    starts = tomorrow_at(world, hour)
    return services.post_create(
        actor=as_actor(world.users.staff),
        region=world.community_a,
        title=title,
        category="governance",
        place="临江苑3栋",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=hours),
        places=places,
        team=team,
    )


def confirmed_claim(world, post=None):
    post = post or make_post(world)
    claim = services.claim_post(actor=as_actor(world.users.member), post=post)
    return services.claim_decide(actor=as_actor(world.users.staff), claim=claim, confirm=True)


def at(actor_user, moment: dt.datetime):
    return as_actor(actor_user, now=moment)


def make_wish(world, *, shown: bool = True, title: str = "想要一台收音机"):
    return services.wish_create(
        actor=as_actor(world.users.resident), resident=world.qian, title=title, shown_to_members=shown
    )
