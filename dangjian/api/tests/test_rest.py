"""The REST API: authentication by session (CSRF on writes) or bearer key, scope through the
access layer, submission and transitions through the lifecycle, errors keyed by field."""

import io
import json
import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from dangjian.api.tests.conftest import submit
from dangjian.core.conf import override
from dangjian.servicedesk.models import Channel, RequestState, ServiceRequest
from tests.factories import PASSWORD, as_actor

pytestmark = pytest.mark.django_db


def as_user(client, user):
    client.force_login(user)
    return client


def post_json(client, path, data, **extra):
    return client.post(path, json.dumps(data), content_type="application/json", **extra)


def detail_url(req):
    return reverse("api:request_detail", args=[req.pk])


def transition_url(req):
    return reverse("api:request_transitions", args=[req.pk])


# --- reading ----------------------------------------------------------------------------------


def test_the_catalogue_is_public(client):
    results = client.get(reverse("api:categories")).json()["results"]
    assert len(results) == 17
    legal = next(c for c in results if c["code"] == "legal-advice")
    assert legal["skills"] == ["法律咨询"] and legal["resolution_unit"] == "days"


def test_anonymous_callers_get_401_not_a_login_page(world, client):
    req = submit(world)
    for response in (client.get(reverse("api:requests")), client.get(detail_url(req))):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "__all__" in response.json()["errors"]


def test_lists_and_details_are_scoped(world, client):
    in_a = submit(world)
    in_b = submit(world, actor=as_actor(world.users.outsider), region=world.grid_b1)
    staff = as_user(client, world.users.staff)
    assert [r["id"] for r in staff.get(reverse("api:requests")).json()["results"]] == [in_a.pk]
    assert staff.get(detail_url(in_b)).status_code == 404
    data = staff.get(detail_url(in_a)).json()
    assert data["number"] == in_a.number and data["state"] == "submitted" and data["status"] == "open"
    assert data["contact"] == {"name": "", "phone": "138****5678"}
    assert [s["action"] for s in data["steps"]] == ["submit"]
    text = json.dumps(data, ensure_ascii=False)
    assert "token" not in data and in_a.token not in text
    assert in_a.phone_hash not in text and in_a.phone_encrypted not in text and "13812345678" not in text
    outsider = as_user(Client(), world.users.outsider)
    assert [r["id"] for r in outsider.get(reverse("api:requests")).json()["results"]] == [in_b.pk]
    assert outsider.get(detail_url(in_a)).status_code == 404


@pytest.mark.parametrize("junk", ["abc", "0", "-1", "99999999999999999999999", "1.5", "１２"])
def test_ids_that_cannot_exist_are_404(world, client, junk):
    response = as_user(client, world.users.admin).get(reverse("api:request_detail", args=[junk]))
    assert response.status_code == 404 and response.json()["errors"]


def test_list_filters_and_paging(world, client):
    first = submit(world)
    second = submit(world, code="dispute-mediation", region=world.grid_a2)
    third = submit(world, actor=as_actor(world.users.admin), region=world.grid_b1)
    admin = as_user(client, world.users.admin)

    def ids(**params):
        response = admin.get(reverse("api:requests"), params)
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids() == [third.pk, second.pk, first.pk]
    assert ids(community=world.community_a.pk) == [second.pk, first.pk]
    assert ids(category="dispute-mediation") == [second.pk]
    assert ids(state="submitted,accepted") == [third.pk, second.pk, first.pk]
    assert ids(state="closed") == []
    # Days are China's days; at 23:59:59 the three may straddle midnight (the suite runs then too).
    first_day, last_day = (timezone.localdate(r.submitted_at).isoformat() for r in (first, third))
    assert len(ids(**{"from": first_day, "to": last_day})) == 3
    assert ids(to="2020-01-01") == []
    page = admin.get(reverse("api:requests"), {"limit": 2, "community": world.community_a.pk}).json()
    assert [r["id"] for r in page["results"]] == [second.pk, first.pk] and page["next"] is None


