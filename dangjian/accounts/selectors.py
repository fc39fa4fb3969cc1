"""Reads for account administration: the staff accounts and role grants an admin may manage.

An admin manages the grants given at nodes they may GRANT at (their region subtree, with the
party organisations and resident units in it), and so the accounts holding them. Each node kind
is restricted by its own access rule, so a community secretary sees the branch secretaries of the
community's organisations as well as its staff.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Page
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from dangjian.accounts.models import RoleGrant, RoleGrantQuerySet, User
from dangjian.accounts.roles import GRANT, STAFF_ROLES, Role
from dangjian.accounts.scopes import covers_region_tree
from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.conf import config
from dangjian.core.events import events_for, labelled_changes
from dangjian.core.models import Event, EventAction
from dangjian.core.paging import PrimaryKeyPaginator
from dangjian.orgs.models import Organization, Region, ResidentUnit

USERS_PER_PAGE = 50


def managed_grants(*, actor: Actor) -> RoleGrantQuerySet:
    """Every grant (in force, future or ended) given at a node the actor may GRANT at."""
    if actor.system or actor.scope.superuser:
        return RoleGrant.objects.exclude(region=None, organization=None, unit=None)
    if not actor.scope.can(GRANT):
        return RoleGrant.objects.none()
    return RoleGrant.objects.filter(
        Q(region__in=Region.objects.restrict(actor, GRANT))
        | Q(organization__in=Organization.objects.restrict(actor, GRANT))
        | Q(unit__in=ResidentUnit.objects.restrict(actor, GRANT))
    )


@dataclass(frozen=True)
class UserFilters:
    q: str = ""
    role: str = ""
    status: str = "active"  # active | inactive | "" (all)


def managed_users(*, actor: Actor, filters: UserFilters | None = None) -> QuerySet[User]:
    """The accounts holding a grant the actor manages, each with ``in_force``: those of the grants in
    force today."""
    filters = filters or UserFilters()
    grants = managed_grants(actor=actor)
    # A role filter asks who holds the role now; without it, everyone who ever held one here.
    keys = grants.active(actor.today).filter(role=filters.role) if filters.role else grants
    users = User.objects.filter(pk__in=keys.values("user_id"), is_superuser=False)
    if filters.q:
        q = filters.q.strip()
        users = users.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(first_name__icontains=q))
    if filters.status == "active":
        users = users.filter(is_active=True)
    elif filters.status == "inactive":
        users = users.filter(is_active=False)
    shown = grants.active(actor.today).select_related("region", "organization", "unit").order_by("-starts_on", "-pk")
    return users.prefetch_related(Prefetch("grants", queryset=shown, to_attr="in_force")).order_by("username")


def users_page(*, actor: Actor, filters: UserFilters, number: str | None) -> Page:
    return PrimaryKeyPaginator(managed_users(actor=actor, filters=filters), USERS_PER_PAGE).get_page(number)


def managed_user(*, actor: Actor, pk: int) -> User:
    """One account the actor manages (404 otherwise: out of scope, it does not exist for them)."""
    user = managed_users(actor=actor, filters=UserFilters(status="")).filter(pk=pk).first()
    if user is None:
        raise Http404
    return user


def managed_grant(*, actor: Actor, user: User, pk: int) -> RoleGrant:
    grant = managed_grants(actor=actor).filter(user=user, pk=pk).select_related("region", "organization", "unit")
    found = grant.first()
    if found is None:
        raise Http404
    return found


def account_grants(*, actor: Actor, user: User) -> list[RoleGrant]:
    """``user``'s grants that the actor manages, in force first, each with its ``state`` today."""
    order = {"in_force": 0, "future": 1, "ended": 2}
    grants = list(
        managed_grants(actor=actor)
        .filter(user=user)
        .select_related("region", "organization", "unit", "granted_by", "ended_by")
        .order_by("-starts_on", "-pk")
    )
    for grant in grants:
        grant.state = grant.state_on(actor.today)
    return sorted(grants, key=lambda grant: order[grant.state])


