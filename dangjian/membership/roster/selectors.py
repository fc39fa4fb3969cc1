"""Reads of the member roster, always through the access layer.

The roster lists members by their party organisation (not by where they live): a branch
secretary sees every member of the branch, wherever the member lives. With a date (``on``) it
lists the members who belonged to the organisation on that day, from the placement history.
"""

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.core.paginator import Page
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.calendar import add_years
from dangjian.core.events import labelled_changes
from dangjian.core.models import Event
from dangjian.core.paging import PrimaryKeyPaginator
from dangjian.membership.models import Placement, StatusChange
from dangjian.orgs.models import Organization
from dangjian.orgs.selectors import subtree_on
from dangjian.people.models import (
    Education,
    Gender,
    Member,
    MemberCategory,
    MembershipStatus,
    MemberStage,
    Person,
    Tag,
    TagKind,
    probationary_on,
)
from dangjian.people.selectors import search_filter

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# Bands are (label, lowest, highest) in whole years, inclusive; None = open.
MEMBER_AGE_BANDS: dict[str, tuple[Any, int | None, int | None]] = {
    "18-35": (_("35 and under"), None, 35),
    "36-45": (_("36 to 45"), 36, 45),
    "46-59": (_("46 to 59"), 46, 59),
    "60-69": (_("60 to 69"), 60, 69),
    "70-79": (_("70 to 79"), 70, 79),
    "80+": (_("80 and over"), 80, None),
}
# 党龄 counts from full membership (a probationary member has none yet).
PARTY_AGE_BANDS: dict[str, tuple[Any, int | None, int | None]] = {
    "0-4": (_("under 5 years"), None, 4),
    "5-9": (_("5 to 9 years"), 5, 9),
    "10-19": (_("10 to 19 years"), 10, 19),
    "20-29": (_("20 to 29 years"), 20, 29),
    "30-49": (_("30 to 49 years"), 30, 49),
    "50+": (_("50 years and more"), 50, None),
}


def _years_range(field: str, low: int | None, high: int | None, day: dt.date) -> Q:
    """``field`` (a date, on or before ``day``) lies between ``low`` and ``high`` whole years
    before ``day``."""
    q = Q(**{f"{field}__lte": day})
    if low is not None:
        q &= Q(**{f"{field}__lte": add_years(day, -low)})
    if high is not None:
        q &= Q(**{f"{field}__gt": add_years(day, -(high + 1))})
    return q


@dataclass
class MemberFilters:
    q: str = ""
    org: Organization | None = None
    stage: str = ""
    category: str = ""
    gender: str = ""
    age: str = ""
    party_age: str = ""
    education: str = ""
    tag: Tag | None = None
    specialty: Tag | None = None
    status: str = MembershipStatus.NORMAL
    on: dt.date | None = None  # members of ``org`` on this date (from the placement history)

    def active(self) -> bool:
        return any(
            (
                self.q,
                self.org,
                self.stage,
                self.category,
                self.gender,
                self.age,
                self.party_age,
                self.education,
                self.tag,
                self.specialty,
                self.on,
            )
        )


def placements_open_on(day: dt.date) -> Q:
    return Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gt=day))


def _history_members(actor: Actor, filters: MemberFilters) -> QuerySet[Member]:
    """Members who belonged on ``filters.on`` to ``filters.org`` (or anywhere the user may see):
    the placements are restricted by the organisation they were in, so a member who has since
    transferred away still counts in the old branch for the days they were there, and a branch
    since moved to another committee still counts in the old committee for the days before."""
    assert filters.on is not None
    placements = restrict(Placement.objects.filter(placements_open_on(filters.on)), actor, VIEW)
    if filters.org is not None:
        # The organisation and those under it as the tree stood that day (moves since undone).
        placements = placements.filter(organization__in=subtree_on(filters.org, filters.on))
    return Member.objects.filter(Exists(placements.filter(member=OuterRef("pk"))))


def member_list(*, actor: Actor, filters: MemberFilters) -> QuerySet[Member]:
    """Members the user may see (or who belonged to the organisation on ``filters.on``), filtered,
    ordered by pinyin, with the list's columns preloaded."""
    day = filters.on or actor.today
    if filters.on is not None:
        qs = _history_members(actor, filters)
    else:
        qs = restrict(Member.objects.all(), actor, VIEW)
        if filters.status:
            qs = qs.filter(status=filters.status)
        if filters.org is not None:
            qs = qs.filter(organization__path__startswith=filters.org.path)
    search = search_filter(filters.q)
    if search is not None:
        qs = qs.filter(person__in=Person.objects.filter(search))
    if filters.stage == MemberStage.PROBATIONARY:
        qs = qs.filter(probationary_on(day))
    elif filters.stage == MemberStage.FULL:
        qs = qs.exclude(probationary_on(day))
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.gender:
        qs = qs.filter(person__gender=filters.gender)
    if filters.education:
        qs = qs.filter(person__education="" if filters.education == "none" else filters.education)
    if filters.age in MEMBER_AGE_BANDS:
        _label, low, high = MEMBER_AGE_BANDS[filters.age]
        qs = qs.filter(_years_range("person__birth_date", low, high, day))
    if filters.party_age in PARTY_AGE_BANDS:
        _label, low, high = PARTY_AGE_BANDS[filters.party_age]
        qs = qs.filter(_years_range("full_on", low, high, day))
    if filters.tag is not None:
        qs = qs.filter(person__tags=filters.tag)
    if filters.specialty is not None:
        qs = qs.filter(specialties=filters.specialty)
    return qs.select_related("person", "organization").order_by("person__name_pinyin", "id")


