"""List and overview pages run a fixed number of queries, whatever the amount of data."""

import datetime as dt

import pytest
from django.contrib.auth import get_user
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core.notifications import unread_count
from dangjian.orgs.models import Organization, OrgKind
from dangjian.orgs.trees import TreeBuilder
from tests.factories import as_actor, make_id_number, make_member, make_person

pytestmark = pytest.mark.django_db

PAGES = [
    ("people list", lambda w: reverse("people:list"), 10),
    ("people search", lambda w: reverse("people:list") + "?q=zs", 10),
    # A name: the two branches (name, given name) are counted and paged as a union, the page's
    # keys read by a query of their own (core.paging).
    ("people name search", lambda w: reverse("people:list") + "?q=张", 10),
    ("people filtered", lambda w: reverse("people:list") + f"?tag={w.lonely.pk}&age=35-59&member=no", 10),
    ("org tree", lambda w: reverse("dashboard:org_tree"), 10),
    ("org detail", lambda w: reverse("dashboard:org_detail", args=[w.committee_a.pk]), 12),
    ("region tree", lambda w: reverse("dashboard:region_tree"), 10),
    ("region detail", lambda w: reverse("dashboard:region_detail", args=[w.community_a.pk]), 13),  # + resident units
    # 12 + the members six months behind with dues (cached with the figures) + the transfers to
    # accept or approve (live) + development deadlines (candidates; with any, 3 more: their steps,
    # the people on the steps and which of them are full members) + members due for a care visit.
    # + the volunteering to-dos: claims, records and wishes waiting, nominations for the street to review.
    # + the classifications and merges waiting for the user's sign-off (one query when none waits).
    ("workbench", lambda w: reverse("dashboard:workbench"), 23),
    ("member roster", lambda w: reverse("membership:list"), 10),
    ("member roster filtered", lambda w: reverse("membership:list") + "?stage=full&category=employed&q=zhao", 10),
    ("roster on a date", lambda w: reverse("membership:list") + f"?org={w.branch_a1.pk}&on=2020-01-01", 13),
    ("composition", lambda w: reverse("membership:composition") + f"?org={w.committee_a.pk}", 8),
    ("dues bill", lambda w: reverse("membership:dues_bill") + f"?org={w.committee_a.pk}&month=2026-10", 13),
    ("dues arrears", lambda w: reverse("membership:dues_arrears") + f"?org={w.committee_a.pk}", 10),
    ("transfers", lambda w: reverse("membership:transfers") + "?state=", 8),
    ("member detail", lambda w: reverse("membership:detail", args=[w.zhao.member.pk]), 11),
    ("member dues", lambda w: reverse("membership:member_dues", args=[w.zhao.member.pk]), 10),
    ("development board", lambda w: reverse("membership:development"), 9),
    ("mobile members", lambda w: reverse("membership:mobile"), 8),
    ("community reports", lambda w: reverse("membership:reports"), 6),
    ("care", lambda w: reverse("membership:care"), 7),
    ("appraisal", lambda w: reverse("membership:appraisal") + f"?org={w.branch_a1.pk}&year=2026", 11),
    ("service catalogue", lambda w: reverse("servicedesk:catalogue"), 6),
    ("person detail", lambda w: reverse("people:detail", args=[w.zhang.pk]), 12),
    # The desk: its grids, the services, the phrase lists in force, the worker's recent texts and
    # the estates of their grids, whatever the number of services, lists and households.
    ("desk", lambda w: reverse("servicedesk:desk"), 12),
]


def _count(client, url: str) -> int:
    cache.clear()  # measure the uncached page (the workbench caches its figures)
    # ...but not the header's unread count, kept per user for minutes and dropped only when a
    # notice arrives or is read (core.notifications.unread_count): one page in many counts it.
    user = get_user(client)
    if user.is_authenticated:
        unread_count(actor=as_actor(user))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _grow(world) -> None:
    """Add people, members, tags and organisations everywhere in community A."""
    admin = world.users.admin
    for i in range(30):
        person = make_person(
            admin,
            world.grid_a1 if i % 2 else world.grid_a2,
            f"张{i}号",
            id_number=make_id_number(dt.date(1960 + i, 1, 1 + i % 28)),
            phone=f"1381234{i:04d}",
            tags=[world.lonely],
        )
        if i % 3 == 0:
            make_member(person, world.branch_a2 if i % 2 else world.branch_a1)
    builder = TreeBuilder(Organization)
    builder.child_count[world.committee_a.path] = 2
    for i in range(5):
        builder.add(world.committee_a, name=f"新支部{i}", code=f"PAX{i}", kind=OrgKind.BRANCH, region=world.community_a)
    for node in builder.nodes:
        node.region_id = node.region.pk
    builder.save()


