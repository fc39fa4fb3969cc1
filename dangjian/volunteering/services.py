"""Every write of volunteering: teams and their members; posts, claims (confirmed by the community)
and checking in and out of a post; 微心愿 from the resident's wish to the resident's own word that it
was fulfilled; service records and their verification; the time bank's append-only ledger.

The rules that keep hours honest live here, in one place:

* a record counts once: one live record per person and post, wish, request or activity (database
  constraints), and a person's counted time never overlaps itself;
* a day counts at most ``SERVICE_DAILY_CAP_HOURS`` of verified time per person;
* a post's hours lie inside the post's time;
* every verified record writes one "earned" ledger line in the same transaction; a reversal writes
  the opposite line. The ledger is never updated or deleted.

A person's row is locked while their time or balance is checked and written, so two verifications
(or two spendings) at the same moment cannot both pass a limit. No photo is ever asked for.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.activities.services import own_person
from dangjian.core.access import CHANGE, CREATE, VIEW, allowed, scope_of
from dangjian.core.actors import Actor
from dangjian.core.conf import config
from dangjian.core.events import EventAction, record_event
from dangjian.core.notifications import notify
from dangjian.core.templatetags.dangjian import hours_of as hours
from dangjian.membership.models import CommunityReport, ReportState
from dangjian.membership.models import ServiceCategory as JobCategory
from dangjian.orgs.models import Organization, Region, RegionLevel, ResidentUnit
from dangjian.people.models import MembershipStatus, Person
from dangjian.servicedesk.models import ServiceCategory, ServiceRequest
from dangjian.volunteering.models import (
    LIVE_CLAIMS,
    LIVE_RECORDS,
    Claim,
    ClaimState,
    ConfirmedVia,
    LedgerEntry,
    LedgerKind,
    Post,
    PostStatus,
    RecordMethod,
    RecordState,
    ServiceRecord,
    Team,
    TeamMember,
    Wish,
    WishState,
)

CHECK_IN_MARGIN = dt.timedelta(minutes=30)  # a post's check-in opens half an hour before its start
RECORD_DAYS_BACK = 366  # service is recorded within a year of it (and reported back half-yearly)


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def one_line(text: str, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


def in_standing(person: Person) -> bool:
    member = getattr(person, "member", None)
    return member is not None and member.status == MembershipStatus.NORMAL


def home_communities(person: Person) -> list[int]:
    """The communities a member serves in: where they live and where they report (双报到, once the
    community has confirmed the report: a registration alone opens nothing)."""
    ids = set(
        CommunityReport.objects.filter(person=person, state=ReportState.CONFIRMED).values_list(
            "community_id", flat=True
        )
    )
    if person.region_id:
        home = person.region.community()
        if home is not None:
            ids.add(home.pk)
    return sorted(ids)


# -- Teams ----------------------------------------------------------------------------------------


def team_create(
    *,
    actor: Actor,
    region: Region,
    name: str,
    specialty: ServiceCategory,
    organization: Organization | None = None,
    leader: Person | None = None,
    description: str = "",
    shows_totals: bool = True,
) -> Team:
    """Found a volunteer team of a community (or street) by specialty; its leader becomes its first
    member."""
    if not allowed(actor, CREATE, region):
        raise PermissionDenied
    if organization is not None and not allowed(actor, VIEW, organization):
        raise PermissionDenied
    if leader is not None and not allowed(actor, VIEW, leader):
        raise PermissionDenied
    name = one_line(name, 100)
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the team a name.")]
    if region.level not in (RegionLevel.COMMUNITY, RegionLevel.STREET) or region.closed_on is not None:
        errors["region"] = [_("Choose an open community or street.")]
    if not specialty.is_active:
        errors["specialty"] = [_("This service is no longer offered.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            team = Team.objects.create(
                name=name,
                region=region,
                organization=organization,
                specialty=specialty,
                leader=leader,
                description=description.strip()[:2000],
                shows_totals=shows_totals,
                created_by_id=actor.user_id,
            )
            record_event(
                actor=actor,
                action=EventAction.CREATED,
                target=team,
                changes={"name": [None, name], "specialty": [None, specialty.name]},
            )
            if leader is not None:
                _add_member(actor, team, leader, actor.today)
    except IntegrityError as exc:
        raise ValidationError({"name": [_("This community has a team of that name already.")]}) from exc
    return team


def _add_member(actor: Actor, team: Team, person: Person, day: dt.date) -> TeamMember:
    try:
        with transaction.atomic():
            row = TeamMember.objects.create(team=team, person=person, joined_on=day)
    except IntegrityError as exc:
        raise ValidationError(_("%(name)s is in the team already.") % {"name": person.name}) from exc
    record_event(actor=actor, action=EventAction.CREATED, target=row, changes={"person": [None, person.name]})
    return row


def team_add_member(*, actor: Actor, team: Team, person: Person) -> TeamMember:
    """Add a party member or resident (someone the actor may see) to a team."""
    if not allowed(actor, CHANGE, team) or not allowed(actor, VIEW, person):
        raise PermissionDenied
    if team.dissolved_on is not None:
        raise ValidationError(_("This team has been dissolved."))
    with transaction.atomic():
        return _add_member(actor, team, person, actor.today)


def team_remove_member(*, actor: Actor, membership: TeamMember, reason: str = "") -> TeamMember:
    """A member leaves the team (by the staff, or by themselves); the row and their records stay."""
    if membership.person_id != actor.person_id and not allowed(actor, CHANGE, membership.team):
        raise PermissionDenied
    if membership.left_on is not None:
        return membership
    with transaction.atomic():
        TeamMember.objects.filter(pk=membership.pk, left_on=None).update(left_on=actor.today)
        record_event(
            actor=actor,
            action=EventAction.UPDATED,
            target=membership,
            changes={"left_on": [None, actor.today.isoformat()]},
            reason=reason.strip()[:200],
        )
        membership.left_on = actor.today
    return membership


# -- Posts and claims -----------------------------------------------------------------------------


def post_create(
    *,
    actor: Actor,
    region: Region,
    title: str,
    category: str,
    place: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    places: int,
    team: Team | None = None,
    description: str = "",
) -> Post:
    """Publish a post of a community in a 双报到 job category, for a time and a number of people."""
    if not allowed(actor, CREATE, region):
        raise PermissionDenied
    if team is not None and not allowed(actor, VIEW, team):
        raise PermissionDenied
    title, place = one_line(title, 120), one_line(place, 200)
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the post a title.")]
    if region.level != RegionLevel.COMMUNITY or region.closed_on is not None:
        errors["region"] = [_("Choose an open community.")]
    if category not in JobCategory.values:
        errors["category"] = [_("Choose a job category.")]
    if not place:
        errors["place"] = [_("Say where the post is.")]
    if ends_at <= starts_at:
        errors["ends_at"] = [_("The end must come after the start.")]
    elif ends_at - starts_at > dt.timedelta(days=1):
        errors["ends_at"] = [_("A post lasts a day at most; publish one post per day.")]
    if starts_at <= actor.now:
        errors["starts_at"] = [_("A post is published before it starts.")]
    if places < 1:
        errors["places"] = [_("At least one person is needed.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        post = Post.objects.create(
            title=title,
            region=region,
            team=team,
            category=category,
            description=description.strip()[:2000],
            place=place,
            starts_at=starts_at,
            ends_at=ends_at,
            places=places,
            created_by_id=actor.user_id,
        )
        record_event(
            actor=actor,
            action=EventAction.CREATED,
            target=post,
            changes={"title": [None, title], "starts_at": [None, _when(starts_at)], "places": [None, places]},
        )
    return post


def post_cancel(*, actor: Actor, post: Post, reason: str) -> Post:
    """Call a post off: its live claims are withdrawn and the claimants told; nothing is deleted."""
    if not allowed(actor, CHANGE, post):
        raise PermissionDenied
    reason = one_line(reason, 200)
    if not reason:
        raise ValidationError({"reason": [_("Say why the post is called off; those who claimed it are told.")]})
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        if locked.status == PostStatus.CANCELLED:
            return locked
        if actor.now >= locked.starts_at:
            raise ValidationError(_("The post has started; it can no longer be called off."), code="started")
        Post.objects.filter(pk=locked.pk).update(status=PostStatus.CANCELLED, version=F("version") + 1)
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=locked,
            changes={"status": [PostStatus.PUBLISHED, PostStatus.CANCELLED]},
            reason=reason,
        )
        claims = Claim.objects.filter(post=locked, state__in=LIVE_CLAIMS)
        users = [u for u in claims.values_list("person__user_id", flat=True) if u]
        claims.update(state=ClaimState.WITHDRAWN, reason=reason, decided_at=actor.now, decided_by_id=actor.user_id)
        notify(
            recipients=users,
            kind="post_cancelled",
            key=f"post-cancelled-{locked.pk}",
            params={"title": locked.title, "when": _when(locked.starts_at), "reason": reason},
            url=reverse("volunteering:post", args=[locked.pk]),
        )
    post.status = PostStatus.CANCELLED
    return post


def may_claim(*, actor: Actor, post: Post) -> bool:
    """Whether the actor's own person may claim ``post``: a party member in good standing who lives
    in the post's community or reports to it (双报到)."""
    person = own_person(actor=actor)
    return person is not None and in_standing(person) and post.region_id in home_communities(person)


