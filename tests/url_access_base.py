"""What the URL access cases are made of (tests/test_url_access.py and tests/url_cases/)."""

from collections.abc import Callable
from dataclasses import dataclass, field

ROLES = ("anonymous", "admin", "secretary", "staff", "branch", "member", "resident", "liaison", "outsider")
STAFF = ("admin", "secretary", "staff", "branch", "outsider")
EVERYONE = tuple(r for r in ROLES if r != "anonymous")


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
