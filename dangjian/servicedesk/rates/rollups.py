"""The rates' daily counts (``RequestDay``): kept by the state machine, checked every night.

Every write of the service desk that can change a figure ends, in its transaction, with
``refresh``/``refresh_requests``: the days it touched are counted again from the requests of
their community (one grouped query) and their rows replaced. Recounting rather than adding and
subtracting means a row can never drift by a missed case; the community's row in the region
table is locked first (``FOR NO KEY UPDATE``, which does not hold up a new request's foreign-key
check) so that two writers in one community count one after the other, each seeing the other's
committed change. Intake is the exception (``count_new``): a request just taken in is added to
its day, side by side with the community's other new requests, and only a recount waits for it.

A request is a repeat when an earlier one of its community came at most 30 days before it
(definitions.repeats), so a change of what a later request is compared with (its category,
address, community, or leaving the rates as a signed-off classification)
recounts the 30 days that follow too.

``reconcile`` counts the days again without writing and lists the rows that differ; the
``servicedesk_rollups`` command runs it every night, repairs what differs and logs it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Trim, TruncDate
from django.utils import timezone

from dangjian.orgs.models import Region
from dangjian.servicedesk.models import RequestDay, ServiceRequest
from dangjian.servicedesk.rates import definitions
from dangjian.servicedesk.rates import rules as rates
from dangjian.servicedesk.rates.rules import Period, PeriodKind

logger = logging.getLogger(__name__)

FOLLOWING = rates.REPEAT_WINDOW.days  # days after a request whose repeats it decides


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The days from ``first`` to ``last`` (both included) as aware moments [start, end)."""
    return Period(PeriodKind.CUSTOM, first, last + dt.timedelta(days=1)).bounds()


def conditions(bounds: tuple[dt.datetime, dt.datetime] | None = None) -> dict[str, Q]:
    """Each column of RequestDay but ``repeat_num`` → the condition of the requests it counts."""
    found: dict[str, Q] = {"total": Q()}
    for measure in ("response", "resolution", "callback", "reach", "on_time", "repeat"):
        found[f"{measure}_den"] = definitions.settled(measure, "denominator")
        if measure != "repeat":
            found[f"{measure}_num"] = definitions.settled(measure, "numerator")
    for score in definitions.SCORES:
        found[f"score_{score}"] = definitions.settled("satisfaction", "score", score)
    found["handled"] = definitions.settled("p50", "denominator")
    return found


def _requests(community_ids: Iterable[int], bounds: tuple[dt.datetime, dt.datetime]) -> QuerySet:
    start, end = bounds
    qs = ServiceRequest.objects.filter(
        community_id__in=list(community_ids), submitted_at__gte=start, submitted_at__lt=end
    )
    zone = timezone.get_default_timezone()
    return (
        definitions.counted(qs).order_by().annotate(day=TruncDate("submitted_at", tzinfo=zone), trimmed=Trim("address"))
    )


def count(community_ids: Iterable[int], first: dt.date, last: dt.date) -> dict[tuple[int, dt.date], RequestDay]:
    """The rows of the communities' days from ``first`` to ``last`` (both included), counted
    from the requests: two grouped queries, whatever the number of days."""
    community_ids = list(community_ids)
    bounds = _bounds(first, last)
    qs = _requests(community_ids, bounds)
    aggregates = {name: Count("pk", filter=q) for name, q in conditions().items()}
    rows: dict[tuple[int, dt.date], RequestDay] = {}
    for found in qs.values("day", "region_id", "community_id").annotate(**aggregates):
        key = (found.pop("region_id"), found.pop("day"))
        rows[key] = RequestDay(region_id=key[0], day=key[1], **found)
    for part in definitions.repeat_parts(bounds):  # two grouped queries (see repeat_parts)
        for found in qs.filter(part).values("day", "region_id").annotate(n=Count("pk")):
            rows[(found["region_id"], found["day"])].repeat_num += found["n"]
    return rows


def refresh(community_id: int, first: dt.date, last: dt.date) -> None:
    """Count one community's days from ``first`` to ``last`` again and replace their rows."""
    with transaction.atomic():
        list(Region.objects.select_for_update(no_key=True).filter(pk=community_id).values_list("pk"))
        rows = count([community_id], first, last)
        RequestDay.objects.filter(community_id=community_id, day__gte=first, day__lte=last).delete()
        RequestDay.objects.bulk_create(rows.values())


