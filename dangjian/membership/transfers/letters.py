"""The printable introduction letter of a transfer (党员组织关系介绍信): an A4 PDF with a stub
(存根) and the letter, in an embedded subset of Noto Serif CJK SC (Debian: fonts-noto-cjk).

The font is looked up once: ``PDF_FONT`` (core/conf.py) ("path" or "path:index"), then
fontconfig, then Debian's path. Face 2 of every Noto CJK collection is Simplified Chinese.
"""

import datetime as dt
import functools
import shutil
import subprocess
from pathlib import Path

from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos

from dangjian.core.conf import config
from dangjian.membership.models import Transfer
from dangjian.people.models import MemberStage

DEBIAN_FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
FONT_FAMILY = "Noto Serif CJK SC"


class FontMissing(Exception):
    """No Chinese font is installed; the letter cannot be drawn."""


@functools.cache
def chinese_font() -> tuple[str, int]:
    configured = config().pdf_font
    if configured:
        path, _sep, index = configured.partition(":")
        return path, int(index or 0)
    if shutil.which("fc-match"):
        found = subprocess.run(  # noqa: S603 - fixed arguments
            ["fc-match", "-f", "%{file}\t%{index}\t%{family}", f"{FONT_FAMILY}:regular"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.split("\t")
        # fc-match always answers (with DejaVu if nothing better): check the family.
        if len(found) == 3 and FONT_FAMILY in found[2] and Path(found[0]).is_file():
            return found[0], int(found[1])
    if Path(DEBIAN_FONT).is_file():
        return DEBIAN_FONT, 2
    raise FontMissing(_("No Chinese font is installed on the server (install fonts-noto-cjk)."))


def _cn_date(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "—"


def _cn_month(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月" if day else "无记录"


def render_letter(transfer: Transfer, *, id_number: str, issued_on: dt.date, today: dt.date) -> bytes:
    """The letter of an approved transfer. ``id_number`` is what to print (full or masked: the
    caller decides by the user's right to unmask, and logs it)."""
    path, index = chinese_font()
    person = transfer.person
    member = transfer.member
    stage = "预备党员" if member and member.stage == MemberStage.PROBATIONARY else "正式党员"
    age = ""
    if person.birth_date:
        age = f"{today.year - person.birth_date.year - ((today.month, today.day) < (person.birth_date.month, person.birth_date.day))}岁"
    gender = {"male": "男", "female": "女"}.get(person.gender, "")
    to_name = transfer.to_organization.name if transfer.to_organization else transfer.external_organization
    from_name = transfer.from_organization.name if transfer.from_organization else transfer.external_organization
    issuer = transfer.approving_organization.name if transfer.approving_organization else from_name
    dues_sentence = (
        f"党费已交到{_cn_month(transfer.dues_paid_until)}。" if transfer.dues_paid_until else "暂无党费缴纳记录。"
    )
    issued = issued_on

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"党员组织关系介绍信 {transfer.serial_number}")
    pdf.set_auto_page_break(False)
    pdf.set_margins(20, 15, 20)
    pdf.add_font("cjk", "", path, collection_font_number=index)
    pdf.add_page()
    width = pdf.epw

    def para(text: str, size: float = 12, height: float = 8, align: str | Align = Align.J) -> None:
        pdf.set_font("cjk", "", size)
        pdf.multi_cell(width, height, text, align=align, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def header(title: str) -> None:
        pdf.set_font("cjk", "", 18)
        pdf.cell(width, 11, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("cjk", "", 11)
        pdf.cell(width, 7, f"第 {transfer.serial_number} 号", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    header("中国共产党党员组织关系介绍信（存根）")
    para(
        f"　　{person.name}同志系中共{stage}，组织关系由{from_name}转到{to_name}。党费交到{_cn_month(transfer.dues_paid_until)}。",
        height=7.5,
    )
    para(f"　　有效期至{_cn_date(transfer.valid_until)}。　　转接原因：{transfer.reason}", height=7.5)
    para(f"{issuer}　　{_cn_date(issued)}", size=11, height=7.5, align="R")
    cut = pdf.get_y() + 6
    pdf.set_draw_color(120)
    with pdf.local_context():
        pdf.set_dash_pattern(dash=2, gap=1.5)
        pdf.line(10, cut, 200, cut)
    pdf.set_font("cjk", "", 8)
    pdf.set_text_color(120)
    pdf.set_xy(90, cut - 2.5)
    pdf.set_fill_color(255)
    pdf.cell(30, 5, "沿此线剪开", align="C", fill=True)
    pdf.set_text_color(0)
    pdf.set_draw_color(0)
    pdf.set_y(cut + 8)

    header("中国共产党党员组织关系介绍信")
    para(f"{to_name}：", size=12.5)
    details = "，".join(part for part in (gender, age, person.ethnicity) if part)
    para(
        f"　　兹介绍{person.name}同志{f'（{details}）' if details else ''}系中共{stage}，前往你处，请转接组织关系。"
        f"该同志{dues_sentence}",
        size=12.5,
        height=8.5,
    )
    pdf.ln(2)
    pdf.set_font("cjk", "", 11)
    with pdf.table(
        col_widths=(25, 45, 25, 45), text_align="CENTER", line_height=8, first_row_as_headings=False
    ) as table:
        for row in (
            ("姓　　名", person.name, "性　　别", gender),
            ("年　　龄", age, "民　　族", person.ethnicity),
            ("党员类别", stage, "党费交至", _cn_month(transfer.dues_paid_until)),
            ("身份证号", id_number, "有效期至", _cn_date(transfer.valid_until)),
        ):
            table.row(row)
    pdf.ln(4)
    para(f"　　（有效期至{_cn_date(transfer.valid_until)}）", size=12)
    para("　　请接收单位收到后将回执寄回或在系统中确认接收。", size=11)
    pdf.ln(8)
    para(f"{issuer}（盖章）", size=12.5, align="R")
    para(_cn_date(issued), size=12.5, align="R")
    return bytes(pdf.output())
