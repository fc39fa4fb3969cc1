"""Reads of volunteering: teams and their totals (never a ranking of people), posts of an area and
those a member may claim, wishes (private unless the resident agreed), one's own hours, claims and
ledger, the records waiting for verification; the time bank's reconciliation; the evidence the
evaluation engine reads (DESIGN.md §6 group B) and the flags an auditor looks at.

Every figure of the evidence selectors comes with the queryset of the records behind it
(``*_records``), so that a figure always equals the list it opens."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Mod, TruncDate
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.access import CHANGE, VIEW, allowed, restrict
from dangjian.core.actors import Actor
from dangjian.core.conf import config
from dangjian.core.paging import PrimaryKeyPaginator
from dangjian.membership.models import CommunityReport, ReportState
from dangjian.orgs.models import Region, RegionLevel
from dangjian.people.models import MembershipStatus, Person
from dangjian.servicedesk.models import OPEN_STATES, AssigneeKind, ServiceRequest
from dangjian.servicedesk.requests.dispatch import (
    COMMUNITY_POINTS,
    GRID_POINTS,
    LOAD_PENALTY,
    MAX_PENALTY,
    SKILL_POINTS,
    Suggestion,
)
from dangjian.volunteering import services
from dangjian.volunteering.models import (
    LIVE_CLAIMS,
    LIVE_RECORDS,
    Claim,
    ClaimState,
    LedgerEntry,
    LedgerKind,
    Post,
    PostStatus,
    RecordState,
    ServiceRecord,
    Team,
    TeamMember,
    Wish,
    WishState,
)
from dangjian.volunteering.services import day_bounds

PER_PAGE = 25


# -- Teams ----------------------------------------------------------------------------------------


def teams(*, actor: Actor) -> list[Team]:
    """The teams of the actor's area, with their current number of members and — where the team
    shows them — its verified hours of the last twelve months (totals, never per person)."""
    since = actor.now - dt.timedelta(days=365)
    rows = (
        restrict(Team.objects.filter(dissolved_on=None), actor, VIEW)
        .select_related("region", "specialty", "leader")
        .annotate(
            member_count=Count("members", filter=Q(members__left_on=None), distinct=True),
        )
        .order_by("region__path", "name")
    )
    found = list(rows[:500])
    minutes = dict(
        ServiceRecord.objects.filter(team__in=found, state=RecordState.VERIFIED, started_at__gte=since)
        .values_list("team_id")
        .annotate(total=Sum("minutes"))
        .values_list("team_id", "total")
    )
    for team in found:
        team.minutes = minutes.get(team.pk, 0)
    return found


def teams_of_person(*, actor: Actor) -> list[TeamMember]:
    """The teams the actor's own person is in."""
    if actor.person_id is None:
        return []
    return list(
        TeamMember.objects.filter(person_id=actor.person_id, left_on=None, team__dissolved_on=None)
        .select_related("team__region", "team__specialty")
        .order_by("team__name")
    )


def team_for(*, actor: Actor, pk: int) -> Team:
    """One team: for the staff of its area and for its own members."""
    team = Team.objects.select_related("region", "specialty", "leader", "organization").filter(pk=pk).first()
    if team is None:
        raise Http404
    if allowed(actor, VIEW, team):
        return team
    if actor.person_id and TeamMember.objects.filter(team=team, person_id=actor.person_id, left_on=None).exists():
        return team
    raise Http404


def team_members(*, actor: Actor, team: Team) -> list[TeamMember]:
    """The team's current members (names only: no person's hours are shown beside another's)."""
    return list(TeamMember.objects.filter(team=team, left_on=None).select_related("person").order_by("joined_on", "id"))


def team_totals(*, team: Team, since: dt.datetime) -> dict[str, int]:
    """The team's verified service since ``since``: records, minutes and people who served."""
    row = ServiceRecord.objects.filter(team=team, state=RecordState.VERIFIED, started_at__gte=since).aggregate(
        records=Count("id"), minutes=Sum("minutes"), people=Count("person", distinct=True)
    )
    return {key: value or 0 for key, value in row.items()}


def team_posts(*, team: Team, now: dt.datetime, limit: int = 20) -> list[Post]:
    return list(
        _claim_counted(Post.objects.filter(team=team, ends_at__gt=now, status=PostStatus.PUBLISHED)).order_by(
            "starts_at"
        )[:limit]
    )