def claimable_units(*, actor: Actor, post: Post) -> list[ResidentUnit]:
    """The resident units the actor speaks for (a liaison's units) that lie in the post's community."""
    unit_ids = scope_of(actor).nodes(VIEW).unit_ids
    if not unit_ids:
        return []
    return list(
        ResidentUnit.objects.filter(
            pk__in=unit_ids, closed_on=None, region__path__startswith=post.region.path
        ).order_by("name")
    )


def claim_post(*, actor: Actor, post: Post, unit: ResidentUnit | None = None, note: str = "") -> Claim:
    """Claim a post for oneself (a member of the community or reporting to it) or for one's resident
    unit. Refused: a cancelled or started post, claimed already, all places claimed, or (for a
    person) another post claimed at an overlapping time. The community then confirms it."""
    if unit is not None:
        if unit not in claimable_units(actor=actor, post=post):
            raise PermissionDenied
        person = None
    else:
        person = own_person(actor=actor)
        if person is None or not may_claim(actor=actor, post=post):
            raise PermissionDenied
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        if locked.status == PostStatus.CANCELLED:
            raise ValidationError(_("This post has been called off."), code="cancelled")
        if actor.now >= locked.starts_at:
            raise ValidationError(_("This post has started; it can no longer be claimed."), code="started")
        mine = Claim.objects.filter(post=locked, state__in=LIVE_CLAIMS)
        mine = mine.filter(unit=unit) if unit is not None else mine.filter(person=person)
        if mine.exists():
            raise ValidationError(_("You have claimed this post already."), code="twice")
        if Claim.objects.filter(post=locked, state__in=LIVE_CLAIMS).count() >= locked.places:
            raise ValidationError(_("All places of this post are claimed."), code="full")
        if person is not None:
            clash = (
                Claim.objects.filter(person=person, state__in=LIVE_CLAIMS)
                .filter(post__starts_at__lt=locked.ends_at, post__ends_at__gt=locked.starts_at)
                .exclude(post__status=PostStatus.CANCELLED)
                .select_related("post")
                .first()
            )
            if clash is not None:
                raise ValidationError(
                    _("You have claimed “%(title)s” at the same time (%(when)s).")
                    % {"title": clash.post.title, "when": _when(clash.post.starts_at)},
                    code="overlap",
                )
        claim = Claim.objects.create(
            post=locked, person=person, unit=unit, note=one_line(note, 200), claimed_by_id=actor.user_id
        )
        record_event(actor=actor, action=EventAction.CREATED, target=claim, changes={"state": [None, claim.state]})
    return claim


