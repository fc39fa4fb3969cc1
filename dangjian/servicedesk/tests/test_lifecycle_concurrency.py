"""Two people acting on one request at the same moment, in real threads with their own database
connections: the row lock in lifecycle._transition lets exactly one of them through, and the other
is told that someone else was quicker (DESIGN.md §5, servicedesk/lifecycle.py).

PostgreSQL only: SQLite has no row locks (select_for_update is a no-op there) and a second writer
gets "database is locked" instead. Run with
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/pytest -q dangjian/servicedesk/tests/test_lifecycle_concurrency.py
"""

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models.query import QuerySet
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core.conf import config
from dangjian.servicedesk.models import CloseReason, RequestState, RequestStep, ServiceCategory, ServiceRequest
from dangjian.servicedesk.requests import lifecycle as lc
from tests.factories import as_actor

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks; SQLite answers concurrent writers with 'database is locked'",
    ),
    pytest.mark.django_db(transaction=True),
]

S = RequestState
MON_9 = timezone.make_aware(dt.datetime(2026, 11, 23, 9, 0))
HOLD_SECONDS = 0.3  # how long the first one keeps the row locked, so that the other surely waits on it


def _submit(world) -> ServiceRequest:
    category = ServiceCategory.objects.create(
        code="race-test",
        family="convenience",
        name="并发测试",
        response_target=2,
        response_unit="hours",
        resolution_target=2,
        resolution_unit="days",
    )
    return lc.request_submit(
        actor=as_actor(world.users.resident, now=MON_9),
        channel="web",
        category=category,
        requester=world.qian,
        description="楼道灯坏了",
    )


def _race(workers: list[Callable[[], Any]]) -> list[tuple[str, Any, float]]:
    """Run the workers in threads released together; each closes its own connection. Returns
    ("ok", result, finished) or ("error", exception, finished) per worker."""
    barrier = threading.Barrier(len(workers))
    results: list[tuple[str, Any, float]] = [("missing", None, 0.0)] * len(workers)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", workers[index](), time.monotonic())
        except Exception as exc:  # the test inspects what each thread got
            results[index] = ("error", exc, time.monotonic())
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (a lock never released?)"
    return results


@pytest.fixture
def slow_events(monkeypatch):
    """Keep the row locked a little longer inside each transition (the event is written last)."""
    record = lc.record_event

    def slow(**kwargs):
        time.sleep(HOLD_SECONDS)
        return record(**kwargs)

    monkeypatch.setattr(lc, "record_event", slow)


def test_two_dispatchers_with_the_same_version_one_wins(world, slow_events):
    req = _submit(world)
    seen = req.version
    grids = [world.grid_a1, world.grid_a2]
    staff_ids = [world.users.staff.pk, world.users.secretary.pk]

    def dispatcher(index: int) -> Callable[[], ServiceRequest]:
        def work() -> ServiceRequest:
            actor = User.objects.get(pk=staff_ids[index])  # each thread its own user and its own copy
            mine = ServiceRequest.objects.get(pk=req.pk)
            return lc.request_dispatch(
                actor=as_actor(actor, now=MON_9 + dt.timedelta(minutes=10)),
                req=mine,
                kind="grid",
                grid=grids[index],
                expected_version=seen,
            )

        return work

    started = time.monotonic()
    results = _race([dispatcher(0), dispatcher(1)])
    assert sorted(kind for kind, _value, _at in results) == ["error", "ok"], results
    [(_ok, winner, _won_at)] = [r for r in results if r[0] == "ok"]
    [(_error, error, lost_at)] = [r for r in results if r[0] == "error"]
    assert isinstance(error, ValidationError) and error.code in ("stale", "state"), error
    # The loser waited on the winner's row lock (held HOLD_SECONDS) and was refused only after it.
    # (Not "after the winner finished": once the lock is released at commit the loser may be
    # refused before the winner's thread, still returning, reads the clock: CI saw 3 ms of that.)
    assert lost_at - started >= HOLD_SECONDS
    current = ServiceRequest.objects.get(pk=req.pk)
    assert (current.state, current.version) == (S.DISPATCHED, seen + 1)
    assert current.assignee_region == winner.assignee_region
    assert RequestStep.objects.filter(request=req, action="dispatch").count() == 1


def test_two_people_accepting_at_once_the_second_is_told_it_is_already_accepted(world, slow_events):
    req = _submit(world)
    staff_ids = [world.users.staff.pk, world.users.secretary.pk]

    def accepter(index: int) -> Callable[[], ServiceRequest]:
        def work() -> ServiceRequest:
            actor = User.objects.get(pk=staff_ids[index])
            mine = ServiceRequest.objects.get(pk=req.pk)
            return lc.request_accept(actor=as_actor(actor, now=MON_9 + dt.timedelta(minutes=index + 1)), req=mine)

        return work

    results = _race([accepter(0), accepter(1)])
    assert sorted(kind for kind, _value, _at in results) == ["error", "ok"], results
    [(_error, error, _at)] = [r for r in results if r[0] == "error"]
    assert isinstance(error, ValidationError) and error.code == "state"
    current = ServiceRequest.objects.get(pk=req.pk)
    assert (current.state, current.version) == (S.ACCEPTED, 2)
    assert RequestStep.objects.filter(request=req, action="accept").count() == 1


def test_a_confirmation_during_the_sweep_waits_and_finds_the_request_closed(world, monkeypatch):
    """The sweep locks the rows it closes: a requester confirming at that moment waits for it and
    is then told the request is closed (to reopen it), instead of both being recorded."""
    req = _submit(world)
    member = world.users.member
    req = lc.request_dispatch(
        actor=as_actor(world.users.staff, now=MON_9 + dt.timedelta(minutes=10)),
        req=req,
        kind="volunteer",
        person=world.zhao,
    )
    req = lc.request_handle(actor=as_actor(member, now=MON_9 + dt.timedelta(minutes=20)), req=req, result="已更换灯泡")
    sweep_time = req.handled_at + dt.timedelta(days=config().confirm_days, hours=1)
    update = QuerySet.update
    outcome: list[tuple[str, Any]] = []
    started = threading.Event()

    def confirm() -> None:
        try:
            resident = User.objects.get(pk=world.users.resident.pk)
            mine = ServiceRequest.objects.get(pk=req.pk)
            started.set()
            outcome.append(
                ("ok", lc.request_confirm(actor=as_actor(resident, now=sweep_time), req=mine, resolved=True, score=5))
            )
        except Exception as exc:  # the test inspects it
            outcome.append(("error", exc))
        finally:
            connections.close_all()

    thread = threading.Thread(target=confirm)

    def update_while_someone_confirms(self, **kwargs):
        if kwargs.get("close_reason") == CloseReason.NO_ANSWER and not thread.is_alive() and not outcome:
            thread.start()
            started.wait(timeout=10)
            time.sleep(HOLD_SECONDS)  # the confirmation is now waiting on the sweep's row lock
            assert not outcome, "the confirmation did not wait for the sweep's lock"
        return update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", update_while_someone_confirms)
    result = lc.sweep(actor=as_actor(now=sweep_time))
    thread.join(timeout=30)
    assert not thread.is_alive(), "the confirmation hung"
    [(kind, error)] = outcome
    assert kind == "error" and isinstance(error, ValidationError) and error.code == "state"
    current = ServiceRequest.objects.get(pk=req.pk)
    assert (current.state, current.close_reason) == (S.CLOSED, CloseReason.NO_ANSWER)
    assert RequestStep.objects.filter(request=req, action="close").count() == 1
    assert result["closed_unconfirmed"] == 1