# -- Posts ----------------------------------------------------------------------------------------


def _claim_counted(posts: QuerySet[Post]) -> QuerySet[Post]:
    return posts.annotate(
        pending=Count("claims", filter=Q(claims__state=ClaimState.PENDING)),
        confirmed=Count("claims", filter=Q(claims__state=ClaimState.CONFIRMED)),
    )


@dataclass(frozen=True)
class PostFilters:
    when: str = "upcoming"  # upcoming | past | waiting (coming posts with claims to confirm)


def posts_page(*, actor: Actor, filters: PostFilters, number: Any) -> Page:
    """The posts of the actor's area with their claims waiting and confirmed; upcoming soonest
    first, past newest first (constant queries)."""
    posts = restrict(Post.objects.all(), actor, VIEW)
    if filters.when == "waiting":  # coming posts with claims waiting for the community
        waiting = restrict(Claim.objects.filter(state=ClaimState.PENDING), actor, CHANGE).values("post_id")
        posts = posts.filter(pk__in=waiting, status=PostStatus.PUBLISHED, starts_at__gt=actor.now)
        ordering: tuple[str, ...] = ("starts_at", "id")
    elif filters.when == "past":
        posts = posts.filter(ends_at__lte=actor.now)
        ordering = ("-starts_at", "-id")
    else:
        posts = posts.filter(ends_at__gt=actor.now)
        ordering = ("starts_at", "id")
    page = PrimaryKeyPaginator(posts.order_by(*ordering), PER_PAGE).get_page(number)
    keys = [post.pk for post in page.object_list]
    page.object_list = list(
        _claim_counted(Post.objects.filter(pk__in=keys)).select_related("region", "team").order_by(*ordering)
    )
    return page


def _member_home(actor: Actor) -> tuple[Person | None, list[int]]:
    """The actor's own person if a member in good standing, and the communities they serve in;
    read once per actor (the hub asks for posts and wishes)."""
    cached = actor.__dict__.get("_volunteering_home")
    if cached is None:
        person = services.own_person(actor=actor)
        if person is None or not services.in_standing(person):
            cached = (None, [])
        else:
            cached = (person, services.home_communities(person))
        actor.__dict__["_volunteering_home"] = cached
    return cached


def posts_open_to_me(*, actor: Actor, limit: int = 50) -> list[Post]:
    """Published posts not yet started of the communities the actor's person lives in or reports
    to (members in good standing), soonest first, each with ``mine``: their live claim or None."""
    person, communities = _member_home(actor)
    if person is None:
        return []
    rows = list(
        _claim_counted(
            Post.objects.filter(region_id__in=communities, status=PostStatus.PUBLISHED, starts_at__gt=actor.now)
        )
        .select_related("region", "team")
        .order_by("starts_at", "id")[:limit]
    )
    mine = {claim.post_id: claim for claim in Claim.objects.filter(person=person, post__in=rows, state__in=LIVE_CLAIMS)}
    for post in rows:
        post.mine = mine.get(post.pk)  # type: ignore[attr-defined]
    return rows


def post_for(*, actor: Actor, pk: int) -> Post:
    """One post: for the staff of its community, the members who may claim it, and claimants."""
    post = Post.objects.select_related("region", "team").filter(pk=pk).first()
    if post is None:
        raise Http404
    if allowed(actor, VIEW, post) or services.may_claim(actor=actor, post=post):
        return post
    if actor.person_id and Claim.objects.filter(post=post, person_id=actor.person_id).exists():
        return post
    if services.claimable_units(actor=actor, post=post):
        return post
    raise Http404


def claims_of(*, actor: Actor, post: Post, with_records: bool = False) -> list[Claim]:
    """The post's claims the actor may see (the community: all), live ones first; with
    ``with_records`` each has ``record``: its live service record or None."""
    order = {ClaimState.PENDING: 0, ClaimState.CONFIRMED: 1}
    rows = list(
        restrict(Claim.objects.filter(post=post), actor, VIEW)
        .select_related("person", "unit")
        .order_by("created_at", "id")
    )
    rows.sort(key=lambda row: order.get(row.state, 2))
    if with_records:
        records = {
            record.claim_id: record for record in ServiceRecord.objects.filter(claim__post=post, state__in=LIVE_RECORDS)
        }
        for row in rows:
            row.record = records.get(row.pk)
    return rows


