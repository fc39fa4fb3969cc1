"""What the URL access cases are made of (tests/test_url_access.py and tests/url_cases/)."""

from collections.abc import Callable
from dataclasses import dataclass, field

ROLES = ("anonymous", "admin", "secretary", "staff", "branch", "member", "resident", "liaison", "outsider")
STAFF = ("admin", "secretary", "staff", "branch", "outsider")
EVERYONE = tuple(r for r in ROLES if r != "anonymous")
# Users beyond the world's nine, made only for the cases that name them in their statuses (the
# world's "admin" is a street admin): what only the root of the region tree may do.
BEYOND = ("district", "superuser")


def beyond_user(role: str, world):
    """``district``: the district/street admin role at the root of the region tree (青山区);
    ``superuser``: a superuser without any grant."""
    from dangjian.accounts.models import User
    from dangjian.accounts.roles import Role
    from tests.factories import PASSWORD, make_user

    if role == "district":
        return make_user("admin_district", Role.DISTRICT_ADMIN, world.district)
    if role == "superuser":
        return User.objects.create_superuser(username="root", password=PASSWORD)
    raise ValueError(role)


def expect(default: int, anonymous: int = 302, **overrides: int) -> dict[str, int]:
    statuses = dict.fromkeys(EVERYONE, default)
    statuses["anonymous"] = anonymous
    statuses.update(overrides)
    return statuses


@dataclass
class Case:
    name: str  # URL name
    describe: str
    url: Callable = field(repr=False)  # (world) -> path
    statuses: dict[str, int] = field(default_factory=dict)
    method: str = "get"
    data: Callable | None = field(default=None, repr=False)


def only(roles: tuple[str, ...], yes: int, no: int = 404, anonymous: int = 302) -> dict[str, int]:
    statuses = {role: (yes if role in roles else no) for role in EVERYONE}
    statuses["anonymous"] = anonymous
    return statuses
