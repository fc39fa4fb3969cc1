"""Fixtures for the API tests: requests made through the real intake, keys made by the real
service, and a parser that proves every XML answer is well-formed."""

from xml.etree import ElementTree as ET

import pytest
from django.contrib.auth.models import AnonymousUser

from dangjian.api.keys import api_key_create
from dangjian.servicedesk.models import ServiceCategory
from dangjian.servicedesk.requests import lifecycle
from tests.factories import as_actor


def submit(world, *, region=None, actor=None, code="legal-advice", description="楼道灯坏了，晚上很黑", **extra):
    """A request taken in at community A's desk (or wherever ``region`` and ``actor`` say)."""
    return lifecycle.request_submit(
        actor=as_actor(actor or world.users.staff),
        channel="desk",
        category=ServiceCategory.objects.get(code=code),
        description=description,
        region=region or world.grid_a1,
        phone=extra.pop("phone", "13812345678"),
        **extra,
    )


def resolve_publicly(world, req, summary="为独居老人修好了楼道灯。"):
    """Accepted, dispatched to the grid, handled, confirmed by the requester (token holder),
    and summarised for the public board by staff; the requester consented at submission."""
    staff = world.users.staff
    req = lifecycle.request_accept(actor=as_actor(staff), req=req)
    req = lifecycle.request_dispatch(actor=as_actor(staff), req=req, kind="grid", grid=world.grid_a1)
    req = lifecycle.request_handle(actor=as_actor(staff), req=req, result="已更换灯泡（内部：王师傅）")
    req = lifecycle.request_confirm(actor=as_actor(AnonymousUser()), req=req, resolved=True, score=5, token=req.token)
    return lifecycle.request_set_public(actor=as_actor(staff), req=req, summary=summary)


def parse_xml(response):
    assert response["Content-Type"].startswith("text/xml")
    body = response.content.decode()
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own answer, parsed to prove it well-formed


@pytest.fixture
def make_key(world):
    def make(user=None, name="12345 热线"):
        _key, secret = api_key_create(actor=as_actor(None), user=user or world.users.staff, name=name)
        return secret

    return make


@pytest.fixture
def staff_key(make_key):
    return make_key()


@pytest.fixture
def outsider_key(world, make_key):
    return make_key(world.users.outsider, name="钢花村 app")
