"""Reads of people records, always through the access layer."""

import datetime as dt
import operator
import re
from dataclasses import dataclass, replace
from functools import reduce
from typing import Any

from django.core.paginator import Page
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dangjian.accounts.selectors import roles_at_the_time
from dangjian.core import crypto
from dangjian.core.access import VIEW, restrict, restrict_via
from dangjian.core.actors import Actor
from dangjian.core.calendar import add_years
from dangjian.core.events import events_for, labelled_changes
from dangjian.core.models import Event, EventAction, TreeNode, UnmaskPurpose
from dangjian.core.paging import PrimaryKeyPaginator
from dangjian.core.validators import normalize_id_number, normalize_mobile
from dangjian.orgs.models import Organization, Region, RegionLevel
from dangjian.orgs.selectors import subtree_counts
from dangjian.people.models import (
    CommitteeSeat,
    Household,
    Member,
    MembershipStatus,
    Person,
    PersonStatus,
    Tag,
    TagKind,
    probationary_on,
)
from dangjian.people.services import ID_PURPOSE, PHONE_PURPOSE

AGE_BANDS: dict[str, tuple[Any, int | None, int | None]] = {
    "0-17": (_("under 18"), 0, 17),
    "18-34": (_("18 to 34"), 18, 34),
    "35-59": (_("35 to 59"), 35, 59),
    "60-79": (_("60 to 79"), 60, 79),
    "80+": (_("80 and over"), 80, None),
}
_INITIALS = re.compile(r"^[a-z]{1,20}$")


def search_filter(query: str) -> Q | None:
    """The condition of ``search_branches``: a person matches if any branch does."""
    branches = search_branches(query)
    return reduce(operator.or_, branches) if branches else None


def search_branches(query: str) -> tuple[Q, ...]:
    """What a search box means, as conditions that exclude each other (none for an empty box):

    * letters only → pinyin initials or full pinyin (张三: "zs", "zhangsan", "zhang");
    * 4 digits → the last four digits of the mobile;
    * an 18-character ID number or an 11-digit mobile → exact match through the keyed hash;
    * anything else → the start of the name or of the given name (王, 王小红, 小红): two
      branches, each answered from its own covering index on PostgreSQL (see ``people_page``);
      a match in the middle of a given name is not searched.
    """
    text = " ".join((query or "").split())
    if not text:
        return ()
    compact = normalize_id_number(text)
    lowered = compact.lower()
    if _INITIALS.match(lowered):
        return (Q(name_initials__startswith=lowered) | Q(name_pinyin__startswith=lowered),)
    if compact.isdigit() and len(compact) == 4:
        return (Q(phone_tail=compact),)
    if len(compact) == 18 and compact[:17].isdigit():
        return (Q(id_number_hash=crypto.search_hash(compact, purpose=ID_PURPOSE)),)
    mobile = normalize_mobile(text)
    if mobile.isdigit() and len(mobile) == 11:
        return (Q(phone_hash=crypto.search_hash(mobile, purpose=PHONE_PURPOSE)),)
    by_name = Q(name__startswith=text)
    return (by_name, Q(name_given__startswith=text) & ~by_name)


def _birth_range(low: int | None, high: int | None, today: dt.date) -> Q:
    q = Q()
    if low is not None:  # at least `low` years old: born on or before today minus low years
        q &= Q(birth_date__lte=add_years(today, -low))
    if high is not None:  # at most `high`: born after today minus (high + 1) years
        q &= Q(birth_date__gt=add_years(today, -(high + 1)))
    return q


@dataclass
class PeopleFilters:
    q: str = ""
    region: Region | None = None
    org: Organization | None = None
    tag: Tag | None = None
    gender: str = ""
    age: str = ""
    member: str = ""  # "yes" | "probationary" | "no" | ""
    status: str = PersonStatus.ACTIVE

    def active(self) -> bool:
        return bool(self.q or self.region or self.org or self.tag or self.gender or self.age or self.member)


