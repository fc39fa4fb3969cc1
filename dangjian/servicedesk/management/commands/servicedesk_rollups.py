"""The nightly check of the rates' daily counts (rates/rollups.py): count the last days again from
the requests, report every row that differs and repair it. `--rebuild` counts every day again
(after loading requests in bulk, or after upgrading to the version that introduced the counts).
It also lists requests whose records the state machine cannot produce (rates/integrity.py)."""

import datetime as dt
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dangjian.servicedesk.rates import integrity, rollups

logger = logging.getLogger("dangjian.servicedesk.rollups")


class Command(BaseCommand):
    help = (
        "Check the rates' daily counts against the requests (the last --days days, default 90; --all for every "
        "day), repair the rows that differ, or --rebuild them all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=90, help="how many days back to check (default 90)")
        parser.add_argument("--all", action="store_true", help="check every day that has requests")
        parser.add_argument("--rebuild", action="store_true", help="count every day again without comparing")
        parser.add_argument("--check-only", action="store_true", help="report the differences, repair nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            rows = rollups.rebuild()
            self.stdout.write(f"rebuilt: {rows} rows")
            return
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        today = timezone.localdate()
        first = None if options["all"] else today - dt.timedelta(days=options["days"] - 1)
        differences = rollups.reconcile(first, None if options["all"] else today)
        for difference in differences[:50]:
            changed = {
                name: [difference.stored[name], difference.counted[name]]
                for name in difference.stored
                if difference.stored[name] != difference.counted[name]
            }
            logger.warning("daily counts differ: region %s on %s: %s", difference.region_id, difference.day, changed)
            self.stdout.write(f"differs: region {difference.region_id} on {difference.day}: {changed}")
        if differences and not options["check_only"]:
            days = rollups.repair(differences)
            self.stdout.write(f"repaired: {days} day(s) in {len({d.community_id for d in differences})} communities")
        self.stdout.write(f"checked: {len(differences)} row(s) differed")
        for key, ids in integrity.problems().items():
            label = integrity.RULES[key][0]
            logger.warning("requests the state machine cannot produce: %s: %s", label, ids)
            self.stdout.write(f"not as the state machine writes them: {label}: {ids}")
        if differences and options["check_only"]:
            raise CommandError(f"{len(differences)} daily count row(s) differ from the requests.")
