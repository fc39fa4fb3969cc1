"""Key rotation (docs/operations.md, "Rotating the keys"): put the new Fernet key first in
FIELD_ENCRYPTION_KEYS (keep the old ones after it) and, to change it, the new SEARCH_HASH_KEY;
then run this. Every registered encrypted column is re-encrypted under the first key and every
keyed hash rewritten under the hash key, in batches, with progress; an interrupted run is resumed
by running it again. When it reports nothing left under an old key, the old keys can go."""

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.core import crypto

logger = logging.getLogger("dangjian.core.keys")


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under the first FIELD_ENCRYPTION_KEYS key and rewrite every keyed hash "
        "under SEARCH_HASH_KEY, in batches (--batch-size, default 1000); resumable: run it again after an interruption."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["batch_size"] <= 50_000:
            raise CommandError("--batch-size must be between 1 and 50000.")
        verbose = options["verbosity"] > 1
        started = time.monotonic()
        unreadable: dict[str, list[int]] = {}
        totals = {"rows": 0, "encrypted": 0, "hashed": 0}
        for entry in crypto.registered_columns():

            def progress(done: crypto.Rotated, entry: crypto.Column = entry) -> None:
                if verbose:
                    self.stdout.write(f"  {entry}: {done.rows} rows read, {done.encrypted} re-encrypted")

            done = crypto.rotate_column(entry, batch_size=options["batch_size"], progress=progress)
            self.stdout.write(
                f"{entry}: {done.rows} rows, {done.encrypted} re-encrypted, {done.hashed} hashes rewritten"
                + (f", {len(done.unreadable)} unreadable" if done.unreadable else "")
            )
            for name in totals:
                totals[name] += getattr(done, name)
            if done.unreadable:
                unreadable[str(entry)] = done.unreadable
        seconds = time.monotonic() - started
        logger.warning("keys rotated: %s in %.1f s", totals, seconds)  # kept with the site's logs
        self.stdout.write(f"done in {seconds:.1f} s")
        if unreadable:
            for column, pks in unreadable.items():
                logger.error("%s: no configured key opens the token of rows %s", column, pks[:20])
            raise CommandError(
                "Some tokens open with none of FIELD_ENCRYPTION_KEYS (listed above and in the log): "
                "keep the key that wrote them in the list, or clear those values."
            )
