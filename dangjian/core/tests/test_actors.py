"""Who acts: the Actor built per request, per API key, per job and for the system (issue #9)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.accounts.models import RoleGrant
from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor, ActorMiddleware
from dangjian.core.conf import override
from dangjian.core.events import record_event
from dangjian.core.jobs import job_actor
from dangjian.core.models import Event, EventAction, Job
from dangjian.people.models import Person
from dangjian.servicedesk.models import ServiceCategory
from dangjian.servicedesk.requests import lifecycle
from tests.factories import as_actor

pytestmark = pytest.mark.django_db


def _middleware(user, **meta):
    request = RequestFactory().get("/", **meta)
    request.user = user
    seen = {}
    ActorMiddleware(lambda r: seen.setdefault("actor", r.actor))(request)
    return seen["actor"]


def test_the_middleware_builds_the_actor_on_first_use_and_its_scope_once(world):
    with CaptureQueriesContext(connection) as built:
        actor = _middleware(world.users.staff, REMOTE_ADDR="10.1.2.3")
    assert len(built) == 0  # nothing is asked of the database until someone needs the scope
    assert (actor.user, actor.ip, actor.via, actor.is_authenticated) == (world.users.staff, "10.1.2.3", "web", True)
    assert actor.scope.can(VIEW)
    with CaptureQueriesContext(connection) as again:
        assert actor.scope.can(VIEW) and actor.person_id == actor.scope.person_id
    assert len(again) == 0


def test_an_anonymous_visitor_is_an_actor_without_a_user_or_scope():
    actor = _middleware(AnonymousUser(), REMOTE_ADDR="10.0.0.9")
    assert (actor.user, actor.user_id, actor.person_id, actor.is_authenticated) == (None, None, None, False)
    assert not actor.scope.can(VIEW)


def test_the_access_layer_refuses_a_bare_user(world):
    with pytest.raises(TypeError, match="takes an Actor"):
        restrict(Person.objects.all(), world.users.staff, VIEW)


def test_the_address_of_an_event_comes_from_the_actor_behind_the_proxy(world, client, settings):
    settings.DANGJIAN = override(PROXY_COUNT=1)
    category = ServiceCategory.objects.get(code="legal-advice")
    req = lifecycle.request_submit(
        actor=as_actor(world.users.staff),
        channel="desk",
        category=category,
        description="楼道灯坏了",
        region=world.grid_a1,
        requester=world.zhang,
    )
    client.force_login(world.users.staff)
    response = client.post(
        reverse("servicedesk:request_act", args=[req.pk, "accept"]),
        {"version": req.version},
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
        REMOTE_ADDR="127.0.0.1",
    )
    assert response.status_code == 302
    event = Event.objects.filter(target_id=req.pk, changes__state__1="accepted").get()
    assert (event.actor, event.ip_address) == (world.users.staff, "203.0.113.7")


def test_the_system_acts_everywhere_and_its_events_name_nobody(world):
    system = Actor.for_system(via="sweep")
    assert restrict(Person.objects.all(), system, VIEW).count() == Person.objects.count()
    event = record_event(actor=system, action=EventAction.UPDATED, target=world.zhang)
    assert (event.actor, event.ip_address) == (None, None)
    assert not system.is_authenticated and system.person_id is None


def test_a_job_acts_with_the_rights_its_user_has_when_it_runs(world):
    job = Job.objects.create(kind="test", label="test", params={}, created_by=world.users.staff)
    assert job_actor(job).scope.can(VIEW) and job_actor(job).via == "job"
    RoleGrant.objects.filter(user=world.users.staff).delete()
    assert not job_actor(job).scope.can(VIEW)  # a right revoked after the job was queued is gone


def test_an_actors_scope_can_be_forgotten_after_its_grants_change(world):
    actor = as_actor(world.users.staff)
    assert actor.scope.can(VIEW)
    RoleGrant.objects.filter(user=world.users.staff).delete()
    assert actor.scope.can(VIEW)  # held for the request
    actor.forget_scope()
    assert not actor.scope.can(VIEW)