def post_counts(*, post: Post) -> dict[str, int]:
    row: dict[str, int] | None = (
        _claim_counted(Post.objects.filter(pk=post.pk)).values("pending", "confirmed").first()  # type: ignore[misc]  # annotated
    )
    return row or {"pending": 0, "confirmed": 0}


def own_claim(*, actor: Actor, post: Post) -> Claim | None:
    if actor.person_id is None:
        return None
    return (
        Claim.objects.filter(post=post, person_id=actor.person_id, state__in=LIVE_CLAIMS).select_related("post").first()
    )


def my_claims(*, actor: Actor, limit: int = 30) -> list[Claim]:
    """The actor's own claims of posts not yet over (and those over without check-out)."""
    if actor.person_id is None:
        return []
    return list(
        restrict(Claim.objects.filter(person_id=actor.person_id, state__in=LIVE_CLAIMS), actor, VIEW)
        .filter(post__ends_at__gt=actor.now - dt.timedelta(days=7))
        .select_related("post__region")
        .order_by("post__starts_at", "id")[:limit]
    )


# -- Wishes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WishFilters:
    state: str = ""  # a WishState value or "" for all


def wishes_page(*, actor: Actor, filters: WishFilters, number: Any) -> Page:
    """The wishes of the actor's area (the community's staff), newest first."""
    wishes = restrict(Wish.objects.all(), actor, VIEW)
    if filters.state in WishState.values:
        wishes = wishes.filter(state=filters.state)
    page = PrimaryKeyPaginator(wishes.order_by("-created_at", "-id"), PER_PAGE).get_page(number)
    keys = [wish.pk for wish in page.object_list]
    page.object_list = list(
        Wish.objects.filter(pk__in=keys)
        .select_related("community", "resident", "claimer", "claimer_unit")
        .order_by("-created_at", "-id")
    )
    return page


def wishes_open_to_me(*, actor: Actor, limit: int = 30) -> list[Wish]:
    """Open wishes the residents agreed to show, of the communities the actor's person (a member in
    good standing) lives in or reports to. Without the resident's name."""
    person, communities = _member_home(actor)
    if person is None:
        return []
    return list(
        Wish.objects.filter(community_id__in=communities, shown_to_members=True, state=WishState.OPEN)
        .exclude(resident=person)
        .select_related("community")
        .order_by("created_at", "id")[:limit]
    )


def wishes_open_to_units(*, actor: Actor, limit: int = 30) -> list[Wish]:
    """Open wishes shown to the community, in the communities of a liaison's resident units."""
    unit_ids = actor.scope.nodes(VIEW).unit_ids
    if not unit_ids:
        return []
    communities = [
        region.community()
        for region in Region.objects.filter(units__pk__in=unit_ids, units__closed_on=None).select_related("parent")
    ]
    return list(
        Wish.objects.filter(
            community__in=[c for c in communities if c is not None], shown_to_members=True, state=WishState.OPEN
        )
        .select_related("community")
        .order_by("created_at", "id")[:limit]
    )


def my_wishes(*, actor: Actor) -> list[Wish]:
    """The actor's own wishes (as the resident) and the wishes they took, not yet closed long ago."""
    if actor.person_id is None:
        return []
    since = actor.now - dt.timedelta(days=90)
    return list(
        Wish.objects.filter(Q(resident_id=actor.person_id) | Q(claimer_id=actor.person_id))
        .filter(Q(confirmed_at__isnull=True) | Q(confirmed_at__gte=since))
        .exclude(state=WishState.CANCELLED)
        .select_related("community")
        .order_by("-created_at")[:50]
    )


def wish_for(*, actor: Actor, pk: int) -> Wish:
    """One wish: for the community's staff, the resident, whoever took it, and — while open and if
    the resident agreed — the members who may take it."""
    wish = (
        Wish.objects.select_related("community", "region", "resident", "claimer", "claimer_unit").filter(pk=pk).first()
    )
    if wish is None:
        raise Http404
    if allowed(actor, VIEW, wish) or (actor.person_id and actor.person_id in (wish.resident_id, wish.claimer_id)):
        return wish
    if wish.state == WishState.OPEN and (
        services.may_take_wish(actor=actor, wish=wish) or services.wish_units(actor=actor, wish=wish)
    ):
        return wish
    if services.is_claimer(actor=actor, wish=wish):
        return wish
    raise Http404


