"""Dispatch suggestions (派单建议): who could take a request, ranked, each with its reasons.

Candidates are the request's grid, the community's staff, its party branches and the
volunteer party members living in the community whose specialties (特长) match the skills the
service needs. The score is simple and shown, so a dispatcher can judge it:

    +3 per skill of the service the candidate has (a branch: if any of its members has one)
    +2 in the request's own grid (staff granted there, members living there, the grid itself)
    +1 elsewhere in the same community
    −0.5 per request the candidate is handling now (at most −3): spread the load

Apps above the service desk add candidates of their own through ``register_suggester`` (the
volunteer teams whose specialty is the request's service: volunteering.selectors.team_suggestions);
a candidate suggested twice keeps the better score and both reasons.

Equal scores are broken, and the reason shown: fewer requests in hand first, then whoever has
handled more of this service in the community in the last 90 days, then by name.
At most three of each kind are shown. The dispatcher chooses; the system never dispatches on its own.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.orgs.models import Organization, OrgKind, RegionLevel
from dangjian.people.models import Member, MembershipStatus
from dangjian.servicedesk.models import OPEN_STATES, AssigneeKind, ServiceRequest

SKILL_POINTS, GRID_POINTS, COMMUNITY_POINTS, LOAD_PENALTY, MAX_PENALTY = 3.0, 2.0, 1.0, 0.5, 3.0
PER_KIND = 3


@dataclass
class Suggestion:
    kind: str
    label: str
    value: int  # the id to dispatch to: a user, a person, an organisation or a grid
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    load: int = 0
    done: int = 0  # requests of this service the candidate handled here in the last 90 days
    tie: str = ""  # why it is listed above the next one of the same score

    @property
    def kind_label(self) -> str:
        return str(AssigneeKind(self.kind).label)


Suggester = Callable[[Actor, ServiceRequest], list[Suggestion]]
_suggesters: list[Suggester] = []


def register_suggester(suggester: Suggester) -> None:
    """An app above the service desk offers candidates of its own (called with the dispatcher and
    the request; a constant number of queries each)."""
    if suggester not in _suggesters:
        _suggesters.append(suggester)


def _merged(found: list[Suggestion]) -> list[Suggestion]:
    """One suggestion per candidate: the better score, the reasons of both."""
    kept: dict[tuple[str, int], Suggestion] = {}
    for item in found:
        key = (item.kind, item.value)
        other = kept.get(key)
        if other is None:
            kept[key] = item
            continue
        best, rest = (item, other) if item.score > other.score else (other, item)
        best.reasons = [*best.reasons, *(r for r in rest.reasons if r not in best.reasons)]
        kept[key] = best
    return list(kept.values())


def _load(counts: dict[int, int], key: int | None, suggestion: Suggestion) -> None:
    load = counts.get(key or 0, 0)
    suggestion.load = load
    if load:
        suggestion.score -= min(MAX_PENALTY, LOAD_PENALTY * load)
        suggestion.reasons.append(_("handling %(n)d now") % {"n": load})
    else:
        suggestion.reasons.append(_("nothing in hand"))


def _current_assignee(req: ServiceRequest) -> tuple[str, int | None]:
    """(kind, key) of whoever holds ``req`` now, in the terms of a Suggestion."""
    keys: dict[str, int | None] = {
        AssigneeKind.STAFF: req.assignee_user_id,
        AssigneeKind.VOLUNTEER: req.assignee_person_id,
        AssigneeKind.BRANCH: req.assignee_organization_id,
        AssigneeKind.GRID: req.assignee_region_id,
    }
    return req.assignee_kind, keys.get(req.assignee_kind)


def suggestions(*, actor: Actor, req: ServiceRequest, limit: int = 8) -> list[Suggestion]:
    """Ranked candidates for ``req`` among those the dispatcher may see (a constant number of queries)."""
    community = req.community
    grid = req.region if req.region.level == RegionLevel.GRID else None
    skills = {tag.pk: tag.label for tag in req.category.skills.all()}
    open_by_user = dict(
        ServiceRequest.objects.filter(state__in=OPEN_STATES, assignee_user__isnull=False)
        .filter(community=community)
        .values_list("assignee_user")
        .annotate(n=Count("pk"))
    )
    found: list[Suggestion] = []

    if grid is not None:
        item = Suggestion(AssigneeKind.GRID, grid.name, grid.pk, GRID_POINTS, [_("the request's own grid")])
        open_in_grid = ServiceRequest.objects.filter(
            state__in=OPEN_STATES, assignee_kind=AssigneeKind.GRID, assignee_region=grid
        ).count()
        _load({grid.pk: open_in_grid}, grid.pk, item)
        found.append(item)

    grants = (
        RoleGrant.objects.active()
        .filter(role=Role.COMMUNITY_STAFF, region__path__startswith=community.path)
        .select_related("user", "region")
        .order_by("user_id", "-region__depth")
    )
    seen_users: set[int] = set()
    for grant in grants:
        if grant.user_id in seen_users or not grant.user.is_active:
            continue
        seen_users.add(grant.user_id)
        item = Suggestion(AssigneeKind.STAFF, str(grant.user.display_name or grant.user.username), grant.user_id)
        if grid is not None and grant.region_id == grid.pk:
            item.score += GRID_POINTS
            item.reasons.append(_("works in this grid"))
        else:
            item.score += COMMUNITY_POINTS
            item.reasons.append(_("staff of %(community)s") % {"community": community.name})
        _load(open_by_user, grant.user_id, item)
        found.append(item)

    if skills:
        members = (
            restrict(Member.objects.all(), actor, VIEW)
            .filter(
                status=MembershipStatus.NORMAL,
                person__region__path__startswith=community.path,
                person__user__isnull=False,
                specialties__in=list(skills),
            )
            .select_related("person", "person__region")
            .prefetch_related("specialties")
            .distinct()[:200]
        )
        for member in members:
            person = member.person
            matched = [skills[t.pk] for t in member.specialties.all() if t.pk in skills]
            item = Suggestion(AssigneeKind.VOLUNTEER, person.name, person.pk, SKILL_POINTS * len(matched))
            item.reasons.append(_("specialty: %(skills)s") % {"skills": pgettext("enumeration", ", ").join(matched)})
            if grid is not None and person.region_id == grid.pk:
                item.score += GRID_POINTS
                item.reasons.append(_("lives in this grid"))
            else:
                item.score += COMMUNITY_POINTS
                item.reasons.append(_("lives in %(community)s") % {"community": community.name})
            _load(open_by_user, person.user_id, item)
            found.append(item)

    branches = (
        restrict(Organization.objects.filter(kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)), actor, VIEW)
        .filter(region=community)
        .annotate(
            skilled=Count(
                "members",
                filter=Q(members__status=MembershipStatus.NORMAL, members__specialties__in=list(skills)),
                distinct=True,
            ),
            open_now=Count("assigned_requests", filter=Q(assigned_requests__state__in=OPEN_STATES), distinct=True),
        )
        .order_by("path")
    )
    for branch in branches:
        item = Suggestion(AssigneeKind.BRANCH, branch.name, branch.pk, COMMUNITY_POINTS)
        if branch.skilled:
            item.score += SKILL_POINTS
            item.reasons.append(_("%(n)d members with the skills needed") % {"n": branch.skilled})
        else:
            item.reasons.append(_("party branch of the community"))
        _load({branch.pk: branch.open_now}, branch.pk, item)
        found.append(item)

    for suggester in _suggesters:
        found.extend(suggester(actor, req))
    found = _merged(found)
    # Who holds it now is no suggestion (re-dispatching to them changes nothing).
    current = _current_assignee(req)
    found = [item for item in found if (item.kind, item.value) != current]
    done = _done_before(req)
    for item in found:
        item.done = done.get((item.kind, item.value), 0)
    found.sort(key=lambda s: (-s.score, s.load, -s.done, s.label))
    # At most PER_KIND of each kind, so that the best staff member and volunteer are not pushed
    # off the list by seven branches that all have someone with the skill.
    per_kind: dict[str, int] = {}
    kept = []
    for item in found:
        per_kind[item.kind] = per_kind.get(item.kind, 0) + 1
        if per_kind[item.kind] <= PER_KIND:
            kept.append(item)
    kept = kept[:limit]
    _explain_ties(kept)
    return kept


EXPERIENCE_DAYS = 90


def _done_before(req: ServiceRequest) -> dict[tuple[str, int], int]:
    """{(kind, key): requests of ``req``'s service handled in its community in the last 90 days},
    per assignee (one query)."""
    since = req.submitted_at - dt.timedelta(days=EXPERIENCE_DAYS)
    rows = (
        ServiceRequest.objects.filter(community=req.community_id, category=req.category_id, handled_at__gte=since)
        .exclude(pk=req.pk)
        .values_list("assignee_kind", "assignee_user", "assignee_person", "assignee_organization", "assignee_region")
        .annotate(n=Count("pk"))
    )
    keys = {AssigneeKind.STAFF: 1, AssigneeKind.VOLUNTEER: 2, AssigneeKind.BRANCH: 3, AssigneeKind.GRID: 4}
    done: dict[tuple[str, int], int] = {}
    for row in rows:
        index = keys.get(row[0])
        if index is not None and row[index] is not None:
            done[(row[0], row[index])] = done.get((row[0], row[index]), 0) + row[5]
    return done


def _explain_ties(items: list[Suggestion]) -> None:
    """For each suggestion scored the same as the next one, say why it comes first."""
    for item, after in itertools.pairwise(items):
        if item.score != after.score:
            continue
        if item.load != after.load:
            why = _("equal score with %(other)s; fewer requests in hand (%(n)d against %(m)d)")
            item.tie = why % {"other": after.label, "n": item.load, "m": after.load}
        elif item.done != after.done:
            why = _(
                "equal score with %(other)s; has handled more of this service here in 90 days (%(n)d against %(m)d)"
            )
            item.tie = why % {"other": after.label, "n": item.done, "m": after.done}
        else:
            item.tie = _("equal score with %(other)s; listed by name") % {"other": after.label}


# Which keyword of request_dispatch each kind of assignee fills.
ASSIGNEE_FIELD = {
    AssigneeKind.STAFF: "user",
    AssigneeKind.VOLUNTEER: "person",
    AssigneeKind.BRANCH: "organization",
    AssigneeKind.GRID: "grid",
}


def resolve_assignee(*, actor: Actor, kind: str, pk: int | None) -> dict[str, Any]:
    """The one to dispatch to, as ``request_dispatch`` takes it (``{"user": …}``, ``{"grid": …}``…),
    looked up only among those the dispatcher may see: a staff member granted a role in the
    dispatcher's scope, a person, an organisation or a grid in it. Anything else is None, so the
    lifecycle answers that the target is missing and never names someone outside the scope. The
    one resolver of the pages and the API."""
    from django.contrib.auth import get_user_model

    from dangjian.orgs.models import Region
    from dangjian.people.models import Person

    name = ASSIGNEE_FIELD.get(kind)  # type: ignore[call-overload]
    if name is None:
        return {}
    found: Any = None
    if pk is not None:
        if kind == AssigneeKind.STAFF:
            granted = restrict(RoleGrant.objects.active(), actor, VIEW).filter(user_id=pk)
            found = get_user_model().objects.filter(pk=pk, is_active=True).first() if granted.exists() else None
        elif kind == AssigneeKind.VOLUNTEER:
            found = restrict(Person.objects.select_related("user"), actor, VIEW).filter(pk=pk).first()
        elif kind == AssigneeKind.BRANCH:
            found = restrict(Organization.objects.all(), actor, VIEW).filter(pk=pk).first()
        else:
            found = restrict(Region.objects.filter(level=RegionLevel.GRID), actor, VIEW).filter(pk=pk).first()
    return {name: found}
