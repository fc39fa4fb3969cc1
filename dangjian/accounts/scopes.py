"""Builds a user's Scope from their active role grants (registered with core.access), and says
whether a scope reaches over the whole region tree."""

from collections import defaultdict

from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.roles import ROLE_ACTIONS
from dangjian.core.access import NodeSet, Scope, minimal_paths, self_paths_for
from dangjian.core.models import PATH_STEP
from dangjian.orgs.models import Region


def build_scope(user: User) -> Scope:
    """One query for the grants (with their node paths), one for the linked person."""
    regions: dict[str, set[str]] = defaultdict(set)
    orgs: dict[str, set[str]] = defaultdict(set)
    units: dict[str, set[int]] = defaultdict(set)
    roles: set[str] = set()
    grants = (
        RoleGrant.objects.active()
        .filter(user=user)
        .values_list("role", "region__path", "organization__path", "unit_id")
    )
    for role, region_path, org_path, unit_id in grants:
        roles.add(role)
        for action in ROLE_ACTIONS.get(role, ()):
            if region_path:
                regions[action].add(region_path)
            if org_path:
                orgs[action].add(org_path)
            if unit_id:
                units[action].add(unit_id)
    actions = set(regions) | set(orgs) | set(units)
    person_id, self_paths = self_paths_for(user)
    return Scope(
        user_id=user.pk,
        person_id=person_id,
        self_paths=self_paths,
        superuser=user.is_superuser,
        roles=frozenset(roles),
        grants={
            action: NodeSet(
                region_paths=minimal_paths(regions[action]),
                org_paths=minimal_paths(orgs[action]),
                unit_ids=tuple(sorted(units[action])),
            )
            for action in actions
        },
        # Every node held, before minimal_paths keeps the widest (each role at a node has an action).
        held=NodeSet(
            region_paths=tuple(sorted(set().union(*regions.values()))),
            org_paths=tuple(sorted(set().union(*orgs.values()))),
            unit_ids=tuple(sorted(set().union(*units.values()))),
        ),
    )


def covers_region_tree(scope: Scope, action: str) -> bool:
    """Whether ``scope`` may ``action`` over the whole region tree: a superuser, or grants for
    ``action`` at every root of it (the district). Configuration that applies everywhere (the
    service catalogue, the business calendar) needs this; a grant at a street covers that
    street only, whatever the role. One query, none unless a grant sits at a root."""
    if scope.superuser:
        return True
    granted = scope.nodes(action)
    if not any(len(path) == PATH_STEP for path in granted.region_paths):  # a root's path is one step
        return False
    roots = tuple(Region.objects.filter(parent__isnull=True).values_list("path", flat=True))
    return bool(roots) and granted.covers(NodeSet(region_paths=roots))