def count_new(req: ServiceRequest) -> None:
    """Add a request just taken in to its day (the intake's path, cheaper than a recount and
    not waiting for other requests of the community): a new request is counted, with an
    address in the repeat rate's denominator, and a repeat when an earlier one says so; it has
    no answer, outcome, rating or handling yet, and it cannot make an earlier request a repeat.

    * Requests of the same community, service and address are judged one at a time (a
      transaction lock on that place, PostgreSQL), so of two taken in at the same moment the
      second sees the first. One recorded with a moment before others of its place already
      there (a paper form typed in later) may make them repeats: its 30 days are counted again.
    * The community's row is held in share mode while the day's row is added to, so that a
      recount (``refresh``, which holds it exclusively) never overwrites an addition it did not
      see; additions of one community go on side by side (``INSERT … ON CONFLICT … + 1``)."""
    day = timezone.localdate(req.submitted_at)
    address = req.address.strip()
    with transaction.atomic():
        if address:
            _lock_place(req.community_id, req.category_id, address)
            if _later_at_place(req, address):
                refresh(req.community_id, day, day + dt.timedelta(days=FOLLOWING))
                return
        _share_community(req.community_id)
        bounds = (req.submitted_at, req.submitted_at + dt.timedelta(seconds=1))
        repeat = bool(address) and (
            ServiceRequest.objects.filter(pk=req.pk)
            .annotate(trimmed=Trim("address"))
            .filter(definitions.settled("repeat", "numerator", bounds=bounds))
            .exists()
        )
        _add(req, day, {"total": 1, "repeat_den": int(bool(address)), "repeat_num": int(repeat)})


def _lock_place(community_id: int, category_id: int, address: str) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite writes one transaction at a time
    digest = hashlib.blake2b(f"requests:{community_id}:{category_id}:{address}".encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])


def _later_at_place(req: ServiceRequest, address: str) -> bool:
    """Whether requests of the same community, service and address came at or after ``req``
    within 30 days (those it may make repeats)."""
    window = (req.submitted_at, req.submitted_at + rates.REPEAT_WINDOW + dt.timedelta(seconds=1))
    return (
        ServiceRequest.objects.filter(
            community_id=req.community_id, category_id=req.category_id, submitted_at__range=window
        )
        .annotate(trimmed=Trim("address"))
        .filter(trimmed=address)
        .exclude(pk=req.pk)
        .exists()
    )


def _share_community(community_id: int) -> None:
    if connection.vendor != "postgresql":
        return
    table = connection.ops.quote_name(Region._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR SHARE", [community_id])  # noqa: S608 - a model's table


def _add(req: ServiceRequest, day: dt.date, counted: dict[str, int]) -> None:
    """Add ``counted`` to the request's day, creating the row if it is the day's first."""
    table = connection.ops.quote_name(RequestDay._meta.db_table)
    names = ["day", "region_id", "community_id", *RequestDay.FIGURES]
    values: list[Any] = [day, req.region_id, req.community_id, *(counted.get(name, 0) for name in RequestDay.FIGURES)]
    columns = ", ".join(connection.ops.quote_name(name) for name in names)
    added = ", ".join(
        f"{connection.ops.quote_name(name)} = {table}.{connection.ops.quote_name(name)} + EXCLUDED.{connection.ops.quote_name(name)}"
        for name in RequestDay.FIGURES
    )
    placeholders = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "  # noqa: S608 - names from the model
            f"ON CONFLICT (region_id, day) DO UPDATE SET {added}",
            values,
        )


@dataclass(frozen=True)
class Footprint:
    """What of a request decides whether the requests after it are repeats (``counted``: whether
    it is one a later request can repeat, definitions.repeats)."""

    community_id: int
    day: dt.date
    category_id: int
    address: str
    counted: bool

    @classmethod
    def of(cls, req: ServiceRequest) -> Footprint:
        counted = req.close_reason == "duplicate" or not (req.classification and req.signed_off_at)
        return cls(
            req.community_id, timezone.localdate(req.submitted_at), req.category_id, req.address.strip(), counted
        )