def people_list(*, actor: Actor, filters: PeopleFilters) -> QuerySet[Person]:
    """People the user may see, filtered and ordered by pinyin; columns for the list preloaded."""
    today = actor.today
    qs = restrict(Person.objects.all(), actor, VIEW)
    if filters.status:
        qs = qs.filter(status=filters.status)
    search = search_filter(filters.q)
    if search is not None:
        qs = qs.filter(search)
    if filters.region is not None:
        qs = qs.filter(region__path__startswith=filters.region.path)
    if filters.org is not None:
        qs = qs.filter(member__organization__path__startswith=filters.org.path)
    if filters.tag is not None:
        qs = qs.filter(tags=filters.tag)
    if filters.gender:
        qs = qs.filter(gender=filters.gender)
    if filters.age in AGE_BANDS:
        _label, low, high = AGE_BANDS[filters.age]
        qs = qs.filter(_birth_range(low, high, today))
    if filters.member == "yes":
        qs = qs.filter(member__status=MembershipStatus.NORMAL)
    elif filters.member == "probationary":
        qs = qs.filter(probationary_on(today, "member__"), member__status=MembershipStatus.NORMAL)
    elif filters.member == "no":
        qs = qs.filter(member__isnull=True)
    return qs.select_related("region", "region__parent", "member").order_by("name_pinyin", "id")


# The same order as ("name_pinyin", "id") – pinyin is stored lower-case – but no index serves it,
# so PostgreSQL sorts the matches instead of walking the pinyin index (see core.paging).
PEOPLE_SORT_ORDERING = (Lower("name_pinyin"), "id")
SEARCH_COUNT_LIMIT = 1000  # a search with more matches says "more than 1,000": refine it


def people_page(*, actor: Actor, filters: PeopleFilters, number: Any, per_page: int = 25) -> Page:
    """One page of ``people_list``. A search always sorts its matches: the name (王) and pinyin
    (zs) searches correlate with the pinyin order, which would make an index walk read most of
    the index to fill a page."""
    branches = search_branches(filters.q)
    if len(branches) < 2:
        people = people_list(actor=actor, filters=filters)
        paginator = PrimaryKeyPaginator(
            people,
            per_page,
            sort_ordering=PEOPLE_SORT_ORDERING,
            always_sort=bool(branches),
            count_limit=SEARCH_COUNT_LIMIT if branches else None,
        )
    else:
        # A name: each branch is an index-only scan of its covering index (name or given name,
        # with status, grid, pinyin and id), their union sorted; an OR of the two would read the
        # table's pages for every match (26,000 pages for 王 in a district).
        people = people_list(actor=actor, filters=replace(filters, q=""))
        paginator = PrimaryKeyPaginator(
            people, per_page, branches=branches, branch_ordering=("name_pinyin",), count_limit=SEARCH_COUNT_LIMIT
        )
    return paginator.get_page(number)


@dataclass
class HouseholdFilters:
    region: Region | None = None
    q: str = ""  # part of the address


HOUSEHOLD_COUNT_LIMIT = 10_000


def households_page(*, actor: Actor, filters: HouseholdFilters, number: Any, per_page: int = 25) -> Page:
    """One page of the households the actor may see (家庭户), in a community or grid, by address;
    each with ``residents``: the people living there whom the actor may see (one query for the
    page), so that the number shown is the list shown."""
    households = restrict(Household.objects.all(), actor, VIEW).select_related("region__parent")
    if filters.region is not None:
        households = households.filter(region__path__startswith=filters.region.path)
    if filters.q.strip():
        households = households.filter(address__icontains=filters.q.strip())
    paginator = PrimaryKeyPaginator(
        households.order_by("pk"), per_page, sort_ordering=("address", "pk"), count_limit=HOUSEHOLD_COUNT_LIMIT
    )
    page = paginator.get_page(number)
    rows = list(page.object_list)
    residents: dict[int, list[Person]] = {row.pk: [] for row in rows}
    people = restrict(Person.objects.filter(household__in=rows, status=PersonStatus.ACTIVE), actor, VIEW).order_by(
        "name_pinyin", "pk"
    )
    for person in people.only("pk", "name", "household_id"):
        residents[person.household_id].append(person)
    for row in rows:
        row.residents = residents[row.pk]  # for the template
    page.object_list = rows
    return page


