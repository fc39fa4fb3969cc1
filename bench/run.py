"""Server-time benchmark of the main pages at district scale, on PostgreSQL.

Usage (from the repository root, with the virtualenv active)::

    psql -h 127.0.0.1 -U postgres -c "create database dangjian_bench"
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    python manage.py migrate
    python bench/run.py --seed-if-empty            # seeds --scale district once (a few minutes)
    python bench/run.py --repeat 30 --explain      # + EXPLAIN (ANALYZE, BUFFERS) of the cases over target

What is measured, for each (case, user): 3 warm-up requests, then ``--repeat`` requests through
``django.test.Client`` (the whole middleware stack, session and user loading, the view, template
rendering; no HTTP server and no network). For each request:

* total server time: ``time.perf_counter()`` around ``client.get()``;
* SQL time: the sum of the durations of the request's queries, timed by a
  ``connection.execute_wrapper`` around ``cursor.execute`` (the round trip to PostgreSQL including
  libpq receiving the rows; not Django turning the rows into model instances);
* the number of queries (the same wrapper).

The table shows the median and p90 (nearest rank) of the total, the median SQL time, the median
total minus the median SQL time ("Python": middleware, ORM, forms, templates) and the median query
count. A row stops early when its time budget (``--budget``) is spent, and a page whose query
exceeds ``--statement-timeout`` is reported as TIMEOUT (its plan is shown with plain EXPLAIN).

Not a test: pytest collects ``test_*.py`` only.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import platform
import re
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
# Measure the production code path: DEBUG off (Django keeps no SQL log, no debug pages).
# Set DEBUG=1 in the environment to measure the development setting instead.
os.environ.setdefault("DEBUG", "0")
# The benchmark signs its admins in without two-factor login (it measures pages, not signing in):
# without this, TWO_FACTOR_ROLES would send them to the security page.
os.environ.setdefault("TWO_FACTOR_ROLES", "")

WARMUP = 3
BENCH_USER = "bench_district"
DEFAULT_USERS = (BENCH_USER, "street", "secretary")
ANONYMOUS = "anonymous"  # in --users: a client that does not sign in (public pages)
# The volunteering rows (issue #12) as the demo accounts that use each page.
VOLUNTEERING_USERS = ("member", "secretary", "street", "district", ANONYMOUS)


@dataclass
class Case:
    key: str
    label: str
    path: str
    expect: tuple[str, ...]  # strings the response must contain
    target_ms: float | None = None
    target_queries: int | None = None
    may_be_empty: bool = False  # a search that may match no one in a small scope
    clear_cache: bool = False  # empty Django's cache before each request (outside the timing)
    expire_figures: bool = False  # make the workbench's cached figures older than their 120 s (outside the timing)
    users: tuple[str, ...] | None = None  # only for these users (when asked for); None: every user


@dataclass
class Result:
    case: Case
    username: str
    totals: list[float] = field(default_factory=list)
    sql_times: list[float] = field(default_factory=list)
    query_counts: list[int] = field(default_factory=list)
    slowest: list[tuple[float, str, object]] = field(default_factory=list)  # queries of the last request, slowest first
    timed_out: bool = False
    matches: str = ""  # the list's count line (people cases)

    @property
    def n(self) -> int:
        return len(self.totals)

    @property
    def median(self) -> float:
        return statistics.median(self.totals) if self.totals else math.nan

    @property
    def p90(self) -> float:
        if not self.totals:
            return math.nan
        ordered = sorted(self.totals)
        return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]

    @property
    def sql_median(self) -> float:
        return statistics.median(self.sql_times) if self.sql_times else math.nan

    @property
    def queries(self) -> int:
        return int(statistics.median(self.query_counts)) if self.query_counts else len(self.slowest)

    def verdict(self) -> str:
        if self.timed_out:
            return "TIMEOUT"
        if self.case.target_ms is None:
            return ""
        over = []
        if self.median > self.case.target_ms:
            over.append("time")
        if self.case.target_queries is not None and self.queries > self.case.target_queries:
            over.append("queries")
        return "OVER (" + ", ".join(over) + ")" if over else "ok"


class QueryTimer:
    """An execute_wrapper that records (duration ms, sql, params) of every query."""

    def __init__(self) -> None:
        self.queries: list[tuple[float, str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - start) * 1000, sql, params))


from actors import bench_actor as _actor  # noqa: E402 - bench/actors.py, beside this script


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed-if-empty", action="store_true", help="run seed_demo --scale district on an empty DB")
    parser.add_argument("--repeat", type=int, default=30, help="measured requests per case and user (default 30)")
    parser.add_argument("--only", default="", help="comma-separated case keys (default: all)")
    parser.add_argument(
        "--users",
        default="",
        help=f"comma-separated usernames, {ANONYMOUS} for a visitor not signed in (default: {','.join(DEFAULT_USERS)}; "
        f"the volunteering rows: {','.join(VOLUNTEERING_USERS)})",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=90.0,
        help="seconds per row: stop measuring a row after this long (at least 5 requests; default 90)",
    )
    parser.add_argument(
        "--statement-timeout", type=int, default=30, help="PostgreSQL statement_timeout in seconds (default 30)"
    )
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) the slowest queries of rows over target"
    )
    parser.add_argument("--explain-all", action="store_true", help="EXPLAIN the slowest queries of every row")
    parser.add_argument("--explain-top", type=int, default=2, help="queries per row to explain (default 2)")
    parser.add_argument(
        "--proposals",
        action="store_true",
        help="EXPERIMENT on code before 21c748b: apply bench/proposals.py (monkeypatched, this process only)",
    )
    return parser.parse_args()


def require_postgres() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        sys.exit("DATABASE_URL must point at PostgreSQL, e.g. postgres://postgres@127.0.0.1:5432/dangjian_bench")


def install_statement_timeout(seconds: int) -> None:
    """Every (re)connection of this process gets the timeout, so a runaway query cannot hang the run."""
    from django.db import connection
    from django.db.backends.signals import connection_created

    def on_connect(sender, connection, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(seconds) * 1000}")

    connection_created.connect(on_connect, weak=False)
    if connection.connection is None:
        connection.ensure_connection()  # the signal sets the timeout
    else:
        on_connect(None, connection)


def seed_if_empty() -> None:
    from django.core.management import call_command
    from django.db import connection

    from dangjian.orgs.models import Region

    if Region.objects.exists():
        print("Data present; not seeding.")
        return
    print("Empty database: seeding --scale district (a few minutes)…", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
    call_command("seed_demo", scale="district", seed=1)
    print(f"Seeded in {time.perf_counter() - started:.1f} s; running VACUUM ANALYZE…", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def ensure_bench_user():
    """A district-wide admin (district_admin at the root region); the seed's `street` covers one street."""
    from dangjian.accounts.models import RoleGrant, User
    from dangjian.accounts.services import grant_role
    from dangjian.orgs.models import Region, RegionLevel

    root = Region.objects.filter(parent__isnull=True, level=RegionLevel.DISTRICT).order_by("path").first()
    if root is None:
        sys.exit("No district region: seed the database first (--seed-if-empty).")
    user, created = User.objects.get_or_create(username=BENCH_USER, defaults={"display_name": "区级管理员（基准）"})
    if created:
        user.set_unusable_password()
        user.save()
    if not RoleGrant.objects.active().filter(user=user, role="district_admin", region=root).exists():
        grant_role(actor=_actor(), user=user, role="district_admin", node=root)
    return user