def claim_decide(*, actor: Actor, claim: Claim, confirm: bool, reason: str = "") -> Claim:
    """The community confirms a claim (while places last) or declines it with a reason; the
    claimant is told either way."""
    if not allowed(actor, CHANGE, claim.post):
        raise PermissionDenied
    reason = one_line(reason, 200)
    if not confirm and not reason:
        raise ValidationError({"reason": [_("Say why the claim is declined; the claimant is told.")]})
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=claim.post_id)
        row = Claim.objects.select_for_update().get(pk=claim.pk)
        if row.state != ClaimState.PENDING:
            raise ValidationError(_("This claim is no longer waiting for a decision."), code="decided")
        if confirm and row.person_id is not None and row.person_id == actor.person_id:
            raise ValidationError(_("Your own claim is confirmed by someone else."), code="own")
        if confirm and post.status == PostStatus.CANCELLED:
            raise ValidationError(_("This post has been called off."), code="cancelled")
        if confirm and Claim.objects.filter(post=post, state=ClaimState.CONFIRMED).count() >= post.places:
            raise ValidationError(_("All places of this post are taken."), code="full")
        state = ClaimState.CONFIRMED if confirm else ClaimState.DECLINED
        Claim.objects.filter(pk=row.pk).update(
            state=state, decided_by_id=actor.user_id, decided_at=actor.now, reason=reason, version=F("version") + 1
        )
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=row,
            changes={"state": [ClaimState.PENDING, state]},
            reason=reason,
        )
        user_id = (
            Person.objects.filter(pk=row.person_id).values_list("user_id", flat=True).first() if row.person_id else None
        )
        if user_id:
            notify(
                recipients=[user_id],
                kind="claim_confirmed" if confirm else "claim_declined",
                key=f"claim-{state}-{row.pk}",
                params={"title": post.title, "when": _when(post.starts_at), "reason": reason},
                url=reverse("volunteering:post", args=[post.pk]),
            )
        row.state = state
    return row


def claim_withdraw(*, actor: Actor, claim: Claim, reason: str = "") -> Claim:
    """The claimant (or the community) withdraws a claim before the post ends."""
    own = claim.person_id is not None and claim.person_id == actor.person_id
    liaison = claim.unit_id is not None and claim.unit_id in scope_of(actor).nodes(VIEW).unit_ids
    if not (own or liaison or allowed(actor, CHANGE, claim.post)):
        raise PermissionDenied
    with transaction.atomic():
        row = Claim.objects.select_for_update(of=("self",)).select_related("post").get(pk=claim.pk)
        if row.state not in LIVE_CLAIMS:
            return row
        if actor.now >= row.post.ends_at:
            raise ValidationError(_("The post is over; a claim can no longer be withdrawn."), code="over")
        if row.checked_in_at is not None:
            raise ValidationError(_("You have checked in; check out instead."), code="checked_in")
        if ServiceRecord.objects.filter(claim=row, state__in=LIVE_RECORDS).exists():
            raise ValidationError(_("Time has been recorded for this claim; it can no longer be withdrawn."))
        Claim.objects.filter(pk=row.pk).update(
            state=ClaimState.WITHDRAWN, reason=one_line(reason, 200), version=F("version") + 1
        )
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=row,
            changes={"state": [row.state, ClaimState.WITHDRAWN]},
            reason=one_line(reason, 200),
        )
        row.state = ClaimState.WITHDRAWN
    return row


def claim_check_in(*, actor: Actor, claim: Claim) -> Claim:
    """The claimant arrives: from half an hour before the post's start until its end."""
    post = claim.post
    if claim.person_id is None or claim.person_id != actor.person_id:
        raise PermissionDenied
    if claim.state != ClaimState.CONFIRMED:
        raise ValidationError(_("Only a confirmed claim can be checked in."), code="unconfirmed")
    if not (post.starts_at - CHECK_IN_MARGIN <= actor.now < post.ends_at):
        raise ValidationError(
            _("Check-in is open from half an hour before the post's start until its end."), code="not_now"
        )
    with transaction.atomic():
        updated = Claim.objects.filter(pk=claim.pk, checked_in_at=None).update(checked_in_at=actor.now)
        if not updated:
            raise ValidationError(_("You have checked in already."), code="twice")
        record_event(
            actor=actor, action=EventAction.UPDATED, target=claim, changes={"checked_in_at": [None, _when(actor.now)]}
        )
        claim.checked_in_at = actor.now
    return claim


