"""The evaluation's run at district scale on PostgreSQL (issue #13's performance item).

Usage (after bench/run.py --seed-if-empty has seeded the district)::

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    python bench/evaluation.py                 # 3 runs, the median
    python bench/evaluation.py --repeat 5 --profile

It makes (once) the district's plan of the last quarter that is over — the root region, its 100
communities, every registered leaf, published by the bench's district admin the day before the
quarter started — and times:

* ``services.compute_run`` for that plan as the district admin: every leaf measured through the
  owning app's indicator for the 100 communities, weighed, scored, sensitivity and TOPSIS, the
  results stored (each run stores a new Run: nothing else is changed). Target: ≤ 10 s.
* the same as a background job: ``services.start_run`` then the real worker
  (``manage.py db_worker --batch``), from the job's creation to its end (the worker's start-up
  included), as the job records it.
* each leaf's ``measure`` alone (which leaves cost the time).

The pages (overview, scorecard) are measured by bench/run.py (cases ``eval_overview``,
``eval_scorecard``). Not a test: pytest collects ``test_*.py`` only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
os.environ.setdefault("DEBUG", "0")

from volunteering import QueryTimer  # noqa: E402 - bench/volunteering.py, beside this script


def district_plan():
    """The district's plan of the last quarter that is over (made and published once)."""
    from django.utils import timezone
    from run import ensure_bench_user  # bench/run.py

    from dangjian.core.actors import Actor
    from dangjian.evaluation import services
    from dangjian.evaluation.models import Plan
    from dangjian.orgs.models import Region, RegionLevel

    user = ensure_bench_user()
    root = Region.objects.filter(parent__isnull=True, level=RegionLevel.DISTRICT).order_by("path").first()
    today = timezone.localdate()
    current, _end = services.period_bounds("quarter", today)
    start, _end = services.period_bounds("quarter", current - dt.timedelta(days=1))
    plan = Plan.objects.filter(region=root, start=start, state="published").first()
    if plan is None:
        before = Actor.for_user(
            user, via="web", now=timezone.make_aware(dt.datetime.combine(start - dt.timedelta(days=1), dt.time(10)))
        )
        plan = services.publish_plan(
            actor=before, plan=services.create_plan(actor=before, region=root, kind="quarter", start=start)
        )
    return user, plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-job", action="store_true", help="skip the background-job timing")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from dangjian.core import indicators as registry
    from dangjian.core.actors import Actor
    from dangjian.core.models import Job
    from dangjian.evaluation import services

    user, plan = district_plan()
    actor = Actor.for_user(user, via="web")
    units, _inputs = services.measure_plan(actor=actor, plan=plan)
    print(
        f"Plan: {plan} — {len(units)} communities, {plan.leaves.count()} leaves; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )

    print("Each leaf's measure alone (one run):")
    for leaf in plan.leaves.all():
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            start = time.perf_counter()
            registry.indicator(leaf.code).measure(Actor.for_user(user, via="web"), plan.start, plan.end, units)
            took = time.perf_counter() - start
        print(f"  {leaf.code:<32} {took:6.2f} s  SQL {timer.ms / 1000:5.2f} s  {timer.count} queries", flush=True)

    totals, sql, counts = [], [], []
    services.compute_run(actor=Actor.for_user(user, via="web"), plan=plan)  # warm-up
    for _i in range(args.repeat):
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            start = time.perf_counter()
            run = services.compute_run(actor=Actor.for_user(user, via="web"), plan=plan)
            totals.append(time.perf_counter() - start)
        sql.append(timer.ms / 1000)
        counts.append(timer.count)
    print(
        f"compute_run (district, {run.results.count()} results): median {statistics.median(totals):.2f} s "
        f"(min {min(totals):.2f}, max {max(totals):.2f}), SQL {statistics.median(sql):.2f} s, "
        f"{int(statistics.median(counts))} queries; fingerprint {run.fingerprint[:12]} (same each run: "
        f"{len({r.fingerprint for r in plan.runs.order_by('-pk')[: args.repeat]}) == 1})",
        flush=True,
    )
    if not args.no_job:
        job = services.start_run(actor=Actor.for_user(user, via="web"), plan=plan)
        start = time.perf_counter()
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
        wall = time.perf_counter() - start
        job = Job.objects.get(pk=job.pk)
        took = (job.finished_at - job.created_at).total_seconds() if job.finished_at else float("nan")
        print(
            f"as a background job: {job.status}, created → finished {took:.2f} s (worker wall time {wall:.2f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
