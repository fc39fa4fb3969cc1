"""Open311 GeoReport v2: every resource in JSON and XML, the spec's errors, privacy by default,
submission through the real intake, and the rate limit."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext as _

from dangjian.api import open311
from dangjian.api.common import CHINA
from dangjian.api.keys import api_key_revoke
from dangjian.api.models import ApiKey
from dangjian.api.tests.conftest import parse_xml, resolve_publicly, submit
from dangjian.core.conf import override
from dangjian.servicedesk import sla
from dangjian.servicedesk.models import Channel, RequestState, ServiceCategory, ServiceRequest
from tests.factories import as_actor

pytestmark = pytest.mark.django_db


def url(name, fmt="json", **kwargs):
    return reverse(f"open311:{name}", kwargs={"format": fmt, **kwargs})


def errors_of(response, status):
    """The spec's error list, in whichever format the response is."""
    assert response.status_code == status
    if response["Content-Type"].startswith("text/xml"):
        root = parse_xml(response)
        assert root.tag == "errors"
        return [(int(e.findtext("code")), e.findtext("description")) for e in root.findall("error")]
    return [(e["code"], e["description"]) for e in response.json()]


# --- discovery and services -------------------------------------------------------------------


def test_discovery_in_json_and_xml(client):
    data = client.get(url("discovery")).json()
    assert data["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert data["endpoints"][0]["url"].endswith("/open311/v2")
    assert data["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    root = parse_xml(client.get(url("discovery", "xml")))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]


def test_services_list_the_active_catalogue(client):
    ServiceCategory.objects.filter(code="sanitation").update(is_active=False)
    services = client.get(url("services")).json()
    codes = [s["service_code"] for s in services]
    assert len(codes) == 16 and "sanitation" not in codes
    legal = next(s for s in services if s["service_code"] == "legal-advice")
    assert legal == {
        "service_code": "legal-advice",
        "service_name": "法律咨询",
        "description": "",
        "metadata": False,
        "type": "realtime",
        "keywords": "法律咨询",
        "group": "党建服务",
    }
    root = parse_xml(client.get(url("services", "xml")))
    assert root.tag == "services" and len(root.findall("service")) == 16
    first = root.find("service")
    assert first.findtext("metadata") == "false" and first.findtext("type") == "realtime"


def test_service_definition_and_unknown_service(client):
    assert client.get(url("service_definition", code="legal-advice")).json() == {
        "service_code": "legal-advice",
        "attributes": [],
    }
    root = parse_xml(client.get(url("service_definition", "xml", code="legal-advice")))
    assert root.tag == "service_definition" and root.findtext("service_code") == "legal-advice"
    assert errors_of(client.get(url("service_definition", code="no-such")), 404)[0][0] == 404
    assert errors_of(client.get(url("service_definition", "xml", code="no-such")), 404)[0][0] == 404


# --- reading requests: privacy by default -----------------------------------------------------


def test_without_a_key_only_the_public_board_anonymised(world, client):
    private = submit(world, address="红钢城街8号", latitude=Decimal("30.6"), longitude=Decimal("114.4"))
    board = resolve_publicly(world, submit(world, is_public=True, address="红钢城街9号"))
    consent_no_summary = submit(world, is_public=True)
    rows = client.get(url("requests")).json()
    assert [r["service_request_id"] for r in rows] == [board.pk]
    row = rows[0]
    assert row["description"] == row["status_notes"] == "为独居老人修好了楼道灯。"
    assert row["status"] == "closed" and row["agency_responsible"] == "红钢城社区"
    assert not {"address", "lat", "long"} & set(row)
    assert "王师傅" not in json.dumps(row, ensure_ascii=False)
    assert row["requested_datetime"].endswith("+08:00")
    for hidden in (private, consent_no_summary):
        assert errors_of(client.get(url("request_detail", request_id=hidden.pk)), 404) == [
            (404, _("service_request_id was not found."))
        ]
    detail = client.get(url("request_detail", request_id=board.pk)).json()
    assert detail == rows
    root = parse_xml(client.get(url("request_detail", "xml", request_id=board.pk)))
    assert root.tag == "service_requests"
    assert root.find("request").findtext("description") == "为独居老人修好了楼道灯。"
    assert root.find("request/address") is None


def test_a_key_shows_its_users_scope_in_full(world, client, staff_key, outsider_key):
    in_a = submit(world, address="红钢城街8号", latitude=Decimal("30.612345"), longitude=Decimal("114.412345"))
    in_b = submit(world, actor=as_actor(world.users.outsider), region=world.grid_b1, description="钢花村路灯不亮")
    rows = client.get(url("requests"), {"api_key": staff_key}).json()
    assert [r["service_request_id"] for r in rows] == [in_a.pk]
    row = rows[0]
    assert row["description"] == "楼道灯坏了，晚上很黑" and row["status"] == "open"
    assert (row["address"], row["lat"], row["long"]) == ("红钢城街8号", 30.612345, 114.412345)
    # One format for every datetime of the APIs: ISO 8601 / W3C with whole seconds and China's offset.
    china = dt.timezone(dt.timedelta(hours=8))
    assert row["expected_datetime"] == in_a.resolution_due_at.astimezone(china).isoformat(timespec="seconds")
    assert "13812345678" not in json.dumps(rows) and in_a.token not in json.dumps(rows)
    # Community B's key: A's request does not exist, B's does.
    assert errors_of(client.get(url("request_detail", request_id=in_a.pk), {"api_key": outsider_key}), 404)
    assert client.get(url("request_detail", request_id=in_b.pk), {"api_key": outsider_key}).status_code == 200
    assert client.get(url("request_detail", "xml", request_id=in_a.pk), {"api_key": staff_key}).status_code == 200
    root = parse_xml(client.get(url("requests", "xml"), {"api_key": staff_key}))
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [str(in_a.pk)]
    assert root.find("request").findtext("lat") == "30.612345"


def test_a_wrong_or_revoked_key_is_refused_not_ignored(world, client, staff_key):
    assert errors_of(client.get(url("requests"), {"api_key": "djk_nonsense"}), 403)
    api_key_revoke(actor=as_actor(None), key=ApiKey.objects.get())
    assert errors_of(client.get(url("requests", "xml"), {"api_key": staff_key}), 403)


def test_a_key_of_an_inactive_user_is_refused(world, client, staff_key):
    world.users.staff.is_active = False
    world.users.staff.save()
    assert errors_of(client.get(url("requests"), {"api_key": staff_key}), 403)


def test_search_filters(world, client, staff_key):
    legal = submit(world)
    mediation = submit(world, code="dispute-mediation", description="邻里纠纷")
    closed = resolve_publicly(world, submit(world, code="sanitation", description="垃圾没人清"))

    def ids(**params):
        response = client.get(url("requests"), {"api_key": staff_key, **params})
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in response.json()]

    assert ids() == [closed.pk, mediation.pk, legal.pk]  # newest first
    assert ids(service_code="legal-advice,dispute-mediation") == [mediation.pk, legal.pk]
    assert ids(status="open") == [mediation.pk, legal.pk]
    assert ids(status="closed") == [closed.pk]
    assert ids(status="open,closed") == [closed.pk, mediation.pk, legal.pk]
    # A list of ids overrides every other argument.
    assert ids(service_request_id=f"{legal.pk}, {closed.pk}", status="open") == [closed.pk, legal.pk]
    today = legal.submitted_at.astimezone(CHINA).date()
    assert len(ids(start_date=today.isoformat())) == 3
    assert ids(end_date=(today - dt.timedelta(days=1)).isoformat()) == []
    start = (legal.submitted_at - dt.timedelta(hours=1)).isoformat()
    assert len(ids(start_date=start, end_date=(legal.submitted_at + dt.timedelta(days=1)).isoformat())) == 3
    assert ids(start_date="2020-01-01T00:00:00Z", end_date="2020-02-01T00:00:00Z") == []


def test_older_requests_are_outside_the_default_ninety_days(world, client, staff_key):
    old = submit(world)
    ServiceRequest.objects.filter(pk=old.pk).update(submitted_at=old.submitted_at - dt.timedelta(days=91))
    assert client.get(url("requests"), {"api_key": staff_key}).json() == []
    day = (old.submitted_at - dt.timedelta(days=91)).date().isoformat()
    assert len(client.get(url("requests"), {"api_key": staff_key, "start_date": day}).json()) == 1


def test_at_most_the_newest_thousand(world, client, staff_key, monkeypatch):
    monkeypatch.setattr(open311, "MAX_ROWS", 2)
    made = [submit(world) for _ in range(3)]
    rows = client.get(url("requests"), {"api_key": staff_key}).json()
    assert [r["service_request_id"] for r in rows] == [made[2].pk, made[1].pk]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start_date": "yesterday"}, "W3C"),
        ({"end_date": "2026-13-45T00:00:00+08:00"}, "W3C"),
        ({"start_date": "2026-06-01", "end_date": "2026-01-01"}, "end_date"),
        ({"start_date": "2026-01-01", "end_date": "2026-06-01"}, "90"),
        ({"service_code": "no-such"}, "service_code"),
        ({"service_code": ","}, "service_code"),
        ({"status": "pending"}, "status"),
        ({"service_request_id": "1,abc"}, "service_request_id"),
        ({"service_request_id": ",".join(["1"] * 1001)}, "service_request_id"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_malformed_searches_are_400(client, world, params, message, fmt):
    [(code, description)] = errors_of(client.get(url("requests", fmt), params), 400)
    assert code == 400 and message in description


def test_list_query_count_does_not_grow_with_rows(world, client, staff_key, django_assert_num_queries):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("requests"), {"api_key": staff_key}).status_code == 200
        return len(queries)

    submit(world)
    client.get(url("requests"), {"api_key": staff_key})  # the key's last use is written once a minute
    one = count()
    for _i in range(19):
        submit(world)
    # key, grants, person, the scope's regions, the page of rows with category and community
    with django_assert_num_queries(one):
        rows = client.get(url("requests", "xml"), {"api_key": staff_key})
    assert len(parse_xml(rows).findall("request")) == 20
    assert one <= 5
    public = [resolve_publicly(world, submit(world, is_public=True)) for _ in range(2)]
    with django_assert_num_queries(1):
        assert len(client.get(url("requests")).json()) == len(public)


# --- submitting -------------------------------------------------------------------------------


def post(client, fmt="json", **data):
    return client.post(url("requests", fmt), data)


def test_a_key_submits_a_request_through_the_intake(world, client, staff_key):
    response = post(
        client,
        api_key=staff_key,
        service_code="dispute-mediation",
        jurisdiction_id=world.grid_a1.code,
        description="楼上漏水，协商不成",
        first_name="三",
        last_name="张",
        phone="13812345678",
        email="zhang@example.org",
        address_string="红钢城街8号",
        lat="30.6123456",
        long="114.4",
        media_url="https://example.org/photo.jpg",
    )
    assert response.status_code == 200, response.content
    [answer] = response.json()
    req = ServiceRequest.objects.get(pk=answer["service_request_id"])
    # Staff who record a request for a resident do not get the requester's token (their key to
    # confirm and rate): they could confirm their own work with it.
    assert "token" not in answer and req.number in answer["service_notice"]
    assert (req.channel, req.region, req.community, req.state) == (
        Channel.API,
        world.grid_a1,
        world.community_a,
        RequestState.SUBMITTED,
    )
    assert (req.contact_name, req.phone_masked, req.address) == ("张三", "138****5678", "红钢城街8号")
    assert (req.latitude, req.longitude) == (Decimal("30.612346"), Decimal("114.400000"))
    assert req.submitted_by == world.users.staff and req.level == "grid"
    category = req.category
    assert req.response_due_at == sla.due_at(
        req.submitted_at, sla.target_seconds(category.response_target, category.response_unit)
    )
    assert req.resolution_due_at == sla.due_at(
        req.submitted_at, sla.target_seconds(category.resolution_target, category.resolution_unit)
    )
    # The token leads back to the request, in both formats.
    assert client.get(url("token", token=req.token)).json() == [{"service_request_id": req.pk, "token": req.token}]
    root = parse_xml(client.get(url("token", "xml", token=req.token)))
    assert root.find("request").findtext("service_request_id") == str(req.pk)
    assert errors_of(client.get(url("token", token=req.token[:-1] + "_")), 404)


def test_submitting_answers_in_xml_too(world, client, staff_key):
    response = post(
        client,
        "xml",
        api_key=staff_key,
        service_code="legal-advice",
        description="咨询",
        phone="13812345678",
        address_string="红钢城街8号",
    )
    root = parse_xml(response)
    assert response.status_code == 200
    pk = int(root.find("request").findtext("service_request_id"))
    assert ServiceRequest.objects.filter(pk=pk).exists() and root.find("request").findtext("token") is None


def test_the_only_community_in_scope_is_the_default_jurisdiction(world, client, staff_key, make_key):
    [answer] = post(
        client,
        api_key=staff_key,
        service_code="legal-advice",
        description="咨询",
        phone="13812345678",
        lat="30.61",
        long="114.40",
    ).json()
    assert ServiceRequest.objects.get(pk=answer["service_request_id"]).region == world.community_a
    street_key = make_key(world.users.admin)  # the street covers two communities: say which
    [(_code, text)] = errors_of(
        post(client, api_key=street_key, service_code="legal-advice", description="咨询", phone="13812345678"), 400
    )
    assert "jurisdiction_id" in text
    response = post(
        client,
        api_key=street_key,
        service_code="legal-advice",
        description="咨询",
        phone="13812345678",
        jurisdiction_id=world.community_b.code,
        address_string="钢花村3栋",
    )
    assert ServiceRequest.objects.get(pk=response.json()[0]["service_request_id"]).community == world.community_b


def test_a_jurisdiction_outside_the_keys_scope_is_not_found(world, client, staff_key, make_key):
    for code in (world.community_b.code, "no-such-code", world.street.code):
        response = post(
            client,
            api_key=staff_key,
            service_code="legal-advice",
            description="咨询",
            phone="13812345678",
            jurisdiction_id=code,
        )
        assert errors_of(response, 404) == [(404, _("jurisdiction_id was not found."))]
    resident_key = make_key(world.users.resident)
    assert errors_of(
        post(client, api_key=resident_key, service_code="legal-advice", description="咨询", phone="13812345678"), 400
    )
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    ("changes", "status", "text"),
    [
        ({"api_key": ""}, 403, "api_key"),
        ({"api_key": "djk_wrong"}, 403, "api_key"),
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "no-such"}, 400, "service_code"),
        ({"phone": ""}, 400, "phone: "),
        ({"phone": "12345"}, 400, "phone: "),
        ({"description": ""}, 400, "description: "),
        ({"description": "x" * 2001}, 400, "description: "),
        ({"lat": "30.6"}, 400, "lat"),
        ({"lat": "91", "long": "114"}, 400, "lat"),
        ({"lat": "abc", "long": "114"}, 400, "lat"),
        ({"lat": "NaN", "long": "Infinity"}, 400, "lat"),
        ({"address_string": ""}, 400, "address_string: "),  # no location at all (GeoReport v2 requires one)
        ({"address_string": "   "}, 400, "address_string: "),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_submissions_answer_the_spec_errors(world, client, staff_key, changes, status, text, fmt):
    data = {
        "api_key": staff_key,
        "service_code": "legal-advice",
        "description": "咨询",
        "phone": "13812345678",
        "address_string": "红钢城街8号",
    }
    data.update(changes)
    errors = errors_of(post(client, fmt, **data), status)
    assert errors and all(code == status for code, _ in errors)
    assert any(text in description for _, description in errors), errors
    assert not ServiceRequest.objects.exists()


