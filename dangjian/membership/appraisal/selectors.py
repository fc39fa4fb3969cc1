"""Reads of the annual appraisal of members (民主评议党员)."""

from typing import Any

from django.db.models import Count

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.membership.models import (
    Appraisal,
    Grade,
)
from dangjian.orgs.models import Organization
from dangjian.people.models import Member, MembershipStatus


def appraisal_sheet(*, actor: Actor, organization: Organization, year: int) -> dict[str, Any]:
    """The branch's members in good standing with their appraisal for ``year`` and the 优秀
    check (at most a third)."""
    members = list(
        restrict(Member.objects.filter(organization=organization, status=MembershipStatus.NORMAL), actor, VIEW)
        .select_related("person")
        .order_by("person__name_pinyin")
    )
    appraisals = {a.member_id: a for a in Appraisal.objects.filter(member__in=members, year=year)}
    counts = dict(
        Appraisal.objects.filter(organization=organization, year=year)
        .exclude(grade="")
        .values_list("grade")
        .annotate(n=Count("pk"))
        .order_by()
    )
    from dangjian.membership.appraisal.services import excellent_limit

    limit = excellent_limit(len(members))
    return {
        "rows": [(m, appraisals.get(m.pk)) for m in members],
        "counts": [(g, label, counts.get(g, 0)) for g, label in Grade.choices],
        "graded": sum(counts.values()),
        "excellent_limit": limit,
        "over_limit": counts.get(Grade.EXCELLENT, 0) > limit,
    }