def claim_check_out(*, actor: Actor, claim: Claim) -> ServiceRecord:
    """The claimant leaves: the time between check-in and check-out that lies inside the post's
    time becomes a verified service record (and its hours go to the time bank). The claim is read
    again under its lock: a claim withdrawn or a post called off meanwhile earns nothing."""
    if claim.person_id is None or claim.person_id != actor.person_id:
        raise PermissionDenied
    with transaction.atomic():
        row = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("post", "post__region", "post__team")
            .get(pk=claim.pk)
        )
        post = row.post
        if row.state != ClaimState.CONFIRMED or post.status != PostStatus.PUBLISHED:
            raise ValidationError(_("This claim is no longer confirmed; nothing is recorded."), code="unconfirmed")
        if row.checked_in_at is None:
            raise ValidationError(_("Check in first."), code="not_in")
        if row.checked_out_at is not None:
            raise ValidationError(_("You have checked out already."), code="twice")
        start = max(row.checked_in_at, post.starts_at)
        end = min(actor.now, post.ends_at)
        minutes = int((end - start).total_seconds() // 60) if end > start else 0
        if minutes < 1:
            raise ValidationError(
                _("Less than a minute inside the post's time was spent; nothing is recorded."), code="none"
            )
        Claim.objects.filter(pk=row.pk).update(checked_out_at=actor.now)
        person = Person.objects.get(pk=claim.person_id)
        record = _create_record(
            actor,
            person=person,
            community=post.region,
            started_at=start,
            ended_at=end,
            minutes=minutes,
            description=post.title,
            claim=row,
            team=post.team,
            verified=RecordMethod.CHECK_IN,
        )
        claim.checked_out_at = actor.now
    return record


# -- Service records ------------------------------------------------------------------------------


def _lock_person(person_id: int) -> None:
    Person.objects.select_for_update().filter(pk=person_id).values_list("pk", flat=True).first()


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[``start`` 00:00, the day after ``end`` 00:00) in local time: ``end`` is a period's last day."""
    low = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    high = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    return low, high


def _check_counted(person: Person, started_at: dt.datetime, ended_at: dt.datetime, minutes: int, exclude: Any) -> None:
    """Refuse time that would overlap the person's other live records, or take a day past the cap.
    Called with the person's row locked."""
    others = ServiceRecord.objects.filter(person=person, state__in=LIVE_RECORDS).exclude(pk=exclude)
    clash = others.filter(started_at__lt=ended_at, ended_at__gt=started_at).first()
    if clash is not None:
        raise ValidationError(
            _("%(name)s has time recorded already from %(start)s to %(end)s; an hour never counts twice.")
            % {"name": person.name, "start": _when(clash.started_at), "end": _when(clash.ended_at)},
            code="overlap",
        )
    day = timezone.localtime(started_at).date()
    low, high = day_bounds(day, day)
    that_day = (
        others.filter(state=RecordState.VERIFIED, started_at__gte=low, started_at__lt=high).aggregate(
            total=Sum("minutes")
        )["total"]
        or 0
    )
    cap = config().service_daily_cap_hours * 60
    if that_day + minutes > cap:
        raise ValidationError(
            _("At most %(hours)s hours of service count per day; %(name)s has %(done)s already that day.")
            % {"hours": config().service_daily_cap_hours, "name": person.name, "done": hours(that_day)},
            code="cap",
        )


def _create_record(
    actor: Actor,
    *,
    person: Person,
    community: Region,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    minutes: int,
    description: str,
    verified: str = "",
    claim: Claim | None = None,
    wish: Wish | None = None,
    service_request: ServiceRequest | None = None,
    activity: Any = None,
    team: Team | None = None,
) -> ServiceRecord:
    """Write a record (verified with ``verified`` as its method, or waiting) after the checks every
    record passes; in the caller's transaction."""
    if ended_at <= started_at:
        raise ValidationError({"ended_at": [_("The end must come after the start.")]})
    if minutes < 1:
        raise ValidationError({"minutes": [_("Record at least one minute.")]})
    if minutes > (ended_at - started_at).total_seconds() / 60:
        raise ValidationError({"minutes": [_("The time served cannot be longer than from start to end.")]})
    if ended_at > actor.now + dt.timedelta(minutes=1):
        raise ValidationError({"ended_at": [_("Service is recorded once it is done.")]})
    if ended_at - started_at > dt.timedelta(days=1):
        raise ValidationError({"ended_at": [_("One record covers a day at most; record each day on its own.")]})
    if started_at < actor.now - dt.timedelta(days=RECORD_DAYS_BACK):
        raise ValidationError(
            {"started_at": [_("Service more than %(days)s days ago is not recorded.") % {"days": RECORD_DAYS_BACK}]}
        )
    if claim is not None:
        post = claim.post
        if started_at < post.starts_at or ended_at > post.ends_at:
            raise ValidationError(
                _("The time must lie within the post's time (%(start)s–%(end)s).")
                % {"start": _when(post.starts_at), "end": _when(post.ends_at)},
                code="window",
            )
    _lock_person(person.pk)
    if verified:
        _check_counted(person, started_at, ended_at, minutes, exclude=None)
    else:  # a waiting record must not overlap either; the cap is checked when it is verified
        clash = ServiceRecord.objects.filter(
            person=person, state__in=LIVE_RECORDS, started_at__lt=ended_at, ended_at__gt=started_at
        ).exists()
        if clash:
            raise ValidationError(
                _("%(name)s has time recorded already at that time; an hour never counts twice.")
                % {"name": person.name},
                code="overlap",
            )
    try:
        with transaction.atomic():
            record = ServiceRecord.objects.create(
                person=person,
                community=community,
                team=team,
                claim=claim,
                wish=wish,
                request=service_request,
                activity=activity,
                description=one_line(description, 300) or "-",
                started_at=started_at,
                ended_at=ended_at,
                minutes=minutes,
                state=RecordState.VERIFIED if verified else RecordState.PENDING,
                method=verified,
                recorded_by_id=actor.user_id,
                verified_by_id=actor.user_id if verified else None,
                verified_at=actor.now if verified else None,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("This piece of work has time recorded for %(name)s already; it counts once.") % {"name": person.name},
            code="twice",
        ) from exc
    record_event(
        actor=actor,
        action=EventAction.CREATED,
        target=record,
        changes={"minutes": [None, minutes], "state": [None, record.state], "person": [None, person.name]},
    )
    if verified:
        _earn(actor, record)
    return record


def _earn(actor: Actor, record: ServiceRecord) -> LedgerEntry:
    return LedgerEntry.objects.create(
        person_id=record.person_id,
        kind=LedgerKind.EARNED,
        minutes=record.minutes,
        record=record,
        community_id=record.community_id,
        memo=record.description[:200],
        created_at=actor.now,
        created_by_id=actor.user_id,
    )


def record_service(
    *,
    actor: Actor,
    person: Person,
    community: Region,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    description: str,
    minutes: int | None = None,
    claim: Claim | None = None,
    service_request: ServiceRequest | None = None,
    activity: Any = None,
    team: Team | None = None,
) -> ServiceRecord:
    """The organiser (change right in the community served) records someone's service, verified:
    for a post they claimed (inside its time), a request they handled, an activity they helped at,
    or other work. ``minutes`` defaults to the whole time from start to end."""
    if not allowed(actor, CHANGE, community):
        raise PermissionDenied
    if person.pk == actor.person_id:
        raise ValidationError(_("Your own service is verified by someone else."), code="own")
    # Whoever serves here: someone the actor may see, or a member reporting to the community (双报到)
    # who lives elsewhere.
    if not allowed(actor, VIEW, person) and community.pk not in home_communities(person):
        raise PermissionDenied
    if community.level != RegionLevel.COMMUNITY:
        raise ValidationError({"community": [_("Choose a community.")]})
    if claim is not None and (claim.post.region_id != community.pk or claim.person_id != person.pk):
        raise ValidationError(_("This claim is not this person's claim of a post of this community."))
    if claim is not None and claim.state != ClaimState.CONFIRMED:
        raise ValidationError(_("Only a confirmed claim earns hours."), code="unconfirmed")
    if service_request is not None and (
        service_request.community_id != community.pk or service_request.assignee_person_id != person.pk
    ):
        raise ValidationError(
            {
                "request_number": [
                    _("This request of the community was not dispatched to %(name)s.") % {"name": person.name}
                ]
            }
        )
    if team is not None and not allowed(actor, VIEW, team):
        raise PermissionDenied
    if activity is not None and (activity.region_id != community.pk or not allowed(actor, VIEW, activity)):
        raise ValidationError({"activity": [_("This is not an activity of the community served.")]})
    if not one_line(description, 300) and claim is None:
        raise ValidationError({"description": [_("Say what was done.")]})
    if minutes is None and ended_at > started_at:
        minutes = int((ended_at - started_at).total_seconds() // 60)
    with transaction.atomic():
        return _create_record(
            actor,
            person=person,
            community=community,
            started_at=started_at,
            ended_at=ended_at,
            minutes=minutes or 0,
            description=description or (claim.post.title if claim else ""),
            claim=claim,
            service_request=service_request,
            activity=activity,
            team=team,
            verified=RecordMethod.ORGANISER,
        )


def record_submit(
    *,
    actor: Actor,
    community: Region,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    description: str,
    claim: Claim | None = None,
) -> ServiceRecord:
    """A member records their own service, waiting for the community's verification (it counts and
    earns hours only then)."""
    person = own_person(actor=actor)
    if person is None or community.pk not in home_communities(person):
        raise PermissionDenied
    if claim is not None and (claim.person_id != person.pk or claim.post.region_id != community.pk):
        raise PermissionDenied
    if not one_line(description, 300):
        raise ValidationError({"description": [_("Say what was done.")]})
    minutes = int((ended_at - started_at).total_seconds() // 60) if ended_at > started_at else 0
    with transaction.atomic():
        return _create_record(
            actor,
            person=person,
            community=community,
            started_at=started_at,
            ended_at=ended_at,
            minutes=minutes,
            description=description,
            claim=claim,
            team=claim.post.team if claim else None,
        )


def record_verify(*, actor: Actor, record: ServiceRecord, verified: bool, reason: str = "") -> ServiceRecord:
    """The community verifies a waiting record (it counts and earns hours) or does not (with a
    reason; the person is told)."""
    if not allowed(actor, CHANGE, record):
        raise PermissionDenied
    if record.person_id == actor.person_id:
        raise ValidationError(_("Your own service is verified by someone else."), code="own")
    reason = one_line(reason, 200)
    if not verified and not reason:
        raise ValidationError({"reason": [_("Say why the time is not verified; the volunteer is told.")]})
    with transaction.atomic():
        _lock_person(record.person_id)
        row = ServiceRecord.objects.select_for_update(of=("self",)).select_related("person").get(pk=record.pk)
        if row.state != RecordState.PENDING:
            raise ValidationError(_("This record is no longer waiting for verification."), code="decided")
        if verified and row.wish_id is not None:
            raise ValidationError(
                _("The time of a small wish counts when the resident confirms it was fulfilled."), code="wish"
            )
        if verified:
            _check_counted(row.person, row.started_at, row.ended_at, row.minutes, exclude=row.pk)
        state = RecordState.VERIFIED if verified else RecordState.REJECTED
        ServiceRecord.objects.filter(pk=row.pk).update(
            state=state,
            method=RecordMethod.ORGANISER if verified else "",
            verified_by_id=actor.user_id,
            verified_at=actor.now,
            reason=reason,
            version=F("version") + 1,
        )
        row.state = state
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=row,
            changes={"state": [RecordState.PENDING, state]},
            reason=reason,
        )
        if verified:
            _earn(actor, row)
        elif row.person.user_id:
            notify(
                recipients=[row.person.user_id],
                kind="record_rejected",
                key=f"record-rejected-{row.pk}",
                params={"what": row.description, "when": _when(row.started_at), "reason": reason},
                url=reverse("volunteering:mine"),
            )
    return row


def record_reverse(*, actor: Actor, record: ServiceRecord, reason: str) -> ServiceRecord:
    """Take back a verified record found wrong: it stops counting and a reversal line takes its
    hours out of the time bank (the earned line stays; the ledger is never edited)."""
    if not allowed(actor, CHANGE, record):
        raise PermissionDenied
    reason = one_line(reason, 200)
    if not reason:
        raise ValidationError({"reason": [_("Say why the record is reversed.")]})
    with transaction.atomic():
        _lock_person(record.person_id)
        row = ServiceRecord.objects.select_for_update().get(pk=record.pk)
        if row.state != RecordState.VERIFIED:
            raise ValidationError(_("Only a verified record can be reversed."), code="state")
        earned = LedgerEntry.objects.get(record=row, kind=LedgerKind.EARNED)
        ServiceRecord.objects.filter(pk=row.pk).update(
            state=RecordState.REVERSED, reason=reason, version=F("version") + 1
        )
        LedgerEntry.objects.create(
            person_id=row.person_id,
            kind=LedgerKind.REVERSAL,
            minutes=-earned.minutes,
            record=row,
            reverses=earned,
            community_id=row.community_id,
            memo=reason,
            created_at=actor.now,
            created_by_id=actor.user_id,
        )
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=row,
            changes={"state": [RecordState.VERIFIED, RecordState.REVERSED]},
            reason=reason,
        )
        row.state = RecordState.REVERSED
    return row


# -- The time bank --------------------------------------------------------------------------------


def balance(person_id: int) -> int:
    """A person's time-bank balance in minutes (the sum of their ledger)."""
    return LedgerEntry.objects.filter(person_id=person_id).aggregate(total=Sum("minutes"))["total"] or 0


def keeps_bank_of(*, actor: Actor, person: Person) -> bool:
    """Whether the actor keeps ``person``'s time bank: change right over the community they live in."""
    community = person.region.community() if person.region_id else None
    return community is not None and allowed(actor, CHANGE, community)


def _ledger_community(actor: Actor, person: Person) -> Region:
    community = person.region.community() if person.region_id else None
    if community is None or not allowed(actor, CHANGE, community):
        raise PermissionDenied
    return community


def ledger_spend(*, actor: Actor, person: Person, minutes: int, memo: str) -> LedgerEntry:
    """The community records hours a person spends on a service it offers (at their request, at
    the desk). Refused beyond their balance."""
    community = _ledger_community(actor, person)
    memo = one_line(memo, 200)
    if minutes < 1:
        raise ValidationError({"minutes": [_("Spend at least one minute.")]})
    if not memo:
        raise ValidationError({"memo": [_("Say which service the hours are spent on.")]})
    with transaction.atomic():
        _lock_person(person.pk)
        have = balance(person.pk)
        if minutes > have:
            raise ValidationError(
                {
                    "minutes": [
                        _("%(name)s has %(hours)s hours in the time bank.")
                        % {"name": person.name, "hours": hours(have)}
                    ]
                }
            )
        entry = LedgerEntry.objects.create(
            person=person,
            kind=LedgerKind.SPENT,
            minutes=-minutes,
            community=community,
            memo=memo,
            created_at=actor.now,
            created_by_id=actor.user_id,
        )
        record_event(actor=actor, action=EventAction.CREATED, target=entry, changes={"minutes": [None, -minutes]})
    return entry


def ledger_donate(*, actor: Actor, donor: Person, recipient: Person, minutes: int, memo: str = "") -> LedgerEntry:
    """The community records hours a person gives to another (e.g. to an elderly neighbour): one
    line out of the donor's bank and one into the recipient's, in one transaction."""
    community = _ledger_community(actor, donor)
    if not allowed(actor, VIEW, recipient):
        raise PermissionDenied
    if donor.pk == recipient.pk:
        raise ValidationError({"recipient": [_("Choose someone else to give the hours to.")]})
    if minutes < 1:
        raise ValidationError({"minutes": [_("Give at least one minute.")]})
    memo = one_line(memo, 200)
    with transaction.atomic():
        for pk in sorted((donor.pk, recipient.pk)):  # always the same order: no deadlock
            _lock_person(pk)
        have = balance(donor.pk)
        if minutes > have:
            raise ValidationError(
                {
                    "minutes": [
                        _("%(name)s has %(hours)s hours in the time bank.") % {"name": donor.name, "hours": hours(have)}
                    ]
                }
            )
        out = LedgerEntry.objects.create(
            person=donor,
            kind=LedgerKind.DONATED,
            minutes=-minutes,
            counterpart=recipient,
            community=community,
            memo=memo,
            created_at=actor.now,
            created_by_id=actor.user_id,
        )
        LedgerEntry.objects.create(
            person=recipient,
            kind=LedgerKind.RECEIVED,
            minutes=minutes,
            counterpart=donor,
            community=community,
            memo=memo,
            created_at=actor.now,
            created_by_id=actor.user_id,
        )
        record_event(
            actor=actor,
            action=EventAction.CREATED,
            target=out,
            changes={"minutes": [None, minutes], "to": [None, recipient.name]},
        )
    return out


# -- 微心愿 -----------------------------------------------------------------------------------------


def wish_create(
    *, actor: Actor, resident: Person, title: str, description: str = "", shown_to_members: bool = False
) -> Wish:
    """A resident posts a small wish (themselves, or the staff on their behalf). It is private to
    the staff, the resident and whoever takes it unless the resident agrees to show it."""
    own = resident.pk == actor.person_id
    if not own and not (allowed(actor, VIEW, resident) and allowed(actor, CREATE, resident.region)):
        raise PermissionDenied
    community = resident.region.community() if resident.region_id else None
    title = one_line(title, 120)
    errors: dict[str, list[str]] = {}
    if community is None:
        errors["title"] = [_("The resident's grid or community is not known; record it first.")]
    if not title:
        errors["title"] = [_("Say what the wish is.")]
    if errors:
        raise ValidationError(errors)
    assert community is not None
    with transaction.atomic():
        wish = Wish.objects.create(
            title=title,
            description=description.strip()[:2000],
            resident=resident,
            region=resident.region,
            community=community,
            shown_to_members=shown_to_members,
            recorded_by_id=actor.user_id,
        )
        record_event(
            actor=actor,
            action=EventAction.CREATED,
            target=wish,
            changes={"title": [None, title], "shown_to_members": [None, shown_to_members]},
        )
    return wish


def wish_set_shown(*, actor: Actor, wish: Wish, shown: bool, note: str = "") -> Wish:
    """The resident gives or takes back their consent to show an open wish to the community's
    members — on the platform themselves, or through the staff, who say how it was given (a
    consent is the resident's, so the staff never change it without saying so). Taking it back
    hides the wish at once from those who have not taken it."""
    own = wish.resident_id == actor.person_id
    if not own and not allowed(actor, CHANGE, wish):
        raise PermissionDenied
    note = one_line(note, 200)
    if not own and len(note) < 2:
        raise ValidationError(
            {"note": [_("Say how the resident gave or took back their consent (e.g. by telephone).")]}
        )
    with transaction.atomic():
        row = Wish.objects.select_for_update().get(pk=wish.pk)
        if row.state != WishState.OPEN:
            raise ValidationError(_("Only a wish nobody has taken yet can be shown or hidden."))
        if row.shown_to_members == shown:
            return row
        Wish.objects.filter(pk=row.pk).update(shown_to_members=shown)
        record_event(
            actor=actor,
            action=EventAction.UPDATED,
            target=row,
            changes={"shown_to_members": [row.shown_to_members, shown]},
            reason=note,
        )
        row.shown_to_members = shown
    return row


def may_take_wish(*, actor: Actor, wish: Wish) -> bool:
    """A member in good standing of the wish's community may take a wish the resident agreed to
    show; the staff assign any wish."""
    person = own_person(actor=actor)
    return (
        wish.shown_to_members
        and person is not None
        and person.pk != wish.resident_id
        and in_standing(person)
        and wish.community_id in home_communities(person)
    )


def wish_units(*, actor: Actor, wish: Wish) -> list[ResidentUnit]:
    """The resident units a liaison may take ``wish`` for: theirs, in the wish's community, when the
    resident agreed to show it."""
    unit_ids = scope_of(actor).nodes(VIEW).unit_ids
    if not unit_ids or not wish.shown_to_members:
        return []
    return list(
        ResidentUnit.objects.filter(
            pk__in=unit_ids, closed_on=None, region__path__startswith=wish.community.path
        ).select_related("region")
    )


def wish_claim(*, actor: Actor, wish: Wish, claimer: Person | None = None, unit: ResidentUnit | None = None) -> Wish:
    """Take an open wish: a member for themselves, a liaison for their resident unit (a wish shown
    to the community), or the staff for a member or a unit of the wish's community."""
    staff = allowed(actor, CHANGE, wish)
    if unit is not None:
        if unit not in wish_units(actor=actor, wish=wish) and not (
            staff and unit.closed_on is None and unit.region.path.startswith(wish.community.path)
        ):
            raise PermissionDenied
    elif claimer is None:
        if not may_take_wish(actor=actor, wish=wish):
            raise PermissionDenied
        claimer = own_person(actor=actor)
    elif not staff or (claimer is not None and not allowed(actor, VIEW, claimer)):
        raise PermissionDenied
    if claimer is not None and claimer.pk == wish.resident_id:
        raise ValidationError(_("A wish is fulfilled by someone else."))
    with transaction.atomic():
        updated = Wish.objects.filter(pk=wish.pk, state=WishState.OPEN).update(
            state=WishState.CLAIMED,
            claimer=claimer,
            claimer_unit=unit,
            claimed_at=actor.now,
            version=F("version") + 1,
        )
        if not updated:
            raise ValidationError(_("Someone has taken this wish already."), code="taken")
        if claimer is not None and claimer.user_id and claimer.pk != actor.person_id:
            notify(
                recipients=[claimer.user_id],
                kind="wish_assigned",
                key=f"wish-assigned-{wish.pk}-{claimer.pk}",
                params={"title": wish.title},
                url=reverse("volunteering:wish", args=[wish.pk]),
            )
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=wish,
            changes={
                "state": [WishState.OPEN, WishState.CLAIMED],
                "claimer": [None, claimer.name if claimer else unit.name if unit else None],
            },
        )
        wish.refresh_from_db()
    return wish