def person_for(*, actor: Actor, pk: int, action: str = VIEW) -> Person:
    """One person the user may ``action``, or 404 (outside the scope the record does not exist)."""
    person = (
        restrict(Person.objects.all(), actor, action)
        .select_related("region", "region__parent", "household", "member", "member__organization", "user")
        .filter(pk=pk)
        .first()
    )
    if person is None:
        raise Http404
    return person


def find_people(*, actor: Actor, query: str, limit: int = 8) -> list[Person]:
    """Up to ``limit`` active people the actor may see who match a search box
    (``search_branches``: a name's start, pinyin, the mobile's last four digits, a whole ID or
    mobile number), in pinyin order with their grid, for a form that names someone (a walk-in, a
    volunteer). Nobody for an empty box."""
    where = search_filter(" ".join((query or "").split())[:50])
    if where is None:
        return []
    return list(
        restrict(Person.objects.filter(where, status=PersonStatus.ACTIVE), actor, VIEW)
        .select_related("region", "region__parent")
        .order_by("name_pinyin", "pk")[:limit]
    )


def household_members(*, actor: Actor, person: Person) -> list[Person]:
    """The others of ``person``'s household whom the actor may see (none without a household; no
    query then)."""
    if person.household_id is None:
        return []
    others = Person.objects.filter(household_id=person.household_id).exclude(pk=person.pk)
    return list(restrict(others, actor, VIEW).order_by("name_pinyin", "pk")[:20])


def _person_field_labels() -> dict[str, Any]:
    labels: dict[str, Any] = {f.name: f.verbose_name for f in Person._meta.get_fields() if hasattr(f, "verbose_name")}
    labels.update({"id_number": _("ID number"), "phone": _("mobile"), "region": _("grid"), "tags": _("tags")})
    return labels


def person_timeline(*, person: Person, limit: int = 50, for_self: bool = False) -> list[Event]:
    """The person's events, newest first, each with ``rows`` = [(field label, old, new)].
    The caller has loaded ``person`` through the access layer. ``for_self``: the person reads
    their own page; who viewed their full numbers is given by role and place, not by name
    (``viewed_by``; docs/privacy-and-access.md)."""
    labels = _person_field_labels()
    choices = {f.name: dict(f.flatchoices) for f in Person._meta.concrete_fields if f.choices}
    events = list(events_for(person)[:limit])
    for event in events:
        event.rows = labelled_changes(event, labels, choices)  # type: ignore[attr-defined]  # for the template
        if event.action == EventAction.UNMASKED:
            event.purpose = purpose_of(event)  # type: ignore[attr-defined]
    if for_self:
        unmasked = [event for event in events if event.action == EventAction.UNMASKED]
        roles = roles_at_the_time(unmasked)
        for event in unmasked:
            event.viewed_by = roles.get(event.pk, "")  # type: ignore[attr-defined]
            event.actor = None
    return events


def purpose_of(event: Event) -> str:
    """Why a full number was viewed, in the reader's language ("" before purposes were asked)."""
    code = (event.changes.get("purpose") or ["", ""])[1]
    return str(UnmaskPurpose(code).label) if code in UnmaskPurpose.values else ""


def number_views(*, actor: Actor, limit: int = 10) -> list[Event]:
    """When the actor's own full ID or mobile number was viewed, and by whom as role and place
    (``viewed_by``), newest first (the person's own workbench)."""
    if not actor.person_id:
        return []
    events = list(events_for(Person(pk=actor.person_id)).filter(action=EventAction.UNMASKED)[:limit])
    roles = roles_at_the_time(events)
    for event in events:
        event.viewed_by = roles.get(event.pk, "")  # type: ignore[attr-defined]
        event.number = (event.changes.get("field") or ["", ""])[1]  # type: ignore[attr-defined]
        event.purpose = purpose_of(event)  # type: ignore[attr-defined]
    return events


