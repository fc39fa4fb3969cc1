"""URL access cases of the quick-phrase lists (see tests/test_url_access.py).

A list belongs to a district or a street and is edited by whoever holds the configure right
there: the world's ``admin`` (the street), ``district`` (the root) and a superuser. Everyone else
gets 404, and the street admin gets 404 for the district's own list."""

from django.urls import reverse

from tests.url_access_base import Case, only


def _admins(yes: int) -> dict[str, int]:
    return {**only(("admin",), yes), "district": yes, "superuser": yes}


CASES: list[Case] = [
    Case("phrases:manage", "the phrase lists of one's street", lambda w: reverse("phrases:manage"), _admins(200)),
    Case(
        "phrases:manage",
        "the phrase lists of the street, named",
        lambda w: reverse("phrases:manage") + f"?region={w.street.pk}",
        _admins(200),
    ),
    Case(
        "phrases:manage",
        "the district's own lists: not a street admin's",
        lambda w: reverse("phrases:manage") + f"?region={w.district.pk}",
        {**only((), 200), "district": 200, "superuser": 200},
    ),
    Case(
        "phrases:manage",
        "save the street's 办结说明 phrases",
        lambda w: reverse("phrases:manage"),
        _admins(302),
        method="post",
        data=lambda w: {"region": w.street.pk, "key": "servicedesk.result", "variant": "", "text": "已上门解决"},
    ),
    Case(
        "phrases:manage",
        "save the district's phrases",
        lambda w: reverse("phrases:manage"),
        {**only((), 302), "district": 302, "superuser": 302},
        method="post",
        data=lambda w: {"region": w.district.pk, "key": "servicedesk.result", "variant": "", "text": "已上门解决"},
    ),
]
