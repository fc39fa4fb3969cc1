"""Pinyin of Chinese names for search: 张三 → ("zhangsan", "zs")."""

import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Surnames whose reading differs from the character's most common one.
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "区": "ou",
    "盖": "ge",
    "乐": "yue",
    "尉": "yu",
    "覃": "qin",
    "缪": "miao",
    "翟": "zhai",
    "种": "chong",
    "长": "chang",
    "沈": "shen",
    "任": "ren",
    "万": "wan",
    "华": "hua",
}


COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "钟离",
        "澹台",
        "端木",
        "申屠",
        "独孤",
        "南宫",
        "西门",
        "百里",
        "呼延",
        "万俟",
        "闻人",
        "赫连",
        "太史",
        "公冶",
        "宗政",
        "濮阳",
        "淳于",
        "单于",
        "仲孙",
        "太叔",
        "乐正",
        "谷梁",
        "拓跋",
    ]
)


def given_name(name: str) -> str:
    """The name without the surname (张三 → 三, 欧阳娜娜 → 娜娜), for searching by given name."""
    name = name.strip()
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[2:]
    return name[1:] if len(name) > 1 else ""


@lru_cache(maxsize=20000)
def _syllable(char: str) -> str:
    reading = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return reading[0].lower() if reading else ""


def name_pinyin(name: str) -> tuple[str, str]:
    """(full pinyin, initials), lower-case ASCII. Latin words are kept whole in the full form
    and give their first letter to the initials (Anna李 → "annali", "al")."""
    full: list[str] = []
    initials: list[str] = []
    in_word = False
    for position, char in enumerate(unicodedata.normalize("NFKC", name).strip()):
        if char.isascii():
            if char.isalnum():
                full.append(char.lower())
                if not in_word:
                    initials.append(char.lower())
                in_word = True
            else:
                in_word = False
            continue
        in_word = False
        syllable = SURNAME_READINGS.get(char) if position == 0 else None
        syllable = syllable or _syllable(char)
        if syllable:
            full.append(syllable)
            initials.append(syllable[0])
    return "".join(full)[:200], "".join(initials)[:50]
