"""Member pages as a user drives them: the roster with its filters and htmx partial, the
composition charts whose bars link to their members, the member's page, edit and status forms,
the roster export (real worker, real .xlsx) and escaping of what users typed."""

import datetime as dt
import html
import re

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import urlencode
from openpyxl import load_workbook

from dangjian.core import crypto
from dangjian.core.models import Event, EventAction, Job, JobStatus
from dangjian.core.validators import id_check_digit
from dangjian.membership.importing.members import TEMPLATE_COLUMNS
from dangjian.membership.models import StatusChange
from dangjian.membership.roster.services import member_create, member_move, member_update
from dangjian.people.models import Education, Member, MemberCategory, MembershipStatus
from tests.factories import as_actor, make_id_number, make_member, make_person

pytestmark = pytest.mark.django_db

LIST = reverse("membership:list")
COUNT_LINE = re.compile(r'<p class="count-line" aria-live="polite">\s*(\d+)')


def member_of(person) -> Member:
    return Member.objects.get(person=person)


def get(client, user, url, **extra):
    client.force_login(user)
    response = client.get(url, **extra)
    assert response.status_code == 200, url
    return response, response.content.decode()


def listed_names(response) -> list[str]:
    return [m.person.name for m in response.context["rows"]]


def count_line(body: str) -> int:
    match = COUNT_LINE.search(body)
    assert match, "no count line"
    return int(match.group(1))


@pytest.fixture
def wu(world):
    """吴二: a male member of branch A1 with an ID number and a mobile (赵六 and 李四 have neither)."""
    person = make_person(
        world.users.admin,
        world.grid_a1,
        "吴二",
        id_number=make_id_number(dt.date(1990, 1, 15)),
        phone="13600001234",
        education=Education.COLLEGE,
    )
    return member_create(
        actor=as_actor(world.users.admin),
        person=person,
        organization=world.branch_a1,
        data={"category": MemberCategory.RETIRED, "joined_on": dt.date(2020, 6, 1), "full_on": dt.date(2021, 6, 1)},
    )


# --- 8. the roster -------------------------------------------------------------------------


def test_roster_lists_the_members_in_scope(world, client):
    response, body = get(client, world.users.secretary, LIST)
    assert listed_names(response) == ["李四", "赵六"]
    assert "赵六" in body and "李四" in body and "孙八" not in body
    assert count_line(body) == 2
    assert reverse("membership:detail", args=[member_of(world.zhao).pk]) in body
    assert "<html" in body and 'role="search"' in body


def test_roster_of_the_outsider_shows_nothing_of_community_a(world, client):
    response, body = get(client, world.users.outsider, LIST)
    assert listed_names(response) == ["孙八"]
    for name in ("赵六", "李四"):
        assert name not in body
    _response, body = get(client, world.users.outsider, LIST + f"?org={world.committee_a.pk}")
    assert "赵六" not in body and "李四" not in body


def test_htmx_gets_the_results_partial_only(world, client):
    response, body = get(client, world.users.secretary, LIST + "?q=zl", HTTP_HX_REQUEST="true")
    assert body.lstrip().startswith('<div id="results">')
    assert "<html" not in body and 'role="search"' not in body
    assert "赵六" in body and "李四" not in body
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("stage=probationary", ["李四"]),
        ("stage=full", ["吴二", "赵六"]),
        ("q=zl", ["赵六"]),
        ("gender=male", ["吴二"]),
        ("category=retired", ["吴二"]),
        ("education=college", ["吴二"]),
        ("education=none", ["李四", "赵六"]),
        ("age=36-45", ["吴二"]),
        ("party_age=10-19", ["赵六"]),
        ("party_age=5-9", ["吴二"]),
        ("status=suspended", []),
    ],
)
def test_filters_in_the_query_string(world, wu, client, query, expected):
    response, body = get(client, world.users.secretary, f"{LIST}?{query}")
    assert listed_names(response) == expected
    assert count_line(body) == len(expected)


def test_filters_by_organisation(world, wu, client):
    response, _body = get(client, world.users.secretary, LIST + f"?org={world.branch_a2.pk}")
    assert listed_names(response) == ["李四"]
    response, _body = get(client, world.users.secretary, LIST + f"?org={world.committee_a.pk}&stage=full")
    assert listed_names(response) == ["吴二", "赵六"]