def build_cases() -> list[Case]:
    from dangjian.orgs.models import Organization, OrgKind
    from dangjian.people.models import Tag, TagKind

    tag = Tag.objects.get(kind=TagKind.PERSON, name="独居老人")
    search = {"target_ms": 150.0, "target_queries": 10}
    committee = Organization.objects.filter(kind=OrgKind.COMMITTEE).order_by("path").first()
    roster = {"target_ms": 150.0, "target_queries": 13}
    from django.db.models import Count

    from dangjian.activities.models import Activity

    busiest = (
        Activity.objects.filter(region__path__startswith=committee.region.path if committee else "")
        .annotate(n=Count("sign_ups"))
        .order_by("-n", "pk")
        .first()
    )
    return [
        Case("people", "people list", "/people/", ('id="results"',)),
        Case("people_pinyin", "people ?q=zs (pinyin)", "/people/?q=zs", ('id="results"',), **search),
        Case(
            "people_phone",
            "people ?q=5678 (phone tail)",
            "/people/?q=5678",
            ('id="results"',),
            may_be_empty=True,
            **search,
        ),
        Case("people_name", "people ?q=王 (name)", "/people/?q=%E7%8E%8B", ('id="results"', ">王"), **search),
        Case("people_tag", "people ?tag=独居老人", f"/people/?tag={tag.pk}", ('id="results"',)),
        Case("people_page50", "people ?page=50", "/people/?page=50", ('id="results"',)),
        Case("members", "member roster /members/", "/members/", ('id="results"',), **roster),
        Case(
            "members_filtered",
            "roster ?stage=full&category=retired&age=70-79",
            "/members/?stage=full&category=retired&age=70-79",
            ('id="results"',),
            **roster,
        ),
        Case("members_search", "roster ?q=zs", "/members/?q=zs", ('id="results"',), may_be_empty=True, **roster),
        Case(
            "members_on_date",
            "roster of a committee on 2024-01-01",
            f"/members/?org={committee.pk}&on=2024-01-01",
            ('id="results"',),
            **roster,
        ),
        Case("composition", "composition /members/composition/", "/members/composition/", ("chart",), target_ms=500.0),
        Case(
            "dues_bill", "dues bill of a committee", f"/members/dues/?org={committee.pk}", ("figures",), target_ms=500.0
        ),
        Case("development", "development board", "/members/development/", ("board",), target_ms=500.0),
        Case("orgs", "org tree /orgs/", "/orgs/", ("党委", "/orgs/"), target_ms=150.0, target_queries=10),
        Case("regions", "region tree /regions/", "/regions/", ("网格", "/regions/")),
        Case("workbench", "workbench /", "/", ('class="figures"',), target_ms=200.0),
        # Issue #15: the callbacks to make, from outside the handling unit (the street's, the district's).
        Case("callbacks", "callbacks /services/callbacks/", "/services/callbacks/", ("<h1>",), target_ms=150.0),
        # Issue #11: the audit log of the events of the accounts one manages (every event at the root).
        Case("audit", "audit log /accounts/audit/", "/accounts/audit/", ('class="count-line"',), target_ms=150.0),
        Case(
            "audit_sensitive",
            "audit ?sensitive=on (full numbers viewed, exports)",
            "/accounts/audit/?sensitive=on",
            ('class="count-line"',),
            target_ms=150.0,
        ),
        Case(
            "audit_who",
            "audit ?who=staff",
            "/accounts/audit/?who=staff",
            ('class="count-line"',),
            target_ms=150.0,
        ),
        # Issue #12: activities (what one may join, the area's list) and one with its sign-ups.
        Case("activities", "activities /activities/", "/activities/", ("<h1>",), target_ms=150.0),
        Case("activities_past", "activities ?when=past", "/activities/?when=past", ("<h1>",), target_ms=150.0),
        Case(
            "activity",
            "an activity with its sign-ups (organiser)",
            f"/activities/{busiest.pk if busiest else 0}/",
            ("<h1>",),
            target_ms=150.0,
        ),
        # Issue #16: the desk (the service's phrases, the worker's recent ones, the estates of their
        # grids), the workbench's 党费 search, and the street's phrase lists.
        Case(
            "desk", "desk /services/requests/new/", "/services/requests/new/", ('id="desk-phrases"',), target_ms=150.0
        ),
        Case(
            "dues_find",
            "dues search ?q=zs",
            "/members/dues/find/?q=zs",
            ("<h1>",),
            target_ms=150.0,
        ),
        Case(
            "phrases",
            "quick phrases /phrases/",
            "/phrases/",
            ("<h1>",),
            target_ms=150.0,
            users=(BENCH_USER, "street", "district"),  # a district's or street's admins
        ),
        # The households of one's area (家庭户), by address, with who lives in each.
        Case("households", "households /people/households/", "/people/households/", ('class="count-line"',)),
        Case(
            "households_q",
            "households ?q=3栋 (part of the address)",
            "/people/households/?q=3栋",
            ('class="count-line"',),
        ),
        # The workbench caches its figures for 120 s, then shows them while a task counts afresh
        # (dashboard/selectors.py): the visit after they expired, and the first visit of a scope
        # with nothing cached (after a restart, or a day unseen), which has to count them.
        Case(
            "workbench_expired",
            "workbench / (figures expired)",
            "/",
            ('class="figures"',),
            target_ms=200.0,
            expire_figures=True,
        ),
        Case(
            "workbench_cold",
            "workbench / (nothing cached)",
            "/",
            ('class="figures"',),
            target_ms=200.0,
            clear_cache=True,
        ),
        *volunteering_cases(),
        *evaluation_cases(),
    ]