# -- Records and one's own hours ------------------------------------------------------------------


def pending_records(*, actor: Actor, limit: int = 100) -> list[ServiceRecord]:
    """Records waiting for verification that the actor may verify, oldest first."""
    return list(
        restrict(ServiceRecord.objects.filter(state=RecordState.PENDING, wish__isnull=True), actor, CHANGE)
        .exclude(person_id=actor.person_id or 0)
        .select_related("person", "community", "claim__post", "wish")
        .order_by("started_at", "id")[:limit]
    )


def records_page(*, actor: Actor, number: Any) -> Page:
    """The service records of the actor's area, newest first."""
    rows = restrict(ServiceRecord.objects.all(), actor, VIEW).order_by("-started_at", "-id")
    page = PrimaryKeyPaginator(rows, PER_PAGE).get_page(number)
    keys = [row.pk for row in page.object_list]
    page.object_list = list(
        ServiceRecord.objects.filter(pk__in=keys)
        .select_related("person", "community", "team")
        .order_by("-started_at", "-id")
    )
    return page


def my_records(*, actor: Actor, limit: int = 50) -> list[ServiceRecord]:
    if actor.person_id is None:
        return []
    return list(
        restrict(ServiceRecord.objects.filter(person_id=actor.person_id), actor, VIEW)
        .select_related("community", "claim__post", "wish")
        .order_by("-started_at", "-id")[:limit]
    )


def my_ledger(*, actor: Actor, limit: int = 100) -> list[LedgerEntry]:
    if actor.person_id is None:
        return []
    return list(
        restrict(LedgerEntry.objects.filter(person_id=actor.person_id), actor, VIEW)
        .select_related("counterpart")
        .order_by("-created_at", "-id")[:limit]
    )


def person_ledger(*, actor: Actor, person: Person, limit: int = 100) -> list[LedgerEntry]:
    """A person's ledger for the community's staff (what they may see of it)."""
    return list(
        restrict(LedgerEntry.objects.filter(person=person), actor, VIEW)
        .select_related("counterpart")
        .order_by("-created_at", "-id")[:limit]
    )


def hours_summary(*, person_id: int, now: dt.datetime) -> dict[str, int]:
    """A person's own figures: verified minutes this year and in all, waiting, and the balance."""
    year_start = day_bounds(dt.date(timezone.localtime(now).year, 1, 1), dt.date(timezone.localtime(now).year, 1, 1))[0]
    row = ServiceRecord.objects.filter(person_id=person_id).aggregate(
        total=Sum("minutes", filter=Q(state=RecordState.VERIFIED)),
        year=Sum("minutes", filter=Q(state=RecordState.VERIFIED, started_at__gte=year_start)),
        waiting=Sum("minutes", filter=Q(state=RecordState.PENDING)),
    )
    summary = {key: value or 0 for key, value in row.items()}
    summary["balance"] = services.balance(person_id)
    return summary


PUBLIC_MINIMUM = 5  # a community's totals are public from this many people: one person's are theirs


def public_totals(*, since: dt.datetime, limit: int = 200) -> list[dict[str, Any]]:
    """Each community's verified service since ``since``: records, minutes and people who served —
    totals only, shown publicly (never a person's hours, never a ranking: in the order of the
    tree), and only for communities where at least PUBLIC_MINIMUM people served. Grouped by the
    community's id (two queries: the sums, then the names)."""
    totals = {
        row["community_id"]: row
        for row in ServiceRecord.objects.filter(state=RecordState.VERIFIED, started_at__gte=since)
        .values("community_id")
        .annotate(records=Count("id"), minutes=Sum("minutes"), people=Count("person", distinct=True))
        .filter(people__gte=PUBLIC_MINIMUM)
        .order_by()
    }
    places = Region.objects.filter(pk__in=list(totals)).order_by("path").values_list("pk", "name")[:limit]
    return [{"community__name": name, **totals[pk]} for pk, name in places]


# -- The time bank reconciles ---------------------------------------------------------------------


@dataclass(frozen=True)
class Reconciliation:
    level: str  # "person", "community" or "total"
    key: Any
    verified_minutes: int  # of the verified service records
    ledger_minutes: int  # of the earned and reversal lines
    records: int

    @property
    def balanced(self) -> bool:
        return self.verified_minutes == self.ledger_minutes


