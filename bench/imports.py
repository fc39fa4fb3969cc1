"""Import benchmarks at district scale on PostgreSQL (issue #11's performance target).

Usage (after bench/run.py --seed-if-empty has seeded the district)::

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    python bench/imports.py                  # residents and trees
    python bench/imports.py --only residents

* residents: a generated 10,000-row 居民信息采集表 (.xlsx: Chinese names, valid ID numbers, grids by
  name, households of one to four people by address, a resident tag on one row in ten) checked
  (dry run, with the preview the web check shows) and imported for real into one community by
  the district admin, each timed; then imported again (must change nothing). The imported people
  and households are removed afterwards, so that the script can be run again.
* trees: a 组织架构导入表 of 300 rows (10 communities with 10 grids each, their committees and
  branches), rows in reverse order (children before parents), checked and imported into the
  district's first street, then removed again.

Target (issue #11): 10,000 residents ≤ 30 s, check and import.
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
sys.path.insert(0, str(REPO_DIR / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("TWO_FACTOR_ROLES", "")

ROWS = 10_000
BENCH_DIVISION = "110101"  # 北京市东城区: the seed's people are all from the seeded district


from actors import bench_actor as _actor  # noqa: E402 - bench/actors.py, beside this script


def _workbook(title: str, columns, rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(["*" + c.label if c.required else c.label for c in columns])
    for values in rows:
        sheet.append([values.get(c.key) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def build_residents(community, rows: int, seed: int = 11) -> bytes:
    from dangjian.core.validators import id_check_digit
    from dangjian.orgs.models import Region, RegionLevel
    from dangjian.people.importing import COLUMNS
    from dangjian.people.models import Tag, TagKind

    rng = random.Random(seed)
    grids = list(Region.objects.filter(path__startswith=community.path, level=RegionLevel.GRID))
    tags = list(Tag.objects.filter(kind=TagKind.PERSON).values_list("name", flat=True))
    surnames = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    )
    given = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欣晨博志国建文成德海东亮振兴宏光春永芳娜敏静丽艳娟霞秀玲"
    used: set[str] = set()
    values = []
    household, left = "", 0
    for _i in range(rows):
        birth = dt.date(1935, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 85))
        while True:
            first17 = f"{BENCH_DIVISION}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
            number = first17 + id_check_digit(first17)
            if number not in used:
                used.add(number)
                break
        if left == 0:
            grid = rng.choice(grids)
            household, left = (
                f"幸福里{rng.randint(1, 60)}栋{rng.randint(1, 6)}单元{rng.randint(101, 1806)}",
                rng.randint(1, 4),
            )
        left -= 1
        values.append(
            {
                "name": rng.choice(surnames) + rng.choice(given) + (rng.choice(given) if rng.random() < 0.7 else ""),
                "ethnicity": "汉族",
                "id_number": number,
                "phone": f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}" if rng.random() < 0.8 else "",
                "education": rng.choice(["本科", "大专", "高中", "初中", "小学"]),
                "grid": f"{community.name}{grid.name}",
                "household": household,
                "tags": rng.choice(tags) if tags and rng.random() < 0.1 else "",
            }
        )
    return _workbook("居民信息采集表", COLUMNS, values)


def bench_residents() -> None:
    from django.db.models import Count

    from dangjian.core.importing import importer_for
    from dangjian.core.models import Event
    from dangjian.orgs.models import Region, RegionLevel
    from dangjian.people.models import Household, Person

    importer = importer_for("residents")
    user = _district_user()
    community = (
        Region.objects.filter(level=RegionLevel.COMMUNITY)
        .annotate(grids=Count("children"))
        .filter(grids__gt=0)
        .order_by("path")
        .first()
    )
    started = time.perf_counter()
    content = build_residents(community, ROWS)
    print(f"{ROWS} residents built in {time.perf_counter() - started:.1f} s ({len(content) / 1e6:.1f} MB)")
    before = Person.objects.count()
    print(f"{before} people recorded; importing into {community.name} as {user.username}")
    started = time.perf_counter()
    plan = importer.plan(content, "居民.xlsx", target=community, actor=_actor(user))
    checked = time.perf_counter() - started
    started = time.perf_counter()
    preview = importer.preview(plan, actor=_actor(user))
    previewed = time.perf_counter() - started
    print(
        f"check: read and checked {checked:.1f} s + preview {previewed:.1f} s = {checked + previewed:.1f} s — "
        f"{plan.valid} valid, {len(plan.errors)} problems, would {preview.as_dict()}"
    )
    if plan.errors:
        print("  first problems:", [p.as_dict() for p in plan.errors[:3]])
    started = time.perf_counter()
    plan = importer.plan(content, "居民.xlsx", target=community, actor=_actor(user))
    result = importer.apply(plan, actor=_actor(user))
    real = time.perf_counter() - started
    print(f"import (read, checked again, written): {real:.1f} s — {result.as_dict()}")
    print(f"check and import: {checked + previewed + real:.1f} s (target ≤ 30 s)")
    started = time.perf_counter()
    again = importer.apply(
        importer.plan(content, "居民.xlsx", target=community, actor=_actor(user)), actor=_actor(user)
    )
    print(f"re-import of the same file: {time.perf_counter() - started:.1f} s — {again.as_dict()}")
    assert again.created == 0 and again.updated == 0, again
    assert Person.objects.count() == before + result.created
    imported = Person.objects.filter(id_number_masked__startswith=BENCH_DIVISION)
    ids = list(imported.values_list("pk", flat=True))
    households = list(imported.exclude(household=None).values_list("household_id", flat=True).distinct())
    Event.objects.filter(target_id__in=ids, target_type__model="person").delete()
    Person.tags.through.objects.filter(person_id__in=ids).delete()
    imported.delete()
    Household.objects.filter(pk__in=households, members=None).delete()
    print(f"cleaned up; people back to {Person.objects.count()}")


def bench_trees() -> None:
    from dangjian.core.importing import importer_for
    from dangjian.core.models import Event
    from dangjian.orgs.models import Organization, Region, RegionLevel

    importer = importer_for("trees")
    user = _district_user()
    street = Region.objects.filter(level=RegionLevel.STREET).order_by("path").first()
    rows = []
    for c in range(10):
        community = f"BENCH-C{c}"
        rows.append({"code": community, "name": f"压测社区{c}", "type": "社区"})
        rows.append({"code": f"{community}-DW", "name": f"压测社区{c}党委", "type": "社区党委", "region": community})
        for g in range(10):
            rows.append(
                {"code": f"{community}-G{g}", "name": f"压测社区{c}第{g + 1}网格", "type": "网格", "parent": community}
            )
            rows.append(
                {
                    "code": f"{community}-Z{g}",
                    "name": f"压测社区{c}第{g + 1}党支部",
                    "type": "党支部",
                    "parent": f"{community}-DW",
                    "region": f"{community}-G{g}",
                }
            )
        for k in range(8):
            rows.append(
                {
                    "code": f"{community}-X{k}",
                    "name": f"压测社区{c}党小组{k}",
                    "type": "党小组",
                    "parent": f"{community}-Z0",
                }
            )
    rows.reverse()  # children before their parents
    from dangjian.orgs.importing import COLUMNS

    content = _workbook("组织架构导入表", COLUMNS, rows)
    started = time.perf_counter()
    plan = importer.plan(content, "trees.xlsx", target=street, actor=_actor(user))
    checked = time.perf_counter() - started
    started = time.perf_counter()
    result = importer.apply(plan, actor=_actor(user))
    print(
        f"trees: {len(rows)} rows checked in {checked:.2f} s ({len(plan.errors)} problems), "
        f"imported in {time.perf_counter() - started:.2f} s — {result.as_dict()}"
    )
    orgs = Organization.objects.filter(code__startswith="BENCH-C")
    regions = Region.objects.filter(code__startswith="BENCH-C")
    Event.objects.filter(
        target_id__in=[*orgs.values_list("pk", flat=True), *regions.values_list("pk", flat=True)]
    ).delete()
    for model_nodes in (orgs, regions):
        for node in model_nodes.order_by("-depth"):
            node.delete()
    print("cleaned up")


def _district_user():
    from run import ensure_bench_user

    return ensure_bench_user()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["residents", "trees"])
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Run on PostgreSQL: set DATABASE_URL to the seeded benchmark database.")
    if args.only in (None, "residents"):
        bench_residents()
    if args.only in (None, "trees"):
        bench_trees()


if __name__ == "__main__":
    main()
