"""Volunteering's evaluation indicators (DESIGN.md §6, group B 党员作用发挥), per community, from the
evidence selectors (selectors.volunteering_evidence, dual_report_evidence) and the records behind
them (members_of, member_service_records, dual_reports, dual_report_claims)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.indicators import (
    HIGHER_IS_BETTER,
    LOWER_IS_BETTER,
    Check,
    Finding,
    Indicator,
    Measured,
    register,
    register_check,
)
from dangjian.orgs.models import Region, RegionLevel
from dangjian.volunteering import selectors as vs
from dangjian.volunteering.models import RecordState, ServiceRecord
from dangjian.volunteering.services import day_bounds

DAYS_PER_MONTH = 365.25 / 12


def _last(end: dt.date) -> dt.date:
    """The period's last day: the registry's periods are [start, end), volunteering's selectors
    take the last day itself (services.day_bounds)."""
    return end - dt.timedelta(days=1)


def _communities(actor: Actor, unit_ids: Sequence[int]) -> list[Region]:
    return list(
        restrict(Region.objects.filter(pk__in=list(unit_ids), level=RegionLevel.COMMUNITY), actor, VIEW).order_by(
            "path"
        )
    )


def _community(actor: Actor, unit_id: int) -> Region | None:
    return restrict(Region.objects.filter(pk=unit_id, level=RegionLevel.COMMUNITY), actor, VIEW).first()


def _volunteering(pick: Callable[[vs.VolunteeringEvidence, dt.date, dt.date], Measured]):
    def measure(actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]) -> dict[int, Measured]:
        units = _communities(actor, unit_ids)
        return {
            e.unit.pk: pick(e, start, end)
            for e in vs.volunteering_evidence(actor=actor, units=units, start=start, end=_last(end))
        }

    return measure


def _participation(e: vs.VolunteeringEvidence, start: dt.date, end: dt.date) -> Measured:
    return Measured.rate(e.volunteers, e.members)


def _hours(e: vs.VolunteeringEvidence, start: dt.date, end: dt.date) -> Measured:
    months = (end - start).days / DAYS_PER_MONTH
    value = e.minutes / 60 / e.members / months if e.members and months else None
    return Measured(value, e.members)


def _concentration(e: vs.VolunteeringEvidence, start: dt.date, end: dt.date) -> Measured:
    return Measured(e.top_decile_share, e.members)


def _dual_measure(claims: bool):
    def measure(actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]) -> dict[int, Measured]:
        units = _communities(actor, unit_ids)
        return {
            e.unit.pk: Measured.rate(e.claims_served, e.claims_confirmed)
            if claims
            else Measured.rate(e.served, e.reported)
            for e in vs.dual_report_evidence(actor=actor, units=units, start=start, end=_last(end))
        }

    return measure


def _served(start: dt.date, end: dt.date, **match: object) -> QuerySet[ServiceRecord]:
    low, high = day_bounds(start, end)
    return ServiceRecord.objects.filter(state=RecordState.VERIFIED, started_at__gte=low, started_at__lt=high, **match)


def _records(kind: str):
    def records(actor: Actor, start: dt.date, end: dt.date, unit_id: int, part: str) -> QuerySet:
        unit = _community(actor, unit_id)
        if unit is None:
            return ServiceRecord.objects.none()
        if kind in ("participation", "hours", "concentration"):
            if part == "denominator":
                return vs.members_of(actor=actor, unit=unit).order_by("pk")
            if kind == "participation":
                served = vs.member_service_records(actor=actor, unit=unit, start=start, end=_last(end))
                return vs.members_of(actor=actor, unit=unit).filter(pk__in=served.values("person_id")).order_by("pk")
            return vs.member_service_records(actor=actor, unit=unit, start=start, end=_last(end)).order_by(
                "started_at", "pk"
            )
        if kind == "dual_report":
            reports = vs.dual_reports(actor=actor, unit=unit, start=start, end=_last(end))
            if part == "numerator":
                in_unit = _served(
                    start, _last(end), community__path__startswith=unit.path, person_id=OuterRef("person_id")
                )
                reports = reports.filter(Exists(in_unit))
            return reports.order_by("pk")
        claims = vs.dual_report_claims(actor=actor, unit=unit, start=start, end=_last(end))
        if part == "numerator":
            claims = claims.filter(
                Exists(ServiceRecord.objects.filter(claim=OuterRef("pk"), state=RecordState.VERIFIED))
            )
        return claims.order_by("pk")

    return records


def _volunteering_together(
    actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]
) -> dict[str, dict[int, Measured]]:
    """Participation, hours and concentration from one reading of the evidence."""
    evidence = vs.volunteering_evidence(actor=actor, units=_communities(actor, unit_ids), start=start, end=_last(end))
    return {
        f"volunteering.{code}": {e.unit.pk: pick(e, start, end) for e in evidence}
        for code, pick in (("participation", _participation), ("hours", _hours), ("concentration", _concentration))
    }


def _dual_together(
    actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]
) -> dict[str, dict[int, Measured]]:
    """双报到 and the claims from one reading of the evidence."""
    evidence = vs.dual_report_evidence(actor=actor, units=_communities(actor, unit_ids), start=start, end=_last(end))
    return {
        "volunteering.dual_report": {e.unit.pk: Measured.rate(e.served, e.reported) for e in evidence},
        "volunteering.claims": {e.unit.pk: Measured.rate(e.claims_served, e.claims_confirmed) for e in evidence},
    }


def register_indicators() -> None:
    leaves = [
        ("participation", _("Volunteering participation"), _("Party members in good standing living in the community with a verified service record in the period ÷ those members."), HIGHER_IS_BETTER, _volunteering(_participation)),
        ("hours", _("Verified service hours per member a month"), _("Verified service hours of the community's members in the period ÷ members ÷ months of the period."), HIGHER_IS_BETTER, _volunteering(_hours)),
        ("concentration", _("Share of hours from the top tenth of members"), _("Verified minutes of the tenth of members with the most ÷ all members' verified minutes (lower: the work is shared)."), LOWER_IS_BETTER, _volunteering(_concentration)),
        ("dual_report", _("In-service members reporting who served"), _("In-service members with a confirmed report to the community who served there in the period ÷ those members."), HIGHER_IS_BETTER, _dual_measure(claims=False)),
        ("claims", _("Claimed posts served"), _("Confirmed claims of the community's posts in the period with a verified record ÷ confirmed claims."), HIGHER_IS_BETTER, _dual_measure(claims=True)),
    ]  # fmt: skip
    for code, name, formula, direction, measure in leaves:
        register(
            Indicator(
                code=f"volunteering.{code}",
                group="B",
                name=name,
                formula=formula,
                unit="community",
                direction=direction,
                app="volunteering",
                measure=measure,
                records=_records(code),
                together=_dual_together if code in ("dual_report", "claims") else _volunteering_together,
            )
        )


# -- Checks for a reviewer (core.indicators.Check) ------------------------------------------------

ROUND_HOURS_MINIMUM = 3  # records of whole hours well above their post's time, in a community


def _round_hours(actor: Actor, start: dt.date, end: dt.date, unit_ids: Sequence[int]) -> dict[int, Finding]:
    low, high = day_bounds(start, _last(end))
    units = set(unit_ids)
    found: dict[int, list[int]] = {}
    ids = vs._round_and_long(actor, low, high, 1.5, None)
    for pk, community in ServiceRecord.objects.filter(pk__in=ids).values_list("pk", "community_id"):
        if community in units:
            found.setdefault(community, []).append(pk)
    base = dict(
        restrict(
            ServiceRecord.objects.filter(
                state=RecordState.VERIFIED, started_at__gte=low, started_at__lt=high, community_id__in=list(found)
            ),
            actor,
            VIEW,
        )
        .values_list("community_id")
        .annotate(n=Count("pk"))
    )
    return {
        unit: Finding(len(pks), base.get(unit, len(pks)), {"factor": 1.5}, sorted(pks))
        for unit, pks in found.items()
        if len(pks) >= ROUND_HOURS_MINIMUM
    }


def _service_records(actor: Actor, ids: list[int]) -> QuerySet:
    return restrict(ServiceRecord.objects.filter(pk__in=ids[:500]), actor, VIEW).order_by("pk")


def register_checks() -> None:
    register_check(
        Check(
            code="volunteering.round_hours",
            name=_("Whole hours above the post's time"),
            description=_(
                "At least 3 verified records of whole hours, each at least one and a half times its post's length."
            ),
            app="volunteering",
            detect=_round_hours,
            records=_service_records,
        )
    )
