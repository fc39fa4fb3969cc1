"""Hours and balances at the same moment, in real threads with their own connections: a person's row
lock makes the daily cap, the overlap check and the balance hold when two staff members act at
once; the post's row lock gives the last place of a post to one claimant only.

PostgreSQL only (SQLite has no row locks), like the activities' concurrency tests.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from dangjian.activities.tests.test_concurrency import _race
from dangjian.volunteering import services
from dangjian.volunteering.models import Claim, LedgerEntry, ServiceRecord
from dangjian.volunteering.tests.helpers import make_post, tomorrow_at
from tests.factories import as_actor, make_member, make_person, make_user

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]


def test_two_records_that_together_pass_the_daily_cap_one_is_refused(world, settings):
    from dangjian.core.conf import override

    settings.DANGJIAN = override(SERVICE_DAILY_CAP_HOURS=5)
    staff = as_actor(world.users.staff, now=tomorrow_at(world, 23))

    def record(hour: int):
        start = tomorrow_at(world, hour)
        return lambda: services.record_service(
            actor=staff,
            person=world.zhao,
            community=world.community_a,
            started_at=start,
            ended_at=start + dt.timedelta(hours=3),
            description="社区值班",
        )

    results = _race([record(8), record(14)])
    assert sorted(kind for kind, _value in results) == ["error", "ok"]
    refused = next(value for kind, value in results if kind == "error")
    assert isinstance(refused, ValidationError) and "每天最多计 5 小时" in " ".join(refused.messages)
    assert ServiceRecord.objects.count() == 1 and LedgerEntry.objects.count() == 1


def test_two_spendings_of_the_same_hours_one_is_refused(world):
    start = tomorrow_at(world, 8)
    services.record_service(
        actor=as_actor(world.users.staff, now=tomorrow_at(world, 23)),
        person=world.zhao,
        community=world.community_a,
        started_at=start,
        ended_at=start + dt.timedelta(hours=2),
        description="社区值班",
    )
    staff = as_actor(world.users.staff)
    results = _race(
        [
            lambda: services.ledger_spend(actor=staff, person=world.zhao, minutes=90, memo="理发"),
            lambda: services.ledger_spend(actor=staff, person=world.zhao, minutes=90, memo="家电维修"),
        ]
    )
    assert sorted(kind for kind, _value in results) == ["error", "ok"]
    assert services.balance(world.zhao.pk) == 30


def test_many_members_claiming_the_last_places_of_a_post(world):
    post = make_post(world, places=3)
    actors = []
    for n in range(12):
        person = make_person(world.users.admin, world.grid_a1, f"党员{n:02d}")
        make_member(person, world.branch_a1)
        actors.append(as_actor(make_user(f"claimer{n:02d}", "member", person=person)))
    results = _race([lambda actor=actor: services.claim_post(actor=actor, post=post) for actor in actors])
    assert sum(kind == "ok" for kind, _value in results) == 3
    errors = [value for kind, value in results if kind == "error"]
    assert all(isinstance(e, ValidationError) and "名额已满" in " ".join(e.messages) for e in errors)
    assert Claim.objects.filter(post=post).count() == 3
