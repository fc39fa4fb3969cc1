"""The staff and resident pages of the service desk: what they show, what they refuse, and
that they run a fixed number of queries whatever the number of requests."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.people.models import Person, Tag, TagKind
from dangjian.servicedesk.models import AssigneeKind, RequestState, ServiceCategory, ServiceRequest
from dangjian.servicedesk.requests import dispatch, lifecycle
from tests.factories import as_actor

pytestmark = pytest.mark.django_db


def submit(world, description="楼道灯坏了", **kw):
    data = {
        "actor": as_actor(world.users.staff),
        "channel": "desk",
        "category": ServiceCategory.objects.get(code="legal-advice"),
        "description": description,
        "region": world.grid_a1,
        "requester": world.zhang,
        **kw,
    }
    return lifecycle.request_submit(**data)


def _queries(client, url):
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize(
    "url", ["/services/requests/", "/services/requests/?view=finished", "/services/callbacks/", "/"]
)
def test_pages_run_a_fixed_number_of_queries(world, client, url):
    client.force_login(world.users.staff)
    submit(world)
    _queries(client, url)  # warm caches (content types)
    one = _queries(client, url)
    for i in range(20):
        req = submit(world, description=f"第{i}件")
        if i % 2:
            req = lifecycle.request_dispatch(
                actor=as_actor(world.users.staff), req=req, kind=AssigneeKind.STAFF, user=world.users.staff
            )
    assert _queries(client, url) == one


def test_request_detail_queries_do_not_grow_with_its_history(world, client):
    client.force_login(world.users.staff)
    req = submit(world)
    url = reverse("servicedesk:request", args=[req.pk])
    _queries(client, url)
    before = _queries(client, url)
    for i in range(10):
        lifecycle.request_note(actor=as_actor(world.users.staff), req=req, note=f"备注{i}")
    assert _queries(client, url) == before


def test_what_people_type_is_shown_as_text(world, client):
    client.force_login(world.users.staff)
    req = submit(world, description="<script>alert('x')</script><b>粗</b>")
    for url in ("/services/requests/", reverse("servicedesk:request", args=[req.pk])):
        body = client.get(url).content.decode()
        assert "<script>alert" not in body and "&lt;script&gt;" in body


def test_desk_registers_a_new_requester_and_records_the_request(world, client):
    client.force_login(world.users.staff)
    category = ServiceCategory.objects.get(code="sanitation")
    response = client.post(
        reverse("servicedesk:desk"),
        {
            "new_name": "周九",
            "phone": "13655556666",
            "category": category.pk,
            "description": "楼道垃圾没人清",
            "channel": "phone",
            "region": world.grid_a2.pk,
        },
    )
    req = ServiceRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("servicedesk:request", args=[req.pk])
    assert req.requester.name == "周九" and req.requester.region == world.grid_a2 and req.channel == "phone"
    assert req.requester.phone_masked == "136****6666"


def test_desk_refuses_a_request_without_anyone_to_reach(world, client):
    client.force_login(world.users.staff)
    category = ServiceCategory.objects.get(code="sanitation")
    response = client.post(
        reverse("servicedesk:desk"), {"category": category.pk, "description": "楼道垃圾", "channel": "desk"}
    )
    assert response.status_code == 200 and not ServiceRequest.objects.exists() and not Person.objects.filter(name="")
    assert response.context["form"].errors["person"]


def test_desk_people_search_by_phone_tail_stays_in_scope(world, client):
    client.force_login(world.users.staff)
    body = client.get(reverse("servicedesk:desk_people") + "?q=5678").content.decode()
    assert "张三" in body
    body = client.get(reverse("servicedesk:desk_people") + "?q=2222").content.decode()  # 王五 lives in B
    assert "王五" not in body


def test_anonymous_submissions_are_rate_limited_per_address(world, client, settings):
    cache.clear()
    category = ServiceCategory.objects.get(code="sanitation")
    data = {"category": category.pk, "description": "路灯不亮", "region": world.community_a.pk, "phone": "13912345678"}
    statuses = [client.post(reverse("portal:submit"), data).status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    assert ServiceRequest.objects.count() == 5


def test_the_hidden_field_catches_bots(world, client):
    cache.clear()
    category = ServiceCategory.objects.get(code="sanitation")
    data = {
        "category": category.pk,
        "description": "路灯不亮",
        "region": world.community_a.pk,
        "phone": "13912345678",
        "website": "http://spam.example",
    }
    assert client.post(reverse("portal:submit"), data).status_code == 302
    assert not ServiceRequest.objects.exists()


def test_a_renamed_file_is_refused_and_nothing_is_saved(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    cache.clear()
    category = ServiceCategory.objects.get(code="sanitation")
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00not a jpeg", content_type="image/jpeg")
    response = client.post(
        reverse("portal:submit"),
        {
            "category": category.pk,
            "description": "路灯不亮",
            "region": world.community_a.pk,
            "phone": "13912345678",
            "attachments": [fake],
        },
    )
    assert response.status_code == 200 and not ServiceRequest.objects.exists()
    assert response.context["form"].errors["attachments"]


def test_the_resident_confirms_on_the_tracking_page_and_others_cannot(world, client):
    req = submit(world)
    req = lifecycle.request_dispatch(
        actor=as_actor(world.users.staff), req=req, kind=AssigneeKind.STAFF, user=world.users.staff
    )
    req = lifecycle.request_handle(actor=as_actor(world.users.staff), req=req, result="已处理")
    client.force_login(world.users.resident)  # not the requester, and a wrong token
    assert client.post(reverse("portal:act", args=["x" * 22, "confirm"]), {"resolved": "yes"}).status_code == 404
    client.logout()  # the requester's link (张三 has no account): the token is the key
    client.post(reverse("portal:act", args=[req.token, "confirm"]), {"resolved": "yes", "score": "4"})
    req.refresh_from_db()
    assert req.state == RequestState.VISITED and req.rating.score == 4


def test_dispatch_suggestions_explain_specialty_matches(world):
    legal = Tag.objects.get(kind=TagKind.SKILL, name="法律咨询")
    world.zhao.member.specialties.add(legal)  # 赵六 lives in grid A1 and has an account
    req = submit(world)
    found = dispatch.suggestions(actor=as_actor(world.users.staff), req=req)
    volunteer = next(s for s in found if s.kind == AssigneeKind.VOLUNTEER)
    assert volunteer.value == world.zhao.pk
    assert any("法律咨询" in reason for reason in volunteer.reasons)
    assert found[0].score >= volunteer.score
    assert all(s.reasons for s in found)


def test_who_holds_the_request_now_is_not_suggested_again(world):
    from dangjian.servicedesk.requests import lifecycle as lc

    req = submit(world)
    before = dispatch.suggestions(actor=as_actor(world.users.staff), req=req)
    grid = next(s for s in before if s.kind == AssigneeKind.GRID)
    req = lc.request_dispatch(actor=as_actor(world.users.staff), req=req, kind=AssigneeKind.GRID, grid=world.grid_a1)
    after = dispatch.suggestions(actor=as_actor(world.users.staff), req=req)
    assert (grid.kind, grid.value) not in [(s.kind, s.value) for s in after]
    assert after  # the others are still offered


def test_suggestions_show_every_kind_not_only_the_best_scored(world):
    from dangjian.orgs.models import Organization, OrgKind
    from dangjian.orgs.trees import TreeBuilder
    from tests.factories import make_member, make_person

    legal = Tag.objects.get(kind=TagKind.SKILL, name="法律咨询")
    builder = TreeBuilder(Organization)
    builder.child_count[world.committee_a.path] = 2
    for i in range(6):
        builder.add(
            world.committee_a, name=f"特长支部{i}", code=f"PAS{i}", kind=OrgKind.BRANCH, region=world.community_a
        )
    for node in builder.nodes:
        node.region_id = node.region.pk
    builder.save()
    for i, branch in enumerate(builder.nodes):
        member = make_member(make_person(world.users.admin, world.grid_a2, f"律师{i}"), branch)
        member.specialties.add(legal)
    found = dispatch.suggestions(actor=as_actor(world.users.staff), req=submit(world))
    kinds = [s.kind for s in found]
    assert kinds.count(AssigneeKind.BRANCH) == dispatch.PER_KIND
    assert AssigneeKind.STAFF in kinds and AssigneeKind.GRID in kinds


@pytest.mark.parametrize("url", ["/services/receptions/", "/r/receptions/", "/notifications/", "/r/mine/", "/r/board/"])
def test_reception_inbox_and_resident_lists_run_a_fixed_number_of_queries(world, client, url):
    import datetime as dt

    from django.utils import timezone

    from dangjian.core.notifications import notify
    from dangjian.servicedesk.receptions import services as reception_services

    def grow(n):
        for i in range(n):
            start = timezone.now() + dt.timedelta(days=2 + i)
            session = reception_services.session_create(
                actor=as_actor(world.users.staff),
                community=world.community_a,
                representative=world.zhao,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=1),
                place=f"会议室{i}",
                slots=5,
            )
            reception_services.booking_create(actor=as_actor(world.users.resident), session=session, topic="反映停车难")
            notify(
                recipients=[world.users.resident.pk],
                kind="request_overdue",
                key=f"k{n}-{i}",
                params={"number": f"2026-{i:07d}"},
            )
            submit(world, requester=world.qian, description=f"第{i}件")

    client.force_login(world.users.staff if url.startswith("/services") else world.users.resident)
    grow(1)
    _queries(client, url)
    one = _queries(client, url)
    grow(10)
    assert _queries(client, url) == one


@pytest.mark.parametrize("kind", ["staff", "volunteer", "branch", "grid"])
def test_dispatch_to_someone_outside_the_scope_names_nobody(world, client, kind):
    """The page and the API share one resolver: an id from another community is no one, and the
    answer does not say who it was (no enumeration of users, people or units across the district)."""
    from dangjian.servicedesk.requests.dispatch import resolve_assignee

    outside = {
        "staff": world.users.outsider.pk,
        "volunteer": world.wang.pk,
        "branch": world.branch_b1.pk,
        "grid": world.grid_b1.pk,
    }[kind]
    assert list(resolve_assignee(actor=as_actor(world.users.staff), kind=kind, pk=outside).values()) == [None]
    req = submit(world)
    client.force_login(world.users.staff)
    response = client.post(
        reverse("servicedesk:request_act", args=[req.pk, "dispatch"]),
        {"kind": kind, "value": outside, "version": req.version},
        follow=True,
    )
    body = response.content.decode()
    for name in ("secretary_b", "王五", "钢花村社区第一党支部"):
        assert name not in body
    assert ServiceRequest.objects.get(pk=req.pk).state == RequestState.SUBMITTED


def test_the_tracking_page_echoes_the_residents_own_verdict_and_rating(world, client):
    """After confirming and rating, the resident's page said 已回访 (a callback by staff) and did
    not show the rating given."""
    req = submit(world)
    staff = as_actor(world.users.staff)
    req = lifecycle.request_dispatch(actor=staff, req=req, kind=AssigneeKind.STAFF, user=world.users.staff)
    req = lifecycle.request_handle(actor=staff, req=req, result="已请法律顾问电话联系")
    url = reverse("portal:track", args=[req.token])
    client.post(reverse("portal:act", args=[req.token, "confirm"]), {"resolved": "yes", "score": "4", "note": "很及时"})
    page = client.get(url).content.decode()
    assert "已回访" not in page
    assert "您已确认问题解决" in page and "您的打分：4 分" in page and "很及时" in page


def test_staff_can_call_an_anonymous_requester_back_and_the_look_is_logged(world, client):
    """The request page showed the phone masked with no way to see it, yet asked staff to call."""
    from django.contrib.auth.models import AnonymousUser

    from dangjian.core.models import Event, EventAction

    category = ServiceCategory.objects.get(code="legal-advice")
    req = lifecycle.request_submit(
        actor=as_actor(AnonymousUser()),
        channel="web",
        category=category,
        description="房东不退押金",
        region=world.grid_a1,
        contact_name="刘女士",
        phone="13912345678",
    )
    url = reverse("servicedesk:request_contact", args=[req.pk])
    client.force_login(world.users.staff)
    page = client.get(reverse("servicedesk:request", args=[req.pk])).content.decode()
    assert "139****5678" in page and url in page and "13912345678" not in page
    shown = client.post(url, HTTP_HX_REQUEST="true")
    assert 'href="tel:13912345678"' in shown.content.decode()
    assert shown["Cache-Control"].startswith("private") and "no-store" in shown["Cache-Control"]
    event = Event.objects.get(action=EventAction.UNMASKED, target_id=req.pk)
    assert event.actor == world.users.staff
    client.force_login(world.users.outsider)  # community B's secretary
    assert client.post(url).status_code == 404


def test_the_desk_form_sent_twice_records_one_request(world, client):
    """A double click on 提交 recorded two requests (and two new people)."""
    client.force_login(world.users.staff)
    category = ServiceCategory.objects.get(code="sanitation")
    page = client.get(reverse("servicedesk:desk"))
    once = page.context["once"]
    data = {
        "new_name": "周九",
        "phone": "13655556666",
        "category": category.pk,
        "description": "楼道垃圾没人清",
        "channel": "phone",
        "region": world.grid_a2.pk,
        "once": once,
    }
    first = client.post(reverse("servicedesk:desk"), data)
    second = client.post(reverse("servicedesk:desk"), data)
    req = ServiceRequest.objects.get()
    assert first["Location"] == second["Location"] == reverse("servicedesk:request", args=[req.pk])
    assert Person.objects.filter(name="周九").count() == 1
    # A new form (a new token) records a new request, even with the same words.
    data["once"] = client.get(reverse("servicedesk:desk")).context["once"]
    client.post(reverse("servicedesk:desk"), {**data, "new_name": "", "phone": "", "person": req.requester_id})
    assert ServiceRequest.objects.count() == 2


def test_a_residents_double_tap_records_one_request(world, client):
    cache.clear()
    category = ServiceCategory.objects.get(code="sanitation")
    once = client.get(reverse("portal:submit")).context["once"]
    data = {
        "category": category.pk,
        "description": "路灯不亮",
        "region": world.community_a.pk,
        "phone": "13912345678",
        "once": once,
    }
    first, second = (client.post(reverse("portal:submit"), data) for _ in range(2))
    req = ServiceRequest.objects.get()
    assert first["Location"] == second["Location"] == reverse("portal:track", args=[req.token]) + "?new=1"


def test_the_queue_narrows_to_communities_and_grids_or_for_several_streets_to_streets_and_communities(world, client):
    """A district's thousand grids are no list to choose from: over several streets the queue
    offers the streets and their communities, within one street its communities and grids."""
    from dangjian.accounts.roles import Role
    from dangjian.orgs.models import Region
    from dangjian.orgs.trees import TreeBuilder
    from tests.factories import make_user

    def offered(user) -> list[str]:
        client.force_login(user)
        return [r.name for r in client.get(reverse("servicedesk:queue")).context["regions"]]

    assert offered(world.users.admin) == [
        world.community_a.name,
        world.grid_a1.name,
        world.grid_a2.name,
        world.community_b.name,
        world.grid_b1.name,
    ]
    builder = TreeBuilder(Region)
    builder.child_count[world.district.path] = Region.objects.filter(parent=world.district).count()
    other = builder.add(world.district, name="钢都街道", code="ST2", level="street")
    builder.save()
    root = make_user("district_root", Role.DISTRICT_ADMIN, world.district)
    assert offered(root) == [world.street.name, world.community_a.name, world.community_b.name, other.name]
    client.force_login(root)
    narrowed = client.get(reverse("servicedesk:queue"), {"region": world.street.pk})
    assert narrowed.status_code == 200 and f'value="{world.street.pk}" selected' in narrowed.content.decode()