def evaluation_cases() -> list[Case]:
    """Issue #13's pages from stored results: the district's overview of its 100 communities (the
    run bench/evaluation.py makes), the demo street's (seeded), and a community's scorecard.
    Target: 150 ms, a constant query count."""
    from dangjian.evaluation.models import Run

    district_run = Run.objects.filter(plan__region__level="district").order_by("-pk").first()
    street_run = Run.objects.filter(plan__region__level="street").order_by("-pk").first()
    unit = street_run.results.order_by("unit__path").values_list("unit_id", flat=True).first() if street_run else 0
    ev = {"target_ms": 150.0}
    return [
        Case(
            "eval_overview",
            "evaluation: the district's 100 communities",
            f"/evaluation/runs/{district_run.pk if district_run else 0}/",
            ("<h1>",),
            users=(BENCH_USER,),
            **ev,
        ),
        Case(
            "eval_overview_street",
            "evaluation: a street's communities",
            f"/evaluation/runs/{street_run.pk if street_run else 0}/",
            ("<h1>",),
            users=("street",),
            **ev,
        ),
        Case(
            "eval_scorecard",
            "evaluation: a community's scorecard",
            f"/evaluation/runs/{street_run.pk if street_run else 0}/units/{unit}/",
            ("<h1>",),
            users=(BENCH_USER, "street", "secretary"),
            **ev,
        ),
    ]


