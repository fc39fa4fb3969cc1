"""Chinese ID numbers (GB 11643-1999) and mainland mobile numbers: validation, normalisation, masking.

Check digits are computed here independently of the module under test, so a wrong weight or
mapping in ``dangjian.core.validators`` cannot be hidden by reusing it. Errors are asserted by
their ``code`` (the zh_Hans catalogue may not be compiled when the tests run), plus the
interpolated values that any translation must keep.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from dangjian.core.validators import (
    id_birth_date,
    id_check_digit,
    id_gender,
    mask_id_number,
    mask_mobile,
    normalize_id_number,
    normalize_mobile,
    validate_id_number,
    validate_mobile,
)

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_MAP = "10X98765432"
FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
KNOWN_VALID = "11010519491231002X"  # the well-known sample number; its check digit is X


def check_digit(first17: str) -> str:
    assert len(first17) == 17 and first17.isascii() and first17.isdigit()
    return CHECK_MAP[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def make_id(region: str = "420107", birth: str = "19800517", order: str = "013") -> str:
    first17 = region + birth + order
    return first17 + check_digit(first17)


def wrong_check_digits(number: str) -> list[str]:
    return [number[:17] + c for c in "0123456789X" if c != number[17]]


def id_error(value, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate_id_number(value, **kwargs)
    return info.value


def mobile_error(value) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate_mobile(value)
    return info.value


# --- the test's own check-digit helper ------------------------------------------------------


def test_helper_reproduces_the_known_example():
    assert make_id("110105", "19491231", "002") == KNOWN_VALID


@pytest.mark.parametrize(
    "first17", ["11010519491231002", "42010719800517013", "44030619990101123", "65010220000229001", "00000000000000000"]
)
def test_module_check_digit_agrees_with_independent_computation(first17):
    assert id_check_digit(first17) == check_digit(first17)


def test_every_check_character_occurs():
    # Varying the order number of one birthday reaches every residue mod 11, so every check character.
    seen = {make_id(order=f"{n:03d}")[-1] for n in range(200)}
    assert seen == set(CHECK_MAP)


# --- validate_id_number: valid input --------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        KNOWN_VALID,
        make_id(),
        make_id("440306", "19991231", "123"),
        make_id("650102", "20000229", "001"),  # a leap day
        make_id("810000", "19010101", "555"),  # Hong Kong
        make_id("710000", "19700101", "998"),  # Taiwan
        make_id("110105", "19000101", "001"),  # the earliest accepted year
    ],
)
def test_valid_numbers_are_returned_unchanged(number):
    assert validate_id_number(number, today=dt.date(2026, 1, 1)) == number


def test_known_example_is_valid_with_default_today():
    assert validate_id_number(KNOWN_VALID) == KNOWN_VALID


def test_lower_case_x_is_accepted_and_upper_cased():
    assert validate_id_number("11010519491231002x") == KNOWN_VALID


def test_number_whose_check_digit_is_x_needs_x():
    ends_in_x = next(make_id(order=f"{n:03d}") for n in range(1000) if make_id(order=f"{n:03d}").endswith("X"))
    assert validate_id_number(ends_in_x.lower()) == ends_in_x
    for wrong in wrong_check_digits(ends_in_x):
        assert id_error(wrong).code == "checksum"


@pytest.mark.parametrize("number", [KNOWN_VALID, "11010519491231002x", make_id("420107", "19800517", "013")])
def test_full_width_digits_and_x_are_normalised(number):
    full = number.translate(FULL_WIDTH)
    assert full != number and not full.isascii()
    assert validate_id_number(full) == number.upper()


def test_full_width_example_from_a_chinese_input_method():
    number = make_id("420107", "19800517", "013")
    assert validate_id_number("４２０１０７１９８００５１７０１３" + number[17].translate(FULL_WIDTH)) == number


@pytest.mark.parametrize(
    "spaced",
    [
        "110105 19491231 002X",
        " 110105 1949 1231 002x ",
        "110105\n19491231\n002X",
        "110105\r\n19491231\t002X\n",
        "110105\u300019491231\u3000002X",  # ideographic (full-width) space
        "1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 X",
    ],
)
def test_spaces_and_line_breaks_inside_are_removed(spaced):
    assert validate_id_number(spaced) == KNOWN_VALID


def test_normalize_id_number_does_not_validate():
    assert normalize_id_number(" １２３ x\n") == "123X"
    assert normalize_id_number(None) == ""


# --- validate_id_number: errors -------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "   ", "\n\t", None, "\u3000"])
def test_empty_is_required(value):
    assert id_error(value).code == "required"


@pytest.mark.parametrize(
    "value", ["110105491231002", "420107800517013", "110105 491231 002", "１１０１０５４９１２３１００２"]
)
def test_fifteen_digit_old_format(value):
    assert id_error(value).code == "old_format"


@pytest.mark.parametrize(
    ("value", "count"),
    [
        (KNOWN_VALID[:17], 17),
        (KNOWN_VALID + "1", 19),
        ("1101051949123100", 16),
        ("11010549123100X", 15),  # 15 characters but not all digits: not the old format
        ("1", 1),
        (KNOWN_VALID + KNOWN_VALID, 36),
    ],
)
def test_wrong_length(value, count):
    error = id_error(value)
    assert error.code == "length"
    assert str(count) in error.messages[0]


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231A02X",  # a letter in the middle
        "X1010519491231002X",
        "1101051949123100XX",  # X allowed only as the last character
        "11010519491231002Y",
        "1101051949-231002X",
        "11010519491231002?",
        "110105194912310O2X",  # letter O instead of zero
    ],
)
def test_non_digit_characters(value):
    assert len(normalize_id_number(value)) == 18
    assert id_error(value).code == "characters"


@pytest.mark.parametrize(
    "province", ["00", "10", "19", "20", "24", "30", "39", "47", "55", "60", "66", "70", "80", "84", "99"]
)
def test_unknown_province_code(province):
    number = make_id(province + "0105", "19491231", "002")  # every other part valid, check digit correct
    error = id_error(number)
    assert error.code == "region"
    assert province in error.messages[0]


@pytest.mark.parametrize(
    "birth",
    [
        "19800230",  # 30 February
        "19810229",  # 29 February in a common year
        "19000229",  # 1900 was not a leap year
        "19801301",  # month 13
        "19800001",  # month 0
        "19800100",  # day 0
        "19800431",  # 31 April
        "18991231",  # before 1900
        "00000000",
    ],
)
def test_impossible_birth_date(birth):
    number = make_id("110105", birth, "002")  # correct check digit, so only the date is wrong
    error = id_error(number, today=dt.date(2026, 1, 1))
    assert error.code == "birth_date"
    assert birth in error.messages[0]


def test_future_birth_date_depends_on_today():
    number = make_id("110105", "20260102", "002")
    assert id_error(number, today=dt.date(2026, 1, 1)).code == "birth_date"
    assert validate_id_number(number, today=dt.date(2026, 1, 2)) == number  # born today
    assert validate_id_number(number, today=dt.date(2030, 6, 1)) == number


def test_far_future_birth_date_with_default_today():
    assert id_error(make_id("110105", "29991231", "002")).code == "birth_date"


@pytest.mark.parametrize("number", [KNOWN_VALID, make_id(), make_id("440306", "19991231", "123")])
def test_wrong_check_digit(number):
    for wrong in wrong_check_digits(number):
        assert id_error(wrong).code == "checksum"


def test_swapped_digits_fail_the_checksum():
    number = make_id("420107", "19800517", "013")
    swapped = number[:14] + number[15] + number[14] + number[16:]
    assert swapped != number
    assert id_error(swapped).code == "checksum"


def test_checks_run_in_documented_order():
    # Bad province and bad date and bad check digit: the province is reported first.
    assert id_error("990105198002300021").code == "region"
    # Bad date and bad check digit: the date is reported.
    bad_date = make_id("110105", "19800230", "002")
    assert id_error(bad_date[:17] + wrong_check_digits(bad_date)[0][-1]).code == "birth_date"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "required"),
        ("110105491231002", "old_format"),
        ("123", "length"),
        ("11010519491231A02X", "characters"),
        (make_id("990105", "19491231", "002"), "region"),
        (make_id("110105", "19800230", "002"), "birth_date"),
        ("110105194912310021", "checksum"),
    ],
)
def test_codes_under_chinese_and_english(value, code):
    for language in ("zh-hans", "en"):
        with translation.override(language):
            error = id_error(value)
            assert error.code == code
            assert error.messages and error.messages[0].strip()


# --- id_birth_date, id_gender, mask_id_number -----------------------------------------------


def test_id_birth_date():
    assert id_birth_date(KNOWN_VALID) == dt.date(1949, 12, 31)
    assert id_birth_date(make_id("420107", "20000229", "013")) == dt.date(2000, 2, 29)
    assert id_birth_date(make_id("420107", "19800230", "013")) is None
    assert id_birth_date("11010519AB1231002X") is None


@pytest.mark.parametrize(("order", "gender"), [("001", "male"), ("002", "female"), ("013", "male"), ("990", "female")])
def test_id_gender_from_parity_of_17th_digit(order, gender):
    assert id_gender(make_id(order=order)) == gender


def test_id_gender_of_known_example():
    assert id_gender(KNOWN_VALID) == "female"


def test_mask_id_number():
    assert mask_id_number("110105199001011234") == "110105********1234"
    assert mask_id_number(KNOWN_VALID) == "110105********002X"
    masked = mask_id_number(make_id())
    assert len(masked) == 18
    assert masked.count("*") == 8
    assert "19800517" not in masked


@pytest.mark.parametrize("short", ["", "1", "123456789"])
def test_mask_id_number_hides_short_values_entirely(short):
    assert mask_id_number(short) == "*" * len(short)


# --- mobiles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "13812345678",
        " 13812345678 ",
        "+8613812345678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "(+86) 138-1234-5678",
        "008613812345678",
        "0086 138 1234 5678",
        "8613812345678",
        "86 138 1234 5678",
        "138 1234 5678",
        "138-1234-5678",
        "138\n1234\t5678",
        "１３８１２３４５６７８",
        "＋８６　１３８－１２３４－５６７８",
    ],
)
def test_normalize_and_validate_mobile(value):
    assert normalize_mobile(value) == "13812345678"
    assert validate_mobile(value) == "13812345678"


def test_86_is_only_stripped_from_a_thirteen_digit_number():
    assert normalize_mobile("86123456789") == "86123456789"  # 11 digits: left alone
    assert normalize_mobile("861381234567") == "861381234567"  # 12 digits: left alone
    assert normalize_mobile("8613812345678") == "13812345678"


@pytest.mark.parametrize("prefix", ["13", "14", "15", "16", "17", "18", "19"])
def test_valid_prefixes(prefix):
    number = prefix + "912345678"
    assert validate_mobile(number) == number


@pytest.mark.parametrize("value", ["", "   ", None, "+86", "0086", "--"])
def test_mobile_required(value):
    assert mobile_error(value).code == "required"


@pytest.mark.parametrize("value", ["1381234567a", "abc", "138.1234.5678", "138 1234 567８x", "+8613812345678#"])
def test_mobile_characters(value):
    assert mobile_error(value).code == "characters"


@pytest.mark.parametrize(
    ("value", "count"),
    [
        ("1381234567", 10),
        ("138 1234 567", 10),
        ("138123456789", 12),
        ("+86 138123456789", 12),
        ("138", 3),
    ],
)
def test_mobile_length(value, count):
    error = mobile_error(value)
    assert error.code == "length"
    assert str(count) in error.messages[0]


@pytest.mark.parametrize(
    "value", ["12812345678", "12012345678", "11012345678", "10012345678", "23812345678", "+86 128 1234 5678"]
)
def test_mobile_prefix(value):
    assert mobile_error(value).code == "prefix"


@pytest.mark.parametrize(
    ("value", "code"),
    [("", "required"), ("1381234567a", "characters"), ("1381234567", "length"), ("12812345678", "prefix")],
)
def test_mobile_codes_under_chinese(value, code):
    with translation.override("zh-hans"):
        error = mobile_error(value)
    assert error.code == code
    assert error.messages[0].strip()


def test_mask_mobile():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile("13900001111") == "139****1111"
    assert mask_mobile("123456") == "******"
    assert mask_mobile("") == ""


# --- known defects --------------------------------------------------------------------------

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def test_mobile_rejects_or_normalises_non_ascii_digits():
    value = "13" + "812345678".translate(ARABIC_INDIC)
    try:
        result = validate_mobile(value)
    except ValidationError:
        return
    assert result == "13812345678"


def test_id_number_rejects_or_normalises_non_ascii_digits():
    value = "11" + KNOWN_VALID[2:17].translate(ARABIC_INDIC) + "X"
    try:
        result = validate_id_number(value)
    except ValidationError:
        return
    assert result == KNOWN_VALID


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("42", 42),
        (" 7 ", 7),
        (42, 42),
        ("9223372036854775807", 2**63 - 1),  # the largest bigint
        ("9223372036854775808", None),  # one more: no record can have it
        ("0", None),
        ("-3", None),
        ("", None),
        (None, None),
        ("²", None),  # a digit to str.isdigit, not to int
        ("٣", None),
        ("4e2", None),
        ("1" * 40, None),
    ],
)
def test_one_id_parser_for_pages_and_apis(value, expected):
    from dangjian.core.validators import parse_id

    assert parse_id(value) == expected
