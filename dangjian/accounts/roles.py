"""Who may do what: the role matrix (DESIGN.md §2). The one place to read or change it.

A role is granted at a node of the region tree, the organisation tree or at a resident unit,
and covers that node's subtree. Members and residents have no node: they act on their own
records only (the ``person`` lookup of each access rule).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import CHANGE, CONFIGURE, CREATE, EXPORT, UNMASK, VIEW

GRANT = "grant"  # give roles to others inside one's scope


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("District/street admin")
    COMMUNITY_SECRETARY = "community_secretary", _("Community secretary")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    BRANCH_SECRETARY = "branch_secretary", _("Branch secretary")
    MEMBER = "member", _("Party member")
    RESIDENT = "resident", _("Resident")
    PARTNER_LIAISON = "partner_liaison", _("Partner liaison")


class NodeKind(models.TextChoices):
    REGION = "region", _("Region")
    ORGANIZATION = "organization", _("Party organisation")
    UNIT = "unit", _("Resident unit")
    NONE = "none", _("Own records only")


# role → the kind of node it is granted at, and the actions it allows in that subtree.
ROLE_NODE: dict[str, str] = {
    Role.DISTRICT_ADMIN: NodeKind.REGION,
    Role.COMMUNITY_SECRETARY: NodeKind.REGION,
    Role.COMMUNITY_STAFF: NodeKind.REGION,
    Role.BRANCH_SECRETARY: NodeKind.ORGANIZATION,
    Role.MEMBER: NodeKind.NONE,
    Role.RESIDENT: NodeKind.NONE,
    Role.PARTNER_LIAISON: NodeKind.UNIT,
}

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset({VIEW, CHANGE, CREATE, EXPORT, UNMASK, CONFIGURE, GRANT}),
    Role.COMMUNITY_SECRETARY: frozenset({VIEW, CHANGE, CREATE, EXPORT, UNMASK, GRANT}),
    # Staff take requests by phone and at the desk, so they may see a full number (logged),
    # but bulk export stays with the secretary.
    Role.COMMUNITY_STAFF: frozenset({VIEW, CHANGE, CREATE, UNMASK}),
    Role.BRANCH_SECRETARY: frozenset({VIEW, CHANGE}),
    Role.MEMBER: frozenset(),
    Role.RESIDENT: frozenset(),
    Role.PARTNER_LIAISON: frozenset({VIEW}),
}

STAFF_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.COMMUNITY_SECRETARY, Role.COMMUNITY_STAFF, Role.BRANCH_SECRETARY})

# Who may give which role (DESIGN.md §2), at nodes inside the subtree of their own grant of the
# giving role. A street or district admin appoints secretaries and admins of their area; a
# community secretary appoints the community's staff, its branch secretaries and the liaisons of
# its resident units. Member and resident "roles" follow from the records (the roster, a
# resident's registration), not from an appointment: nobody grants them by hand.
GRANTABLE: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset(
        {
            Role.DISTRICT_ADMIN,
            Role.COMMUNITY_SECRETARY,
            Role.COMMUNITY_STAFF,
            Role.BRANCH_SECRETARY,
            Role.PARTNER_LIAISON,
        }
    ),
    Role.COMMUNITY_SECRETARY: frozenset({Role.COMMUNITY_STAFF, Role.BRANCH_SECRETARY, Role.PARTNER_LIAISON}),
}

APPOINTED_ROLES = frozenset(role for roles in GRANTABLE.values() for role in roles)


def granters_of(role: str) -> frozenset[str]:
    """The roles whose holders may give ``role`` (in their own subtree)."""
    return frozenset(giver for giver, given in GRANTABLE.items() if role in given)
