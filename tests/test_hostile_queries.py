"""Every URL, given hostile query values, answers without a server error (issue #10: about ten
pages answered 500 to values such as ``?org=²`` or ``year=²``).

Every named URL of the access walk (tests/test_url_access.py) is requested by a street admin (the
widest scope that is not a superuser) and by a resident, with every query parameter the pages
read set to one hostile value at a time; POSTs get the same values over their normal data. The
pages only the district opens (the catalogue's edit pages, the calendar) are requested by a
district admin as well. A 500 fails; 4xx and 3xx are answers.
"""

import pytest
from django.core.cache import cache
from django.db import transaction

from dangjian.membership.forms import DuesBillForm, MemberFilterForm
from dangjian.people.forms import PeopleFilterForm
from tests.test_url_access import RULES
from tests.url_access_base import BEYOND, beyond_user

pytestmark = pytest.mark.django_db

# What the pages read (request.GET/POST and the filter forms' fields).
PARAMETERS = sorted(
    {
        "all",
        "before",
        "category",
        "community",
        "direction",
        "from",
        "full_numbers",
        "level",
        "limit",
        "measure",
        "member",
        "name",
        "node",
        "org",
        "page",
        "part",
        "period",
        "q",
        "query",
        "region",
        "score",
        "show",
        "state",
        "step",
        "to",
        "trend",
        "unit",
        "view",
        "year",
        "month",
        "report",
        "case",
        "tags",
        "skills",
        "status",
        "reason",
        "note",
        "version",
        "kind",
        "value",
        "action",
        "id_number",
        "phone",
        "number",
        *MemberFilterForm.base_fields,
        *PeopleFilterForm.base_fields,
        *DuesBillForm.base_fields,
    }
)

HOSTILE = {
    "superscript": "²",  # a digit to str.isdigit, not to int()
    "word": "abc",
    "huge": "9" * 40,
    "nul": "a\x00b",
    "bad-date": "2026-13-45",
    "blank": " ",
}
# A resident reaches few pages: two values suffice there. The district admin walks only the cases
# that name it (what the street admin cannot open).
CASES = [
    *[(role, value) for role in ("admin", "district") for value in HOSTILE],
    ("resident", "superscript"),
    ("resident", "word"),
]


def _variants(data, value):
    """The case's data with every parameter set to ``value``, then each of its own fields alone."""
    yield {**data, **{name: value for name in PARAMETERS if name not in data}}
    for name in data:
        if name not in ("api_key", "csrfmiddlewaretoken"):
            yield {**data, name: value}


@pytest.mark.parametrize(("role", "kind"), CASES, ids=[f"{role}-{kind}" for role, kind in CASES])
def test_no_url_answers_a_hostile_value_with_a_server_error(world, client, role, kind):
    value = HOSTILE[kind]
    client.raise_request_exception = False  # a crash is a 500 to the user: record it, go on
    failures = []
    user = beyond_user(role, world) if role in BEYOND else getattr(world.users, role)
    for case in RULES:
        if role in BEYOND and role not in case.statuses:
            continue
        client.force_login(user)  # again: one of the cases signs out
        # Each case's records (a payment, a transfer…) are made and undone inside a savepoint,
        # as each access test has its own database.
        with transaction.atomic():
            url = case.url(world)
            data = case.data(world) if case.data else {}
            variants = [dict.fromkeys(PARAMETERS, value)] if case.method == "get" else list(_variants(data, value))
            for params in variants:
                cache.clear()  # rate limits would hide the later requests behind 429s
                response = getattr(client, case.method)(url, params)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method.upper()} {url} → {response.status_code} ({case.name}: {case.describe})"
                    )
            transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


def test_a_long_list_of_values_is_refused_or_trimmed_not_a_crash(world, client):
    client.raise_request_exception = False
    many = [str(i) for i in range(5000)]
    failures = []
    for case in RULES:
        if case.method != "get":
            continue
        client.force_login(world.users.admin)
        with transaction.atomic():
            url = case.url(world)
            response = client.get(url, {"tags": many, "skills": many, "org": many[:50]})
            if response.status_code >= 500:
                failures.append(f"GET {url} → {response.status_code} ({case.name})")
            transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


def test_a_nul_character_is_refused_before_any_page_sees_it(world, client):
    """PostgreSQL cannot store a NUL; nine pages answered 500 to one (the walk above found them there)."""
    client.force_login(world.users.admin)
    assert client.get("/people/", {"q": "a\x00b"}).status_code == 400
    assert client.post("/people/export/", {"query": "q=\x00"}).status_code == 400
    assert client.get("/people/", {"q": "ab"}).status_code == 200