def test_roster_on_a_past_date(world, client):
    response, body = get(client, world.users.secretary, LIST + f"?on=2020-01-01&org={world.branch_a1.pk}")
    assert response.context["filters"].on == dt.date(2020, 1, 1)
    assert listed_names(response) == ["赵六"]
    assert "2020-01-01" in body
    assert count_line(body) == 1
    # 李四 joined in 2025: not a member of committee A on 2020-01-01.
    response, _body = get(client, world.users.secretary, LIST + f"?on=2020-01-01&org={world.committee_a.pk}")
    assert listed_names(response) == ["赵六"]


def test_a_member_moved_away_is_listed_on_the_old_date_but_not_linked(world, client):
    zhao = member_of(world.zhao)
    member_move(
        actor=as_actor(world.users.admin),
        member=zhao,
        organization=world.branch_b1,
        effective_on=dt.date(2024, 3, 1),
        reason="组织关系转接",
    )
    response, body = get(client, world.users.branch, LIST + "?on=2024-02-01")
    assert listed_names(response) == ["赵六"]
    assert response.context["visible"] == set()
    assert reverse("membership:detail", args=[zhao.pk]) not in body
    response, _body = get(client, world.users.branch, LIST + "?on=2024-03-01")
    assert listed_names(response) == []
    client.force_login(world.users.branch)
    assert client.get(reverse("membership:detail", args=[zhao.pk])).status_code == 404


def test_an_invalid_filter_value_does_not_break_the_page(world, client):
    response, _body = get(client, world.users.secretary, LIST + "?on=not-a-date&stage=nonsense&page=99")
    assert response.context["form"].errors
    assert set(listed_names(response)) <= {"李四", "赵六"}


# --- 9. query counts -----------------------------------------------------------------------


def _queries(client, url: str) -> int:
    client.get(url)  # once before: the header's unread count is then cached, as after any page
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _id_number(birth: dt.date, seq: int, *, male: bool) -> str:
    """A valid ID number (tests.factories.make_id_number can overflow for women)."""
    first17 = f"420107{birth:%Y%m%d}{seq * 2 % 1000 + (1 if male else 0):03d}"
    return first17 + id_check_digit(first17)


def _add_members(world, count: int, start: int) -> None:
    for i in range(start, start + count):
        person = make_person(
            world.users.admin,
            world.grid_a1 if i % 2 else world.grid_a2,
            f"钱{i}号",
            id_number=_id_number(dt.date(1970 + i % 10, 1, 1 + i % 28), 100 + i, male=bool(i % 2)),
            phone=f"1371234{i:04d}",
            tags=[world.lonely],
        )
        make_member(person, world.branch_a1 if i % 2 else world.branch_a2, joined_on=dt.date(2000 + i % 20, 7, 1))


@pytest.mark.parametrize(
    "query",
    ["", "?q=q", "?stage=full&gender=male", "?on=2024-01-01", "?org={org}&on=2024-01-01&age=46-59"],
)
def test_roster_queries_do_not_grow_with_the_number_of_members(world, client, query):
    client.force_login(world.users.secretary)
    url = LIST + query.format(org=world.committee_a.pk)
    _add_members(world, 4, 0)  # N = 6 members in community A
    small = _queries(client, url)
    rows_small = len(client.get(url).context["rows"])
    _add_members(world, 12, 100)  # 3N = 18
    large = _queries(client, url)
    rows_large = len(client.get(url).context["rows"])
    assert rows_large > rows_small  # the page really shows more rows
    assert large == small


# --- 10. composition -----------------------------------------------------------------------


def _bar_links(body: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'<th scope="row"><a href="([^"]+)">', body)]


@pytest.mark.parametrize("query", ["", "?org={org}", "?on=2024-03-01", "?stage=full"])
def test_every_bar_links_to_a_list_of_exactly_its_members(world, wu, client, query):
    url = reverse("membership:composition") + query.format(org=world.committee_a.pk)
    response, body = get(client, world.users.secretary, url)
    data = response.context["data"]
    bars = [(chart["dimension"], bar) for chart in data["charts"] for bar in chart["bars"]]
    assert len(bars) > 20
    assert set(_bar_links(body)) >= {bar["url"] for _dimension, bar in bars}  # the page links what it computed
    totals = 0
    for dimension, bar in bars:
        listed, listed_body = get(client, world.users.secretary, bar["url"])
        assert listed.context["page"].paginator.count == bar["n"], (dimension, bar["key"])
        assert count_line(listed_body) == bar["n"], (dimension, bar["key"])
        if dimension == "category":  # a partition of the members
            totals += bar["n"]
    assert totals == data["total"]  # (the stage filter of one case is not on the category chart)