def region_choices(*, actor: Actor, action: str = VIEW, levels: tuple[str, ...] | None = None) -> QuerySet[Region]:
    qs = restrict(Region.objects.all(), actor, action).select_related("parent")
    if levels:
        qs = qs.filter(level__in=levels)
    return qs.order_by("path")


def grid_choices(*, actor: Actor, action: str) -> QuerySet[Region]:
    """Grids (or communities without grids) where the user may register or move people."""
    return region_choices(actor=actor, action=action, levels=(RegionLevel.GRID, RegionLevel.COMMUNITY)).filter(
        closed_on=None
    )


def person_tags() -> QuerySet[Tag]:
    return Tag.objects.filter(kind=TagKind.PERSON)


def key_figures(*, actor: Actor) -> dict[str, int]:
    """Counts for the workbench, each equal to the people list it links to (people living in
    scope; members and probationary members among them). Three small queries: counting from
    the member side reads 60,000 rows at district scale instead of joining 600,000."""
    people = restrict(Person.objects.filter(status=PersonStatus.ACTIVE), actor, VIEW)
    members = restrict_via(
        Member.objects.filter(status=MembershipStatus.NORMAL, person__status=PersonStatus.ACTIVE), "person", actor
    )
    figures = members.aggregate(members=Count("pk"), probationary=Count("pk", filter=probationary_on(actor.today)))
    figures["people"] = people.count()
    return figures


def tag_counts(*, actor: Actor) -> list[dict[str, Any]]:
    """How many people living in scope carry each resident tag (one query, from the tag links)."""
    links = restrict_via(
        Person.tags.through.objects.filter(person__status=PersonStatus.ACTIVE, tag__kind=TagKind.PERSON),
        "person",
        actor,
    )
    counts = dict(links.values_list("tag_id").annotate(n=Count("pk")).order_by())
    return [{"pk": tag.pk, "name": tag.label, "n": counts.get(tag.pk, 0)} for tag in person_tags()]


def probation_due(*, actor: Actor, within_days: int) -> QuerySet[Member]:
    """Probationary members whose year of probation ends within ``within_days`` (or has ended)."""
    today = actor.today
    limit = add_years(today + dt.timedelta(days=within_days), -1)
    return (
        restrict(Member.objects.filter(probationary_on(today), status=MembershipStatus.NORMAL), actor, VIEW)
        .filter(joined_on__lte=limit)
        .select_related("person", "organization")
        .order_by("joined_on")
    )


def member_counts(*, actor: Actor, parents: list[Organization], level: int = 1) -> dict[str, int]:
    """{org path: members in good standing in its subtree} for the organisations ``level`` levels
    below ``parents`` (0: the parents themselves). One query per depth of the parents."""
    members = restrict(Member.objects.filter(status=MembershipStatus.NORMAL), actor, VIEW)
    return subtree_counts(members, "organization__path", [org.path for org in parents], level=level)


def resident_counts(*, actor: Actor, parents: list[Region], level: int = 1) -> dict[str, int]:
    """{region path: people living in its subtree} for the regions ``level`` levels below ``parents``."""
    people = restrict(Person.objects.filter(status=PersonStatus.ACTIVE), actor, VIEW)
    return subtree_counts(people, "region__path", [region.path for region in parents], level=level)


SEAT_ORDER = (CommitteeSeat.Title.SECRETARY, CommitteeSeat.Title.DEPUTY, CommitteeSeat.Title.MEMBER)


