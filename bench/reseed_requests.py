"""Replace the service requests of a seeded benchmark database without seeding it all again
(people and members take most of the 15 minutes of a district seed).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    python bench/reseed_requests.py

Empties the service desk's tables (requests, steps, ratings, callbacks, receptions), rebuilds
from the database what the servicedesk seed needs of the earlier seeds (communities, their
grids, people and members) and runs demo/seeds/servicedesk.py again with the same seed number.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")


def main() -> None:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from dangjian.demo.seeding import SCALES, SeedContext
    from dangjian.demo.seeds import servicedesk as seed
    from dangjian.orgs.models import Region, RegionLevel
    from dangjian.people.models import Member, Person
    from dangjian.servicedesk.models import (
        Callback,
        Rating,
        ReceptionBooking,
        ReceptionSession,
        RequestAttachment,
        RequestStep,
        ServiceRequest,
    )

    if connection.vendor != "postgresql":
        raise SystemExit("Run against the PostgreSQL benchmark database.")
    tables = [
        m._meta.db_table
        for m in (ReceptionBooking, ReceptionSession, Callback, Rating, RequestAttachment, RequestStep, ServiceRequest)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)}")
    ctx = SeedContext(scale=SCALES["district"], seed=1, today=timezone.localdate(), out=sys.stdout)
    communities = []
    for community in Region.objects.filter(level=RegionLevel.COMMUNITY).order_by("path"):
        people = list(Person.objects.filter(region__parent=community).select_related("user", "region").order_by("id"))
        members = list(Member.objects.filter(person__region__parent=community).select_related("person").order_by("id"))
        grids = list(Region.objects.filter(parent=community, level=RegionLevel.GRID).order_by("path"))
        communities.append({"region": community, "grids": grids, "people": people, "members": members})
    ctx.shared["communities"] = communities
    with transaction.atomic():
        seed.seed(ctx)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")


if __name__ == "__main__":
    main()
