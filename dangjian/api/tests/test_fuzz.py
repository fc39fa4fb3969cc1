"""Junk in every parameter of every endpoint: never a 500, always a well-formed answer."""

import contextlib
import json
from xml.etree import ElementTree as ET

import pytest
from django.urls import NoReverseMatch, reverse

from dangjian.api.tests.conftest import submit

pytestmark = pytest.mark.django_db

JUNK = [
    "",
    " ",
    "a" * 5000,
    "诉求😀" * 300,
    "<script>alert(1)</script>",
    "]]>&<>\"'",
    "'; DROP TABLE servicedesk_servicerequest; --",
    "-1",
    "0",
    "1.5",
    "１２３",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "-Infinity",
    "\x00",
    "\x0b\x1f",
    "%00",
    "../../etc/passwd",
    "2026-02-30T25:61:61+99:00",
    "0001-01-01T00:00:00-23:59",
    "9999-12-31T23:59:59+00:00",
    "9999-12-31",
    ",,,",
    "1,2,x",
    "open,closed,open",
]
OPEN311_GET_PARAMS = [
    "service_request_id",
    "service_code",
    "start_date",
    "end_date",
    "status",
    "api_key",
    "jurisdiction_id",
]
OPEN311_POST_PARAMS = [
    "service_code",
    "lat",
    "long",
    "description",
    "address_string",
    "jurisdiction_id",
    "phone",
    "first_name",
    "last_name",
    "email",
    "media_url",
]
REST_LIST_PARAMS = ["state", "category", "community", "from", "to", "before", "limit"]
REST_BODY_FIELDS = [
    "category",
    "description",
    "region",
    "requester",
    "phone",
    "contact_name",
    "address",
    "latitude",
    "longitude",
    "channel",
    "is_public",
]


def well_formed(response):
    assert response.status_code < 500, response.content[:300]
    if response["Content-Type"].startswith("text/xml"):
        ET.fromstring(response.content)  # noqa: S314 - our own answer, parsed to prove it well-formed
    elif response["Content-Type"].startswith("application/json"):
        json.loads(response.content)


@pytest.fixture
def setup(world, staff_key):
    return {"world": world, "key": staff_key, "req": submit(world)}


@pytest.mark.parametrize("junk", JUNK)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_reads(client, setup, junk, fmt):
    path = reverse("open311:requests", kwargs={"format": fmt})
    for name in OPEN311_GET_PARAMS:
        well_formed(client.get(path, {name: junk}))
        well_formed(client.get(path, {name: junk, "api_key": setup["key"]}))
    for route, kwarg in (("request_detail", "request_id"), ("token", "token"), ("service_definition", "code")):
        try:
            path = reverse(f"open311:{route}", kwargs={"format": fmt, kwarg: junk})
        except NoReverseMatch:  # "" and values with a slash do not make a URL at all
            continue
        response = client.get(path, {"api_key": setup["key"]})
        well_formed(response)
        assert response.status_code == 404


@pytest.mark.parametrize("junk", JUNK)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_posts(client, setup, junk, fmt):
    path = reverse("open311:requests", kwargs={"format": fmt})
    base = {"api_key": setup["key"], "service_code": "legal-advice", "description": "咨询", "phone": "13812345678"}
    for name in OPEN311_POST_PARAMS:
        well_formed(client.post(path, {**base, name: junk}))
    well_formed(client.post(path, {**base, "api_key": junk}))


@pytest.mark.parametrize("junk", JUNK)
def test_rest_reads_and_writes(client, setup, junk):
    world, req = setup["world"], setup["req"]
    client.force_login(world.users.staff)
    for name in REST_LIST_PARAMS:
        well_formed(client.get(reverse("api:requests"), {name: junk}))
    with contextlib.suppress(NoReverseMatch):  # "" and values with a slash make no URL
        well_formed(client.get(reverse("api:request_detail", args=[junk])))
    base = {"category": "legal-advice", "description": "咨询", "region": world.grid_a1.pk, "phone": "13812345678"}
    for name in REST_BODY_FIELDS:
        for value in (junk, [junk], {"x": junk}, 10**30, True):
            body = json.dumps({**base, name: value})
            well_formed(client.post(reverse("api:requests"), body, content_type="application/json"))
    for name in ("action", "note", "kind", "user", "person", "organization", "grid", "result", "expected_version"):
        body = json.dumps({"action": "dispatch", "kind": "grid", name: junk})
        well_formed(
            client.post(reverse("api:request_transitions", args=[req.pk]), body, content_type="application/json")
        )
    well_formed(client.get(reverse("api:requests"), HTTP_AUTHORIZATION=f"Bearer {junk}"))
