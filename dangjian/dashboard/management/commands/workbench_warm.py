"""The nightly warm-up of the workbench's figures: count them for the scope of every staff user
who signed in lately, so that no one's first visit waits for the count (1.5 s for a district
admin, docs/performance.md). Later visits keep them fresh themselves (dashboard/selectors.py)."""

import datetime as dt
import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.accounts.roles import STAFF_ROLES
from dangjian.core.actors import Actor
from dangjian.dashboard import selectors


class Command(BaseCommand):
    help = (
        "Count the workbench's figures for the scope of every active staff user who signed in within --days "
        "(default 30), once per scope, in --language (default zh-hans), and keep them in the cache."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30, help="users who signed in within this many days")
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        since = timezone.now() - dt.timedelta(days=options["days"])
        started = time.monotonic()
        counted: set[str] = set()
        users = User.objects.filter(is_active=True, last_login__gte=since).order_by("pk")
        for user in users.iterator():
            actor = Actor(user=user, via="command", language=options["language"])
            if not (actor.scope.superuser or actor.scope.has_role(*STAFF_ROLES)):
                continue
            key = selectors.figures_key(actor=actor)
            if key not in counted:
                selectors.keep_counted_figures(actor=actor)
                counted.add(key)
        self.stdout.write(f"workbench figures counted for {len(counted)} scopes in {time.monotonic() - started:.1f} s")
        if isinstance(caches["default"], LocMemCache):
            self.stderr.write(
                "The cache is this process's own (no REDIS_URL): the figures were counted but the site will not see them."
            )
