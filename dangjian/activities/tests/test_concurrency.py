"""Sign-ups and room bookings at the same moment, in real threads with their own database
connections: the activity's (or room's) row lock lets places be counted one at a time, so 200
sign-ups for 50 places end with exactly 50 confirmed and 150 on the waitlist, and two bookings of
one room at one time end with one booking and one refusal.

PostgreSQL only: SQLite has no row locks (select_for_update is a no-op there) and answers a
second writer with "database is locked". 40 connections at once (the server's limit is 100),
each signing up five people.
"""

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from dangjian.activities import services
from dangjian.activities.models import SignUp, SignUpState
from dangjian.orgs.models import Room, RoomBooking
from dangjian.orgs.services import book_room
from dangjian.people.models import Person
from tests.factories import as_actor

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]


def _race(workers: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    barrier = threading.Barrier(len(workers))
    results: list[tuple[str, Any]] = [("missing", None)] * len(workers)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=20)
            results[index] = ("ok", workers[index]())
        except Exception as exc:  # the test inspects what each thread got
            results[index] = ("error", exc)
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def test_200_sign_ups_for_50_places_confirm_exactly_50(world):
    staff = as_actor(world.users.staff)
    starts = staff.now + dt.timedelta(days=2)
    activity = services.activity_create(
        actor=staff,
        region=world.community_a,
        title="邻居节·游园会",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        capacity=50,
        place="临江苑中心广场",
    )
    people = Person.objects.bulk_create(
        [Person(name=f"居民{n:03d}", region=world.grid_a1, name_pinyin=f"ju min {n:03d}") for n in range(200)]
    )
    batches = [people[i::40] for i in range(40)]

    def worker(batch: list[Person]) -> Callable[[], list[str]]:
        def sign_up_all() -> list[str]:
            return [services.sign_up(actor=staff, activity=activity, person=p).state for p in batch]

        return sign_up_all

    results = _race([worker(batch) for batch in batches])
    assert [kind for kind, _value in results] == ["ok"] * 40, [v for k, v in results if k != "ok"][:3]
    states = [state for _kind, value in results for state in value]
    assert states.count(SignUpState.CONFIRMED) == 50 and states.count(SignUpState.WAITLISTED) == 150
    assert SignUp.objects.filter(activity=activity, state=SignUpState.CONFIRMED).count() == 50
    assert SignUp.objects.filter(activity=activity, state=SignUpState.WAITLISTED).count() == 150
    # The waitlist is in the order people got their answer: the first waiting was the 51st served.
    first_waiting = (
        SignUp.objects.filter(activity=activity, state=SignUpState.WAITLISTED).order_by("created_at", "id").first()
    )
    last_confirmed = (
        SignUp.objects.filter(activity=activity, state=SignUpState.CONFIRMED).order_by("-created_at", "-id").first()
    )
    assert first_waiting is not None and last_confirmed is not None
    assert (first_waiting.created_at, first_waiting.pk) > (last_confirmed.created_at, last_confirmed.pk)


def test_two_bookings_of_one_room_at_one_time_one_wins(world):
    staff = as_actor(world.users.staff)
    room = Room.objects.get(site=world.site_a)
    starts = staff.now + dt.timedelta(days=3)

    def booking(purpose: str) -> Callable[[], RoomBooking]:
        return lambda: book_room(
            actor=staff, room=room, starts_at=starts, ends_at=starts + dt.timedelta(hours=2), purpose=purpose
        )

    results = _race([booking("党员大会"), booking("居民议事会")])
    kinds = sorted(kind for kind, _value in results)
    assert kinds == ["error", "ok"]
    refused = next(value for kind, value in results if kind == "error")
    assert isinstance(refused, ValidationError) and "已被预订" in " ".join(refused.messages)
    assert RoomBooking.objects.filter(room=room, cancelled_at__isnull=True).count() == 1


def test_places_given_up_while_others_sign_up_go_to_the_waitlist_in_order(world):
    """10 places, all taken, 20 waiting; then at the same moment 8 of the confirmed give their place
    up and 12 newcomers sign up. Each freed place goes to the earliest waiting, once, and each of
    them is told once; the newcomers wait behind the waitlist; never more than 10 confirmed."""
    from dangjian.accounts.models import User
    from dangjian.core.models import Notification

    staff = as_actor(world.users.staff)
    starts = staff.now + dt.timedelta(days=2)
    activity = services.activity_create(
        actor=staff,
        region=world.community_a,
        title="邻居节·百家宴",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        capacity=10,
        place="临江苑中心广场",
    )
    people = Person.objects.bulk_create(
        [Person(name=f"居民{n:03d}", region=world.grid_a1, name_pinyin=f"ju min {n:03d}") for n in range(42)]
    )
    for person in people[:20]:  # users, so that a promotion tells them
        person.user = User.objects.create_user(username=f"jumin{person.pk}", password="x")
    Person.objects.bulk_update(people[:20], ["user"])
    signed = [services.sign_up(actor=staff, activity=activity, person=p) for p in people[:30]]
    assert [s.state for s in signed] == [SignUpState.CONFIRMED] * 10 + [SignUpState.WAITLISTED] * 20
    waiting = [s.pk for s in signed[10:]]
    leaving = signed[:8]
    newcomers = people[30:42]
    workers = [lambda s=s: services.sign_up_cancel(actor=staff, sign_up=s).state for s in leaving]
    workers += [lambda p=p: services.sign_up(actor=staff, activity=activity, person=p).state for p in newcomers]
    results = _race(workers)
    assert [kind for kind, _value in results] == ["ok"] * 20, [v for k, v in results if k != "ok"][:3]
    assert [value for _kind, value in results[8:]] == [SignUpState.WAITLISTED] * 12
    confirmed = set(SignUp.objects.filter(activity=activity, state=SignUpState.CONFIRMED).values_list("pk", flat=True))
    assert len(confirmed) == 10
    promoted = confirmed - {s.pk for s in signed[8:10]}
    assert promoted == set(waiting[:8])  # the earliest eight, in order
    told = Notification.objects.filter(kind="activity_promoted").values_list("recipient_id", flat=True)
    assert sorted(told) == sorted(p.user_id for p in people if p.pk in {s.person_id for s in signed[10:18]})