def volunteering_cases() -> list[Case]:
    """Issue #12's volunteering pages, each for the users who use it (``--users`` picks among them;
    ``district`` and ``bench_district`` are both district-wide admins). Targets: 150 ms."""
    import datetime as dt

    from django.db.models import Count, Q
    from django.utils import timezone

    from dangjian.accounts.models import RoleGrant
    from dangjian.volunteering import reports
    from dangjian.volunteering.models import LedgerEntry, ReportBack, ReportBackState, Team

    grant = RoleGrant.objects.active().filter(user__username="secretary", region__isnull=False).first()
    community = grant.region if grant else None
    path = community.path if community else "-"
    team = (
        Team.objects.filter(region__path=path, dissolved_on=None)
        .annotate(n=Count("members", filter=Q(members__left_on=None), distinct=True), r=Count("records", distinct=True))
        .order_by("-n", "-r", "pk")
        .first()
    )
    big_team = (
        Team.objects.filter(dissolved_on=None)
        .annotate(n=Count("members", filter=Q(members__left_on=None), distinct=True))
        .order_by("-n", "pk")
        .first()
    )
    # The busiest time bank the secretary keeps (people living in the community).
    bank = (
        LedgerEntry.objects.filter(person__region__path__startswith=path)
        .values("person_id")
        .annotate(n=Count("id"))
        .order_by("-n", "person_id")
        .first()
    )
    last = reports.period_of(reports.period_of(timezone.localdate())[0] - dt.timedelta(days=1))
    report = (
        ReportBack.objects.filter(community__path=path, state=ReportBackState.DRAFT).order_by("-period_start").first()
        or ReportBack.objects.filter(community__path=path).order_by("-period_start").first()
    )
    street = community.parent if community else None
    district = ("district", BENCH_USER)
    secretary_and_district = ("secretary", *district)
    area = ("secretary", "street", *district)
    vol = {"target_ms": 150.0}
    return [
        Case(
            "vol_index",
            "volunteering hub /volunteering/",
            "/volunteering/",
            ("<h1>",),
            users=("member", "secretary"),
            **vol,
        ),
        Case("vol_mine", "my service /volunteering/mine/", "/volunteering/mine/", ("<h1>",), users=("member",), **vol),
        Case(
            "vol_teams",
            "volunteer teams",
            "/volunteering/teams/",
            ('<table class="list">',),
            users=("secretary", "street"),
            **vol,
        ),
        Case(
            "vol_team",
            f"a team with its members ({team.n if team else 0})",
            f"/volunteering/teams/{team.pk if team else 0}/",
            ("<h1>",),
            users=("secretary",),
            **vol,
        ),
        Case(  # the same page for the district's largest team: the query count must not grow
            "vol_team_big",
            f"the district's largest team ({big_team.n if big_team else 0})",
            f"/volunteering/teams/{big_team.pk if big_team else 0}/",
            ("<h1>",),
            users=district,
            **vol,
        ),
        Case(
            "vol_posts",
            "posts (upcoming)",
            "/volunteering/posts/",
            ("<h1>",),
            users=secretary_and_district,
            **vol,
        ),
        Case(
            "vol_posts_past",
            "posts ?when=past",
            "/volunteering/posts/?when=past",
            ('<table class="list">',),
            users=secretary_and_district,
            **vol,
        ),
        Case(
            "vol_records",
            "service records",
            "/volunteering/records/",
            ('<table class="list">',),
            users=secretary_and_district,
            **vol,
        ),
        Case(
            "vol_bank",
            f"a person's time bank ({bank['n'] if bank else 0} lines)",
            f"/volunteering/bank/{bank['person_id'] if bank else 0}/",
            ("<h1>",),
            users=("secretary",),
            **vol,
        ),
        Case(
            "vol_reports",
            f"reporting back {last[0]:%Y-%m}–{last[1]:%m}",
            f"/volunteering/reports/?period={last[0]:%Y-%m-%d}",
            ('<table class="list">',),
            users=("street", *district),
            **vol,
        ),
        Case(
            "vol_report",
            f"a community's report {report.period_start:%Y-%m} ({report.state})" if report else "a report",
            f"/volunteering/reports/{report.pk if report else 0}/",
            ("<h1>",),
            users=secretary_and_district,
            **vol,
        ),
        Case("vol_checks", "checks (reconciliation, flags)", "/volunteering/checks/", ("<h1>",), users=area, **vol),
        Case(
            "vol_checks_street",
            "checks of the secretary's street (a district admin chooses a street first)",
            f"/volunteering/checks/?street={street.pk if street else 0}",
            ("<h1>",),
            users=district,
            **vol,
        ),
        Case("vol_wishes", "small wishes", "/volunteering/wishes/", ("<h1>",), users=secretary_and_district, **vol),
        Case(
            "vol_honours",
            "roll of honour (public)",
            "/volunteering/honours/",
            ("<h1>",),
            users=(ANONYMOUS, "member"),
            **vol,
        ),
    ]