def ledger_reconciliation(*, actor: Actor, region: Region | None = None) -> list[Reconciliation]:
    """Check the time bank against the service records at every level: for each person, each
    community and in total, the minutes of verified records equal the sum of the earned and
    reversal lines of the ledger (a reversed record's two lines cancel). Returns the rows that do
    not balance, then the total row (always): an empty list before it means all is well."""
    records = restrict(ServiceRecord.objects.all(), actor, VIEW)
    entries = restrict(LedgerEntry.objects.filter(kind__in=(LedgerKind.EARNED, LedgerKind.REVERSAL)), actor, VIEW)
    if region is not None:
        records = records.filter(community__path__startswith=region.path)
        entries = entries.filter(community__path__startswith=region.path)
    # Two reads (the records, the ledger), each summed per person and community by the database;
    # the person's and the community's totals are added up from them.
    by_person: dict[int, int] = defaultdict(int)
    by_community: dict[int, int] = defaultdict(int)
    counts: dict[int, int] = defaultdict(int)
    for person_id, community_id, minutes, n in (
        records.filter(state=RecordState.VERIFIED)
        .values_list("person_id", "community_id")
        .annotate(m=Sum("minutes"), n=Count("id"))
        .values_list("person_id", "community_id", "m", "n")
        .order_by()
    ):
        by_person[person_id] += minutes
        by_community[community_id] += minutes
        counts[person_id] += n
    ledger_person: dict[int, int] = defaultdict(int)
    ledger_community: dict[int, int] = defaultdict(int)
    for person_id, community_id, minutes in (
        entries.values_list("person_id", "community_id")
        .annotate(m=Sum("minutes"))
        .values_list("person_id", "community_id", "m")
        .order_by()
    ):
        ledger_person[person_id] += minutes
        ledger_community[community_id] += minutes
    out: list[Reconciliation] = []
    for person_id in sorted(set(by_person) | set(ledger_person)):
        a, b = by_person.get(person_id, 0), ledger_person.get(person_id, 0)
        if a != b:
            out.append(Reconciliation("person", person_id, a, b, counts.get(person_id, 0)))
    for community_id in sorted(set(by_community) | set(ledger_community)):
        a, b = by_community.get(community_id, 0), ledger_community.get(community_id, 0)
        if a != b:
            out.append(Reconciliation("community", community_id, a, b, 0))
    out.append(
        Reconciliation("total", None, sum(by_person.values()), sum(ledger_person.values()), sum(counts.values()))
    )
    return out


# -- Evidence for evaluation (DESIGN.md §6 group B) -----------------------------------------------


def _reporting_to(actor: Actor) -> Any:
    """The ids of the members whose 双报到 report a community the actor may change has confirmed."""
    serving = restrict(Region.objects.filter(level=RegionLevel.COMMUNITY), actor, CHANGE)
    return CommunityReport.objects.filter(state=ReportState.CONFIRMED, community__in=serving).values("person_id")


def bank_person_for(*, actor: Actor, pk: int) -> Person:
    """A person whose time bank the actor may read: someone they may see, or a member reporting
    (双报到, confirmed) to a community they may change (who lives elsewhere). Else 404."""
    person = restrict(Person.objects.select_related("region"), actor, VIEW).filter(pk=pk).first()
    if person is None:
        person = Person.objects.select_related("region").filter(pk=pk, pk__in=_reporting_to(actor)).first()
    if person is None:
        raise Http404
    return person


def find_volunteers(*, actor: Actor, query: str, limit: int = 8) -> list[Person]:
    """``people.selectors.find_people``, and the members reporting (双报到, confirmed) to the
    communities the actor may change who live elsewhere: whose service the actor records."""
    from dangjian.people.selectors import find_people, search_filter

    found = find_people(actor=actor, query=query, limit=limit)
    where = search_filter(" ".join((query or "").split())[:50])
    if where is None or len(found) >= limit:
        return found
    more = (
        Person.objects.filter(where, pk__in=_reporting_to(actor))
        .exclude(pk__in=[p.pk for p in found])
        .select_related("region", "region__parent")
        .order_by("name_pinyin", "pk")[: limit - len(found)]
    )
    return [*found, *more]


def members_of(*, actor: Actor, unit: Region) -> QuerySet[Person]:
    """The party members in good standing who live in ``unit`` (a grid, community or street): the
    denominator of the members' volunteering indicators."""
    return restrict(
        Person.objects.filter(region__path__startswith=unit.path, member__status=MembershipStatus.NORMAL),
        actor,
        VIEW,
    )