def committee(*, actor: Actor, organization: Organization) -> tuple[list[CommitteeSeat], list[dict[str, Any]]]:
    """The organisation's committee in office (its seats in the order of office) and its former
    committees (历届), newest first, each {started_on, ended_on, seats}. One query."""
    seats = (
        restrict(CommitteeSeat.objects.filter(organization=organization), actor, VIEW)
        .select_related("person")
        .annotate(rank=Case(*(When(title=t, then=Value(i)) for i, t in enumerate(SEAT_ORDER)), default=Value(99)))
        .order_by("-started_on", "rank", "person__name_pinyin")
    )
    current: list[CommitteeSeat] = []
    terms: dict[tuple[Any, Any], list[CommitteeSeat]] = {}
    for seat in seats:
        if seat.ended_on is None:
            current.append(seat)
        else:
            terms.setdefault((seat.started_on, seat.ended_on), []).append(seat)
    current.sort(key=lambda seat: (seat.rank, seat.started_on))  # type: ignore[attr-defined]  # annotated
    former = [{"started_on": start, "ended_on": end, "seats": each} for (start, end), each in terms.items()]
    return current, former


def still_there(node: TreeNode, day: dt.date) -> str | None:
    """Why a region or organisation cannot close (orgs.services.close_node): residents who live in
    the region's subtree, or members who belong to the organisation's."""
    if isinstance(node, Region):
        count = Person.objects.filter(region__path__startswith=node.path, status=PersonStatus.ACTIVE).count()
        if count:
            return ngettext(
                "%(n)s resident still lives there; record the move or move the grid first.",
                "%(n)s residents still live there; record their move or move the grids first.",
                count,
            ) % {"n": count}
    elif isinstance(node, Organization):
        count = Member.objects.filter(
            organization__path__startswith=node.path,
            status__in=(MembershipStatus.NORMAL, MembershipStatus.SUSPENDED),
        ).count()
        if count:
            return ngettext(
                "%(n)s party member still belongs to it; transfer them first.",
                "%(n)s party members still belong to it; transfer them first.",
                count,
            ) % {"n": count}
    return None


# "和平小区8栋2单元301室" → "和平小区8栋": the building, whose households usually share a grid.
BUILDING_NUMBER = r"\d+\s*(?:栋|幢|号楼|座|号院|号)"
BUILDING = re.compile(rf"^(.*?{BUILDING_NUMBER})")


def grid_for_address(*, actor: Actor, address: str, grids: QuerySet[Region]) -> Region | None:
    """The grid (among ``grids``, the ones the worker may register people in) that holds most of
    the households of the building of ``address``, if it holds more than half of them; None
    when the building is unknown or split. How the desk places a new person without asking."""
    address = " ".join(str(address or "").split())
    found = BUILDING.match(address)
    if not address or found is None:
        return None
    counts = list(
        restrict(Household.objects.all(), actor, VIEW)
        .filter(address__startswith=found.group(1), region__in=grids)
        .values("region")
        .annotate(n=Count("pk"))
        .order_by("-n", "region")
    )
    total = sum(row["n"] for row in counts)
    if not counts or counts[0]["n"] * 2 <= total:
        return None
    return grids.filter(pk=counts[0]["region"]).first()


# "和平小区8栋2单元301室" → "和平小区": the estate, before the first building number.
ESTATE = re.compile(rf"^(\D+?)\s*{BUILDING_NUMBER}")
ESTATES_READ = 3000


def known_estates(*, actor: Actor, grids: QuerySet[Region], limit: int = 6) -> list[str]:
    """The estates most households live in, in ``grids`` (read from the latest 3,000 household
    addresses): the desk offers them as the start of a new person's address."""
    addresses = (
        restrict(Household.objects.all(), actor, VIEW)
        .filter(region__in=grids)
        .order_by("-pk")
        .values_list("address", flat=True)[:ESTATES_READ]
    )
    counts: dict[str, int] = {}
    for address in addresses:
        if found := ESTATE.match(address):
            counts[found.group(1)] = counts.get(found.group(1), 0) + 1
    return [estate for estate, _n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]]