def test_paging_follows_next(world, client):
    made = [submit(world) for _ in range(5)]
    admin = as_user(client, world.users.admin)
    seen, path = [], reverse("api:requests") + "?limit=2&state=submitted"
    while path:
        page = admin.get(path).json()
        seen += [r["id"] for r in page["results"]]
        path = page["next"]
        assert path is None or "state=submitted" in path
    assert seen == [r.pk for r in reversed(made)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "lost"}, "state"),
        ({"community": "A"}, "community"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"before": "x"}, "before"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
    ],
)
def test_bad_filters_are_400_by_field(world, client, params, field):
    response = as_user(client, world.users.staff).get(reverse("api:requests"), params)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_list_query_count_does_not_grow_with_rows(world, client, django_assert_num_queries):
    staff = as_user(client, world.users.staff)
    submit(world)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert staff.get(reverse("api:requests")).status_code == 200
        return len(queries)

    one = count()
    for _ in range(19):
        submit(world, region=world.grid_a2)
    with django_assert_num_queries(one):
        assert len(staff.get(reverse("api:requests")).json()["results"]) == 20
    assert one <= 6  # session, user, grants, person, the scope's regions, the page


def test_bearer_key_reads_as_its_user(world, client, staff_key, outsider_key):
    in_a = submit(world)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {staff_key}"}
    assert [r["id"] for r in client.get(reverse("api:requests"), **auth).json()["results"]] == [in_a.pk]
    assert client.get(detail_url(in_a), HTTP_AUTHORIZATION=f"Bearer {outsider_key}").status_code == 404
    for header in ("Bearer djk_wrong", "Basic abc", "Bearer", f"bearer {staff_key}x"):
        assert client.get(reverse("api:requests"), HTTP_AUTHORIZATION=header).status_code == 401
    assert client.get(reverse("api:requests"), HTTP_AUTHORIZATION=f"bearer {staff_key}").status_code == 200


def test_a_wrong_key_is_401_even_with_a_session_but_other_schemes_are_ignored(world, client):
    staff = as_user(client, world.users.staff)
    assert staff.get(reverse("api:requests"), HTTP_AUTHORIZATION="Bearer djk_wrong").status_code == 401
    assert staff.get(reverse("api:requests"), HTTP_AUTHORIZATION="Basic c3RhZmY6eA==").status_code == 200
    assert staff.head(reverse("api:requests")).status_code == 200


# --- submitting -------------------------------------------------------------------------------


def payload(world, **changes):
    data = {
        "category": "legal-advice",
        "description": "想咨询继承问题",
        "region": world.grid_a1.pk,
        "phone": "13812345678",
        "contact_name": "张三",
    }
    data.update(changes)
    return data


def test_staff_record_a_request(world, client):
    response = post_json(as_user(client, world.users.staff), reverse("api:requests"), payload(world, channel="phone"))
    assert response.status_code == 201, response.content
    data = response.json()
    req = ServiceRequest.objects.get(pk=data["id"])
    assert (req.channel, req.region, req.community) == (Channel.PHONE, world.grid_a1, world.community_a)
    assert data["contact"] == {"name": "张三", "phone": "138****5678"}
    assert "token" not in data and req.token not in response.content.decode()  # staff never get it


def test_a_resident_submits_their_own(world, client):
    resident = as_user(client, world.users.resident)
    response = post_json(
        resident, reverse("api:requests"), {"category": "home-services", "description": "家电维修", "requester": "self"}
    )
    assert response.status_code == 201, response.content
    req = ServiceRequest.objects.get(pk=response.json()["id"])
    assert req.requester == world.qian and req.region == world.qian.region and req.channel == Channel.API
    assert resident.get(detail_url(req)).json()["token"] == req.token  # the requester sees their receipt
    assert as_user(Client(), world.users.staff).get(detail_url(req)).json().get("token") is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"category": "no-such"}, "category"),
        ({"phone": ""}, "phone"),
        ({"region": "grid_b1"}, "region"),  # out of scope
        ({"region": 0}, "region"),
        ({"region": "abc"}, "region"),
        ({"region": None, "requester": None}, "region"),
        ({"requester": "self"}, "requester"),
        ({"requester": 99999}, "requester"),
        ({"channel": "fax"}, "channel"),
        ({"latitude": "100", "longitude": "114"}, "latitude"),
        ({"is_public": "yes"}, "is_public"),
        ({"description": ["a", "b"]}, "description"),
        ({"phone": {"x": 1}}, "phone"),
    ],
)
def test_bad_submissions_are_400_by_field(world, client, changes, field):
    if changes.get("region") == "grid_b1":
        changes["region"] = world.grid_b1.pk
    response = post_json(as_user(client, world.users.staff), reverse("api:requests"), payload(world, **changes))
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not ServiceRequest.objects.exists()


def test_submitting_for_someone_out_of_scope_is_refused(world, client):
    response = post_json(
        as_user(client, world.users.staff),
        reverse("api:requests"),
        payload(world, requester=world.wang.pk, region=None, phone=""),
    )
    assert response.status_code == 400 and "requester" in response.json()["errors"]