def member_service_records(*, actor: Actor, unit: Region, start: dt.date, end: dt.date) -> QuerySet[ServiceRecord]:
    """Verified service records in the period of the members of ``unit`` (wherever they served)."""
    low, high = day_bounds(start, end)
    return restrict(
        ServiceRecord.objects.filter(
            state=RecordState.VERIFIED,
            started_at__gte=low,
            started_at__lt=high,
            person__in=members_of(actor=actor, unit=unit).values("pk"),
        ),
        actor,
        VIEW,
    )


@dataclass(frozen=True)
class VolunteeringEvidence:
    unit: Region
    members: int  # party members in good standing living in the unit
    volunteers: int  # of them, those with a verified record in the period
    minutes: int  # their verified minutes in the period
    top_decile_share: float | None  # share of the minutes from the top 10% of members (by minutes)
    gini: float | None  # Gini coefficient of minutes over all members (0 = equal)

    @property
    def participation(self) -> float | None:
        """志愿服务参与率."""
        return self.volunteers / self.members if self.members else None

    @property
    def hours_per_member(self) -> float | None:
        """人均有效服务时长 (hours)."""
        return self.minutes / 60 / self.members if self.members else None


def gini(values: list[int]) -> float | None:
    """The Gini coefficient of non-negative values (0: all equal; towards 1: one has all);
    None when there is nothing to share."""
    total = sum(values)
    n = len(values)
    if n == 0 or total == 0:
        return None
    ordered = sorted(values)
    weighted = sum((index + 1) * value for index, value in enumerate(ordered))
    return (2 * weighted) / (n * total) - (n + 1) / n


def top_share(values: list[int], share: float = 0.1) -> float | None:
    """The share of the total held by the top ``share`` of the values (at least one value)."""
    total = sum(values)
    if not values or total == 0:
        return None
    count = max(1, int(len(values) * share + 0.5))
    return sum(sorted(values, reverse=True)[:count]) / total


def volunteering_evidence(
    *, actor: Actor, units: list[Region], start: dt.date, end: dt.date
) -> list[VolunteeringEvidence]:
    """Per unit (grids, communities or streets) and period: members, volunteers, verified minutes,
    and how concentrated the minutes are (top 10% share, Gini over all members, those without a
    record counted as 0). The records behind: ``member_service_records``; the members:
    ``members_of``."""
    out = []
    for unit in units:
        members = members_of(actor=actor, unit=unit).count()
        per_person = list(
            member_service_records(actor=actor, unit=unit, start=start, end=end)
            .values_list("person_id")
            .annotate(total=Sum("minutes"))
            .values_list("total", flat=True)
        )
        values = per_person + [0] * max(0, members - len(per_person))
        out.append(
            VolunteeringEvidence(
                unit=unit,
                members=members,
                volunteers=len(per_person),
                minutes=sum(per_person),
                top_decile_share=top_share(values),
                gini=gini(values),
            )
        )
    return out


@dataclass(frozen=True)
class DualReportEvidence:
    unit: Region
    reported: int  # 在职党员 with a confirmed report to a community of the unit
    served: int  # of them, those with a verified service record in a community of the unit
    claims_confirmed: int  # confirmed claims of the unit's posts in the period
    claims_served: int  # of them, those with a verified record

    @property
    def completion(self) -> float | None:
        """双报到与认领完成率: the reported members who served, and the claims that were served,
        together (the share of both commitments kept)."""
        total = self.reported + self.claims_confirmed
        return (self.served + self.claims_served) / total if total else None


def dual_reports(*, actor: Actor, unit: Region, start: dt.date, end: dt.date) -> QuerySet[CommunityReport]:
    """The 双报到 reports to the communities of ``unit`` that held in the period from ``start`` to
    its last day ``end``: confirmed by its end and not revoked before its start (the records
    behind ``reported``)."""
    return restrict(
        CommunityReport.objects.filter(
            state__in=(ReportState.CONFIRMED, ReportState.REVOKED),
            community__path__startswith=unit.path,
            confirmed_on__isnull=False,
            confirmed_on__lte=end,
        ).filter(Q(revoked_on__isnull=True) | Q(revoked_on__gte=start)),
        actor,
        VIEW,
    )