def account_events(*, actor: Actor, user: User, limit: int = 50) -> list[Event]:
    """The account's own history (grants, endings, sign-in links, deactivation), newest first,
    each described (``describe_event``) — without the roles it holds or held outside the actor's
    area. Callers have checked that the actor manages ``user``."""
    places = {
        str(grant.node)
        for grant in managed_grants(actor=actor).filter(user=user).select_related("region", "organization", "unit")
    }
    everything = sees_all_events(actor=actor)
    shown = []
    for event in events_for(user).select_related("actor", "target_type")[: limit * 2]:
        node = event.changes.get("node") if isinstance(event.changes, dict) else None
        if node and not everything and not ({str(value) for value in node if value} & places):
            continue
        shown.append(describe_event(event))
    return shown[:limit]


def staff_role_choices() -> list[tuple[str, Any]]:
    return [(role.value, role.label) for role in Role if role in STAFF_ROLES or role == Role.PARTNER_LIAISON]


def two_factor_required(*, actor: Actor) -> bool:
    """Whether the actor holds a role that must sign in with two-factor login and has not set it
    up yet (core/conf.py TWO_FACTOR_ROLES)."""
    user = actor.user
    if user is None or user.two_factor_enabled:
        return False
    roles = config().two_factor_roles
    return bool(roles) and actor.scope.has_role(*roles)


# -- The audit page ------------------------------------------------------------------------------

AUDIT_PER_PAGE = 50
AUDIT_COUNT_LIMIT = 10_000
SENSITIVE_ACTIONS = (EventAction.UNMASKED, EventAction.EXPORTED, EventAction.DOWNLOADED)
# The records whose events the audit page offers as a filter (every model that records events).
AUDITED_APPS = ("accounts", "people", "orgs", "membership", "servicedesk", "core", "api")


@dataclass(frozen=True)
class AuditFilters:
    who: str = ""  # login name or name of the acting account
    action: str = ""
    target_type: int | None = None  # a ContentType id
    target: str = ""  # the record's label (e.g. a person's name, a request's number)
    since: dt.date | None = None
    until: dt.date | None = None
    sensitive: bool = False  # unmasking, exports and downloads only


def sees_all_events(*, actor: Actor) -> bool:
    """A superuser or a grant at the root of the region tree sees every event, the system's too."""
    return actor.system or covers_region_tree(actor.scope, GRANT)


def _audit_windows(actor: Actor) -> list[Q] | None:
    """The events an admin (not at the root) audits, as time windows on the (actor, occurred_at)
    index: each managed account over the days it held a role in the admin's area (overlapping
    grants of one account merged into one window), and the admin's own events. None: every event
    (the root of the region tree); []: none."""
    if sees_all_events(actor=actor):
        return None
    if not actor.scope.can(GRANT):
        return []
    spans: dict[int, list[tuple[dt.datetime, dt.datetime | None]]] = {}
    grants = managed_grants(actor=actor).values_list("user_id", "starts_on", "ends_on", "revoked_at")
    for user_id, starts_on, ends_on, revoked_at in grants:
        ends = [moment for moment in (ends_on and _day_start(ends_on), revoked_at) if moment is not None]
        spans.setdefault(user_id, []).append((_day_start(starts_on), min(ends) if ends else None))
    if actor.user_id is not None:
        spans[actor.user_id] = [(dt.datetime.min.replace(tzinfo=dt.UTC), None)]  # all of one's own
    windows = []
    for user_id, ranges in sorted(spans.items()):
        for start, end in _merged(ranges):
            window = Q(actor_id=user_id)
            if start.year > 1:
                window &= Q(occurred_at__gte=start)
            if end is not None:
                window &= Q(occurred_at__lt=end)
            windows.append(window)
    return windows


def _merged(ranges: list[tuple[dt.datetime, dt.datetime | None]]) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """Overlapping or touching [start, end) ranges (end None: open) joined, so that no event is in
    two windows."""
    merged: list[tuple[dt.datetime, dt.datetime | None]] = []
    for start, end in sorted(ranges, key=lambda pair: pair[0]):
        if merged and (merged[-1][1] is None or start <= merged[-1][1]):
            last_start, last_end = merged[-1]
            merged[-1] = (last_start, None if end is None or last_end is None else max(last_end, end))
        elif end is None or end > start:
            merged.append((start, end))
    return merged


