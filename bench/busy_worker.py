"""Make the demo community worker ``staff`` a busy one, for the audit log's benchmark: 100,000
"full number viewed" events over the last 300 days on people of their community, and the role
grants of ``staff``, ``street`` and ``secretary`` dated back to 2024-12-01 so that the admins'
windows cover them all. Run once after ``bench/run.py --seed-if-empty`` (it does nothing when
the events are there already)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench python bench/busy_worker.py
    python bench/run.py --only audit,audit_sensitive,audit_who --users bench_district,street,secretary --repeat 15

Not a test: pytest collects ``test_*.py`` only.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")

import django

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from dangjian.accounts.models import RoleGrant, User  # noqa: E402
from dangjian.core.models import Event, EventAction  # noqa: E402
from dangjian.people.models import Person  # noqa: E402

EVENTS = 100_000
SINCE = "2024-12-01"


def main() -> None:
    staff = User.objects.get(username="staff")
    if Event.objects.filter(actor=staff, action=EventAction.UNMASKED).count() >= EVENTS:
        print("staff already has", EVENTS, "unmasking events; nothing added")
        return
    started = time.perf_counter()
    person_type = ContentType.objects.get_for_model(Person)
    community = (
        RoleGrant.objects.filter(user=staff, region__isnull=False).values_list("region__path", flat=True).first()
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            WITH people AS (
                SELECT p.id, p.name, row_number() OVER (ORDER BY p.id) AS n, count(*) OVER () AS total
                FROM people_person p JOIN orgs_region r ON r.id = p.region_id
                WHERE r.path LIKE %s
            )
            INSERT INTO core_event (occurred_at, action, target_id, target_label, changes, reason, actor_id, target_type_id)
            SELECT now() - (g * interval '259 seconds'), 'unmasked', p.id, p.name,
                   '{"field": ["phone", "phone"], "purpose": [null, "contact"]}'::jsonb, '联系本人', %s, %s
            FROM generate_series(1, %s) AS g
            JOIN people p ON p.n = 1 + (g %% p.total)
            """,
            [community + "%", staff.pk, person_type.pk, EVENTS],
        )
        added = cursor.rowcount
        grants = RoleGrant.objects.filter(user__username__in=("staff", "street", "secretary")).update(starts_on=SINCE)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_event")
    print(f"added {added:,} events of staff, {grants} grants from {SINCE}, in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
