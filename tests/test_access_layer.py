"""The access layer's finer points: grants at the root, nullable relations, own records,
filtering through a relation, and the cached workbench figures."""

import datetime as dt

import pytest
from django.test import TestCase
from django.urls import reverse

from dangjian.accounts.roles import Role
from dangjian.core.access import VIEW, q_for, restrict, restrict_via
from dangjian.people.models import Member, Person
from tests.factories import as_actor, make_member, make_person, make_user

pytestmark = pytest.mark.django_db


def test_a_grant_at_the_root_of_the_only_tree_needs_no_filter(world):
    root_admin = make_user("district_root", Role.DISTRICT_ADMIN, world.district)
    assert q_for(Person, as_actor(root_admin).scope, VIEW) is None
    assert set(restrict(Person.objects.all(), as_actor(root_admin))) == set(Person.objects.all())


def test_a_root_grant_through_a_nullable_relation_still_needs_the_relation(world):
    """A branch secretary at the top organisation sees members only, never all residents."""
    top = make_user("top_branch", Role.BRANCH_SECRETARY, world.working)
    visible = set(restrict(Person.objects.all(), as_actor(top)))
    assert visible == {m.person for m in Member.objects.all()}
    assert world.zhang not in visible


def test_own_records_branch_is_left_out_when_a_grant_covers_them(world):
    """The secretary lives in community A: no OR with "own person" in the filter."""
    make_person(world.users.admin, world.grid_a1, "书记本人").user = None
    person = Person.objects.get(name="书记本人")
    person.user = world.users.secretary
    person.save()
    scope = as_actor(world.users.secretary).scope
    assert scope.person_id == person.pk
    assert "pk" not in str(q_for(Person, scope, VIEW))
    # …but kept for someone whose own record lies outside their grant.
    outsider_home = make_person(world.users.admin, world.grid_a2, "住在A社区的B书记")
    outsider_home.user = world.users.outsider
    outsider_home.save()
    scope_b = as_actor(world.users.outsider).scope
    assert f"('pk', {outsider_home.pk})" in str(q_for(Person, scope_b, VIEW))
    assert outsider_home in restrict(Person.objects.all(), as_actor(world.users.outsider))


def test_restrict_via_filters_through_a_relation(world):
    members = restrict_via(Member.objects.all(), "person", as_actor(world.users.secretary))
    assert {m.person.name for m in members} == {"赵六", "李四"}
    assert set(restrict_via(Member.objects.all(), "person", as_actor(world.users.outsider))) == {world.sun.member}
    assert not restrict_via(Member.objects.all(), "person", as_actor(world.users.liaison)).exists()


def test_workbench_figures_are_cached_per_scope_and_say_when(world, client):
    client.force_login(world.users.secretary)
    first = client.get(reverse("dashboard:workbench"))
    assert first.context["figures"]["people"] == 4
    make_person(world.users.secretary, world.grid_a1, "新登记")
    cached = client.get(reverse("dashboard:workbench"))
    assert cached.context["figures"]["people"] == 4  # still the counted figure…
    assert cached.context["counted_at"] == first.context["counted_at"]
    listed = client.get(reverse("people:list"))
    assert listed.context["page"].paginator.count == 5  # …while the list is live
    client.force_login(world.users.outsider)  # another scope, another entry
    assert client.get(reverse("dashboard:workbench")).context["figures"]["people"] == 2