def is_claimer(*, actor: Actor, wish: Wish) -> bool:
    if wish.claimer_id is not None:
        return wish.claimer_id == actor.person_id
    return wish.claimer_unit_id is not None and wish.claimer_unit_id in scope_of(actor).nodes(VIEW).unit_ids


def wish_fulfil(
    *,
    actor: Actor,
    wish: Wish,
    note: str,
    started_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
) -> Wish:
    """The one who took the wish says it is done (with the time it took, if they like: it counts
    once the resident confirms). The resident is asked to confirm."""
    if not (is_claimer(actor=actor, wish=wish) or allowed(actor, CHANGE, wish)):
        raise PermissionDenied
    note = one_line(note, 300)
    if not note:
        raise ValidationError({"note": [_("Say what was done.")]})
    with transaction.atomic():
        row = Wish.objects.select_for_update(of=("self",)).select_related("resident", "community").get(pk=wish.pk)
        if row.state != WishState.CLAIMED:
            raise ValidationError(_("This wish is not waiting to be fulfilled."), code="state")
        if started_at is not None and ended_at is not None and row.claimer_id is not None:
            claimer = Person.objects.get(pk=row.claimer_id)
            _create_record(
                actor,
                person=claimer,
                community=row.community,
                started_at=started_at,
                ended_at=ended_at,
                minutes=int((ended_at - started_at).total_seconds() // 60) if ended_at > started_at else 0,
                description=row.title,
                wish=row,
            )
        Wish.objects.filter(pk=row.pk).update(
            state=WishState.FULFILLED, fulfilled_at=actor.now, fulfilment_note=note, version=F("version") + 1
        )
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=row,
            changes={"state": [WishState.CLAIMED, WishState.FULFILLED]},
            reason=note,
        )
        if row.resident.user_id:
            notify(
                recipients=[row.resident.user_id],
                kind="wish_fulfilled",
                key=f"wish-fulfilled-{row.pk}-{int(actor.now.timestamp())}",
                params={"title": row.title},
                url=reverse("volunteering:wish", args=[row.pk]),
            )
        wish.refresh_from_db()
    return wish


