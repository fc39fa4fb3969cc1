"""URL access cases of the APIs (see tests/test_url_access.py).

The REST API (/api/v1/) knows callers by their session: anonymous callers get 401 (an API
does not redirect to a login page), and a request outside the caller's scope does not exist
(404). Open311 (/open311/v2/) ignores sessions: the caller is whoever its ``api_key`` acts as,
so every role gets the same answer and the key decides in scope (200) or out of scope (404).
"""

from django.urls import reverse

from tests.factories import as_actor
from tests.url_access_base import Case, expect, only

IN_A = ("admin", "secretary", "staff")
IN_B = ("admin", "outsider")


def _submit(world, *, in_b: bool = False):
    from dangjian.servicedesk.models import ServiceCategory
    from dangjian.servicedesk.requests.lifecycle import request_submit

    return request_submit(
        actor=as_actor(world.users.outsider if in_b else world.users.staff),
        channel="desk",
        category=ServiceCategory.objects.get(code="legal-advice"),
        description="邻居装修噪音扰民，想咨询法律途径",
        region=world.grid_b1 if in_b else world.grid_a1,
        phone="13812345678",
    )


def _key(user) -> str:
    from dangjian.api.keys import api_key_create

    return api_key_create(actor=as_actor(None), user=user, name="12345 热线")[1]


def _open311(name: str, fmt: str = "json", **kwargs) -> str:
    return reverse(f"open311:{name}", kwargs={"format": fmt, **kwargs})


def _open311_detail(world, user=None) -> str:
    url = _open311("request_detail", request_id=_submit(world).pk)
    return url + (f"?api_key={_key(user)}" if user else "")


CASES: list[Case] = [
    # --- REST API ---------------------------------------------------------------------------
    Case("api:categories", "the catalogue is public", lambda w: reverse("api:categories"), expect(200, anonymous=200)),
    Case(
        "api:requests",
        "each caller lists their own scope",
        lambda w: reverse("api:requests"),
        expect(200, anonymous=401),
    ),
    Case(
        "api:requests",
        "recording a request in grid A1 needs the right to take requests in there",
        lambda w: reverse("api:requests"),
        only(IN_A, 201, no=400, anonymous=401),
        method="post",
        data=lambda w: {
            "category": "legal-advice",
            "description": "楼道灯坏了",
            "region": w.grid_a1.pk,
            "phone": "13812345678",
        },
    ),
    Case(
        "api:request_detail",
        "a request in community A",
        lambda w: reverse("api:request_detail", args=[_submit(w).pk]),
        only(IN_A, 200, anonymous=401),
    ),
    Case(
        "api:request_detail",
        "a request in community B",
        lambda w: reverse("api:request_detail", args=[_submit(w, in_b=True).pk]),
        only(IN_B, 200, anonymous=401),
    ),
    Case(
        "api:request_transitions",
        "accept a request in community A",
        lambda w: reverse("api:request_transitions", args=[_submit(w).pk]),
        only(IN_A, 200, anonymous=401),
        method="post",
        data=lambda w: {"action": "accept"},
    ),
    Case(
        "api:request_transitions",
        "accept a request in community B",
        lambda w: reverse("api:request_transitions", args=[_submit(w, in_b=True).pk]),
        only(IN_B, 200, anonymous=401),
        method="post",
        data=lambda w: {"action": "accept"},
    ),
    Case("api:openapi", "the API description is public", lambda w: reverse("api:openapi"), expect(200, anonymous=200)),
    Case("api:docs", "the API docs page is public", lambda w: reverse("api:docs"), expect(200, anonymous=200)),
    # --- Open311 ----------------------------------------------------------------------------
    Case("open311:discovery", "discovery is public", lambda w: _open311("discovery"), expect(200, anonymous=200)),
    Case(
        "open311:services",
        "the service list is public",
        lambda w: _open311("services", "xml"),
        expect(200, anonymous=200),
    ),
    Case(
        "open311:service_definition",
        "a service definition is public",
        lambda w: _open311("service_definition", code="legal-advice"),
        expect(200, anonymous=200),
    ),
    Case(
        "open311:requests",
        "without a key: the public board (empty, not an error)",
        lambda w: _open311("requests") + f"?service_request_id={_submit(w).pk}",
        expect(200, anonymous=200),
    ),
    Case(
        "open311:requests",
        "a key of community A's staff searches A's requests",
        lambda w: _open311("requests") + f"?service_request_id={_submit(w).pk}&api_key={_key(w.users.staff)}",
        expect(200, anonymous=200),
    ),
    Case(
        "open311:requests",
        "submitting needs an api_key, whoever is signed in",
        lambda w: _open311("requests"),
        expect(403, anonymous=403),
        method="post",
        data=lambda w: {"service_code": "legal-advice", "description": "楼道灯坏了", "phone": "13812345678"},
    ),
    Case(
        "open311:requests",
        "a key of community A's staff submits in its only community",
        lambda w: _open311("requests"),
        expect(200, anonymous=200),
        method="post",
        data=lambda w: {
            "api_key": _key(w.users.staff),
            "service_code": "legal-advice",
            "description": "楼道灯坏了",
            "phone": "13812345678",
            "address_string": "红钢城街8号",
        },
    ),
    Case(
        "open311:requests",
        "a key of community B's secretary cannot submit in community A",
        lambda w: _open311("requests"),
        expect(404, anonymous=404),
        method="post",
        data=lambda w: {
            "api_key": _key(w.users.outsider),
            "service_code": "legal-advice",
            "description": "楼道灯坏了",
            "phone": "13812345678",
            "jurisdiction_id": w.grid_a1.code,
        },
    ),
    Case(
        "open311:request_detail",
        "a private request without a key does not exist",
        lambda w: _open311_detail(w),
        expect(404, anonymous=404),
    ),
    Case(
        "open311:request_detail",
        "a private request with a key of community A's staff",
        lambda w: _open311_detail(w, w.users.staff),
        expect(200, anonymous=200),
    ),
    Case(
        "open311:request_detail",
        "a private request with a key of community B's secretary does not exist",
        lambda w: _open311_detail(w, w.users.outsider),
        expect(404, anonymous=404),
    ),
    Case(
        "open311:token",
        "the token is the requester's receipt",
        lambda w: _open311("token", token=_submit(w).token),
        expect(200, anonymous=200),
    ),
    Case(
        "open311:token",
        "an unknown token",
        lambda w: _open311("token", token="no-such-token"),
        expect(404, anonymous=404),
    ),
]
