"""Sample spreadsheets for trying the imports on the demo (docs/samples/), each with one bad row so
that the check has something to report:

* 组织架构导入表-示例.xlsx — a new community 青和居社区 under 和平街道 with two grids, its party
  committee and a branch (rows children first), and a grid under a community that does not exist;
* 居民信息采集表-示例.xlsx — five new residents of 红钢城社区 (two in one household, one 独居老人),
  and one with an ID number whose check digit is wrong;
* 工作人员账号导入表-示例.xlsx — a grid worker and a branch secretary for 红钢城社区, and a role the
  community secretary may not give (another community secretary).

Import them as ``street`` (the trees: 从Excel导入 → 导入区域和组织架构 into 和平街道) and as
``secretary`` (residents and staff into 红钢城社区). ``python -m dangjian.demo.samples DIR`` writes them
again; tests/test_samples.py imports them into the demo data.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path
from typing import Any

NUMBERS = ("110105195203040017", "110105195506070029", "110105198811120014", "110105200001010016", "110105196307080026")
BAD_NUMBER = "110105199001010011"  # the check digit of 11010519900101001 is 0, not 1


def _trees() -> list[dict[str, Any]]:
    return [
        {"code": "420107001099001", "name": "青和居第一网格", "type": "网格", "parent": "青和居社区"},
        {"code": "420107001099002", "name": "青和居第二网格", "type": "网格", "parent": "420107001099"},
        {
            "code": "P420107001099B01",
            "name": "青和居社区第一党支部",
            "type": "党支部",
            "parent": "青和居社区党委",
            "region": "青和居第一网格",
        },
        {
            "code": "P420107001099",
            "name": "青和居社区党委",
            "type": "社区党委",
            "region": "青和居社区",
            "term_started_on": "2024-07-01",
            "term_ends_on": "2029-06-30",
        },
        {"code": "420107001099", "name": "青和居社区", "type": "社区"},
        {"code": "420107001098001", "name": "新城第一网格", "type": "网格", "parent": "新城社区"},  # no such community
    ]


def _residents() -> list[dict[str, Any]]:
    return [
        {"name": "唐德明", "id_number": NUMBERS[0], "grid": "第一网格", "household": "钢花新村12栋3单元402"},
        {
            "name": "唐秀英",
            "id_number": NUMBERS[1],
            "grid": "第一网格",
            "household": "钢花新村12栋3单元402",
            "tags": "空巢老人",
        },
        {"name": "韩晓东", "id_number": NUMBERS[2], "grid": "第二网格", "phone": "13971110001", "education": "本科"},
        {"name": "冯雨桐", "id_number": NUMBERS[3], "grid": "第二网格", "address": "红钢城8街坊5号"},
        {"name": "邓桂芝", "id_number": NUMBERS[4], "grid": "第二网格", "tags": "独居老人"},
        {"name": "曹志强", "id_number": BAD_NUMBER, "grid": "第二网格"},
    ]


def _staff() -> list[dict[str, Any]]:
    return [
        {"name": "许文静", "username": "xuwenjing", "role": "网格员", "node": "第二网格", "reason": "社区招聘"},
        {
            "name": "彭建华",
            "username": "pengjianhua",
            "role": "支部书记",
            "node": "红钢城社区第二党支部",
            "reason": "支部换届选举",
        },
        {"name": "苏红梅", "username": "suhongmei", "role": "社区书记", "node": "红钢城社区"},  # not hers to give
    ]


def samples() -> dict[str, bytes]:
    from openpyxl import Workbook

    from dangjian.accounts.importing import COLUMNS as STAFF
    from dangjian.orgs.importing import COLUMNS as TREES
    from dangjian.people.importing import COLUMNS as RESIDENTS

    made = {}
    for name, sheet, columns, rows in (
        ("组织架构导入表-示例.xlsx", "组织架构导入表", TREES, _trees()),
        ("居民信息采集表-示例.xlsx", "居民信息采集表", RESIDENTS, _residents()),
        ("工作人员账号导入表-示例.xlsx", "工作人员账号导入表", STAFF, _staff()),
    ):
        workbook = Workbook()
        data = workbook.active
        data.title = sheet
        data.append([("*" if c.required else "") + c.label for c in columns])
        for values in rows:
            data.append([values.get(c.key) for c in columns])
        for index, column in enumerate(columns, start=1):
            if column.text or isinstance(column.example, dt.date):
                for cell in data.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell[0].number_format = "@"
        buffer = io.BytesIO()
        workbook.save(buffer)
        made[name] = buffer.getvalue()
    return made


def main(directory: str) -> None:
    import django

    django.setup()
    for name, content in samples().items():
        (Path(directory) / name).write_bytes(content)
        print(f"wrote {Path(directory) / name}")


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/samples")
