"""Reads for the roster import."""

from django.db.models import QuerySet

from dangjian.core.access import CREATE, restrict
from dangjian.core.actors import Actor
from dangjian.orgs.models import Organization, OrgKind


def import_targets(*, actor: Actor) -> QuerySet[Organization]:
    """The organisations the actor may import a roster into (those where they may record members;
    party groups are inside branches, not import targets). Empty: the import is not offered."""
    return restrict(Organization.objects.exclude(kind=OrgKind.GROUP), actor, CREATE).order_by("path")


def may_import(*, actor: Actor) -> bool:
    """Whether the import is offered (menu, roster button) and opens: the actor may record members
    somewhere. Read from the scope, without a query, since every membership page asks."""
    return actor.scope.superuser or bool(actor.scope.nodes(CREATE))