COUNT_LINE = re.compile(r'class="count-line"[^>]*>\s*([^<]*?)\s*<')


def check_response(response, case: Case, username: str) -> str:
    """Fail the run unless the page is a 200 with the expected content; return the people count line."""
    if response.status_code != 200:
        raise SystemExit(f"{case.key} as {username}: HTTP {response.status_code}")
    body = response.content.decode()
    missing = [text for text in case.expect if text not in body]
    if missing:
        raise SystemExit(f"{case.key} as {username}: the response lacks {missing!r}")
    if not case.key.startswith(("people", "members")):
        return ""
    if "<tbody>" not in body and not case.may_be_empty:
        raise SystemExit(f"{case.key} as {username}: the list is empty")
    found = COUNT_LINE.search(body)
    if found is None:
        raise SystemExit(f"{case.key} as {username}: no count line")
    return found.group(1)


def _expire_figures(username: str) -> None:
    """Age the user's cached workbench figures past FIGURES_CACHE_SECONDS, as if counted an hour
    ago, and forget that a recount was asked for (the benchmark runs no worker)."""
    import datetime as dt

    from django.core.cache import cache
    from django.utils import timezone

    from dangjian.accounts.models import User
    from dangjian.core.actors import Actor
    from dangjian.dashboard import selectors

    key = selectors.figures_key(actor=Actor(user=User.objects.get(username=username), via="web", language="zh-hans"))
    figures = cache.get(key)
    if figures is not None:
        cache.set(
            key, {**figures, "counted_at": timezone.now() - dt.timedelta(hours=1)}, selectors.FIGURES_KEEP_SECONDS
        )
    cache.delete(f"{key}:recounting")


