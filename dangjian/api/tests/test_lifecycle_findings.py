"""Behaviour of servicedesk/lifecycle.py that the APIs rely on (first found as strict xfails,
since fixed)."""

import datetime as dt

import pytest

from dangjian.api.tests.conftest import submit
from dangjian.core.conf import config
from dangjian.servicedesk.models import RequestState
from dangjian.servicedesk.requests import lifecycle
from tests.factories import as_actor

pytestmark = pytest.mark.django_db


def test_closing_an_unconfirmed_request_moves_its_updated_time(world):
    staff = world.users.staff
    req = submit(world)
    lifecycle.request_accept(actor=as_actor(staff), req=req)
    lifecycle.request_dispatch(actor=as_actor(staff), req=req, kind="grid", grid=world.grid_a1)
    req = lifecycle.request_handle(actor=as_actor(staff), req=req, result="已处理")
    before = req.updated_at
    later = req.handled_at + dt.timedelta(days=config().confirm_days + 1)
    assert lifecycle.sweep(actor=as_actor(now=later))["closed_unconfirmed"] == 1
    req.refresh_from_db()
    assert req.state == RequestState.CLOSED
    assert req.updated_at > before
