"""Run every few minutes (cron, or `make run`'s loop): flag passed deadlines, close handled
requests nobody confirmed, and sample handled requests for callbacks."""

from typing import Any

from django.core.management.base import BaseCommand

from dangjian.servicedesk import lifecycle


class Command(BaseCommand):
    help = "Flag SLA breaches, close unconfirmed handled requests and sample callbacks."

    def handle(self, *args: Any, **options: Any) -> None:
        result = lifecycle.sweep()
        result["callbacks_sampled"] = lifecycle.callbacks_sample()
        if options["verbosity"]:
            self.stdout.write(" ".join(f"{key}={value}" for key, value in result.items()))