@pytest.mark.parametrize("role", ["secretary", "admin"])
def test_query_counts_do_not_grow_with_data(world, client, role):
    client.force_login(getattr(world.users, role))
    for _name, url, _limit in PAGES:  # warm the process-wide ContentType cache, as in production
        _count(client, url(world))
    before = {name: _count(client, url(world)) for name, url, _limit in PAGES}
    _grow(world)
    after = {name: _count(client, url(world)) for name, url, _limit in PAGES}
    assert after == before
    for name, _url, limit in PAGES:
        assert after[name] <= limit, f"{name}: {after[name]} queries (limit {limit})"


def test_tree_pages_do_not_grow_with_the_number_of_top_nodes(world, client):
    """One community, or two (two roots in the tree): the same number of queries."""
    from dangjian.accounts.roles import Role
    from dangjian.accounts.services import grant_role
    from tests.factories import make_user

    one = make_user("one_community", Role.COMMUNITY_SECRETARY, world.community_a)
    two = make_user("two_communities", Role.COMMUNITY_SECRETARY, world.community_a)
    grant_role(actor=as_actor(None), user=two, role=Role.COMMUNITY_SECRETARY, node=world.community_b)
    for url in (reverse("dashboard:org_tree"), reverse("dashboard:region_tree"), reverse("dashboard:workbench")):
        client.force_login(one)
        single = _count(client, url)
        client.force_login(two)
        double = _count(client, url)
        assert single == double, url
        body = client.get(url).content.decode()
        if "orgs" in url:
            assert "红钢城社区党委" in body and "钢花村社区党委" in body


def test_the_notifications_page_does_not_grow_with_the_notices(world, client):
    """One notice or forty in several groups (kinds that fold into one line, and others): the same
    number of queries."""
    from dangjian.core.notifications import notify

    user = world.users.secretary
    client.force_login(user)

    def send(start: int, n: int) -> None:
        for i in range(start, start + n):
            kind = "request_overdue" if i % 2 else "request_dispatched"
            params = {"number": f"2026-{i:07d}", "category": "测试", "community": "红钢城社区", "due": "10:00"}
            notify(recipients=[user.pk], kind=kind, key=f"test-{i}", params=params, url="/services/requests/")

    send(0, 1)
    url = reverse("dashboard:notifications")
    _count(client, url)
    one = _count(client, url)
    send(1, 40)
    assert _count(client, url) == one
    assert one <= 5, one


def test_the_public_services_page_does_not_grow_with_the_catalogue(world, client):
    """The residents' list of services and their time limits (no sign-in), with the shipped
    catalogue and with ten more services."""
    from dangjian.servicedesk.models import ServiceCategory

    url = reverse("portal:services")
    _count(client, url)
    before = _count(client, url)
    for i in range(10):
        ServiceCategory.objects.create(
            code=f"extra-{i}",
            family="convenience" if i % 2 else "party",
            name=f"新增服务{i}",
            response_target=2,
            response_unit="hours",
            resolution_target=3,
            resolution_unit="days",
        )
    assert _count(client, url) == before
    assert before <= 3, before


def test_the_phrase_lists_page_does_not_grow_with_the_lists(world, client):
    """The street's lists, none or one for every field and service: the same number of queries."""
    from dangjian.phrases.registry import phrase_fields
    from dangjian.phrases.services import phrase_list_save

    client.force_login(world.users.admin)
    url = reverse("phrases:manage")
    _count(client, url)
    before = _count(client, url)
    actor = as_actor(world.users.admin)
    for phrase in phrase_fields():
        for variant in [v.code for v in phrase.variants()] if phrase.variants else [""]:
            for region in (world.district, world.street):
                if region == world.district:
                    continue  # the street admin configures the street only
                phrase_list_save(actor=actor, region=region, key=phrase.key, variant=variant, text="一\n二")
    assert _count(client, url) == before <= 8
