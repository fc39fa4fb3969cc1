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
    from dangjian.volunteering import reports, selectors
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


if __name__ == "__main__":
    main()
