"""The Chinese business calendar: public holidays and 调休 make-up working days.

Years 2004–2026 come from the maintained ``chinese-calendar`` package (the State Council's
notice each year). A year the package does not know yet falls back to Monday–Friday, and
``covered(year)`` says so, so that callers can show that a count is provisional.
"""

import datetime as dt
import functools

import chinese_calendar


def covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=8192)
def is_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def workdays_between(first: dt.date, last: dt.date) -> int:
    """Working days from ``first`` to ``last``, both included (0 if last is earlier)."""
    days = 0
    day = first
    while day <= last:
        days += is_workday(day)
        day += dt.timedelta(days=1)
    return days


def add_workdays(day: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``day`` (``day`` itself not counted)."""
    while count > 0:
        day += dt.timedelta(days=1)
        count -= is_workday(day)
    return day