def test_expired_figures_are_shown_with_their_time_while_one_task_counts_afresh(world, client):
    """After FIGURES_CACHE_SECONDS the workbench does not wait for a new count: it shows the last
    one (saying when it was counted) and one background task per scope counts again."""
    import time_machine
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from dangjian.dashboard.tasks import recount_workbench_figures

    client.force_login(world.users.secretary)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = client.get(reverse("dashboard:workbench"))
    assert first.context["figures"]["people"] == 4
    make_person(world.users.secretary, world.grid_a1, "新登记")
    later = start + dt.timedelta(seconds=121)
    with time_machine.travel(later, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        stale = client.get(reverse("dashboard:workbench"))
        again = client.get(reverse("dashboard:workbench"))  # a second visit: no second task
    assert stale.context["figures"]["people"] == again.context["figures"]["people"] == 4
    assert stale.context["counted_at"] == first.context["counted_at"]
    tasks = list(DBTaskResult.objects.filter(task_path__endswith="recount_workbench_figures"))
    assert [t.args_kwargs["args"] for t in tasks] == [[world.users.secretary.pk, "zh-hans"]]
    recount_workbench_figures.call(world.users.secretary.pk, "zh-hans")  # what the worker runs
    fresh = client.get(reverse("dashboard:workbench"))
    assert fresh.context["figures"]["people"] == 5
    assert fresh.context["counted_at"] > first.context["counted_at"]


def test_figures_counted_days_ago_are_shown_with_their_day_while_a_task_counts_afresh(world, client):
    """Figures are kept a week: a scope seen again after a weekend gets the last count at once,
    dated, and a background count, instead of waiting for a count of the whole scope."""
    import time_machine
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    client.force_login(world.users.secretary)
    friday = timezone.now()
    with time_machine.travel(friday, tick=False):
        counted = client.get(reverse("dashboard:workbench"))
    monday = friday + dt.timedelta(days=3)
    with (
        time_machine.travel(monday, tick=False),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        client.force_login(world.users.secretary)  # a new session: the last one has expired
        with CaptureQueriesContext(connection) as queries:
            seen = client.get(reverse("dashboard:workbench"))
    assert seen.context["counted_at"] == counted.context["counted_at"]
    assert not any("people_person_tags" in q["sql"] for q in queries.captured_queries)  # not counted now
    day = timezone.localtime(friday).strftime("%Y-%m-%d")
    assert f"以下数字统计于 {day} " in seen.content.decode()
    assert DBTaskResult.objects.filter(task_path__endswith="recount_workbench_figures").count() == 1


def test_the_nightly_warm_up_counts_each_staff_scope_that_signed_in_lately(world, client):
    """manage.py workbench_warm: the figures of every recent staff user's scope are counted once
    and kept, so that their first visit reads them instead of counting."""
    from io import StringIO

    from django.core.cache import cache, caches
    from django.core.cache.backends.locmem import LocMemCache
    from django.core.management import CommandError, call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from dangjian.accounts.models import User
    from dangjian.dashboard import selectors

    recently, long_ago = timezone.now() - dt.timedelta(days=2), timezone.now() - dt.timedelta(days=90)
    users = world.users
    User.objects.filter(pk__in=[users.secretary.pk, users.staff.pk, users.admin.pk, users.resident.pk]).update(
        last_login=recently
    )
    User.objects.filter(pk=users.outsider.pk).update(last_login=long_ago)
    cache.clear()
    out, err = StringIO(), StringIO()
    call_command("workbench_warm", stdout=out, stderr=err)
    # With the process's own cache (no REDIS_URL) the command says that the site will not see them.
    assert ("no REDIS_URL" in err.getvalue()) == isinstance(caches["default"], LocMemCache)
    assert "for 2 scopes" in out.getvalue()  # the community (secretary and staff share it) and the street

    def kept(user) -> bool:
        actor = as_actor(User.objects.get(pk=user.pk))
        return cache.get(selectors.figures_key(actor=actor)) is not None

    assert kept(users.secretary) and kept(users.staff) and kept(users.admin)
    assert not kept(users.outsider)  # not signed in for 90 days
    client.force_login(users.secretary)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("dashboard:workbench"))
    assert response.context["figures"]["people"] == 4
    assert not any("people_person_tags" in q["sql"] for q in queries.captured_queries)  # read, not counted
    with pytest.raises(CommandError):
        call_command("workbench_warm", "--days", "0")


def test_members_figure_equals_the_list_it_links_to(world, client):
    client.force_login(world.users.secretary)
    figures = client.get(reverse("dashboard:workbench")).context["figures"]
    members = client.get(reverse("people:list"), {"member": "yes"}).context["page"].paginator.count
    probationary = client.get(reverse("people:list"), {"member": "probationary"}).context["page"].paginator.count
    assert (figures["members"], figures["probationary"]) == (members, probationary) == (2, 1)
    make_member(world.qian, world.branch_a2)
    from django.core.cache import cache

    cache.clear()
    figures = client.get(reverse("dashboard:workbench")).context["figures"]
    assert figures["members"] == client.get(reverse("people:list"), {"member": "yes"}).context["page"].paginator.count


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("secretary", True),
        ("branch", True),
        ("admin", True),
        ("member", False),
        ("resident", False),
        ("liaison", False),
    ],
)
def test_navigation_offers_tree_pages_only_to_those_with_tree_grants(world, client, role, shown):
    client.force_login(getattr(world.users, role))
    nav = client.get(reverse("dashboard:workbench")).content.decode().split('class="sidenav"')[1].split("</nav>")[0]
    assert (reverse("dashboard:org_tree") in nav) is shown
    assert (reverse("people:list") in nav) is shown
