import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from dangjian.demo.seeding import SCALES, SeedContext, run_seed


class Command(BaseCommand):
    help = "Create realistic demo or scale data (deterministic for a given --seed)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD; default today")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if data already exists")
        parser.add_argument("--allow-production", action="store_true", help="seed even when DJANGO_ENV=production")

    def handle(self, *args, **options):
        from django.conf import settings

        from dangjian.orgs.models import Region

        if settings.PRODUCTION and not options["allow_production"]:
            raise CommandError("Demo data has known passwords; refusing to seed a production database.")
        if Region.objects.exists():
            if options["if_empty"]:
                self.stdout.write("Demo data already present; keeping it.")
                return
            raise CommandError("The database already has data. Use a fresh database (or --if-empty to skip).")
        ctx = SeedContext(
            scale=SCALES[options["scale"]],
            seed=options["seed"],
            today=options["today"] or timezone.localdate(),
            out=self.stdout if options["verbosity"] else None,
        )
        with transaction.atomic():
            run_seed(ctx)
        ctx.log("done")