def audit_events(*, actor: Actor, filters: AuditFilters | None = None) -> QuerySet[Event]:
    """The events an admin may audit: what the accounts they manage did while they held a role in
    the admin's area (and what the admin did) — a community secretary audits the community's
    staff, a street admin the street's — leaving out events on people, members and requests
    outside the admin's own scope (a worker who also serves elsewhere, or moved on, did that
    work there). At the root of the region tree, every event. Newest first."""
    return _audit_events(actor, filters or AuditFilters(), _audit_windows(actor))


def _audit_events(actor: Actor, filters: AuditFilters, windows: list[Q] | None) -> QuerySet[Event]:
    events = Event.objects.all()
    if windows is not None:
        if not windows:
            return Event.objects.none()
        held = Q()
        for window in windows:
            held |= window
        events = events.filter(held).filter(_targets_in_scope(actor))
    if filters.who:
        who = filters.who.strip()
        people = User.objects.filter(Q(username__icontains=who) | Q(display_name__icontains=who)).values("pk")
        events = events.filter(actor__in=people)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.sensitive:
        events = events.filter(action__in=SENSITIVE_ACTIONS)
    if filters.target_type:
        events = events.filter(target_type_id=filters.target_type)
    if filters.target:
        events = events.filter(target_label__icontains=filters.target.strip())
    if filters.since:
        events = events.filter(occurred_at__gte=_day_start(filters.since))
    if filters.until:
        events = events.filter(occurred_at__lt=_day_start(filters.until + dt.timedelta(days=1)))
    return events.select_related("actor", "target_type").order_by("-occurred_at", "-id")


# The records about people whose events the audit shows only inside the admin's own scope.
PERSONAL_TARGETS = ("people.Person", "people.Member", "servicedesk.ServiceRequest")


def _targets_in_scope(actor: Actor) -> Q:
    q = Q()
    for label in PERSONAL_TARGETS:
        model = apps.get_model(label)
        kind = ContentType.objects.get_for_model(model)
        q &= ~Q(target_type=kind) | Q(target_id__in=restrict(model._default_manager.all(), actor, VIEW).values("pk"))
    return q


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audited_types() -> list[tuple[int, str]]:
    """(content type id, the model's name in the reader's language) of every audited model."""
    found = []
    for ct in ContentType.objects.filter(app_label__in=AUDITED_APPS):
        model = ct.model_class()
        if model is not None:
            found.append((ct.pk, str(model._meta.verbose_name)))
    return sorted(found, key=lambda pair: pair[1])


class AuditPaginator(PrimaryKeyPaginator):
    """A page of an admin's audit log read window by window: each window (one account's time on
    the (actor, occurred_at) index) gives at most the rows down to the page's last, newest first,
    and their UNION ALL is cut to the page — a page reads its 50 rows from each window instead of
    sorting every event of a busy worker (PostgreSQL; elsewhere the one query)."""

    def __init__(self, object_list: QuerySet, per_page: int, *, windows: list[Q], **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.windows = windows

    def page(self, number: Any) -> Page:
        if len(self.windows) < 2 or not connection.features.supports_slicing_ordering_in_compound:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if top <= bottom:  # nothing to show (no event at all): the windows have no rows to give
            return super().page(number)
        ordering = ("-occurred_at", "-id")
        parts = [
            self.queryset.filter(window).order_by(*ordering).values_list("occurred_at", "id")[:top]
            for window in self.windows
        ]
        union = parts[0].union(*parts[1:], all=True).order_by(*ordering)
        keys = [key for _occurred_at, key in union[bottom:top]]
        rows = Event.objects.filter(pk__in=keys).select_related("actor", "target_type").order_by(*ordering)
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]  # Paginator's own hook


def audit_page(*, actor: Actor, filters: AuditFilters, number: str | None) -> Page:
    """A page of ``audit_events``, each with ``rows`` (its changes, labelled) and ``type_label``.
    Counted up to AUDIT_COUNT_LIMIT (``paginator.capped`` says when there are more)."""
    windows = _audit_windows(actor)
    paginator = AuditPaginator(
        _audit_events(actor, filters, windows), AUDIT_PER_PAGE, count_limit=AUDIT_COUNT_LIMIT, windows=windows or []
    )
    page = paginator.get_page(number)
    for event in page.object_list:
        describe_event(event)
    return page