def measure(client, case: Case, username: str, repeat: int, budget: float) -> Result:
    from django.core.cache import cache
    from django.db import OperationalError, connection

    result = Result(case, username)
    started = None
    for i in range(WARMUP + repeat):
        if i == WARMUP:
            started = time.perf_counter()
        elif started is not None and result.n >= 5 and time.perf_counter() - started > budget:
            break
        if case.clear_cache:
            cache.clear()
        if case.expire_figures:
            _expire_figures(username)
        timer = QueryTimer()
        try:
            with connection.execute_wrapper(timer):
                start = time.perf_counter()
                response = client.get(case.path)
                elapsed = (time.perf_counter() - start) * 1000
        except OperationalError as exc:  # statement_timeout: QueryCanceled
            result.timed_out = True
            result.slowest = sorted(timer.queries, key=lambda q: q[0], reverse=True)
            print(f"    {case.key} as {username}: {str(exc).strip().splitlines()[0]}", flush=True)
            break
        result.matches = check_response(response, case, username)
        if i >= WARMUP:
            result.totals.append(elapsed)
            result.sql_times.append(sum(q[0] for q in timer.queries))
            result.query_counts.append(len(timer.queries))
            result.slowest = sorted(timer.queries, key=lambda q: q[0], reverse=True)
    return result


def explain(result: Result, top: int) -> None:
    from django.db import connection

    print(
        f"\n=== {result.case.key} as {result.username}: median {result.median:.1f} ms, "
        f"{result.queries} queries {result.verdict()} ==="
    )
    seen: set[str] = set()
    shown = 0
    for ms, sql, params in result.slowest:
        if shown >= top or sql in seen or not sql.lstrip().upper().startswith("SELECT"):
            continue
        seen.add(sql)
        shown += 1
        analyse = not (result.timed_out and shown == 1)  # the query that hit the timeout: plan only
        with connection.cursor() as cursor:
            cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyse else "EXPLAIN ") + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            try:
                text = cursor.mogrify(sql, params)  # psycopg 3 client-side cursor: the SQL with its values
            except Exception:
                text = f"{sql}\nparams: {params!r}"
        note = "" if analyse else " (cancelled by statement_timeout; EXPLAIN without ANALYZE)"
        print(f"\n--- {ms:.1f} ms in the last request{note} ---\n{text}\n\n{plan}", flush=True)