def test_wrong_methods_are_405_in_the_spec_format(world, client):
    for fmt in ("json", "xml"):
        response = client.post(url("services", fmt))
        assert errors_of(response, 405)[0][0] == 405 and response["Allow"] == "GET, HEAD"
        assert client.head(url("services", fmt)).status_code == 200
        assert errors_of(client.put(url("requests", fmt)), 405)
        assert errors_of(client.delete(url("request_detail", fmt, request_id=1)), 405)


def test_posts_are_rate_limited_per_key(world, client, staff_key, make_key, settings):
    settings.DANGJIAN = override(API_POSTS_PER_MINUTE=2)
    data = {
        "api_key": staff_key,
        "service_code": "legal-advice",
        "description": "咨询",
        "phone": "13812345678",
        "address_string": "红钢城街8号",
    }
    assert [post(client, **data).status_code for _ in range(2)] == [200, 200]
    assert errors_of(post(client, **data), 429)[0][0] == 429
    assert errors_of(post(client, "xml", **data), 429)[0][0] == 429
    assert ServiceRequest.objects.count() == 2
    other = make_key(world.users.secretary)
    assert post(client, **{**data, "api_key": other}).status_code == 200


def test_post_is_csrf_exempt(world, staff_key):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    data = {
        "api_key": staff_key,
        "service_code": "legal-advice",
        "description": "咨询",
        "phone": "13812345678",
        "address_string": "红钢城街8号",
    }
    assert post(client, **data).status_code == 200