def member_page(*, actor: Actor, filters: MemberFilters, number: Any, per_page: int = 25) -> Page:
    """One page of the roster. No index serves the pinyin order across the join, so the page's
    keys are picked by sorting the matches (at most the ~60,000 members of a district)."""
    return PrimaryKeyPaginator(member_list(actor=actor, filters=filters), per_page).get_page(number)


def visible_member_ids(*, actor: Actor, ids: list[int]) -> set[int]:
    """Which of ``ids`` the user may open now (a member who has transferred away may not be)."""
    return set(restrict(Member.objects.filter(pk__in=ids), actor, VIEW).values_list("pk", flat=True))


def member_for(*, actor: Actor, pk: int, action: str = VIEW) -> Member:
    member = (
        restrict(Member.objects.all(), actor, action)
        .select_related("person", "person__region", "person__region__parent", "organization")
        .filter(pk=pk)
        .first()
    )
    if member is None:
        raise Http404
    return member


def signed_in_name(*, actor: Actor) -> str:
    """The name to prefill where a form asks who did the work (走访人, 负责人): the signed-in
    user's own person's name, else their display name; empty for the system."""
    if actor.user is None:
        return ""
    if actor.scope.person_id:
        own = restrict(Person.objects.filter(pk=actor.scope.person_id), actor, VIEW)
        name = own.values_list("name", flat=True).first()
        if name:
            return name
    return str(actor.user)


def member_placements(*, member: Member) -> QuerySet[Placement]:
    """The member's placement history (the caller loaded ``member`` through the access layer)."""
    return member.placements.select_related("organization").order_by("-started_on", "-pk")


def member_status_changes(*, member: Member) -> QuerySet[StatusChange]:
    return member.status_changes.select_related("recorded_by").order_by("-effective_on", "-pk")


def _labels() -> dict[str, Any]:
    labels: dict[str, Any] = {f.name: f.verbose_name for f in Member._meta.get_fields() if hasattr(f, "verbose_name")}
    labels.update(
        {f.name: f.verbose_name for f in Person._meta.get_fields() if hasattr(f, "verbose_name")}
        | {
            "id_number": _("ID number"),
            "phone": _("mobile"),
            "region": _("grid"),
            "tags": _("tags"),
            "organization": _("party organisation"),
            "effective_on": _("effective on"),
            "specialties": _("specialties and interests"),
            # what the membership services record on a member (dues, care, transfers)
            "care_case": _("care case opened"),
            "care_case_ended": _("care case ended"),
            "care_visit": _("care visit"),
            "dues_year": _("dues assessed for the year"),
            "dues_kind": _("kind of dues"),
            "dues_amount": _("monthly dues"),
            "dues_paid": _("dues paid"),
            "dues_voided": _("dues payment voided"),
            "dues_bill": _("dues bill"),
            "dues_confirmed_year": _("dues confirmed for the year"),
            "dues_confirmed_members": _("members confirmed"),
            "receipt_number": _("receipt number"),
            "letter": _("letter of transfer"),
            "direction": _("direction"),
            "community": _("community"),
            "categories": _("kinds of service offered"),
            "workplace": _("workplace"),
        }
    )
    return labels


class _TimelineEntry(TypedDict):  # what member_timeline adds to each Event
    rows: list[tuple[Any, Any, Any]]
    kind: str


def member_timeline(*, member: Member, limit: int = 80) -> "list[WithAnnotations[Event, _TimelineEntry]]":
    """Everything recorded about the member, newest first: the member and person records (joining,
    edits, status, dues, care, appraisal), their transfers and their development steps. Each event
    has ``rows`` of labelled changes. The caller loaded ``member`` through the access layer."""
    from django.contrib.contenttypes.models import ContentType

    from dangjian.membership.models import Candidate, Transfer

    content_type = ContentType.objects.get_for_models(Member, Person, Transfer, Candidate)
    targets = (
        Q(target_type=content_type[Member], target_id=member.pk)
        | Q(target_type=content_type[Person], target_id=member.person_id)
        | Q(
            target_type=content_type[Transfer],
            target_id__in=Transfer.objects.filter(person_id=member.person_id).values("pk"),
        )
        | Q(
            target_type=content_type[Candidate],
            target_id__in=Candidate.objects.filter(person_id=member.person_id).values("pk"),
        )
    )
    labels = _labels()
    choices = {
        f.name: dict(f.flatchoices)
        for model in (Member, Person, Transfer)
        for f in model._meta.concrete_fields
        if f.choices
    }
    events = cast(
        "list[WithAnnotations[Event, _TimelineEntry]]",
        list(Event.objects.filter(targets).select_related("actor", "target_type")[:limit]),
    )
    for event in events:
        event.rows = labelled_changes(event, labels, choices)
        event.kind = event.target_type.model
    return events


