"""Business time for service-level targets (DESIGN.md §5): how much business time lies between
two moments, and when a target measured in business time falls due — on the Chinese calendar
(holidays and 调休 make-up working days, `core.calendar`), within the service hours of a working
day, leaving out the periods in which the clock is paused (挂起: waiting for the requester).

Pure functions of their arguments and the calendar; times are converted to the site's time zone.
A business day is the sum of the service hours of one working day (7 hours by default), so a
target of N business days is N × 7 business hours.
"""

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils import timezone

from dangjian.core import calendar
from dangjian.core.conf import config

Interval = tuple[dt.datetime, dt.datetime]


def _periods() -> list[tuple[dt.time, dt.time]]:
    spec = config().service_hours  # 党群服务中心 opening hours
    return [(dt.time.fromisoformat(start), dt.time.fromisoformat(end)) for start, end in spec]


def day_seconds() -> int:
    """Business seconds in one working day."""
    return sum(
        (dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)).seconds
        for start, end in _periods()
    )


def target_seconds(target: int, unit: str) -> int:
    """A target in business hours or business days, in business seconds."""
    return target * (day_seconds() if unit == "days" else 3600)


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else timezone.make_aware(moment)


def _windows(first: dt.date, last: dt.date) -> Iterator[Interval]:
    """The service-hour windows of the working days from ``first`` to ``last`` (aware, local)."""
    zone = timezone.get_current_timezone()
    day = first
    while day <= last:
        if calendar.is_workday(day):
            for start, end in _periods():
                yield (
                    dt.datetime.combine(day, start, tzinfo=zone),
                    dt.datetime.combine(day, end, tzinfo=zone),
                )
        day += dt.timedelta(days=1)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[list[dt.datetime]] = []
    for start, end in sorted((_local(s), _local(e)) for s, e in intervals if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _subtract(window: Interval, pauses: list[Interval]) -> Iterator[Interval]:
    start, end = window
    for pause_start, pause_end in pauses:
        if pause_end <= start or pause_start >= end:
            continue
        if pause_start > start:
            yield (start, pause_start)
        start = max(start, pause_end)
        if start >= end:
            return
    if start < end:
        yield (start, end)


def business_seconds(start: dt.datetime, end: dt.datetime, pauses: Iterable[Interval] = ()) -> int:
    """Business seconds from ``start`` to ``end``, without the ``pauses``."""
    start, end = _local(start), _local(end)
    if end <= start:
        return 0
    paused = _merge(pauses)
    total = 0.0
    for window in _windows(start.date(), end.date()):
        clipped = (max(window[0], start), min(window[1], end))
        if clipped[1] <= clipped[0]:
            continue
        for piece_start, piece_end in _subtract(clipped, paused):
            total += (piece_end - piece_start).total_seconds()
    return int(total)


def due_at(start: dt.datetime, seconds: int, pauses: Iterable[Interval] = (), horizon_days: int = 400) -> dt.datetime:
    """The moment at which ``seconds`` of business time have passed since ``start``, the
    ``pauses`` not counting (a pause that is still open is given with its end = now or later)."""
    start = _local(start)
    paused = _merge(pauses)
    remaining = float(seconds)
    if remaining <= 0:
        return start
    last = start.date() + dt.timedelta(days=horizon_days)
    for window in _windows(start.date(), last):
        clipped = (max(window[0], start), window[1])
        if clipped[1] <= clipped[0]:
            continue
        for piece_start, piece_end in _subtract(clipped, paused):
            length = (piece_end - piece_start).total_seconds()
            if length >= remaining:
                return piece_start + dt.timedelta(seconds=remaining)
            remaining -= length
    raise ValueError(f"no business time within {horizon_days} days of {start}")


def pauses_from_history(
    transitions: Iterable[tuple[dt.datetime, str]], paused_states: Any, now: dt.datetime
) -> list[Interval]:
    """Rebuild the pauses from a state history [(when, new state), …] in time order: the clock
    stops while the request is in one of ``paused_states`` (an open pause ends ``now``)."""
    pauses: list[Interval] = []
    started: dt.datetime | None = None
    for when, state in transitions:
        if state in paused_states:
            if started is None:
                started = when
        elif started is not None:
            pauses.append((started, when))
            started = None
    if started is not None:
        pauses.append((started, max(now, started)))
    return pauses
