"""Demo and scale data. Each app that has records to seed has a module in ``demo/seeds/`` with
``ORDER`` (lower runs first) and ``seed(ctx)``; ``manage.py seed_demo`` runs them all. The demo app
sits at the top of the stack: it imports every app, and no app imports it.

Everything is drawn from one ``random.Random(seed)``, so a seed gives the same people, numbers
and structure every time (dates are relative to ``ctx.today``, which can be fixed too).
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
import time
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass(frozen=True)
class ScaleProfile:
    name: str
    districts: int
    streets_per_district: int
    communities_per_street: int
    grids_per_community: int
    people_per_grid: int
    member_share: float  # of adults


SCALES = {
    # DESIGN.md §7: demo 1/4/~40/~12,000/~1,200; district 10/100/~1,000/~600,000/~60,000;
    # city 100/1,000/~10,000/~6,000,000/~600,000.
    "demo": ScaleProfile("demo", 1, 1, 4, 10, 300, 0.1),
    "district": ScaleProfile("district", 1, 10, 10, 10, 600, 0.1),
    "city": ScaleProfile("city", 10, 10, 10, 10, 600, 0.1),
    # A few hundred people, for tests.
    "tiny": ScaleProfile("tiny", 1, 1, 2, 2, 25, 0.2),
}


@dataclass
class SeedContext:
    scale: ScaleProfile
    seed: int
    today: dt.date
    out: TextIO | None = None
    rng: random.Random = field(init=False)
    shared: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def log(self, message: str) -> None:
        if self.out is not None:
            self.out.write(f"[{time.monotonic() - self.started:7.1f}s] {message}\n")
            self.out.flush()


SEED_MODULES = (
    "orgs",
    "people",
    "accounts",
    "membership",
    "servicedesk",
    "activities",
    "volunteering",
    "evaluation",
    "phrases",
)  # dangjian/demo/seeds/<name>.py


def seed_modules() -> list[Any]:
    modules = [importlib.import_module(f"dangjian.demo.seeds.{name}") for name in SEED_MODULES]
    return sorted(modules, key=lambda module: module.ORDER)


def run_seed(ctx: SeedContext) -> None:
    for module in seed_modules():
        module.seed(ctx)


def fast_insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert plain rows (column attname → Python value) without building model instances:
    COPY on PostgreSQL, executemany elsewhere. For seeding millions of simple rows (dues
    payments) where bulk_create's per-value preparation dominates. Values must already be
    database-ready (str, int, Decimal, date, None); fields with defaults must be given."""
    from django.db import connection

    if not rows:
        return
    columns = list(rows[0])
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - names come from the model
            cursor.executemany(sql, [[r[c] for c in columns] for r in rows])