def test_composition_renders_counts_of_the_scope(world, wu, client):
    response, body = get(client, world.users.secretary, reverse("membership:composition"))
    data = response.context["data"]
    assert data["total"] == 3
    assert 'id="composition-data"' in body
    stage = next(c for c in data["charts"] if c["dimension"] == "stage")
    assert {bar["key"]: bar["n"] for bar in stage["bars"]} == {"probationary": 1, "full": 2}
    _response, outsider = get(client, world.users.outsider, reverse("membership:composition"))
    assert "赵六" not in outsider


def test_the_gender_not_stated_bar_links_to_its_members(world, wu, client):
    url = reverse("membership:composition") + f"?org={world.branch_a1.pk}"
    response, _body = get(client, world.users.secretary, url)
    gender = next(c for c in response.context["data"]["charts"] if c["dimension"] == "gender")
    unknown = next(bar for bar in gender["bars"] if bar["key"] == "unknown")
    assert unknown["n"] == 1  # 赵六 (吴二 is male; 李四 is in branch A2)
    listed, _body = get(client, world.users.secretary, unknown["url"])
    assert listed.context["page"].paginator.count == 1


def test_bars_of_an_already_filtered_dimension_link_to_their_count(world, wu, client):
    response, _body = get(client, world.users.secretary, reverse("membership:composition") + "?stage=full")
    stage = next(c for c in response.context["data"]["charts"] if c["dimension"] == "stage")
    probationary = next(bar for bar in stage["bars"] if bar["key"] == "probationary")
    listed, _body = get(client, world.users.secretary, probationary["url"])
    assert listed.context["page"].paginator.count == probationary["n"]


# --- 11. member page, edit and status ------------------------------------------------------


def test_member_page_shows_placements_status_changes_and_history(world, client):
    zhao = member_of(world.zhao)
    member_move(
        actor=as_actor(world.users.admin),
        member=zhao,
        organization=world.branch_b1,
        effective_on=dt.date(2024, 3, 1),
        reason="组织关系转接",
    )
    client.force_login(world.users.admin)
    response = client.post(
        reverse("membership:status", args=[zhao.pk]),
        {"status": "suspended", "effective_on": "2025-05-01", "reason": "支部大会决议停止党籍"},
    )
    assert response.status_code == 302
    response, body = get(client, world.users.admin, reverse("membership:detail", args=[zhao.pk]))
    assert [(p.organization.name, p.started_on, p.ended_on) for p in response.context["placements"]] == [
        (world.branch_b1.name, dt.date(2024, 3, 1), dt.date(2025, 5, 1)),
        (world.branch_a1.name, dt.date(2015, 7, 1), dt.date(2024, 3, 1)),
    ]
    for text in (world.branch_a1.name, world.branch_b1.name, "2015-07-01", "2024-03-01", "2025-05-01"):
        assert text in body
    assert "支部大会决议停止党籍" in body  # the status change and its reason
    assert "组织关系转接" in body  # the move's reason, in the history
    assert [e.action for e in response.context["timeline"]] == [
        EventAction.STATUS_CHANGED,
        EventAction.UPDATED,
        "created",
    ]
    # The community A secretary no longer reaches him; B's secretary does.
    client.force_login(world.users.secretary)
    assert client.get(reverse("membership:detail", args=[zhao.pk])).status_code == 404
    get(client, world.users.outsider, reverse("membership:detail", args=[zhao.pk]))


def _edit_data(member: Member, **changes) -> dict:
    data = {
        "stage": member.stage,
        "category": member.category,
        "applied_on": "",
        "joined_on": member.joined_on.isoformat(),
        "full_on": member.full_on.isoformat() if member.full_on else "",
        "reason": "",
        "version": member.version,
    }
    data.update(changes)
    return data


