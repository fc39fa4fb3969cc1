"""Budgets of attempts per subject (a user, an address), counted in the shared cache — Redis in
production, which is why production refuses to start without REDIS_URL: with a cache per process
the limits would multiply by the workers.

A ``Budget`` allows ``limit`` attempts per window of ``seconds``; windows follow the clock (a
quarter-hour budget renews at :00, :15, :30 and :45), so that a refusal can say when to try again.
An attempt is counted *before* the thing it guards is checked, so that parallel requests cannot
all slip under the limit; one that turns out right is given back (``refund``), so that only the
wrong ones count and a right one gives back nothing else.

    attempt = WRONG_CODES.spend(user.pk, now=actor.now)
    if attempt.over_limit:
        raise ValidationError(_("Try again after %(time)s.") % {"time": attempt.retry_time})
    ...check...
    WRONG_CODES.refund(attempt)  # it was right
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import formats, timezone


@dataclass(frozen=True)
class Attempt:
    """One counted attempt: the ``count`` in its window (this one included) and when the window ends."""

    key: str
    count: int
    limit: int
    retry_at: dt.datetime

    @property
    def over_limit(self) -> bool:
        """Beyond the budget: refuse without checking anything."""
        return self.count > self.limit

    @property
    def used_up(self) -> bool:
        """This attempt was the last the window allows (if it is wrong, the next one is refused)."""
        return self.count >= self.limit

    @property
    def retry_time(self) -> str:
        """When the window ends, as the local time of day (``10:15``)."""
        return formats.time_format(timezone.localtime(self.retry_at), "H:i")


@dataclass(frozen=True)
class Budget:
    name: str
    limit: int
    seconds: int

    def spend(self, subject: object, *, now: dt.datetime) -> Attempt:
        """Count one attempt by ``subject`` at ``now`` (atomic: each of parallel attempts gets its own count)."""
        window = int(now.timestamp() // self.seconds)
        key = f"budget:{self.name}:{subject}:{window}"
        cache.add(key, 0, timeout=self.seconds)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=self.seconds)
            count = 1
        retry_at = dt.datetime.fromtimestamp((window + 1) * self.seconds, tz=dt.UTC)
        return Attempt(key=key, count=count, limit=self.limit, retry_at=retry_at)

    def refund(self, attempt: Attempt) -> None:
        """Give back ``attempt``, which turned out right (the other attempts stay counted)."""
        with contextlib.suppress(ValueError):  # the window has ended meanwhile
            cache.decr(attempt.key)
