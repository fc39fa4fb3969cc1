"""Seed (again) the activities of a seeded benchmark database without seeding it all again.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    python bench/reseed_activities.py

Empties the activities' tables (and the room bookings), rebuilds from the database what
demo/seeds/activities.py needs of the earlier seeds (each community, its committee) and runs it
with the district scale and seed number 1.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")


def main() -> None:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from dangjian.activities.models import Activity, Feedback, Series, SignUp
    from dangjian.demo.seeding import SCALES, SeedContext
    from dangjian.demo.seeds import activities as seed
    from dangjian.orgs.models import Organization, OrgKind, Region, RegionLevel, RoomBooking

    if connection.vendor != "postgresql":
        raise SystemExit("Run against the PostgreSQL benchmark database.")
    started = time.perf_counter()
    tables = [m._meta.db_table for m in (Feedback, SignUp, Activity, Series, RoomBooking)]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)}")
    ctx = SeedContext(scale=SCALES["district"], seed=1, today=timezone.localdate(), out=sys.stdout)
    committees = {o.region_id: o for o in Organization.objects.filter(kind=OrgKind.COMMITTEE)}
    ctx.shared["communities"] = [
        {"region": community, "committee": committees.get(community.pk)}
        for community in Region.objects.filter(level=RegionLevel.COMMUNITY).order_by("path")
    ]
    with transaction.atomic():
        seed.seed(ctx)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(tables))
    print(f"done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
