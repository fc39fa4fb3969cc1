"""Pinyin of names for search: full pinyin and initials, with surname readings."""

import pytest

from dangjian.people.pinyin import SURNAME_READINGS, name_pinyin


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张三", ("zhangsan", "zs")),
        ("李四", ("lisi", "ls")),
        ("王五", ("wangwu", "ww")),
        ("赵六", ("zhaoliu", "zl")),
        ("钱七", ("qianqi", "qq")),
        ("孙八", ("sunba", "sb")),
    ],
)
def test_common_names(name, expected):
    assert name_pinyin(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("单田芳", ("shantianfang", "stf")),  # not dan
        ("曾国藩", ("zengguofan", "zgf")),  # not ceng
        ("解缙", ("xiejin", "xj")),  # not jie
        ("仇英", ("qiuying", "qy")),  # not chou
        ("朴槿惠", ("piaojinhui", "pjh")),  # not pu
        ("区", ("ou", "o")),  # not qu
        ("单", ("shan", "s")),
    ],
)
def test_surname_readings_at_position_zero(name, expected):
    assert name_pinyin(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张单", ("zhangdan", "zd")),
        ("王解", ("wangjie", "wj")),
        ("李仇", ("lichou", "lc")),
        ("张曾", ("zhangceng", "zc")),
    ],
)
def test_surname_readings_do_not_apply_after_position_zero(name, expected):
    assert name_pinyin(name) == expected


def test_every_surname_reading_is_used_for_the_first_character():
    for char, reading in SURNAME_READINGS.items():
        full, initials = name_pinyin(char + "一")
        assert full == reading + "yi"
        assert initials == reading[0] + "y"


def test_leading_and_trailing_whitespace_does_not_shift_the_surname():
    assert name_pinyin("  单田芳 ") == ("shantianfang", "stf")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("欧阳修", ("ouyangxiu", "oyx")),
        ("欧阳娜娜", ("ouyangnana", "oynn")),
        ("司马光", ("simaguang", "smg")),
        ("诸葛亮", ("zhugeliang", "zgl")),
        ("尉迟恭", ("yuchigong", "ycg")),  # 尉 as a surname is yu
        ("长孙无忌", ("changsunwuji", "cswj")),  # 长 as a surname is chang, not zhang
    ],
)
def test_compound_surnames(name, expected):
    assert name_pinyin(name) == expected


def test_mixed_latin_text_is_kept_lower_case():
    full, initials = name_pinyin("Anna李")
    assert full == "annali"
    assert initials.startswith("a") and initials.endswith("l")
    assert name_pinyin("李 Lei")[0] == "lilei"
    assert name_pinyin("ZHANG三")[0] == "zhangsan"


def test_digits_kept_and_punctuation_dropped():
    assert name_pinyin("王5") == ("wang5", "w5")
    full, initials = name_pinyin("阿依·买买提")
    assert "·" not in full and full.isascii()
    assert full.endswith("maimaiti")
    assert initials.endswith("mmt")
    assert name_pinyin("O'Neil张")[0] == "oneilzhang"


@pytest.mark.parametrize("name", ["", " ", "\t\n", "\u3000"])
def test_empty(name):
    assert name_pinyin(name) == ("", "")


def test_result_is_ascii_lower_case_and_truncated_to_field_lengths():
    full, initials = name_pinyin("张" * 100)
    assert full == ("zhang" * 100)[:200]
    assert initials == "z" * 50
    assert full.isascii() and full == full.lower()


def test_full_width_latin_letters_are_kept():
    assert name_pinyin("Ａｎｎａ李")[0] == "annali"