def test_edit_saves_and_records_the_reason(world, client):
    zhao = member_of(world.zhao)
    client.force_login(world.users.branch)
    response = client.post(
        reverse("membership:edit", args=[zhao.pk]), _edit_data(zhao, category="retired", reason="已退休")
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("membership:detail", args=[zhao.pk])
    saved = member_of(world.zhao)
    assert (saved.category, saved.version) == ("retired", zhao.version + 1)
    event = Event.objects.get(action=EventAction.UPDATED, target_id=zhao.pk)
    assert event.reason == "已退休"


def test_edit_with_a_stale_version_says_so_and_saves_nothing(world, client):
    zhao = member_of(world.zhao)
    client.force_login(world.users.secretary)
    form = client.get(reverse("membership:edit", args=[zhao.pk]))
    assert form.context["form"].initial["version"] == zhao.version
    stale = _edit_data(zhao, category="student")
    # Someone else saves meanwhile.
    member_update(
        actor=as_actor(world.users.staff),
        member=member_of(world.zhao),
        data={"category": "retired"},
        expected_version=zhao.version,
    )
    response = client.post(reverse("membership:edit", args=[zhao.pk]), stale)
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1
    assert html.escape(errors[0]) in response.content.decode()
    assert 'class="form-errors error-summary"' in response.content.decode()
    saved = member_of(world.zhao)
    assert (saved.category, saved.version) == ("retired", zhao.version + 1)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"full_on": "2016-01-01"}, "full_on"),  # less than a year after joining (2015-07-01)
        ({"applied_on": "2016-01-01"}, "applied_on"),  # after joining
        ({"stage": "full", "full_on": ""}, "full_on"),
        ({"joined_on": "2030-01-01"}, "joined_on"),  # future
    ],
)
def test_edit_with_impossible_dates_shows_the_field_errors(world, client, changes, field):
    zhao = member_of(world.zhao)
    client.force_login(world.users.secretary)
    response = client.post(reverse("membership:edit", args=[zhao.pk]), _edit_data(zhao, **changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    body = response.content.decode()
    for message in errors[field]:
        assert html.escape(message) in body
    saved = member_of(world.zhao)
    assert (saved.joined_on, saved.full_on, saved.applied_on, saved.version) == (
        zhao.joined_on,
        zhao.full_on,
        zhao.applied_on,
        zhao.version,
    )


def test_status_change_redirects_and_is_recorded(world, client):
    zhao = member_of(world.zhao)
    client.force_login(world.users.secretary)
    response = client.post(
        reverse("membership:status", args=[zhao.pk]),
        {"status": "left", "effective_on": "2025-06-30", "reason": "支部大会决议，街道党工委批准"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("membership:detail", args=[zhao.pk])
    record = StatusChange.objects.get(member=zhao)
    assert (record.old_status, record.new_status, record.effective_on) == ("normal", "left", dt.date(2025, 6, 30))
    assert member_of(world.zhao).status == MembershipStatus.LEFT
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]


@pytest.mark.parametrize(
    "data",
    [
        {"status": "suspended", "effective_on": "2025-06-30", "reason": ""},
        {"status": "suspended", "effective_on": "2025-06-30", "reason": "   "},
        {"status": "suspended", "effective_on": "", "reason": "决议"},
        {"status": "suspended", "effective_on": "2030-01-01", "reason": "决议"},
        {"status": "normal", "effective_on": "2025-06-30", "reason": "决议"},
    ],
    ids=["no-reason", "blank-reason", "no-date", "future", "same-status"],
)
def test_a_refused_status_change_shows_an_error_and_changes_nothing(world, client, data):
    zhao = member_of(world.zhao)
    client.force_login(world.users.secretary)
    response = client.post(reverse("membership:status", args=[zhao.pk]), data, follow=True)
    assert response.redirect_chain == [(reverse("membership:detail", args=[zhao.pk]), 302)]
    shown = list(response.context["messages"])
    assert [m.level_tag for m in shown] == ["error"]
    assert html.escape(str(shown[0])) in response.content.decode()
    saved = member_of(world.zhao)
    assert (saved.status, saved.version) == (MembershipStatus.NORMAL, zhao.version)
    assert not StatusChange.objects.exists()


@pytest.mark.parametrize("role", ["outsider", "member", "liaison"])
def test_others_cannot_edit_or_change_status(world, client, role):
    zhao = member_of(world.zhao)
    client.force_login(getattr(world.users, role))
    assert client.get(reverse("membership:edit", args=[zhao.pk])).status_code == 404
    assert (
        client.post(reverse("membership:edit", args=[zhao.pk]), _edit_data(zhao, category="student")).status_code == 404
    )
    response = client.post(
        reverse("membership:status", args=[zhao.pk]), {"status": "left", "effective_on": "2025-01-01", "reason": "x"}
    )
    assert response.status_code == 404
    assert member_of(world.zhao).version == zhao.version
    assert not StatusChange.objects.exists()


# --- 12. export ----------------------------------------------------------------------------


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def export(client, user, query: str, full: bool = False) -> Job:
    client.force_login(user)
    data = {"query": query}
    if full:
        data["full_numbers"] = "1"
    response = client.post(reverse("membership:export"), data)
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    return job


def sheet(job: Job) -> list[tuple]:
    with job.file.open("rb") as handle:
        workbook = load_workbook(handle, read_only=True)
        rows = list(workbook.active.iter_rows(values_only=True))
        workbook.close()
    return rows


COLUMN = {column.key: i for i, column in enumerate(TEMPLATE_COLUMNS)}


@pytest.mark.django_db(transaction=True)
def test_export_writes_the_filtered_members_with_masked_numbers(world, wu, client):
    job = export(client, world.users.secretary, urlencode({"org": world.branch_a1.pk}))
    rows = sheet(job)
    assert list(rows[0]) == [column.label for column in TEMPLATE_COLUMNS]
    assert sorted(row[COLUMN["name"]] for row in rows[1:]) == sorted(["吴二", "赵六"])  # not 李四 (A2), not 孙八
    wu_row = next(row for row in rows[1:] if row[COLUMN["name"]] == "吴二")
    assert "*" in wu_row[COLUMN["id_number"]]
    assert wu_row[COLUMN["id_number"]] == wu.person.id_number_masked
    assert wu_row[COLUMN["phone"]] == "136****1234"
    assert wu_row[COLUMN["organization"]] == world.branch_a1.name
    event = Event.objects.get(action=EventAction.EXPORTED)
    assert event.actor == world.users.secretary
    assert event.changes["rows"] == [None, 2]
    assert event.changes["full_numbers"] == [None, False]


@pytest.mark.django_db(transaction=True)
def test_export_with_full_numbers(world, wu, client):
    job = export(client, world.users.secretary, "q=we", full=True)
    rows = sheet(job)
    assert [row[COLUMN["name"]] for row in rows[1:]] == ["吴二"]
    assert rows[1][COLUMN["id_number"]] == crypto.decrypt(wu.person.id_number_encrypted)
    assert "*" not in rows[1][COLUMN["id_number"]]
    assert rows[1][COLUMN["phone"]] == "13600001234"
    assert Event.objects.get(action=EventAction.EXPORTED).changes["full_numbers"] == [None, True]


@pytest.mark.django_db(transaction=True)
def test_full_numbers_follow_the_per_person_rule_row_by_row(world, wu, client):
    """王五 lives in community B but belongs to A's branch: A's secretary sees him on the roster, yet
    may not unmask his numbers on his page (404) — so the export masks them too (issue #10)."""
    make_member(world.wang, world.branch_a1)
    client.force_login(world.users.secretary)
    assert (
        client.post(reverse("people:reveal", args=[world.wang.pk, "phone"]), {"purpose": "contact"}).status_code == 404
    )
    job = export(client, world.users.secretary, urlencode({"org": world.branch_a1.pk}), full=True)
    rows = {row[COLUMN["name"]]: row for row in sheet(job)[1:]}
    assert rows["王五"][COLUMN["phone"]] == "137****2222"
    assert rows["王五"][COLUMN["id_number"]] == world.wang.id_number_masked
    assert rows["吴二"][COLUMN["phone"]] == "13600001234"  # in the secretary's community: in full


def test_export_is_refused_to_those_who_may_not_export(world, client):
    for role in ("staff", "branch", "member"):
        client.force_login(getattr(world.users, role))
        assert client.post(reverse("membership:export"), {"query": ""}).status_code == 404
    assert not Job.objects.exists()


# --- 13. escaping --------------------------------------------------------------------------


def test_names_are_escaped_in_list_and_detail(world, client):
    person = make_person(world.users.admin, world.grid_a1, "<script>alert(1)</script>")
    member = make_member(person, world.branch_a1)
    for url in (LIST, LIST + "?q=script", reverse("membership:detail", args=[member.pk])):
        _response, body = get(client, world.users.secretary, url)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url
        assert "<script>alert" not in body, url


def test_the_history_names_what_the_membership_services_record(world):
    """The member's history showed raw keys (care_case, dues_year): every key the membership
    services record has a label."""
    import datetime as dt

    from dangjian.membership.care.services import care_register
    from dangjian.membership.roster.selectors import member_timeline

    member = world.zhao.member
    care_register(
        actor=as_actor(world.users.secretary),
        member=member,
        hardship="illness",
        description="",
        registered_on=dt.date(2026, 1, 5),
    )
    rows = [row for event in member_timeline(member=member) for row in event.rows]
    assert rows and all(str(label) != "care_case" for label, _old, _new in rows)