def dual_report_claims(*, actor: Actor, unit: Region, start: dt.date, end: dt.date) -> QuerySet[Claim]:
    """Confirmed claims of the unit's posts that started in the period."""
    low, high = day_bounds(start, end)
    return restrict(
        Claim.objects.filter(
            state=ClaimState.CONFIRMED,
            post__region__path__startswith=unit.path,
            post__starts_at__gte=low,
            post__starts_at__lt=high,
        ),
        actor,
        VIEW,
    )


def dual_report_evidence(
    *, actor: Actor, units: list[Region], start: dt.date, end: dt.date
) -> list[DualReportEvidence]:
    low, high = day_bounds(start, end)
    out = []
    for unit in units:
        served_in_unit = ServiceRecord.objects.filter(
            state=RecordState.VERIFIED,
            community__path__startswith=unit.path,
            started_at__gte=low,
            started_at__lt=high,
            person_id=OuterRef("person_id"),
        )
        reports = dual_reports(actor=actor, unit=unit, start=start, end=end)
        claims = dual_report_claims(actor=actor, unit=unit, start=start, end=end)
        served_claim = ServiceRecord.objects.filter(claim=OuterRef("pk"), state=RecordState.VERIFIED)
        report_row = {"n": reports.count(), "served": reports.filter(Exists(served_in_unit)).count()}
        claim_row = {"n": claims.count(), "served": claims.filter(Exists(served_claim)).count()}
        out.append(
            DualReportEvidence(
                unit=unit,
                reported=report_row["n"],
                served=report_row["served"],
                claims_confirmed=claim_row["n"],
                claims_served=claim_row["served"],
            )
        )
    return out


# -- Flags for an auditor -------------------------------------------------------------------------


def flag_round_hours(
    *, actor: Actor, start: dt.date, end: dt.date, factor: float = 1.5, region: Region | None = None
) -> QuerySet[ServiceRecord]:
    """Verified records of whole hours that are well above their post's time (``factor`` times the
    post's length or more): a sign of hours written by habit rather than measured."""
    low, high = day_bounds(start, end)
    return (
        ServiceRecord.objects.filter(pk__in=_round_and_long(actor, low, high, factor, region))
        .select_related("person", "community", "claim__post")
        .order_by("-started_at", "-id")
    )


def _round_and_long(
    actor: Actor, low: dt.datetime, high: dt.datetime, factor: float, region: Region | None
) -> list[int]:
    records = restrict(
        ServiceRecord.objects.filter(
            state=RecordState.VERIFIED,
            started_at__gte=low,
            started_at__lt=high,
            claim__isnull=False,
            minutes__gte=60,
        ),
        actor,
        VIEW,
    )
    if region is not None:
        records = records.filter(community__path__startswith=region.path)
    rows = (
        records.annotate(whole=Mod("minutes", 60))
        .filter(whole=0)
        .values_list("pk", "minutes", "claim__post__starts_at", "claim__post__ends_at")
        .iterator()
    )
    found = []
    for pk, minutes, starts, ends in rows:
        window = (ends - starts).total_seconds() / 60
        if minutes % 60 == 0 and minutes >= factor * window:
            found.append(pk)
    return found


def flag_over_cap(*, actor: Actor, start: dt.date, end: dt.date, region: Region | None = None) -> list[dict[str, Any]]:
    """People and days whose verified time passes the daily cap (possible only for records verified
    before the cap was lowered, or written around the platform). Summed per person and local day
    by the database (one query for the sums, one for the names of those flagged)."""
    low, high = day_bounds(start, end)
    cap = config().service_daily_cap_hours * 60
    records = restrict(
        ServiceRecord.objects.filter(state=RecordState.VERIFIED, started_at__gte=low, started_at__lt=high),
        actor,
        VIEW,
    )
    if region is not None:
        records = records.filter(community__path__startswith=region.path)
    rows = list(
        records.annotate(day=TruncDate("started_at"))  # in the current time zone, like timezone.localtime()
        .values("person_id", "day")
        .annotate(total=Sum("minutes"))
        .filter(total__gt=cap)
        .order_by("day", "person_id")
    )
    names = dict(Person.objects.filter(pk__in={row["person_id"] for row in rows}).values_list("pk", "name"))
    return [
        {
            "person_id": row["person_id"],
            "name": names[row["person_id"]],
            "day": row["day"],
            "minutes": row["total"],
            "cap": cap,
        }
        for row in rows
    ]