def test_the_key_is_the_api_key_parameter_only(world, client, staff_key):
    """docs/api.md, "Sending the key": a POST takes api_key from its form body or, failing that,
    from the query string; Open311 never reads an Authorization header (nor a session)."""
    data = {
        "service_code": "legal-advice",
        "description": "咨询",
        "phone": "13812345678",
        "address_string": "红钢城街8号",
    }
    assert client.post(url("requests") + f"?api_key={staff_key}", data).status_code == 200
    [(_code, text)] = errors_of(client.post(url("requests"), data, HTTP_AUTHORIZATION=f"Bearer {staff_key}"), 403)
    assert text == _("api_key is required to submit a request.")
    client.force_login(world.users.staff)
    assert errors_of(client.post(url("requests"), data), 403)
    assert ServiceRequest.objects.count() == 1


# --- untrusted text comes back as text --------------------------------------------------------

NASTY = "<script>alert(\"x\")</script> & ]]> <![CDATA[ 'quote' 张三 😀"


def test_markup_in_descriptions_comes_back_as_literal_text(world, client, staff_key):
    response = post(
        client,
        api_key=staff_key,
        service_code="legal-advice",
        description=NASTY + "\x0b\x00",
        address_string="<b>8号</b>",
        phone="13812345678",
    )
    pk = response.json()[0]["service_request_id"]
    assert ServiceRequest.objects.get(pk=pk).description == NASTY  # control characters are dropped
    row = client.get(url("request_detail", request_id=pk), {"api_key": staff_key}).json()[0]
    assert row["description"] == NASTY and row["address"] == "<b>8号</b>"
    xml = client.get(url("request_detail", "xml", request_id=pk), {"api_key": staff_key})
    assert b"<script>" not in xml.content and b"&lt;script&gt;" in xml.content
    assert parse_xml(xml).find("request").findtext("description") == NASTY


