"""The backup drill (docs/operations.md, "Backups"): back up the database and the uploaded files,
restore them into a new database (PostgreSQL) or file (SQLite), and check that every table has
the same rows and every file the same bytes; with the time of each step. The drill's database
and files are removed afterwards (--keep leaves them)."""

import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from dangjian.core import backups


class Command(BaseCommand):
    help = "Back up the database and MEDIA_ROOT, restore both into a scratch copy and compare every table and file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--keep", action="store_true", help="keep the backup and the restored copy")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections["default"]
        media = Path(settings.MEDIA_ROOT)
        work = Path(tempfile.mkdtemp(prefix="dangjian-drill-"))
        database = f"{connection.settings_dict['NAME']}_drill_{int(time.time())}"
        times: dict[str, float] = {}

        def timed(step: str, started: float) -> None:
            times[step] = time.monotonic() - started

        started = time.monotonic()
        original = backups.census(connection, media)
        timed("census", started)
        restored = None
        try:
            started = time.monotonic()
            written = backups.back_up(connection, media, work / "backup")
            timed("backup", started)
            started = time.monotonic()
            restored, restored_media = backups.restore(connection, written, database=database, work=work / "restored")
            timed("restore", started)
            started = time.monotonic()
            copy = backups.census(restored, restored_media)
            lost = backups.differences(original, copy)
            timed("check", started)
        finally:
            if not options["keep"]:  # also after a failure: no scratch database or files are left behind
                backups.drop(connection, restored, database=database, work=work)
        sizes = (
            ", ".join(f"{name} {path.stat().st_size / 1e6:.1f} MB" for name, path in written.items())
            if options["keep"]
            else ""
        )
        self.stdout.write(
            f"{len(original.rows)} tables, {sum(n for n, _ in original.rows.values())} rows, {len(original.files)} files; "
            + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in times.items())
            + (f"; kept in {work} ({sizes})" if options["keep"] else "")
        )
        if lost:
            for line in lost[:50]:
                self.stderr.write(line)
            raise CommandError(f"The restored copy differs from the original in {len(lost)} places.")
        self.stdout.write("every table and every file restored")
