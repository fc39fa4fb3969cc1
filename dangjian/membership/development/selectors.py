"""Reads of the development of new members: the pipeline board, a candidate's steps with the
rules' warnings, and the deadlines for the workbench."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.membership.development import rules as development
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
    *, actor: Actor, organization: Organization | None = None, status: str = CandidateStatus.ACTIVE
) -> QuerySet[Candidate]:
    qs = restrict(Candidate.objects.all(), actor, VIEW)
    if organization is not None:
        qs = qs.filter(organization__path__startswith=organization.path)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("person", "organization").prefetch_related(
        Prefetch("steps", queryset=DevelopmentStep.objects.prefetch_related("people"))
    )


def _records_in_bulk(candidate_ids: Any) -> dict[int, dict[str, development.StepRecord]]:
    """The rules' view of many candidates' steps in two queries (plain values, no model
    instances): the steps, and how many full members in good standing are named on each.
    ``candidate_ids``: a list, or a query of candidate ids (a district's 3,000 ids are better
    sent as the query that finds them than as parameters)."""
    from dangjian.people.models import Member

    full = Member.objects.filter(
        stage=MemberStage.FULL, status=MembershipStatus.NORMAL, person_id=OuterRef("person_id")
    )
    links = DevelopmentStep.people.through.objects.filter(developmentstep__candidate_id__in=candidate_ids)
    people_full = dict(links.filter(Exists(full)).values_list("developmentstep_id").annotate(n=Count("pk")).order_by())
    records: dict[int, dict[str, development.StepRecord]] = defaultdict(dict)
    rows = DevelopmentStep.objects.filter(candidate_id__in=candidate_ids).values_list(
        "pk", "candidate_id", "code", "done_on", "publicity_from", "publicity_to", "hours"
    )
    for pk, candidate_id, code, done_on, start, end, hours in rows.iterator(chunk_size=5000):
        records[candidate_id][code] = development.StepRecord(done_on, start, end, hours, people_full.get(pk, 0))
    return records


@dataclass
class BoardEntry:
    pk: int
    name: str
    name_pinyin: str
    organization: str
    stage: int
    warnings: list[development.Warning]
    next_step: development.StepDef | None
    late: bool
    done: frozenset[str] = frozenset()  # the codes of the steps recorded with a date


def board_entries(*, actor: Actor, organization: Organization | None = None) -> list[BoardEntry]:
    """Every active candidate in scope with the rules' warnings: plain values, computed in a
    few queries whatever the number (a district has about 3,000)."""
    today = actor.today
    qs = restrict(Candidate.objects.filter(status=CandidateStatus.ACTIVE), actor, VIEW)
    if organization is not None:
        qs = qs.filter(organization__path__startswith=organization.path)
    rows = list(
        qs.values_list("pk", "person__name", "person__name_pinyin", "person__birth_date", "organization__name", "stage")
    )
    if not rows:
        return []
    records = _records_in_bulk(qs.values("pk"))
    entries = []
    for pk, name, pinyin, birth, org_name, stage in rows:
        done = records.get(pk, {})
        warnings = development.check(done, birth_date=birth, today=today)
        late = any(w.due is not None and w.due < today for w in warnings)
        entries.append(
            BoardEntry(
                pk,
                name,
                pinyin,
                org_name,
                stage,
                warnings,
                development.next_step(done),
                late,
                frozenset(code for code, record in done.items() if record.done_on is not None),
            )
        )
    return entries


BOARD_PER_STAGE = 50


def pipeline(*, actor: Actor, organization: Organization | None) -> dict[str, Any]:
    """The board: how many people are at each stage and who is late; each column lists the late
    ones first, then those with warnings (up to BOARD_PER_STAGE; the counts are complete)."""
    entries = board_entries(actor=actor, organization=organization)
    by_stage: dict[int, list[BoardEntry]] = defaultdict(list)
    for entry in entries:
        by_stage[entry.stage].append(entry)
    for rows in by_stage.values():
        rows.sort(key=lambda e: (not e.late, not e.warnings, e.name_pinyin))
    return {
        "stages": [
            {
                "number": number,
                "label": label,
                "count": len(by_stage.get(number, [])),
                "late": sum(1 for e in by_stage.get(number, []) if e.late),
                "candidates": by_stage.get(number, [])[:BOARD_PER_STAGE],
            }
            for number, label in development.STAGES.items()
        ],
        "total": len(entries),
        "late": sum(1 for e in entries if e.late),
        "per_stage": BOARD_PER_STAGE,
    }


def candidate_for(*, actor: Actor, pk: int) -> CandidateView:
    today = actor.today
    candidate = candidates_in(actor=actor, status="").filter(pk=pk).first()
    if candidate is None:
        raise Http404
    return _views([candidate], today)[0]


class Deadline(TypedDict):
    pk: int  # the candidate's
    name: str
    message: str
    due: dt.date
    step: str  # the code of the step to record now: the to-do opens its form


def development_deadlines(*, actor: Actor, limit: int = 10) -> list[Deadline]:
    """Deadlines that are near or past for the user's candidates, soonest first, as plain values
    (the workbench caches them with its figures), each with the step that is due."""
    items: list[Deadline] = [
        {"pk": e.pk, "name": e.name, "message": w.message, "due": w.due, "step": development.due_step(w.step, e.done)}
        for e in board_entries(actor=actor)
        for w in e.warnings
        if w.due is not None
    ]
    items.sort(key=lambda item: item["due"])
    return items[:limit]