def test_session_writes_need_the_csrf_token(world):
    client = as_user(Client(enforce_csrf_checks=True), world.users.staff)
    response = post_json(client, reverse("api:requests"), payload(world))
    assert response.status_code == 403 and "CSRF" in response.json()["errors"]["__all__"][0]
    client.get(reverse("api:docs"))  # any page sets the cookie
    token = client.cookies["csrftoken"].value
    assert post_json(client, reverse("api:requests"), payload(world), HTTP_X_CSRFTOKEN=token).status_code == 201


def test_a_page_script_takes_the_csrf_token_from_the_page(world):
    """docs/api.md, "Sessions and CSRF": the csrftoken cookie is HttpOnly, so a script on a page
    of the platform reads the token from <body hx-headers>; an Origin, when sent, must be the
    site's own, and over HTTPS without one the Referer must be."""
    client = as_user(Client(enforce_csrf_checks=True), world.users.staff)
    html = client.get(reverse("api:docs")).content.decode()
    assert client.cookies["csrftoken"]["httponly"] is True
    headers = re.search(r"<body hx-headers='([^']*)'", html).group(1)
    token = json.loads(unescape(headers))["X-CSRFToken"]
    path = reverse("api:requests")
    assert post_json(client, path, payload(world), HTTP_X_CSRFTOKEN=token).status_code == 201
    assert (
        post_json(client, path, payload(world), HTTP_X_CSRFTOKEN=token, HTTP_ORIGIN="http://evil.example").status_code
        == 403
    )
    secure = {"HTTP_X_CSRFTOKEN": token, "secure": True}
    for refused in ({}, {"HTTP_ORIGIN": "https://evil.example"}, {"HTTP_REFERER": "https://evil.example/"}):
        response = post_json(client, path, payload(world), **secure, **refused)
        assert response.status_code == 403 and "CSRF" in response.json()["errors"]["__all__"][0], refused
    assert post_json(client, path, payload(world), **secure, HTTP_ORIGIN="https://testserver").status_code == 201
    assert post_json(client, path, payload(world), **secure, HTTP_REFERER="https://testserver/").status_code == 201


def test_a_script_signs_in_and_sends_the_cookies_token(world):
    """docs/api.md, the Python example: the login page sets csrftoken, signing in renews it, and
    each write sends the current value as X-CSRFToken with the site as Referer."""
    client = Client(enforce_csrf_checks=True)
    site = {"secure": True, "HTTP_REFERER": "https://testserver/accounts/login/"}
    client.get(reverse("accounts:login"), secure=True)
    before = client.cookies["csrftoken"].value
    login = {"username": world.users.staff.username, "password": PASSWORD, "csrfmiddlewaretoken": before}
    assert client.post(reverse("accounts:login"), login, **site).status_code == 302
    token = client.cookies["csrftoken"].value
    assert token != before  # a stale token read before signing in no longer works
    response = post_json(client, reverse("api:requests"), payload(world), HTTP_X_CSRFTOKEN=before, **site)
    assert response.status_code == 403
    response = post_json(client, reverse("api:requests"), payload(world), HTTP_X_CSRFTOKEN=token, **site)
    assert response.status_code == 201


