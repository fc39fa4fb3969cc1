"""Validation, normalisation and masking of Chinese ID numbers (GB 11643-1999) and mobiles.

Every function here is pure: no database, no settings. Messages are English msgids with
zh_Hans translations, so a Chinese user reads e.g. "身份证号校验位不正确".
"""

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# Province-level codes (the first two digits of the administrative division code, GB/T 2260).
PROVINCE_CODES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    }
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_WHITESPACE = re.compile(r"\s+")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def _clean(value: object) -> str:
    """Full-width to half-width (NFKC), any script's decimal digits to ASCII, whitespace removed."""
    text = _WHITESPACE.sub("", unicodedata.normalize("NFKC", str(value or "")))
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in text)


def id_check_digit(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(value: object) -> str:
    """Half-width, no spaces, upper-case X. Does not validate."""
    return _clean(value).upper()


def validate_id_number(value: object, *, today: dt.date | None = None) -> str:
    """Return the normalised 18-character ID number or raise ValidationError in Chinese."""
    number = normalize_id_number(value)
    if not number:
        raise ValidationError(_("Enter an ID number."), code="required")
    if len(number) == 15 and number.isdigit():
        raise ValidationError(
            _("This is an old 15-digit ID number; enter the 18-character number from the current ID card."),
            code="old_format",
        )
    if len(number) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; you entered %(count)d.") % {"count": len(number)},
            code="length",
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or X."),
            code="characters",
        )
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(
            _("The first two digits (%(code)s) are not a province code.") % {"code": number[:2]},
            code="region",
        )
    birth = id_birth_date(number)
    today = today or timezone.localdate()
    if birth is None or birth.year < 1900 or birth > today:
        raise ValidationError(
            _("Digits 7 to 14 (%(digits)s) are not a valid date of birth.") % {"digits": number[6:14]},
            code="birth_date",
        )
    if id_check_digit(number[:17]) != number[17]:
        raise ValidationError(
            _("The check digit of the ID number is wrong; please check each digit."),
            code="checksum",
        )
    return number


def id_birth_date(number: str) -> dt.date | None:
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def id_gender(number: str) -> str:
    """'male' or 'female', from the parity of the 17th character."""
    return "male" if int(number[16]) % 2 else "female"


def mask_id_number(number: str) -> str:
    """110105********1234"""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def normalize_mobile(value: object) -> str:
    number = _clean(value).replace("-", "").replace("(", "").replace(")", "")
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
    if len(number) == 13 and number.startswith("86"):
        number = number[2:]
    return number


def validate_mobile(value: object) -> str:
    """Return the normalised 11-digit mainland mobile number or raise ValidationError."""
    number = normalize_mobile(value)
    if not number:
        raise ValidationError(_("Enter a mobile number."), code="required")
    if not number.isdigit():
        raise ValidationError(_("A mobile number contains digits only."), code="characters")
    if len(number) != 11:
        raise ValidationError(
            _("A mobile number has 11 digits; you entered %(count)d.") % {"count": len(number)},
            code="length",
        )
    if not _MOBILE.match(number):
        raise ValidationError(_("A mobile number starts with 13 to 19."), code="prefix")
    return number


def mask_mobile(number: str) -> str:
    """138****5678"""
    if len(number) < 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


MAX_ID = 2**63 - 1  # the largest primary key PostgreSQL's bigint holds


def parse_year(value: object, *, first: int = 1921, last: int = 2100) -> int | None:
    """A year from a query string or a form (``"2026"`` → 2026), or None for anything else: not four
    ASCII digits, or outside [first, last] (the Party was founded in 1921; a year 0 is a typo)."""
    text = str(value if value is not None else "").strip()
    if not (len(text) == 4 and text.isascii() and text.isdigit()):
        return None
    year = int(text)
    return year if first <= year <= last else None


def parse_id(value: object) -> int | None:
    """A record id from a query string, a form or an API body (``"42"`` → 42), or None for anything
    that cannot be one: empty, zero, negative, too large for the database, or not ASCII digits
    (``str.isdigit`` alone is not enough: "²" and "٣" are digits to it but not to ``int``). The one
    parser of ids for pages and APIs alike."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