def describe_environment() -> None:
    from django.db import connection

    from dangjian.core.models import Event
    from dangjian.orgs.models import Organization, Region
    from dangjian.people.models import Household, Member, Person

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared = cursor.fetchone()[0]
    try:
        with open("/proc/meminfo") as meminfo:
            mem_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
        memory = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        memory = "?"
    print(
        f"machine: {os.cpu_count()} CPUs, {memory} RAM, Python {platform.python_version()}, "
        f"PostgreSQL {pg} (shared_buffers {shared}), DEBUG={os.environ.get('DEBUG')}, load average {_load()}"
    )
    counts = {
        "regions": Region.objects.count(),
        "organisations": Organization.objects.count(),
        "persons": Person.objects.count(),
        "households": Household.objects.count(),
        "members": Member.objects.count(),
        "events": Event.objects.count(),
    }
    print("data: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def print_extra_indexes() -> None:
    """Indexes made by hand for an experiment (named bench_*) are not part of the application."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'bench%%'")
        extra = [row[0] for row in cursor.fetchall()]
    for definition in extra:
        print(f"EXPERIMENT, index made by hand (not a migration): {definition}")


def print_table(results: list[Result]) -> None:
    header = ("case", "user", "n", "median ms", "p90 ms", "SQL med ms", "Python ms", "queries", "target", "list shows")
    rows = []
    for r in results:
        if r.timed_out:
            rows.append((r.case.label, r.username, str(r.n), "—", "—", "—", "—", str(r.queries), r.verdict(), ""))
            continue
        rows.append(
            (
                r.case.label,
                r.username,
                str(r.n),
                f"{r.median:.1f}",
                f"{r.p90:.1f}",
                f"{r.sql_median:.1f}",
                f"{r.median - r.sql_median:.1f}",
                str(r.queries),
                r.verdict(),
                r.matches,
            )
        )
    widths = [max(_width(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    for i, row in enumerate([header, *rows]):
        cells = [_pad(cell, widths[j], right=2 <= j <= 7) for j, cell in enumerate(row)]
        print("  ".join(cells).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


def main() -> None:
    args = parse_args()
    require_postgres()
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from dangjian.accounts.models import User

    if connection.vendor != "postgresql":
        sys.exit("This benchmark runs on PostgreSQL only.")
    if args.seed_if_empty:
        seed_if_empty()
    install_statement_timeout(args.statement_timeout)
    if args.proposals:
        from proposals import apply  # bench/proposals.py (this script's directory is on sys.path)

        for name in apply():
            print(f"EXPERIMENT, patched in this process: {name}")
    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # a cancelled query is reported below instead
    ensure_bench_user()
    describe_environment()
    print_extra_indexes()
    cases = build_cases()
    if args.only:
        wanted = set(args.only.split(","))
        cases = [c for c in cases if c.key in wanted]
    usernames = args.users.split(",") if args.users else list(DEFAULT_USERS)
    print(
        f"method: {WARMUP} warm-up + up to {args.repeat} measured requests per row (budget {args.budget:.0f} s), "
        f"django.test.Client, statement_timeout {args.statement_timeout} s\n",
        flush=True,
    )

    results: list[Result] = []
    for username in usernames:
        client = Client()
        if username != ANONYMOUS:
            client.force_login(User.objects.get(username=username))
        for case in cases:
            if case.users is not None and username not in case.users:
                continue
            result = measure(client, case, username, args.repeat, args.budget)
            results.append(result)
            print(
                f"  {case.key:<14} {username:<15} n={result.n:<3} {result.median:8.1f} ms  {result.queries:3d} queries"
                f"  {result.verdict()}",
                flush=True,
            )
    print(f"\nload average at the end: {_load()} (other processes on this machine add noise)\n")
    print_table(results)
    if args.explain or args.explain_all:
        for result in results:
            if args.explain_all or result.verdict().startswith(("OVER", "TIMEOUT")):
                explain(result, args.explain_top)


if __name__ == "__main__":
    main()
