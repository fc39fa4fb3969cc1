"""One format for every datetime the APIs print: ISO 8601 in the W3C profile, whole seconds, with
China's offset (2026-11-28T09:30:00+08:00) — in REST and Open311, JSON and XML alike."""

import datetime as dt
import re
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from dangjian.api.common import w3c
from dangjian.api.tests.conftest import submit
from dangjian.servicedesk.requests import lifecycle
from tests.factories import as_actor

pytestmark = pytest.mark.django_db

W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")


def test_w3c_drops_microseconds_and_speaks_china_time():
    moment = dt.datetime(2026, 12, 31, 15, 59, 59, 999_999, tzinfo=dt.UTC)
    assert w3c(moment) == "2026-12-31T23:59:59+08:00"  # the day in China, not in UTC
    assert w3c(dt.datetime(2028, 2, 29, 0, 0, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))) == (
        "2028-02-29T00:00:00+08:00"
    )
    assert w3c(None) is None


def datetimes(data, keys=("_at", "_datetime", "at")):
    """Every value in ``data`` (nested) under a key naming a moment."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str) and (key == "at" or key.endswith(keys)):
                yield key, value
            else:
                yield from datetimes(value, keys)
    elif isinstance(data, list):
        for item in data:
            yield from datetimes(item, keys)


def test_every_datetime_of_the_apis_has_one_format(world, client, staff_key):
    req = submit(world)
    lifecycle.request_accept(actor=as_actor(world.users.staff), req=req, note="已联系")
    client.force_login(world.users.staff)
    detail = client.get(reverse("api:request_detail", args=[req.pk])).json()
    listed = client.get(reverse("api:requests")).json()["results"]
    rows = client.get(reverse("open311:requests", kwargs={"format": "json"}), {"api_key": staff_key}).json()
    found = [*datetimes(detail), *datetimes(listed), *datetimes(rows)]
    keys = {key for key, _value in found}
    assert {"submitted_at", "response_due_at", "first_response_at", "updated_at", "at"} <= keys
    assert {"requested_datetime", "updated_datetime", "expected_datetime"} <= keys
    assert [value for _key, value in found if not W3C.match(value)] == []
    xml = client.get(reverse("open311:requests", kwargs={"format": "xml"}), {"api_key": staff_key})
    root = ElementTree.fromstring(xml.content)  # noqa: S314 (our own response)
    moments = [e.text for e in root.iter() if e.tag.endswith("_datetime") and e.text]
    assert moments and all(W3C.match(m) for m in moments)
