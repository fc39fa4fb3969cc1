"""The Chinese business calendar: public holidays and 调休 make-up working days.

Years 2004–2026 come from the maintained ``chinese-calendar`` package (the State Council's
notice each year). Admins correct or extend it day by day (``core.CalendarDay``, e.g. the next
year's notice before the package has it); a year neither knows falls back to Monday–Friday, and
``covered(year)`` says so, so that callers can show that a count is provisional.
"""

import datetime as dt
import functools
import time

import chinese_calendar

OVERRIDES_SECONDS = 60  # how long a process trusts its copy of the admins' corrections
_overrides: dict[str, object] = {"loaded": 0.0, "days": {}, "running": {}}


def covered(year: int) -> bool:
    """Whether the package knows ``year`` (or admins have entered corrections for it)."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return any(day.year == year for day in _admin_days())
    return True


@functools.lru_cache(maxsize=8192)
def _package_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def _admin_days() -> dict[dt.date, bool]:
    now = time.monotonic()
    if now - float(_overrides["loaded"]) > OVERRIDES_SECONDS:  # type: ignore[arg-type]
        from dangjian.core.models import CalendarDay

        _overrides["days"] = dict(CalendarDay.objects.values_list("day", "is_workday"))
        _overrides["loaded"] = now
        _overrides["running"] = {}
    return _overrides["days"]  # type: ignore[return-value]


def forget_overrides(days: dict[dt.date, bool] | None = None) -> None:
    """Read the admins' corrections again on the next call (after an edit); with ``days``, use
    those instead for the next OVERRIDES_SECONDS (tests start from none, without a database)."""
    if days is None:
        _overrides["loaded"] = 0.0
    else:
        _overrides["days"], _overrides["loaded"] = dict(days), time.monotonic()
    _overrides["running"] = {}


def is_workday(day: dt.date) -> bool:
    admin = _admin_days().get(day)
    return admin if admin is not None else _package_workday(day)


def _running(year: int) -> list[int]:
    """The working days of ``year`` from 1 January to each day, both included (index: day of
    the year − 1): counted once per year while the admins' corrections stay the same."""
    days = _admin_days()
    running: dict[int, list[int]] = _overrides["running"]  # type: ignore[assignment]
    found = running.get(year)
    if found is None:
        found, total, day = [], 0, dt.date(year, 1, 1)
        while day.year == year:
            admin = days.get(day)
            total += admin if admin is not None else _package_workday(day)
            found.append(total)
            day += dt.timedelta(days=1)
        running[year] = found
    return found


def workdays_between(first: dt.date, last: dt.date) -> int:
    """Working days from ``first`` to ``last``, both included (0 if last is earlier): the
    difference of two running counts (``_running``) in each year they span."""
    total = 0
    for year in range(first.year, last.year + 1):
        running = _running(year)
        start = first.timetuple().tm_yday if year == first.year else 1
        end = last.timetuple().tm_yday if year == last.year else len(running)
        total += running[end - 1] - (running[start - 2] if start > 1 else 0)
    return max(total, 0)


def add_workdays(day: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``day`` (``day`` itself not counted)."""
    while count > 0:
        day += dt.timedelta(days=1)
        count -= is_workday(day)
    return day


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (earlier if negative); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