def wish_confirm(*, actor: Actor, wish: Wish, fulfilled: bool, note: str = "") -> Wish:
    """The resident's word: fulfilled (the wish is closed and the time it took counts) or not (it
    goes back to the one who took it). The resident answers on the platform, or the staff record
    the resident's answer (by phone, at the door: ``note`` says how)."""
    own = wish.resident_id == actor.person_id
    if not own and not allowed(actor, CHANGE, wish):
        raise PermissionDenied
    note = one_line(note, 200)
    if not own and not note:
        raise ValidationError({"note": [_("Say how the resident gave their answer (e.g. by phone).")]})
    if wish.claimer_id is not None and wish.claimer_id == actor.person_id:
        raise PermissionDenied
    with transaction.atomic():
        row = Wish.objects.select_for_update().get(pk=wish.pk)
        if row.state != WishState.FULFILLED:
            raise ValidationError(_("This wish is not waiting for the resident's word."), code="state")
        pending = ServiceRecord.objects.filter(wish=row, state=RecordState.PENDING).first()
        if pending is not None:  # the person's lock first (as every writer of hours), then the row
            _lock_person(pending.person_id)
            pending = ServiceRecord.objects.select_for_update().filter(pk=pending.pk, state=RecordState.PENDING).first()
        if fulfilled:
            Wish.objects.filter(pk=row.pk).update(
                state=WishState.CONFIRMED,
                confirmed_at=actor.now,
                confirmed_via=ConfirmedVia.RESIDENT if own else ConfirmedVia.STAFF,
                version=F("version") + 1,
            )
            if pending is not None:
                person = Person.objects.get(pk=pending.person_id)
                try:
                    _check_counted(person, pending.started_at, pending.ended_at, pending.minutes, exclude=pending.pk)
                except ValidationError:
                    pass  # the wish is confirmed all the same; its time stays waiting for the staff
                else:
                    ServiceRecord.objects.filter(pk=pending.pk).update(
                        state=RecordState.VERIFIED,
                        method=RecordMethod.RESIDENT,
                        verified_at=actor.now,
                        verified_by_id=actor.user_id,
                        version=F("version") + 1,
                    )
                    pending.state = RecordState.VERIFIED
                    _earn(actor, pending)
            new = WishState.CONFIRMED
        else:
            Wish.objects.filter(pk=row.pk).update(state=WishState.CLAIMED, fulfilled_at=None, version=F("version") + 1)
            if pending is not None:
                ServiceRecord.objects.filter(pk=pending.pk).update(
                    state=RecordState.REJECTED,
                    reason=_("The resident says the wish is not fulfilled."),
                    verified_at=actor.now,
                    version=F("version") + 1,
                )
            new = WishState.CLAIMED
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=row,
            changes={"state": [WishState.FULFILLED, new], "via": [None, "resident" if own else "staff"]},
            reason=note,
        )
        claimer_user = (
            Person.objects.filter(pk=row.claimer_id).values_list("user_id", flat=True).first()
            if row.claimer_id
            else None
        )
        if claimer_user:
            notify(
                recipients=[claimer_user],
                kind="wish_confirmed" if fulfilled else "wish_not_fulfilled",
                key=f"wish-{new}-{row.pk}-{int(actor.now.timestamp())}",
                params={"title": row.title},
                url=reverse("volunteering:wish", args=[row.pk]),
            )
        wish.refresh_from_db()
    return wish


def wish_cancel(*, actor: Actor, wish: Wish, reason: str) -> Wish:
    """The resident (or the staff) withdraws a wish not yet fulfilled."""
    if wish.resident_id != actor.person_id and not allowed(actor, CHANGE, wish):
        raise PermissionDenied
    reason = one_line(reason, 200)
    if not reason:
        raise ValidationError({"reason": [_("Say why the wish is withdrawn.")]})
    with transaction.atomic():
        updated = (
            Wish.objects.filter(pk=wish.pk)
            .filter(Q(state=WishState.OPEN) | Q(state=WishState.CLAIMED))
            .update(state=WishState.CANCELLED, cancel_reason=reason, version=F("version") + 1)
        )
        if not updated:
            raise ValidationError(_("A wish that is done can no longer be withdrawn."), code="state")
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=wish,
            changes={"state": [wish.state, WishState.CANCELLED]},
            reason=reason,
        )
        wish.state = WishState.CANCELLED
    return wish