def describe_event(event: Event) -> Event:
    """``event`` with ``rows`` = [(label, old, new)] of its changes and ``type_label`` = what kind
    of record it is about, in the reader's language, without a query."""
    model = event.target_type.model_class()
    labels: dict[str, Any] = {}
    choices: dict[str, dict[str, Any]] = {}
    if model is not None:
        for field in model._meta.concrete_fields:
            labels[field.name] = field.verbose_name
            if field.choices:
                choices[field.name] = dict(field.flatchoices)
    labels.update(_event_labels())
    choices.setdefault("role", dict(Role.choices))
    choices["sign_in_link"] = {"issued": _("issued"), "used": _("used")}
    choices["field"] = {"id_number": _("ID number"), "phone": _("Mobile")}
    event.rows = labelled_changes(event, labels, choices)  # type: ignore[attr-defined]  # for the template
    event.type_label = model._meta.verbose_name if model is not None else event.target_type.model  # type: ignore[attr-defined]
    return event


def _event_labels() -> dict[str, Any]:
    """What the changes of events name besides model fields, in the reader's language."""
    return {
        "role": _("Role"),
        "username": _("Login name"),
        "is_active": _("Active"),
        "field": _("Number viewed"),
        "id_number": _("ID number"),
        "phone": _("Mobile"),
        "rows": _("Rows"),
        "full_numbers": _("Full numbers"),
        "filters": _("Filters"),
        "file": _("File"),
        "node": pgettext("role grant", "Where"),
        "starts_on": pgettext("role grant", "From"),
        "ends_on": _("Ends on"),
        "sign_in_link": _("Sign-in link"),
        "two_factor": _("Two-factor login"),
    }


def roles_at_the_time(events: list[Event]) -> dict[int, str]:
    """For each event with an acting account: "role · place" of the account's grant in force on
    the event's day (e.g. "社区工作人员 · 红钢城社区"), or a plain "staff" when none was — what a
    person may be told about who looked at their record, without the name. One query."""
    users = {event.actor_id for event in events if event.actor_id}
    grants: dict[int, list[RoleGrant]] = {}
    for grant in (
        RoleGrant.objects.filter(user_id__in=users)
        .select_related("region", "organization", "unit")
        .order_by("-starts_on", "-pk")
    ):
        grants.setdefault(grant.user_id, []).append(grant)
    described = {}
    for event in events:
        if not event.actor_id:
            continue
        day = timezone.localdate(event.occurred_at)
        held = [grant for grant in grants.get(event.actor_id, []) if grant.state_on(day) == "in_force"]
        staff = [grant for grant in held if grant.node is not None] or held
        if staff:
            described[event.pk] = (
                f"{staff[0].get_role_display()} · {staff[0].node}"
                if staff[0].node
                else str(staff[0].get_role_display())
            )
        else:
            described[event.pk] = _("a staff member")
    return described


def roles_held_at(node: Any, day: dt.date) -> str | None:
    """Why a region, organisation or resident unit cannot close (orgs.services.close_node,
    close_unit): roles in force at it or below (end them first, on the staff accounts page)."""
    # In force or still to come: a role starting next week at a closed node would be a role nowhere.
    grants = RoleGrant.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gt=day), revoked_at__isnull=True)
    if isinstance(node, Region):
        grants = grants.filter(Q(region__path__startswith=node.path) | Q(unit__region__path__startswith=node.path))
    elif isinstance(node, Organization):
        grants = grants.filter(organization__path__startswith=node.path)
    elif isinstance(node, ResidentUnit):
        grants = grants.filter(unit=node)
    else:
        return None
    count = grants.count()
    if not count:
        return None
    return ngettext(
        "%(n)s role is held there; end it first (Staff accounts).",
        "%(n)s roles are held there; end them first (Staff accounts).",
        count,
    ) % {"n": count}