def refresh_after(before: Footprint | None, req: ServiceRequest) -> None:
    """After a write of ``req`` (``before``: its footprint before, None for a new request): a
    request just taken in is added to its day; otherwise its day is counted again, and the 30
    days after it where it may have made or unmade a repeat (a change of what later requests
    are compared with, or a request recorded with a moment earlier than others)."""
    after = Footprint.of(req)
    if before is None and _untouched(req):
        count_new(req)  # the intake's path
        return
    if before is not None and before == after:
        refresh(after.community_id, after.day, after.day)
        return
    communities = {after.community_id} | ({before.community_id} if before is not None else set())
    for community_id in sorted(communities):  # one lock order
        refresh(community_id, after.day, after.day + dt.timedelta(days=FOLLOWING))


def _untouched(req: ServiceRequest) -> bool:
    """A request as intake leaves it: counted, nothing answered, handled, judged or flagged."""
    return Footprint.of(req).counted and not (
        req.first_response_at or req.response_breached or req.resolution_breached or req.handled_at or req.outcome
    )


def refresh_requests(ids: Iterable[int]) -> None:
    """After a write of many requests (the sweep): each community's touched days again, from
    its first to its last (one recount per community, in one lock order)."""
    days: dict[int, list[dt.date]] = defaultdict(list)
    ids = list(ids)
    for start in range(0, len(ids), 5000):
        for community_id, submitted_at in ServiceRequest.objects.filter(pk__in=ids[start : start + 5000]).values_list(
            "community_id", "submitted_at"
        ):
            days[community_id].append(timezone.localdate(submitted_at))
    for community_id in sorted(days):
        refresh(community_id, min(days[community_id]), max(days[community_id]))


def _span() -> tuple[dt.date, dt.date] | None:
    first = ServiceRequest.objects.order_by("submitted_at").values_list("submitted_at", flat=True).first()
    last = ServiceRequest.objects.order_by("-submitted_at").values_list("submitted_at", flat=True).first()
    if first is None or last is None:
        return None
    return timezone.localdate(first), timezone.localdate(last)


def _communities() -> list[int]:
    return sorted(set(ServiceRequest.objects.order_by().values_list("community_id", flat=True).distinct()))


def rebuild() -> int:
    """Count every day of every community again (after a bulk load: the demo seed). Returns the
    number of rows."""
    span = _span()
    with transaction.atomic():
        RequestDay.objects.all().delete()
        if span is None:
            return 0
        written = 0
        for community_id in _communities():
            rows = count([community_id], *span)
            RequestDay.objects.bulk_create(rows.values(), batch_size=2000)
            written += len(rows)
    return written


@dataclass(frozen=True)
class Difference:
    community_id: int
    region_id: int
    day: dt.date
    stored: dict[str, int]
    counted: dict[str, int]


def _figures(row: RequestDay | None) -> dict[str, int]:
    return {name: getattr(row, name) if row is not None else 0 for name in RequestDay.FIGURES}


def reconcile(first: dt.date | None = None, last: dt.date | None = None) -> list[Difference]:
    """The rows from ``first`` to ``last`` (default: every day with requests) that differ from a
    count of the requests now, community by community. Writes nothing."""
    span = _span()
    if span is None:
        return [
            Difference(row.community_id, row.region_id, row.day, _figures(row), _figures(None))
            for row in RequestDay.objects.filter(
                **({"day__gte": first} if first else {}), **({"day__lte": last} if last else {})
            )
        ]
    first = first or span[0]
    last = last or span[1]
    differences: list[Difference] = []
    stored_by_community: dict[int, dict[tuple[int, dt.date], RequestDay]] = defaultdict(dict)
    for row in RequestDay.objects.filter(day__gte=first, day__lte=last):
        stored_by_community[row.community_id][(row.region_id, row.day)] = row
    for community_id in sorted(set(_communities()) | set(stored_by_community)):
        counted_rows = count([community_id], first, last)
        stored = stored_by_community.get(community_id, {})
        for key in sorted(set(counted_rows) | set(stored), key=lambda k: (k[1], k[0])):
            have, want = _figures(stored.get(key)), _figures(counted_rows.get(key))
            if have != want:
                differences.append(Difference(community_id, key[0], key[1], have, want))
    return differences


def repair(differences: Iterable[Difference]) -> int:
    """Count the days of ``differences`` again (per community). Returns the number of days."""
    days_of: dict[int, set[dt.date]] = defaultdict(set)
    for difference in differences:
        days_of[difference.community_id].add(difference.day)
    for community_id, days in sorted(days_of.items()):
        refresh(community_id, min(days), max(days))
    return sum(len(days) for days in days_of.values())
