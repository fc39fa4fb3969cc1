"""Reads of the development of new members: the pipeline board, a candidate's steps with the
rules' warnings, and the deadlines for the workbench."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from dangjian.core.access import VIEW, restrict
from dangjian.membership import development
from dangjian.membership.models import Candidate, CandidateStatus, DevelopmentStep
from dangjian.orgs.models import Organization
from dangjian.people.models import MembershipStatus, MemberStage


@dataclass
class CandidateView:
    candidate: Candidate
    steps: dict[str, DevelopmentStep]
    warnings: list[development.Warning] = field(default_factory=list)
    next_step: development.StepDef | None = None
    today: dt.date = field(default_factory=timezone.localdate)

    @property
    def overdue(self) -> list[development.Warning]:
        return [w for w in self.warnings if w.due is not None and w.due < self.today]


def _records(steps: dict[str, DevelopmentStep], full_ids: set[int]) -> dict[str, development.StepRecord]:
    return {
        code: development.StepRecord(
            done_on=step.done_on,
            publicity_from=step.publicity_from,
            publicity_to=step.publicity_to,
            hours=step.hours,
            people_full=sum(1 for p in step.people.all() if p.pk in full_ids),
        )
        for code, step in steps.items()
    }


def _full_member_ids(candidates: list[Candidate]) -> set[int]:
    """Ids of people named on steps who are full members in good standing (one query)."""
    from dangjian.people.models import Member

    people = {p.pk for c in candidates for s in c.steps.all() for p in s.people.all()}
    return set(
        Member.objects.filter(person_id__in=people, stage=MemberStage.FULL, status=MembershipStatus.NORMAL).values_list(
            "person_id", flat=True
        )
    )


def _views(candidates: list[Candidate], today: dt.date) -> list[CandidateView]:
    full_ids = _full_member_ids(candidates)
    views = []
    for candidate in candidates:
        steps = {s.code: s for s in candidate.steps.all()}
        records = _records(steps, full_ids)
        warnings = development.check(records, birth_date=candidate.person.birth_date, today=today)
        views.append(CandidateView(candidate, steps, warnings, development.next_step(records), today))
    return views


def candidates_in(
    *, user: Any, organization: Organization | None = None, status: str = CandidateStatus.ACTIVE
) -> QuerySet[Candidate]:
    qs = restrict(Candidate.objects.all(), user, VIEW)
    if organization is not None:
        qs = qs.filter(organization__path__startswith=organization.path)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("person", "organization").prefetch_related(
        Prefetch("steps", queryset=DevelopmentStep.objects.prefetch_related("people"))
    )


def pipeline(*, user: Any, organization: Organization | None, today: dt.date | None = None) -> dict[str, Any]:
    """The board: how many people are at each stage, and each candidate with the next step and
    the warnings (late steps first)."""
    today = today or timezone.localdate()
    views = _views(
        list(candidates_in(user=user, organization=organization).order_by("stage", "person__name_pinyin")), today
    )
    by_stage: dict[int, list[CandidateView]] = defaultdict(list)
    for view in views:
        by_stage[view.candidate.stage].append(view)
    for rows in by_stage.values():
        rows.sort(key=lambda v: (not v.overdue, not v.warnings, v.candidate.person.name_pinyin))
    counts = dict(
        candidates_in(user=user, organization=organization).order_by().values_list("stage").annotate(n=Count("pk"))
    )
    return {
        "stages": [
            {"number": number, "label": label, "count": counts.get(number, 0), "candidates": by_stage.get(number, [])}
            for number, label in development.STAGES.items()
        ],
        "total": len(views),
        "late": sum(1 for v in views if v.overdue),
    }


def candidate_for(*, user: Any, pk: int, today: dt.date | None = None) -> CandidateView:
    candidate = candidates_in(user=user, status="").filter(pk=pk).first()
    if candidate is None:
        raise Http404
    return _views([candidate], today or timezone.localdate())[0]


def development_deadlines(
    *, user: Any, today: dt.date | None = None, limit: int = 10
) -> list[tuple[CandidateView, development.Warning]]:
    """Deadlines that are near or past for the user's candidates, soonest first (workbench)."""
    today = today or timezone.localdate()
    items = [
        (view, warning)
        for view in _views(list(candidates_in(user=user)), today)
        for warning in view.warnings
        if warning.due is not None
    ]
    items.sort(key=lambda item: item[1].due)
    return items[:limit]