def test_control_characters_stored_elsewhere_do_not_break_xml(world, client, staff_key):
    req = submit(world, description="旧系统导入\x01\x1f的描述")
    root = parse_xml(client.get(url("request_detail", "xml", request_id=req.pk), {"api_key": staff_key}))
    assert root.find("request").findtext("description") == "旧系统导入的描述"


# --- bodies the server will not read --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_body_over_the_upload_limit_is_413_in_the_spec_format(world, client, staff_key, settings, fmt):
    """Django's own answer is its HTML 400 page; a program reading Open311 gets the spec's list."""
    data = {
        "api_key": staff_key,
        "service_code": "legal-advice",
        "phone": "13812345678",
        "address_string": "红钢城街8号",
        "description": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    }
    [(code, text)] = errors_of(post(client, fmt, **data), 413)
    assert code == 413 and str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in text
    # The same as multipart (its files are not counted by Django's limit: the API takes none).
    response = client.post(url("requests", fmt), {**data, "description": "咨询", "media": io.BytesIO(b"x" * 3_000_000)})
    assert errors_of(response, 413)
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    many = {**data, "description": "咨询", **{f"attribute[{n}]": "1" for n in range(10)}}
    assert errors_of(post(client, fmt, **many), 413)
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_body_that_cannot_be_parsed_is_400_in_the_spec_format(world, client, staff_key, fmt):
    bodies = [
        ("multipart/form-data", b"api_key=" + staff_key.encode()),  # no boundary
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nX: " + b"y" * 2000 + b"\r\n\r\nzz\r\n--x--",
        ),  # a part's header too long
        ("application/x-www-form-urlencoded; charset=latin-1", f"api_key={staff_key}".encode()),
    ]
    for content_type, body in bodies:
        response = client.post(url("requests", fmt), body, content_type=content_type)
        [(code, _text)] = errors_of(response, 400)
        assert code == 400, content_type
    assert not ServiceRequest.objects.exists()