def streets_in_view(*, actor: Actor) -> list[Region]:
    """The streets of the actor's area (those whose pages they see), in the order of the tree."""
    return list(restrict(Region.objects.filter(level=RegionLevel.STREET), actor, VIEW).order_by("path")[:200])


def community_choices(*, actor: Actor, action: str = CHANGE) -> QuerySet[Region]:
    return restrict(Region.objects.filter(level=RegionLevel.COMMUNITY, closed_on=None), actor, action).order_by("path")


# -- Dispatch suggestions (servicedesk.requests.dispatch.register_suggester) ----------------------

TEAM_LEADER_POINTS = 1.0  # the leader coordinates the team: first among its members


def team_suggestions(*, actor: Actor, req: ServiceRequest) -> list[Suggestion]:
    """Members of the volunteer teams whose specialty is the request's service, of its community or
    street: party members in good standing with an account (whom a request may go to), whom the
    dispatcher may see, scored as dispatch scores (the skill, where they live, what they handle now
    in the community). Each with the team named in its reasons; the leader first. Four queries."""
    community = req.community
    teams = {
        team.pk: team
        for team in restrict(
            Team.objects.filter(
                dissolved_on=None,
                specialty_id=req.category_id,
                region__path__in=[*community.ancestor_paths(), community.path],
            ),
            actor,
            VIEW,
        )
    }
    if not teams:
        return []
    grid = req.region if req.region.level == RegionLevel.GRID else None
    rows = (
        TeamMember.objects.filter(
            team_id__in=list(teams),
            left_on=None,
            person__in=restrict(
                Person.objects.filter(member__status=MembershipStatus.NORMAL, user__isnull=False), actor, VIEW
            ).values("pk"),
        )
        .select_related("person")
        .order_by("team_id", "joined_on")[:100]
    )
    members = list(rows)
    community_regions = {community.pk, *(r.pk for r in community.children.all())} if members else set()
    load = dict(  # as dispatch counts it: the requests they handle now in this community
        ServiceRequest.objects.filter(
            state__in=OPEN_STATES, community=community, assignee_user_id__in=[row.person.user_id for row in members]
        )
        .values_list("assignee_user")
        .annotate(n=Count("pk"))
    )
    found = []
    for row in members:
        team, person = teams[row.team_id], row.person
        leads = team.leader_id == person.pk
        item = Suggestion(
            AssigneeKind.VOLUNTEER,
            person.name,
            person.pk,
            SKILL_POINTS + (TEAM_LEADER_POINTS if leads else 0),
            [
                (_("leads %(team)s") if leads else _("member of %(team)s")) % {"team": team.name},
            ],
        )
        if grid is not None and person.region_id == grid.pk:
            item.score += GRID_POINTS
            item.reasons.append(_("lives in this grid"))
        elif person.region_id and person.region_id in community_regions:
            item.score += COMMUNITY_POINTS
            item.reasons.append(_("lives in %(community)s") % {"community": community.name})
        n = load.get(person.user_id, 0)
        item.load = n
        if n:
            item.score -= min(MAX_PENALTY, LOAD_PENALTY * n)
            item.reasons.append(_("handling %(n)d now") % {"n": n})
        found.append(item)
    return found


# -- The workbench's to-dos -----------------------------------------------------------------------


def staff_todos(*, actor: Actor) -> dict[str, int]:
    """What waits for the actor (change right): claims of coming posts to confirm, records to verify
    (not their own), open wishes nobody has taken, and — for a street — nominations to review. Each
    equals the list its link opens (posts ?when=waiting, the records page, wishes ?state=open,
    nominations ?state=submitted). Four queries."""
    from dangjian.volunteering.recognition import nominations_to_review

    return {
        "claims": restrict(Claim.objects.filter(state=ClaimState.PENDING), actor, CHANGE)
        .filter(post__status=PostStatus.PUBLISHED, post__starts_at__gt=actor.now)
        .count(),
        "records": restrict(ServiceRecord.objects.filter(state=RecordState.PENDING, wish__isnull=True), actor, CHANGE)
        .exclude(person_id=actor.person_id or 0)
        .count(),
        "wishes": restrict(Wish.objects.filter(state=WishState.OPEN), actor, CHANGE).count(),
        "nominations": nominations_to_review(actor=actor).count(),
    }
