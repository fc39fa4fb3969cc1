"""``allowed_loaded`` answers like ``allowed`` for records loaded with their rule's relations."""

import pytest

from dangjian.core.access import CONFIGURE, VIEW, allowed, allowed_loaded
from dangjian.orgs.models import Organization, Region
from tests.factories import as_actor

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["admin", "secretary", "staff", "branch", "liaison", "outsider", "member"])
@pytest.mark.parametrize("action", [VIEW, CONFIGURE])
def test_the_same_answer_as_the_database(world, role, action):
    actor = as_actor(getattr(world.users, role))
    for obj in [*Organization.objects.select_related("region"), *Region.objects.all()]:
        assert allowed_loaded(actor, action, obj) == allowed(actor, action, obj), (role, action, obj)