def test_bearer_writes_need_no_csrf_token_and_are_rate_limited(world, staff_key, settings):
    settings.DANGJIAN = override(API_POSTS_PER_MINUTE=2)
    client = Client(enforce_csrf_checks=True)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {staff_key}"}
    statuses = [post_json(client, reverse("api:requests"), payload(world), **auth).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert ServiceRequest.objects.filter(channel=Channel.API).count() == 2


def test_malformed_bodies_are_400(world, client):
    staff = as_user(client, world.users.staff)
    for body in ("{", "[1, 2]", '"text"', "[" * 100000 + "]" * 100000, b"\xff\xfe{}", ""):
        response = staff.post(reverse("api:requests"), body, content_type="application/json")
        assert response.status_code == 400, body[:10]
    # A lone surrogate is valid JSON but cannot be stored (nor written as UTF-8): it is dropped.
    body = json.dumps(payload(world, description="灯坏了\ud800"))
    response = staff.post(reverse("api:requests"), body, content_type="application/json")
    assert response.status_code == 201 and response.json()["description"] == "灯坏了"
    response = staff.post(reverse("api:requests"), payload(world))  # a form works as well
    assert response.status_code == 201


def _all_errors(response, status):
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"] == "application/json"
    return response.json()["errors"]["__all__"]


@pytest.mark.parametrize("auth", ["session", "bearer"])
def test_a_body_over_the_upload_limit_is_413_in_the_api_format(world, client, staff_key, settings, auth):
    """Django's own answer is its HTML 400 page (from request.body, request.POST or the CSRF
    check, whichever reads the body first); a program gets the API's errors."""
    extra = {"HTTP_AUTHORIZATION": f"Bearer {staff_key}"} if auth == "bearer" else {}
    if auth == "session":
        client = as_user(Client(enforce_csrf_checks=True), world.users.staff)
        client.get(reverse("api:docs"))
        extra = {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    big = payload(world, description="x" * limit)
    [text] = _all_errors(post_json(client, reverse("api:requests"), big, **extra), 413)
    assert str(limit) in text
    assert _all_errors(client.post(reverse("api:requests"), big, **extra), 413)  # a form
    files = {**payload(world), "photo": io.BytesIO(b"x" * (limit + 1))}  # Django leaves files to the view
    assert _all_errors(client.post(reverse("api:requests"), files, **extra), 413)
    req = submit(world)
    body = {"action": "note", "note": "x" * limit}
    assert _all_errors(post_json(client, transition_url(req), body, **extra), 413)
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    many = {**payload(world), **{f"f{n}": "1" for n in range(10)}}
    assert _all_errors(client.post(reverse("api:requests"), many, **extra), 413)
    assert ServiceRequest.objects.count() == 1 and req.steps.count() == 1


@pytest.mark.parametrize("auth", ["session", "bearer"])
def test_a_body_that_cannot_be_parsed_is_400_in_the_api_format(world, client, staff_key, auth):
    if auth == "session":
        client = as_user(client, world.users.staff)
    extra = {"HTTP_AUTHORIZATION": f"Bearer {staff_key}"} if auth == "bearer" else {}
    bodies = [
        ("multipart/form-data", b"category=legal-advice"),  # no boundary
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nX: " + b"y" * 2000 + b"\r\n\r\nzz\r\n--x--",
        ),  # a part's header too long
        ("application/x-www-form-urlencoded; charset=latin-1", b"category=legal-advice"),
        ("application/json", b'{"category": '),
    ]
    for content_type, body in bodies:
        response = client.post(reverse("api:requests"), body, content_type=content_type, **extra)
        assert _all_errors(response, 400), content_type
    assert not ServiceRequest.objects.exists()


def test_markup_comes_back_unchanged(world, client):
    text = '<script>alert("x")</script> & ]]> 张三 😀'
    response = post_json(as_user(client, world.users.staff), reverse("api:requests"), payload(world, description=text))
    assert response.json()["description"] == text
    assert client.get(detail_url(ServiceRequest.objects.get())).json()["description"] == text


# --- transitions ------------------------------------------------------------------------------


def test_a_request_moves_through_its_life(world, client):
    req = submit(world)
    staff = as_user(client, world.users.staff)
    steps = [
        ({"action": "accept", "expected_version": req.version}, RequestState.ACCEPTED),
        ({"action": "dispatch", "kind": "grid", "grid": world.grid_a2.pk}, RequestState.DISPATCHED),
        ({"action": "start"}, RequestState.IN_PROGRESS),
        ({"action": "suspend", "note": "等居民提供材料"}, RequestState.SUSPENDED),
        ({"action": "resume"}, RequestState.IN_PROGRESS),
        ({"action": "note", "note": "内部备注"}, RequestState.IN_PROGRESS),
        ({"action": "handle", "result": "已答复"}, RequestState.HANDLED),
    ]
    for body, state in steps:
        response = post_json(staff, transition_url(req), body)
        assert response.status_code == 200, (body, response.content)
        assert response.json()["state"] == state
    data = response.json()
    assert data["result"] == "已答复" and data["assignee_kind"] == "grid"
    assert "note" in [s["action"] for s in data["steps"]]  # staff see internal steps


def test_dispatch_to_staff_branch_and_volunteer(world, client):
    staff = as_user(client, world.users.staff)
    for body in (
        {"kind": "staff", "user": world.users.secretary.pk},
        {"kind": "branch", "organization": world.branch_a1.pk},
        {"kind": "volunteer", "person": world.zhao.pk},
    ):
        req = submit(world)
        response = post_json(staff, transition_url(req), {"action": "dispatch", **body})
        assert response.status_code == 200, response.content
        assert response.json()["assignee_kind"] == body["kind"]


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "staff", "user": "secretary_b"},
        {"kind": "branch", "organization": "PB1"},
        {"kind": "grid", "grid": "grid_b1"},
        {"kind": "volunteer", "person": "sun"},
        {"kind": "staff"},
        {"kind": "robot"},
    ],
)
def test_dispatch_only_to_those_the_dispatcher_can_see(world, client, body):
    lookup = {
        "secretary_b": world.users.outsider.pk,
        "PB1": world.branch_b1.pk,
        "grid_b1": world.grid_b1.pk,
        "sun": world.sun.pk,
    }
    body = {k: lookup.get(v, v) for k, v in body.items()}
    req = submit(world)
    response = post_json(as_user(client, world.users.staff), transition_url(req), {"action": "dispatch", **body})
    assert response.status_code == 400 and "assignee" in response.json()["errors"]
    req.refresh_from_db()
    assert req.state == RequestState.SUBMITTED


