"""URL access cases of the service desk's measures (see tests/test_url_access.py).

Staff roles with a node in the region or organisation tree see the measures of their scope; a
node outside it does not exist for them (404). Members, residents and liaisons have no such
node: the pages do not exist for them. Exports are for those who may export.
"""

from collections.abc import Callable

from django.urls import reverse

from tests.url_access_base import Case, only

_SEES = ("admin", "secretary", "staff", "branch", "outsider")


def _rates(name: str, **query) -> Callable:
    def url(world) -> str:
        values = {key: (value(world) if callable(value) else value) for key, value in query.items()}
        return reverse(f"servicedesk:rates:{name}") + (
            "?" + "&".join(f"{k}={v}" for k, v in values.items()) if values else ""
        )

    return url


def _a(world):
    return world.community_a.pk


def _b(world):
    return world.community_b.pk


CASES: list[Case] = [
    Case("servicedesk:rates:index", "measures of the user's own scope", _rates("index"), only(_SEES, 200)),
    Case(
        "servicedesk:rates:index",
        "measures of community A by grid, for a month",
        _rates("index", node=_a, level="grid", period="2026-10", measure="satisfaction"),
        only(("admin", "secretary", "staff", "branch"), 200),
    ),
    Case(
        "servicedesk:rates:index",
        "community B is out of A's scope",
        _rates("index", node=_b),
        only(("admin", "outsider"), 200),
    ),
    Case(
        "servicedesk:rates:requests",
        "the requests behind community A's response rate",
        _rates("requests", node=_a, measure="response", part="denominator"),
        only(("admin", "secretary", "staff", "branch"), 200),
    ),
    Case(
        "servicedesk:rates:requests",
        "the requests behind community B's repeat rate",
        _rates("requests", node=_b, measure="repeat", part="numerator"),
        only(("admin", "outsider"), 200),
    ),
    Case(
        "servicedesk:rates:export",
        "export the measures of the own scope (those who may export)",
        _rates("export"),
        only(("admin", "secretary", "outsider"), 200),
        method="post",
    ),
    Case(
        "servicedesk:rates:export",
        "export community B's measures",
        _rates("export"),
        only(("admin", "outsider"), 200),
        method="post",
        data=lambda w: {"node": w.community_b.pk, "period": "2026"},
    ),
    Case(
        "servicedesk:rates:classified",
        "classified requests of the own scope",
        _rates("classified"),
        only(_SEES, 200),
    ),
    Case(
        "servicedesk:rates:classified",
        "classified requests of community B",
        _rates("classified", node=_b),
        only(("admin", "outsider"), 200),
    ),
]
