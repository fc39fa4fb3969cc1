"""Helpers shared by the Open311 and REST endpoints: parsing untrusted input without ever
failing with a 500, and writing times the way both formats want them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime

CHINA = dt.timezone(dt.timedelta(hours=8))  # no daylight saving: always +08:00
# Characters XML 1.0 cannot carry (C0 controls other than tab and newlines, lone surrogates,
# U+FFFE/U+FFFF) and NUL, which PostgreSQL text cannot hold: removed from every input.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: Any) -> str:
    """A string safe to store and to echo back in JSON or XML."""
    if value is None:
        return ""
    return _UNSAFE.sub("", str(value))


def w3c(moment: dt.datetime | None) -> str | None:
    """2026-11-28T09:30:00+08:00 (the W3C profile of ISO 8601, with China's offset)."""
    if moment is None:
        return None
    return moment.astimezone(CHINA).isoformat(timespec="seconds")


def parse_moment(value: str, *, end_of_day: bool = False) -> dt.datetime:
    """A W3C datetime (or a date) as an aware datetime; a time without an offset is China time.
    A date alone means its start, or with ``end_of_day`` the start of the next day.
    Raises ValueError for anything else."""
    value = (value or "").strip()
    if not value or len(value) > 40:
        raise ValueError(value)
    try:
        # A date alone first: Python's fromisoformat (inside parse_datetime) reads it as midnight.
        day = parse_date(value) if len(value) <= 10 else None
        if day is not None:
            moment = dt.datetime.combine(day, dt.time(), tzinfo=CHINA)
            if end_of_day:
                moment += dt.timedelta(days=1)
        else:
            parsed = parse_datetime(value)
            if parsed is None:
                raise ValueError(value)
            moment = parsed
    except (ValueError, OverflowError) as exc:
        raise ValueError(value) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA)
    try:
        # In UTC: PostgreSQL refuses offsets beyond ±15:59, and a moment at the very edge of
        # the calendar that cannot be converted is no moment at all.
        return moment.astimezone(dt.UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(value) from exc


def parse_coordinate(value: Any, limit: int) -> Decimal:
    """A latitude (limit 90) or longitude (limit 180) rounded to the six places stored."""
    text = str(value).strip()
    if len(text) > 30:
        raise ValueError(text)
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not number.is_finite() or abs(number) > limit:
        raise ValueError(text)
    return number.quantize(Decimal("0.000001"))


def decimal_or_none(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None