def test_transition_errors(world, client):
    req = submit(world)
    staff = as_user(client, world.users.staff)
    cases = [
        ({"action": "explode"}, 400, "action"),
        ({}, 400, "action"),
        ({"action": "suspend"}, 400, "note"),  # not from submitted, but the note is checked first
        ({"action": "close"}, 400, "__all__"),  # not in this state
        ({"action": "accept", "expected_version": 99}, 400, "__all__"),  # someone else changed it
        ({"action": "accept", "expected_version": "v1"}, 400, "expected_version"),
        ({"action": "note", "note": "x" * 1001}, 400, "note"),
    ]
    for body, status, field in cases:
        response = post_json(staff, transition_url(req), body)
        assert response.status_code == status, (body, response.content)
        assert field in response.json()["errors"], (body, response.json())


def test_seeing_is_not_acting_and_out_of_scope_is_404(world, client):
    own = lifecycle_own_request(world)
    resident = as_user(client, world.users.resident)
    assert resident.get(detail_url(own)).status_code == 200
    response = post_json(resident, transition_url(own), {"action": "accept"})
    assert response.status_code == 403 and response.json()["errors"]["__all__"]
    outsider = as_user(Client(), world.users.outsider)
    assert post_json(outsider, transition_url(own), {"action": "accept"}).status_code == 404
    own.refresh_from_db()
    assert own.state == RequestState.SUBMITTED


def lifecycle_own_request(world):
    from dangjian.servicedesk.models import ServiceCategory
    from dangjian.servicedesk.requests import lifecycle

    return lifecycle.request_submit(
        actor=as_actor(world.users.resident),
        channel="web",
        category=ServiceCategory.objects.get(code="home-services"),
        description="家电维修",
        requester=world.qian,
    )


def test_the_requester_does_not_see_internal_steps(world, client):
    own = lifecycle_own_request(world)
    staff = as_user(Client(), world.users.staff)
    post_json(staff, transition_url(own), {"action": "dispatch", "kind": "grid", "grid": world.grid_a1.pk})
    post_json(staff, transition_url(own), {"action": "note", "note": "此人难缠"})
    steps = as_user(client, world.users.resident).get(detail_url(own)).json()["steps"]
    assert [s["action"] for s in steps] == ["submit"]


def test_wrong_methods_are_405(world, client):
    staff = as_user(client, world.users.staff)
    req = submit(world)
    for path, method in ((reverse("api:requests"), "delete"), (detail_url(req), "post"), (transition_url(req), "get")):
        response = getattr(staff, method)(path)
        assert response.status_code == 405 and response["Allow"] and response.json()["errors"]


# --- the description --------------------------------------------------------------------------


def test_openapi_describes_every_url_of_the_api(client):
    document = client.get(reverse("api:openapi")).json()
    assert document["openapi"].startswith("3.") and document["servers"][0]["url"].endswith("/api/v1")
    resolver = get_resolver()
    patterns = next(p for p in resolver.url_patterns if getattr(p, "namespace", None) == "api").url_patterns
    routes = {
        "/" + str(p.pattern).replace("<str:", "{").replace(">", "}") for p in patterns if isinstance(p, URLPattern)
    }
    assert routes == set(document["paths"])

    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    schemas = document["components"]["schemas"]
    assert all(ref.removeprefix("#/components/schemas/") in schemas for ref in refs(document))


def test_the_docs_page_lists_the_endpoints_without_a_cdn(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "POST /requests/{request_id}/transitions" in html and "openapi.json" in html
    # Nothing from another host (a bare "cdn" substring test failed once in a CSRF token).
    assert not re.search(r'(src|href)="(https?:)?//', html), re.search(r'(src|href)="(https?:)?//[^"]*', html)
