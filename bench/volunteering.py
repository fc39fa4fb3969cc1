"""Volunteering's background work at district scale on PostgreSQL (issue #12's performance item).

Usage (after bench/run.py --seed-if-empty has seeded the district, volunteering included)::

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    python bench/volunteering.py               # 5 runs of each, the median
    python bench/volunteering.py --repeat 3

* street report: ``reports.write_street_report(actor, street, start)`` — the body of the 双报到
  street export job (every reporting member of every community of the street, with their verified
  service, written as one .xlsx) — for the street with the most 双报到 reports (the rows of the
  file) and for the demo ``street`` admin's own street, over the last half-year that is over.
  Target: ≤ 10 s.
* reconciliation: ``selectors.ledger_reconciliation(actor=...)`` (the time bank against the
  verified records, per person, community and in total) for the district admin and the street
  admin, and the two flags the checks page shows beside it (``flag_round_hours`` cut to 100
  rows as the page does, ``flag_over_cap``), for the year so far like the page.

Each figure is the median of ``--repeat`` runs after one warm-up run, with the number of SQL
queries and their summed time (a ``connection.execute_wrapper``). Nothing is written.

``--proposals`` (EXPERIMENT, nothing here is used by the application) also times, beside the
application's function, the query change docs/performance.md proposes for it, after checking that
both give the same result:

V1  ``flag_over_cap``: the sums per person and local day in SQL (``GROUP BY person, day HAVING
    sum > cap``), the names of the flagged people only; instead of reading every verified record
    of the year with its person's name into Python. Compared at the configured cap and at 1.5 h
    (where the seed's two-hour records are flagged) so that the comparison is not of two empty lists.
V2  ``public_totals`` (the roll of honour's totals): aggregate the records by ``community_id``
    first (keeping the communities with at least PUBLIC_MINIMUM people) and read the communities'
    names and paths afterwards, instead of grouping by the joined
    region's name and path (which PostgreSQL answers with a nested loop over all 1,111 regions and
    an incremental sort of 300,000 rows).

Not a test: pytest collects ``test_*.py`` only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
os.environ.setdefault("DEBUG", "0")

from actors import bench_actor as _actor  # noqa: E402 - bench/actors.py, beside this script


class QueryTimer:
    def __init__(self) -> None:
        self.count = 0
        self.ms = 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.ms += (time.perf_counter() - start) * 1000


def timed(label: str, call: Callable[[], Any], repeat: int, describe: Callable[[Any], str] = str) -> None:
    from django.db import connection

    call()  # warm-up
    totals, sql, counts, last = [], [], [], None
    for _i in range(repeat):
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            start = time.perf_counter()
            last = call()
            totals.append(time.perf_counter() - start)
        sql.append(timer.ms / 1000)
        counts.append(timer.count)
    print(
        f"  {label:<58} median {statistics.median(totals):7.2f} s  (min {min(totals):.2f}, max {max(totals):.2f})"
        f"  SQL {statistics.median(sql):6.2f} s  {int(statistics.median(counts))} queries  {describe(last)}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="measured runs of each (default 5)")
    parser.add_argument("--proposals", action="store_true", help="EXPERIMENT: also time V1 and V2 (see above)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must point at PostgreSQL, e.g. postgres://postgres@127.0.0.1:5432/dangjian_bench")
    import django

    django.setup()
    from django.db.models import Count
    from django.utils import timezone

    from dangjian.accounts.models import RoleGrant, User
    from dangjian.membership.models import CommunityReport
    from dangjian.orgs.models import Region, RegionLevel
    from dangjian.volunteering import reports, selectors, services
    from dangjian.volunteering.models import LedgerEntry, ServiceRecord

    today = timezone.localdate()
    start, end = reports.period_of(reports.period_of(today)[0] - dt.timedelta(days=1))
    district = _actor(User.objects.get(username="district"))
    street_admin = _actor(User.objects.get(username="street"))
    own_street = RoleGrant.objects.active().get(user__username="street", region__isnull=False).region
    reported = {
        row["community__parent_id"]: row["n"]
        for row in CommunityReport.objects.values("community__parent_id").annotate(n=Count("id"))
    }
    streets = list(Region.objects.filter(level=RegionLevel.STREET))
    largest = max(streets, key=lambda s: (reported.get(s.pk, 0), -s.pk))
    print(
        f"data: {ServiceRecord.objects.count():,} service records, {LedgerEntry.objects.count():,} ledger lines; "
        f"period {start}–{end}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )

    def rows(result: tuple[bytes, int]) -> str:
        return f"{result[1]:,} rows, {len(result[0]) / 1024:.0f} KiB"

    print(f"\nstreet report (write_street_report), {args.repeat} runs after a warm-up:")
    for actor, street, who in ((district, largest, "district admin"), (street_admin, own_street, "street admin")):
        timed(
            f"{street.name} ({reported.get(street.pk, 0)} reports) as {who}",
            lambda actor=actor, street=street: reports.write_street_report(actor, street, start),
            args.repeat,
            rows,
        )

    def unbalanced(result: list) -> str:
        return f"{len(result) - 1} unbalanced rows; total {result[-1].verified_minutes:,} min verified"

    year_start = dt.date(today.year, 1, 1)
    print(f"\nthe checks page's parts ({year_start}–{today}), {args.repeat} runs after a warm-up:")
    for actor, who in ((district, "district admin"), (street_admin, "street admin")):
        timed(
            f"ledger_reconciliation as {who}",
            lambda actor=actor: selectors.ledger_reconciliation(actor=actor),
            args.repeat,
            unbalanced,
        )
        timed(
            f"flag_round_hours[:100] as {who}",
            lambda actor=actor: list(selectors.flag_round_hours(actor=actor, start=year_start, end=today)[:100]),
            args.repeat,
            lambda r: f"{len(r)} flagged",
        )
        timed(
            f"flag_over_cap as {who}",
            lambda actor=actor: selectors.flag_over_cap(actor=actor, start=year_start, end=today),
            args.repeat,
            lambda r: f"{len(r)} flagged",
        )
        if args.proposals:
            for cap in (None, 90):
                check_same(
                    f"V1 over cap {cap or 'configured'} as {who}",
                    lambda actor=actor, cap=cap: _with_cap(
                        cap, lambda: selectors.flag_over_cap(actor=actor, start=year_start, end=today)
                    ),
                    lambda actor=actor, cap=cap: over_cap_in_sql(actor=actor, start=year_start, end=today, cap=cap),
                )
            timed(
                f"V1 flag_over_cap in SQL as {who}",
                lambda actor=actor: over_cap_in_sql(actor=actor, start=year_start, end=today),
                args.repeat,
                lambda r: f"{len(r)} flagged",
            )

    since = services.day_bounds(year_start, today)[0]
    print(f"\nthe roll of honour's totals since {year_start}, {args.repeat} runs after a warm-up:")
    timed("public_totals", lambda: selectors.public_totals(since=since), args.repeat, lambda r: f"{len(r)} communities")
    if args.proposals:
        check_same(
            "V2 public totals",
            lambda: selectors.public_totals(since=since),
            lambda: public_totals_by_id(since=since),
        )
        timed(
            "V2 public_totals grouped by community_id",
            lambda: public_totals_by_id(since=since),
            args.repeat,
            lambda r: f"{len(r)} communities",
        )


# -- EXPERIMENT: the proposed query changes (--proposals) -------------------------------------------


def check_same(label: str, current: Callable[[], Any], proposed: Callable[[], Any]) -> None:
    a, b = current(), proposed()
    if a != b:
        raise SystemExit(f"{label}: the proposal differs ({len(a)} rows vs {len(b)})")
    print(f"  {label}: same result ({len(a)} rows)")


def _with_cap(minutes: int | None, call: Callable[[], Any]) -> Any:
    """Run ``call`` with the daily cap at ``minutes`` (this process only; None: as configured)."""
    if minutes is None:
        return call()
    import dataclasses

    from dangjian.volunteering import selectors

    original = selectors.config
    selectors.config = lambda: dataclasses.replace(original(), service_daily_cap_hours=minutes / 60)
    try:
        return call()
    finally:
        selectors.config = original


def over_cap_in_sql(*, actor: Any, start: dt.date, end: dt.date, cap: int | None = None) -> list[dict[str, Any]]:
    """V1: flag_over_cap with the sums per person and local day made by PostgreSQL."""
    from django.db.models import Sum
    from django.db.models.functions import TruncDate

    from dangjian.core.access import VIEW, restrict
    from dangjian.core.conf import config
    from dangjian.people.models import Person
    from dangjian.volunteering.models import RecordState, ServiceRecord
    from dangjian.volunteering.services import day_bounds

    low, high = day_bounds(start, end)
    cap = cap if cap is not None else config().service_daily_cap_hours * 60
    rows = list(
        restrict(
            ServiceRecord.objects.filter(state=RecordState.VERIFIED, started_at__gte=low, started_at__lt=high),
            actor,
            VIEW,
        )
        .annotate(day=TruncDate("started_at"))  # in the current time zone, like timezone.localtime()
        .values("person_id", "day")
        .annotate(total=Sum("minutes"))
        .filter(total__gt=cap)
        .order_by("day", "person_id")
    )
    names = dict(Person.objects.filter(pk__in={row["person_id"] for row in rows}).values_list("pk", "name"))
    return [
        {
            "person_id": row["person_id"],
            "name": names[row["person_id"]],
            "day": row["day"],
            "minutes": row["total"],
            "cap": cap,
        }
        for row in rows
    ]


def public_totals_by_id(*, since: dt.datetime, limit: int = 200) -> list[dict[str, Any]]:
    """V2: public_totals grouped by community_id, the communities read afterwards (two queries)."""
    from django.db.models import Count, Sum

    from dangjian.orgs.models import Region
    from dangjian.volunteering import selectors
    from dangjian.volunteering.models import RecordState, ServiceRecord

    totals = {
        row["community_id"]: row
        for row in ServiceRecord.objects.filter(state=RecordState.VERIFIED, started_at__gte=since)
        .values("community_id")
        .annotate(records=Count("id"), minutes=Sum("minutes"), people=Count("person", distinct=True))
        .order_by()
    }
    totals = {pk: row for pk, row in totals.items() if row["people"] >= selectors.PUBLIC_MINIMUM}
    places = sorted(Region.objects.filter(pk__in=list(totals)).values_list("pk", "name", "path"), key=lambda r: r[2])
    return [
        {
            "community__name": name,
            "community__path": path,
            "records": totals[pk]["records"],
            "minutes": totals[pk]["minutes"],
            "people": totals[pk]["people"],
        }
        for pk, name, path in places[:limit]
    ]


if __name__ == "__main__":
    main()
