"""Membership benchmarks at district scale on PostgreSQL (issue #3's performance targets).

Usage (after bench/run.py --seed-if-empty has seeded the district)::

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    python bench/membership.py                 # all three
    python bench/membership.py --only import   # import, dues or arrears

* import: a generated 10,000-row roster (.xlsx, realistic: Chinese names, valid ID numbers,
  several branches and grids by name, text dates in three formats) checked (dry run) and then
  imported for real into one community committee, each timed, then imported again (must change
  nothing). The imported people are removed afterwards (this is a benchmark database) so that
  the script can be run again.
* dues: the monthly bill of the whole district (~60,000 members) written as the .xlsx export
  (every member row with the amount due and the payment, and the totals) — timed.
* arrears: the members six months behind across the district — timed.

Targets (issue #3): import ≤ 30 s each; district dues bill ≤ 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import sys
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
os.environ.setdefault("DEBUG", "0")

ROWS = 10_000
BENCH_DIVISION = "110101"  # 北京市东城区: the seed's people are all from the seeded district


from actors import bench_actor as _actor  # noqa: E402 - bench/actors.py, beside this script


def build_roster(committee, rows: int, seed: int = 7) -> bytes:
    from openpyxl import Workbook

    from dangjian.core.validators import id_check_digit
    from dangjian.membership.importing.members import TEMPLATE_COLUMNS
    from dangjian.orgs.models import Organization, OrgKind, Region, RegionLevel

    rng = random.Random(seed)
    branches = list(Organization.objects.filter(path__startswith=committee.path, kind=OrgKind.BRANCH))
    grids = list(Region.objects.filter(path__startswith=committee.region.path, level=RegionLevel.GRID))
    surnames = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    )
    given = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欣晨博志国建文成德海东亮振兴宏光春永芳娜敏静丽艳娟霞秀玲"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("党员信息采集表")
    sheet.append([f"{committee.name}党员信息采集表"])
    sheet.append(["*" + c.label if c.required else c.label for c in TEMPLATE_COLUMNS])
    used: set[str] = set()
    formats = ("{:%Y-%m-%d}", "{:%Y/%m/%d}", "{0.year}年{0.month}月{0.day}日")
    for _i in range(rows):
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 62))
        while True:
            first17 = f"{BENCH_DIVISION}{birth:%Y%m%d}{rng.randint(0, 999):03d}"  # a division the seed never uses
            number = first17 + id_check_digit(first17)
            if number not in used:
                used.add(number)
                break
        joined = birth + dt.timedelta(days=365 * rng.randint(19, 40) + rng.randint(0, 300))
        joined = min(joined, dt.date(2024, 6, 1))
        full = joined + dt.timedelta(days=366)
        values = {
            "name": rng.choice(surnames) + rng.choice(given) + (rng.choice(given) if rng.random() < 0.7 else ""),
            "gender": "",
            "ethnicity": "汉族",
            "birth_date": None,
            "id_number": number[:17] + number[17].lower(),
            "phone": f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
            "education": rng.choice(["本科", "大专", "高中", "初中"]),
            "organization": rng.choice(branches).name,
            "stage": "正式党员",
            "category": rng.choice(["在职", "离退休", "其他"]),
            "applied_on": None,
            "joined_on": rng.choice(formats).format(joined),
            "full_on": rng.choice(formats).format(full),
            "grid": rng.choice(grids).name if grids else "",
            "address": f"幸福里{rng.randint(1, 40)}栋",
            "specialties": "",
        }
        sheet.append([values[c.key] for c in TEMPLATE_COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def bench_import() -> None:
    from django.db import connection

    from dangjian.core.models import Event
    from dangjian.membership.importing.members import apply_import, plan_import
    from dangjian.membership.models import Placement
    from dangjian.orgs.models import Organization, OrgKind
    from dangjian.people.models import Member, Person

    committee = Organization.objects.filter(kind=OrgKind.COMMITTEE).order_by("path").first()
    started = time.perf_counter()
    content = build_roster(committee, ROWS)
    print(f"roster of {ROWS} rows built in {time.perf_counter() - started:.1f} s ({len(content) / 1e6:.1f} MB)")
    before = Person.objects.count()
    started = time.perf_counter()
    plan = plan_import(content, "roster.xlsx", root=committee, actor=_actor())
    dry = time.perf_counter() - started
    print(f"dry run: {dry:.1f} s — {plan.valid} valid, {len(plan.errors)} problems")
    if plan.errors:
        print("  first problems:", [p.as_dict() for p in plan.errors[:3]])
    started = time.perf_counter()
    result = apply_import(plan, actor=_actor())
    real = time.perf_counter() - started
    print(
        f"real import (check included: {dry:.1f} s + write): write {real:.1f} s, total {dry + real:.1f} s — {result.as_dict()}"
    )
    started = time.perf_counter()
    again = apply_import(
        plan_import(content, "roster.xlsx", root=committee, actor=_actor()),
        actor=_actor(),
    )
    print(f"re-import of the same file: {time.perf_counter() - started:.1f} s — {again.as_dict()}")
    assert again.created == 0 and again.updated == 0, again
    assert Person.objects.count() == before + result.created
    # Clean up: this is a benchmark database.
    imported = Person.objects.filter(id_number_masked__startswith=BENCH_DIVISION)
    members = Member.objects.filter(person__in=imported)
    with connection.cursor():
        Event.objects.filter(
            target_id__in=list(imported.values_list("pk", flat=True)) + list(members.values_list("pk", flat=True))
        ).delete()
        Placement.objects.filter(member__in=members).delete()
        Member.specialties.through.objects.filter(member__in=members).delete()
        members.delete()
        imported.delete()
    print(f"cleaned up; people back to {Person.objects.count()}")


def bench_dues() -> None:
    from dangjian.membership.dues import rules as dues
    from dangjian.membership.dues.exports import write_bill
    from dangjian.membership.dues.selectors import bill_values

    user = _district_user()
    month = dues.add_months(dues.month_start(dt.date.today()), -1)
    for attempt in range(3):
        started = time.perf_counter()
        due = paid = 0
        members = 0
        for _org, _name, _category, row_due, _year, row_paid, *_rest in bill_values(
            actor=_actor(user), organization=None, month=month
        ).iterator(chunk_size=5000):
            members += 1
            due += row_due or 0
            paid += row_paid or 0
        print(
            f"district dues bill {month:%Y-%m} computed (run {attempt + 1}): {members} member rows with amount due "
            f"and payment, totals {due} / {paid}, in {time.perf_counter() - started:.2f} s"
        )
    for attempt in range(2):
        started = time.perf_counter()
        content, totals = write_bill(user, None, month)
        elapsed = time.perf_counter() - started
        print(
            f"district dues bill {month:%Y-%m} as .xlsx (run {attempt + 1}): {totals['members']} member rows, "
            f"{len(content) / 1e6:.1f} MB, in {elapsed:.2f} s — due {totals['due']}, paid {totals['paid']}, "
            f"{totals['unpaid']} unpaid, {totals['unassessed']} not assessed"
        )


def bench_arrears() -> None:
    from dangjian.membership.dues.selectors import arrears

    user = _district_user()
    for attempt in range(2):
        started = time.perf_counter()
        rows = arrears(actor=_actor(user))
        print(
            f"arrears across the district (run {attempt + 1}): {len(rows)} members behind, "
            f"{sum(1 for r in rows if r.months >= 6)} six months or more, in {time.perf_counter() - started:.2f} s"
        )


def _district_user():
    sys.path.insert(0, str(REPO_DIR / "bench"))
    from run import ensure_bench_user

    return ensure_bench_user()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["import", "dues", "arrears"])
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL (DATABASE_URL=postgres://…).")
    for name, function in (("import", bench_import), ("dues", bench_dues), ("arrears", bench_arrears)):
        if args.only in (None, name):
            print(f"\n== {name} ==", flush=True)
            function()


if __name__ == "__main__":
    main()
