"""Reads for account administration: the staff accounts and role grants an admin may manage.

An admin manages the grants given at nodes they may GRANT at (their region subtree, with the
party organisations and resident units in it), and so the accounts holding them. Each node kind
is restricted by its own access rule, so a community secretary sees the branch secretaries of the
community's organisations as well as its staff.
"""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dangjian.accounts.models import RoleGrant, RoleGrantQuerySet, User
from dangjian.accounts.roles import GRANT, STAFF_ROLES, Role
from dangjian.core.actors import Actor
from dangjian.core.conf import config
from dangjian.core.events import events_for, labelled_changes
from dangjian.core.models import Event
from dangjian.core.paging import PrimaryKeyPaginator
from dangjian.orgs.models import Organization, Region, ResidentUnit

USERS_PER_PAGE = 50


def managed_grants(*, actor: Actor) -> RoleGrantQuerySet:
    """Every grant (in force, future or ended) given at a node the actor may GRANT at."""
    if actor.system or actor.scope.superuser:
        return RoleGrant.objects.exclude(region=None, organization=None, unit=None)
    if not actor.scope.can(GRANT):
        return RoleGrant.objects.none()
    return RoleGrant.objects.filter(
        Q(region__in=Region.objects.restrict(actor, GRANT))
        | Q(organization__in=Organization.objects.restrict(actor, GRANT))
        | Q(unit__in=ResidentUnit.objects.restrict(actor, GRANT))
    )


@dataclass(frozen=True)
class UserFilters:
    q: str = ""
    role: str = ""
    status: str = "active"  # active | inactive | "" (all)


def managed_users(*, actor: Actor, filters: UserFilters | None = None) -> QuerySet[User]:
    """The accounts holding a grant the actor manages, each with ``in_force``: those of the grants in
    force today."""
    filters = filters or UserFilters()
    grants = managed_grants(actor=actor)
    # A role filter asks who holds the role now; without it, everyone who ever held one here.
    keys = grants.active(actor.today).filter(role=filters.role) if filters.role else grants
    users = User.objects.filter(pk__in=keys.values("user_id"), is_superuser=False)
    if filters.q:
        q = filters.q.strip()
        users = users.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(first_name__icontains=q))
    if filters.status == "active":
        users = users.filter(is_active=True)
    elif filters.status == "inactive":
        users = users.filter(is_active=False)
    shown = grants.active(actor.today).select_related("region", "organization", "unit").order_by("-starts_on", "-pk")
    return users.prefetch_related(Prefetch("grants", queryset=shown, to_attr="in_force")).order_by("username")


def users_page(*, actor: Actor, filters: UserFilters, number: str | None) -> Page:
    return PrimaryKeyPaginator(managed_users(actor=actor, filters=filters), USERS_PER_PAGE).get_page(number)


def managed_user(*, actor: Actor, pk: int) -> User:
    """One account the actor manages (404 otherwise: out of scope, it does not exist for them)."""
    user = managed_users(actor=actor, filters=UserFilters(status="")).filter(pk=pk).first()
    if user is None:
        raise Http404
    return user


def managed_grant(*, actor: Actor, user: User, pk: int) -> RoleGrant:
    grant = managed_grants(actor=actor).filter(user=user, pk=pk).select_related("region", "organization", "unit")
    found = grant.first()
    if found is None:
        raise Http404
    return found


def account_grants(*, actor: Actor, user: User) -> list[RoleGrant]:
    """``user``'s grants that the actor manages, in force first, each with its ``state`` today."""
    order = {"in_force": 0, "future": 1, "ended": 2}
    grants = list(
        managed_grants(actor=actor)
        .filter(user=user)
        .select_related("region", "organization", "unit", "granted_by", "ended_by")
        .order_by("-starts_on", "-pk")
    )
    for grant in grants:
        grant.state = grant.state_on(actor.today)
    return sorted(grants, key=lambda grant: order[grant.state])


def account_events(*, user: User, limit: int = 50) -> list[Event]:
    """The account's own history (grants, endings, sign-in links, deactivation), newest first,
    each with ``rows`` = [(label, old, new)]. Callers have checked that the actor manages ``user``."""
    labels = {
        "role": _("Role"),
        "node": pgettext("role grant", "Where"),
        "starts_on": pgettext("role grant", "From"),
        "ends_on": _("Ends on"),
        "username": _("Login name"),
        "is_active": _("Active"),
        "sign_in_link": _("Sign-in link"),
        "two_factor": _("Two-factor login"),
    }
    choices: dict[str, dict[str, Any]] = {
        "role": dict(Role.choices),
        "sign_in_link": {"issued": _("issued"), "used": _("used")},
    }
    events = list(events_for(user).order_by("-occurred_at", "-pk")[:limit])
    for event in events:
        event.rows = labelled_changes(event, labels, choices)  # type: ignore[attr-defined]  # for the template
    return events


def staff_role_choices() -> list[tuple[str, Any]]:
    return [(role.value, role.label) for role in Role if role in STAFF_ROLES or role == Role.PARTNER_LIAISON]


def two_factor_required(*, actor: Actor) -> bool:
    """Whether the actor holds a role that must sign in with two-factor login and has not set it
    up yet (core/conf.py TWO_FACTOR_ROLES)."""
    user = actor.user
    if user is None or user.two_factor_enabled:
        return False
    roles = config().two_factor_roles
    return bool(roles) and actor.scope.has_role(*roles)
