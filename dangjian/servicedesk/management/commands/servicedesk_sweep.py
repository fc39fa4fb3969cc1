"""Run every few minutes (cron, or `make run`'s loop): flag passed deadlines, close handled
requests nobody confirmed, and sample handled requests for callbacks; then the platform's own
housekeeping (core/housekeeping.py: stalled background jobs, expired job files)."""

from typing import Any

from django.core.management.base import BaseCommand

from dangjian.core.actors import Actor
from dangjian.core.housekeeping import housekeeping
from dangjian.servicedesk.requests import lifecycle


class Command(BaseCommand):
    help = (
        "Flag SLA breaches, close unconfirmed handled requests and sample callbacks; fail stalled background "
        "jobs and delete expired job files."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.for_system(via="sweep")
        result = lifecycle.sweep(actor=actor)
        result["callbacks_sampled"] = lifecycle.callbacks_sample(actor=actor)
        result.update(housekeeping(actor=actor))
        if options["verbosity"]:
            self.stdout.write(" ".join(f"{key}={value}" for key, value in result.items()))
