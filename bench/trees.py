"""Tree moves at district scale on PostgreSQL (issue #11's target: moving a community with 6,000
people and its grids ≤ 5 s).

Usage (after bench/run.py --seed-if-empty)::

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    python bench/trees.py --repeat 3

Moves the community with the most residents to another street and back, ``--repeat`` times, as a
district admin, through ``orgs.services.move_node`` (the service the 管理 page calls): the paths
of the community and its grids are rewritten and their former paths kept. Also moves the party
committee with the most members to another working committee and back. Prints each move's time,
the rows rewritten, and how many people and members the moved subtree holds. The moves are real
(the database ends as it began, with path history rows added).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
os.environ.setdefault("DEBUG", "0")

from actors import bench_actor  # noqa: E402 - bench/actors.py, beside this script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count

    from dangjian.orgs.models import Organization, OrgKind, Region, RegionLevel
    from dangjian.orgs.services import move_node
    from dangjian.people.models import Member, Person

    if connection.vendor != "postgresql":
        sys.exit("Run this on PostgreSQL (DATABASE_URL).")
    actor = bench_actor()
    communities = Region.objects.filter(level=RegionLevel.COMMUNITY)
    biggest, people = max(
        ((c, Person.objects.filter(region__path__startswith=c.path).count()) for c in communities[:40]),
        key=lambda pair: pair[1],
    )
    home = biggest.parent
    away = Region.objects.filter(level=RegionLevel.STREET).exclude(pk=home.pk).order_by("path").first()
    grids = Region.objects.filter(path__startswith=biggest.path).count()
    print(
        f"community {biggest.name}: {people:,} people, {grids} nodes (itself and its grids); {home.name} ⇄ {away.name}"
    )
    committee = Organization.objects.filter(kind=OrgKind.COMMITTEE).annotate(n=Count("members")).order_by("-n").first()
    org_home = committee.parent
    org_away = Organization.objects.filter(kind=OrgKind.WORKING_COMMITTEE).exclude(pk=org_home.pk).first()
    subtree = Organization.objects.filter(path__startswith=committee.path)
    members = Member.objects.filter(organization__in=subtree).count()
    print(
        f"committee {committee.name}: {subtree.count()} organisations, {members:,} members; {org_home.name} ⇄ {org_away.name}"
    )
    for label, node, there, back in (
        ("community", biggest, away, home),
        ("committee", committee, org_away, org_home),
    ):
        times = []
        for _round in range(args.repeat):
            for target in (there, back):
                node.refresh_from_db()
                started = time.perf_counter()
                move_node(actor=actor, node=node, new_parent=target, reason="基准测试")
                times.append(time.perf_counter() - started)
        print(
            f"move a {label}: n={len(times)} median {statistics.median(times) * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms (target ≤ 5,000 ms)"
        )


if __name__ == "__main__":
    main()