def _band_counts(bands: dict[str, tuple[Any, int | None, int | None]], field: str, day: dt.date) -> dict[str, Count]:
    return {key: Count("pk", filter=_years_range(field, low, high, day)) for key, (_label, low, high) in bands.items()}


DIMENSIONS = ("age", "gender", "education", "party_age", "category", "stage")


def _composition_counts(base: QuerySet[Member], day: dt.date, dimensions: tuple[str, ...]) -> dict[str, int]:
    aggregates: dict[str, Any] = {"total": Count("pk")}
    if "age" in dimensions:
        for key, expr in _band_counts(MEMBER_AGE_BANDS, "person__birth_date", day).items():
            aggregates[f"age:{key}"] = expr
    if "party_age" in dimensions:
        for key, expr in _band_counts(PARTY_AGE_BANDS, "full_on", day).items():
            aggregates[f"party_age:{key}"] = expr
    if "gender" in dimensions:
        for value in Gender.values:
            aggregates[f"gender:{value}"] = Count("pk", filter=Q(person__gender=value))
    if "education" in dimensions:
        for value in Education.values:
            aggregates[f"education:{value}"] = Count("pk", filter=Q(person__education=value))
        aggregates["education:none"] = Count("pk", filter=Q(person__education=""))
    if "category" in dimensions:
        for value in MemberCategory.values:
            aggregates[f"category:{value}"] = Count("pk", filter=Q(category=value))
    if "stage" in dimensions:
        aggregates["stage:probationary"] = Count("pk", filter=probationary_on(day))
        aggregates["stage:full"] = Count("pk", filter=~probationary_on(day))
    return base.order_by().aggregate(**aggregates)


def composition(*, actor: Actor, filters: MemberFilters) -> dict[str, Any]:
    """Counts of the filtered roster by age, gender, education, 党龄, category and stage. Each
    bar carries the filter value that lists the members behind it, so its count must equal that
    list: a chart whose own dimension is filtered is counted without that filter (one query for
    the unfiltered dimensions, one more per filtered dimension)."""
    day = filters.on or actor.today
    filtered = tuple(d for d in DIMENSIONS if getattr(filters, d))
    row = _composition_counts(
        member_list(actor=actor, filters=filters), day, tuple(d for d in DIMENSIONS if d not in filtered)
    )
    for dimension in filtered:
        cleared: dict[str, Any] = {dimension: ""}  # the DIMENSIONS are all text fields
        loose = replace(filters, **cleared)
        row.update(
            {
                k: v
                for k, v in _composition_counts(member_list(actor=actor, filters=loose), day, (dimension,)).items()
                if k != "total"
            }
        )

    def series(dimension: str, options: list[tuple[str, Any]]) -> list[dict[str, Any]]:
        return [{"key": key, "label": str(label), "n": row[f"{dimension}:{key}"]} for key, label in options]

    return {
        "day": day,
        "total": row["total"],
        "charts": [
            {
                "dimension": "age",
                "title": _("Age"),
                "bars": series("age", [(k, v[0]) for k, v in MEMBER_AGE_BANDS.items()]),
            },
            {"dimension": "gender", "title": _("Gender"), "bars": series("gender", list(Gender.choices))},
            {
                "dimension": "education",
                "title": _("Education"),
                "bars": series("education", [*Education.choices, ("none", _("Not recorded"))]),
            },
            {
                "dimension": "party_age",
                "title": _("Years as a full member (党龄)"),
                "bars": series("party_age", [(k, v[0]) for k, v in PARTY_AGE_BANDS.items()]),
            },
            {"dimension": "category", "title": _("Category"), "bars": series("category", list(MemberCategory.choices))},
            {"dimension": "stage", "title": _("Stage"), "bars": series("stage", list(MemberStage.choices))},
        ],
    }


def member_count_on(*, actor: Actor, organization: Organization, day: dt.date) -> int:
    """How many members belonged to ``organization`` (and the organisations under it) on ``day``."""
    return member_list(actor=actor, filters=MemberFilters(org=organization, on=day, status="")).count()


def specialty_tags() -> QuerySet[Tag]:
    return Tag.objects.filter(kind__in=(TagKind.SKILL, TagKind.INTEREST))
