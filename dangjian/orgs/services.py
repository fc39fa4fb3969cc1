"""Writes to the region and organisation trees: add a node, rename it, change an organisation's
flags and term (换届), move a subtree. Each needs the configure right over the nodes it touches
(the district or street admin, in their area), is one transaction and one event per node changed.

A node's code is stable and unique; its materialised path is not: a move rewrites the paths of
the whole subtree, and keeps the former ones (``RegionPath`` / ``OrganizationPath``) with the day
they ended, so that anything counted "on a date" before the move still finds the tree as it was
(orgs/selectors.py ``subtree_on``). A path once used is never given to another node.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dangjian.core.access import CONFIGURE, CREATE, allowed, nodes_changed
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event
from dangjian.core.models import PATH_STEP, TreeNode, path_segment, segment_index
from dangjian.orgs.models import (
    REGION_LEVEL_ORDER,
    Organization,
    OrganizationPath,
    OrgKind,
    Region,
    RegionLevel,
    RegionPath,
    ResidentUnit,
    Room,
    RoomBooking,
    ServiceSite,
)

ORG_KIND_ORDER = [OrgKind.WORKING_COMMITTEE, OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, OrgKind.GROUP]
CODE_MAX = 32


def _history(model: type[TreeNode]) -> Any:
    return RegionPath if issubclass(model, Region) else OrganizationPath


def _may_configure(actor: Actor, *nodes: Any) -> None:
    for node in nodes:
        if not allowed(actor, CONFIGURE, node):
            raise PermissionDenied


def _open(node: TreeNode | ResidentUnit) -> None:
    """A closed node (retired, dissolved) or unit takes nothing new below it."""
    if node.closed_on is not None:
        raise ValidationError(
            _("%(node)s was closed on %(day)s; it takes nothing new.") % {"node": node, "day": node.closed_on}
        )


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("At most 100 characters.")})
    return name


def _clean_code(model: type[TreeNode], code: str, *, exclude: int | None = None) -> str:
    code = (code or "").strip()
    if not code or len(code) > CODE_MAX:
        raise ValidationError({"code": _("Enter a code of at most %(n)s characters.") % {"n": CODE_MAX}})
    taken = model._default_manager.filter(code=code)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError({"code": _("The code %(code)s is already used by another node.") % {"code": code}})
    return code


def free_path(model: type[TreeNode], parent: TreeNode | None) -> str:
    """The path for a new child of ``parent``: after every path its children have now or ever had
    (former paths included), so that "on a date" reads never mistake one node for another."""
    prefix = parent.path if parent is not None else ""
    width = len(prefix) + PATH_STEP
    current = model._default_manager.filter(path__startswith=prefix, depth=width // PATH_STEP)
    used = [path[len(prefix) : width] for path in current.values_list("path", flat=True)]
    former = _history(model).objects.filter(path__startswith=prefix).values_list("path", flat=True)
    used += [path[len(prefix) : width] for path in former if len(path) >= width]
    return prefix + path_segment(max((segment_index(segment) for segment in used), default=0) + 1)


def _check_region_level(parent: Region | None, level: str) -> None:
    levels = [str(each) for each in REGION_LEVEL_ORDER]
    expected = levels[levels.index(parent.level) + 1 :][:1] if parent else []
    if parent is None or level not in expected:
        below = RegionLevel(expected[0]).label if expected else _("nothing")
        raise ValidationError(
            {"level": _("Under %(parent)s comes %(below)s.") % {"parent": parent or "—", "below": below}}
        )


def _check_org_kind(parent: Organization | None, kind: str) -> None:
    if parent is None or ORG_KIND_ORDER.index(OrgKind(kind)) <= ORG_KIND_ORDER.index(OrgKind(parent.kind)):
        raise ValidationError(
            {
                "kind": _("A %(kind)s cannot sit under a %(parent)s.")
                % {"kind": OrgKind(kind).label, "parent": OrgKind(parent.kind).label if parent else "—"}
            }
        )


def _may_add_root(actor: Actor) -> None:
    """A tree's root (the district, the street's working committee) is made when the platform is
    set up (``manage.py setup_street``): by the system or a superuser only."""
    if not (actor.system or actor.scope.superuser):
        raise PermissionDenied


def add_region(*, actor: Actor, parent: Region | None, name: str, code: str, level: str) -> Region:
    """A new community under a street, or grid under a community; without ``parent``, a district
    at the root (setting up only)."""
    if parent is None:
        _may_add_root(actor)
        if level != RegionLevel.DISTRICT:
            raise ValidationError({"level": _("The root of the region tree is a district.")})
    else:
        _may_configure(actor, parent)
        _open(parent)
        _check_region_level(parent, level)
    name, code = _clean_name(name), _clean_code(Region, code)
    with transaction.atomic():
        if parent is not None:
            Region.objects.select_for_update().filter(pk=parent.pk).first()  # one child path at a time
        path = free_path(Region, parent)
        region = Region.objects.create(
            parent=parent, path=path, depth=len(path) // PATH_STEP, name=name, code=code, level=level
        )
        nodes_changed(actor)
        record_event(
            actor=actor,
            action=EventAction.CREATED,
            target=region,
            changes={
                "name": [None, name],
                "code": [None, code],
                "level": [None, level],
                "parent": [None, parent.name if parent else ""],
            },
        )
    return region


def add_organization(
    *,
    actor: Actor,
    parent: Organization | None,
    name: str,
    code: str,
    kind: str,
    region: Region,
    is_joint: bool = False,
    is_temporary: bool = False,
    is_functional: bool = False,
    term_started_on: dt.date | None = None,
    term_ends_on: dt.date | None = None,
) -> Organization:
    """A new party organisation under ``parent``, serving ``region``; without ``parent``, a street's
    working committee at the root (setting up only)."""
    if parent is None:
        _may_add_root(actor)
        if kind != OrgKind.WORKING_COMMITTEE:
            raise ValidationError({"kind": _("The root of the organisation tree is a working committee.")})
    else:
        _may_configure(actor, parent, region)
        _open(parent)
        _open(region)
        _check_org_kind(parent, kind)
    name, code = _clean_name(name), _clean_code(Organization, code)
    _check_term(term_started_on, term_ends_on)
    with transaction.atomic():
        if parent is not None:
            Organization.objects.select_for_update().filter(pk=parent.pk).first()
        path = free_path(Organization, parent)
        org = Organization.objects.create(
            parent=parent,
            path=path,
            depth=len(path) // PATH_STEP,
            name=name,
            code=code,
            kind=kind,
            region=region,
            is_joint=is_joint,
            is_temporary=is_temporary,
            is_functional=is_functional,
            term_started_on=term_started_on,
            term_ends_on=term_ends_on,
        )
        nodes_changed(actor)
        record_event(
            actor=actor,
            action=EventAction.CREATED,
            target=org,
            changes={
                "name": [None, name],
                "code": [None, code],
                "kind": [None, kind],
                "parent": [None, parent.name if parent else ""],
            },
        )
    return org


def _check_term(started: dt.date | None, ends: dt.date | None) -> None:
    if started and ends and ends <= started:
        raise ValidationError({"term_ends_on": _("The term must end after it starts.")})


def update_node(*, actor: Actor, node: TreeNode, data: dict[str, Any], reason: str = "") -> TreeNode:
    """Rename a node (its code stays), or change an organisation's flags and term (换届: a new
    term's dates). ``data`` holds the fields to change; each change is in the event."""
    _may_configure(actor, node)
    allowed_fields = {"name"}
    if isinstance(node, Organization):
        allowed_fields |= {"is_joint", "is_temporary", "is_functional", "term_started_on", "term_ends_on"}
    unknown = set(data) - allowed_fields
    if unknown:
        raise ValueError(f"not changeable here: {sorted(unknown)}")
    if "name" in data:
        data = {**data, "name": _clean_name(data["name"])}
    if isinstance(node, Organization):
        _check_term(data.get("term_started_on", node.term_started_on), data.get("term_ends_on", node.term_ends_on))
    changes = {
        field: [_shown(getattr(node, field)), _shown(value)]
        for field, value in data.items()
        if getattr(node, field) != value
    }
    if not changes:
        return node
    with transaction.atomic():
        type(node)._default_manager.filter(pk=node.pk).update(**data, version=F("version") + 1)
        for field, value in data.items():
            setattr(node, field, value)
        record_event(actor=actor, action=EventAction.UPDATED, target=node, changes=changes, reason=reason.strip())
    return node


def _shown(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def move_node(*, actor: Actor, node: TreeNode, new_parent: TreeNode, reason: str) -> TreeNode:
    """Move ``node`` and its subtree under ``new_parent``, from today: every path of the subtree is
    rewritten in one transaction and the former ones kept until yesterday (``PathHistory``). A
    region keeps its level (a grid goes under a community); an organisation goes under a higher
    kind. An organisation that served its old parent's region serves the new parent's (and so do
    those under it that served the same region), so that the new area's staff see it."""
    model = type(node)
    if type(new_parent) is not model:
        raise TypeError("a node moves within its own tree")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the node moves (e.g. the decision of the street committee).")})
    if new_parent.pk == node.pk or new_parent.path.startswith(node.path):
        raise ValidationError(
            {"new_parent": _("A node cannot move under itself or under a node below it.")}, code="cycle"
        )
    if node.parent is not None and new_parent.pk == node.parent.pk:
        raise ValidationError({"new_parent": _("It is already there.")}, code="same")
    _open(new_parent)
    if isinstance(node, Region):
        _check_region_level(new_parent, node.level)  # type: ignore[arg-type]
    else:
        _check_org_kind(new_parent, node.kind)  # type: ignore[arg-type, attr-defined]
    old_parent = node.parent
    _may_configure(actor, node, new_parent, *([old_parent] if old_parent is not None else []))
    today = actor.today
    with transaction.atomic():
        locked: Any = model._default_manager.select_for_update().filter(pk=node.pk).first()
        old_parent_id = old_parent.pk if old_parent is not None else None
        if locked is None or locked.path != node.path or locked.parent_id != old_parent_id:
            raise ValidationError(_("Someone else changed the tree meanwhile; reload the page."), code="stale")
        subtree = list(model._default_manager.select_for_update().filter(path__startswith=node.path).order_by("path"))
        model._default_manager.select_for_update().filter(pk=new_parent.pk).first()
        old_prefix = node.path
        new_prefix = free_path(model, new_parent)
        history = _history(model)
        last_moves = dict(
            history.objects.filter(node__in=subtree).order_by("valid_until").values_list("node_id", "valid_until")
        )
        # Moved twice in one day, the morning's path held for no day: its row covers no day
        # (valid_from == valid_until) but keeps the path from ever being given to another node.
        history.objects.bulk_create(
            [
                history(node=each, path=each.path, valid_from=last_moves.get(each.pk), valid_until=today)
                for each in subtree
            ]
        )
        shift = (len(new_prefix) - len(old_prefix)) // PATH_STEP
        # Two steps, so that no new path meets an old one on the unique index midway.
        for each in subtree:
            each.path = "~" + new_prefix + each.path[len(old_prefix) :]
        model._default_manager.bulk_update(subtree, ["path"], batch_size=1000)
        for each in subtree:
            each.path = each.path[1:]
            each.depth += shift
        model._default_manager.bulk_update(subtree, ["path", "depth"], batch_size=1000)
        model._default_manager.filter(pk=node.pk).update(parent=new_parent)
        node.parent, node.path, node.depth = new_parent, new_prefix, node.depth + shift
        if isinstance(node, Organization) and old_parent is not None:
            _follow_region(node, old_parent, new_parent, subtree)  # type: ignore[arg-type]
        nodes_changed(actor)
        record_event(
            actor=actor,
            action=EventAction.UPDATED,
            target=node,
            changes={"parent": [old_parent.name if old_parent else "", new_parent.name]},
            reason=reason.strip(),
        )
    return node


def _follow_region(
    org: Organization, old_parent: Organization, new_parent: Organization, subtree: list[TreeNode]
) -> None:
    if org.region_id != old_parent.region_id or old_parent.region_id == new_parent.region_id:
        return
    ids = [each.pk for each in subtree if getattr(each, "region_id", None) == old_parent.region_id]
    Organization.objects.filter(Q(pk__in=ids)).update(region=new_parent.region_id)
    org.region_id = new_parent.region_id


# Service sites, their rooms, and resident units: records of a place, kept by whoever configures it.


def _save_record(*, actor: Actor, record: Any, data: dict[str, Any], reason: str = "") -> Any:
    """Create or change ``record`` with ``data`` (validated by the model), one event with the
    fields that changed."""
    creating = record.pk is None
    changes = {}
    for field, value in data.items():
        old = getattr(record, field)
        if creating or old != value:
            changes[field] = [None if creating else _display(old), _display(value)]
        setattr(record, field, value)
    record.full_clean()
    if not changes:
        return record
    with transaction.atomic():
        if not creating:
            record.version += 1
        record.save()
        record_event(
            actor=actor,
            action=EventAction.CREATED if creating else EventAction.UPDATED,
            target=record,
            changes=changes,
            reason=reason.strip(),
        )
    return record


def _display(value: Any) -> Any:
    if hasattr(value, "pk"):
        return str(value)
    return _shown(value)


def save_site(*, actor: Actor, region: Region, data: dict[str, Any], site: ServiceSite | None = None) -> ServiceSite:
    """A 党群服务中心/站 in ``region`` (name, address, phone, opening hours, the organisation that
    runs it), new or changed."""
    _may_configure(actor, region)
    if site is not None:
        _may_configure(actor, site)
    organization = data.get("organization")
    if organization is not None:
        _may_configure(actor, organization)
    return _save_record(actor=actor, record=site or ServiceSite(region=region), data=data)


def save_room(*, actor: Actor, site: ServiceSite, data: dict[str, Any], room: Room | None = None) -> Room:
    """A room of ``site`` (capacity, equipment, opening hours, bookable), new or changed."""
    _may_configure(actor, site)
    if room is not None and room.site_id != site.pk:
        raise PermissionDenied
    same_name = Room.objects.filter(site=site, name=data.get("name", ""))
    if room is not None:
        same_name = same_name.exclude(pk=room.pk)
    if data.get("name") and same_name.exists():
        raise ValidationError({"name": _("This site already has a room of that name.")})
    return _save_record(actor=actor, record=room or Room(site=site), data=data)


def save_unit(*, actor: Actor, region: Region, data: dict[str, Any], unit: ResidentUnit | None = None) -> ResidentUnit:
    """A resident unit (驻区单位) of ``region``, new or changed. Its liaisons are staff accounts
    with the liaison role at the unit (accounts: 工作人员账号)."""
    _may_configure(actor, region)
    if unit is not None:
        _may_configure(actor, unit)
        _open(unit)
    return _save_record(actor=actor, record=unit or ResidentUnit(region=region), data=data)


def close_unit(*, actor: Actor, unit: ResidentUnit, reason: str) -> ResidentUnit:
    """A resident unit that left the area (moved away, closed down) from today: refused while a
    liaison role is held there. The unit and its history (共驻共建 projects, events) stay; it takes
    no new role and is shown as closed."""
    _may_configure(actor, unit)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why (e.g. the decision that merged it).")})
    if unit.closed_on is not None:
        raise ValidationError(_("It is already closed."), code="closed")
    day = actor.today
    problems = [problem for check in _occupancy if (problem := check(unit, day))]
    if problems:
        raise ValidationError(problems, code="occupied")
    with transaction.atomic():
        ResidentUnit.objects.filter(pk=unit.pk).update(closed_on=day)
        unit.closed_on = day
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=unit,
            changes={"closed_on": [None, day.isoformat()]},
            reason=reason.strip(),
        )
    return unit


# Retiring a region, dissolving an organisation. What still lives there is known to the apps above
# (people, members, role grants): each registers a check that names what is left, or says nothing.

Occupancy = Callable[[Any, dt.date], "str | None"]  # a TreeNode or a ResidentUnit
_occupancy: list[Occupancy] = []


def register_occupancy(check: Occupancy) -> None:
    """``check(node, day)`` returns why ``node`` (with its subtree) cannot close on ``day`` — e.g.
    "12 residents still live there" — or None."""
    _occupancy.append(check)


def close_node(*, actor: Actor, node: TreeNode, reason: str) -> TreeNode:
    """Retire a region or dissolve an organisation from today: refused while anything below is
    open or anyone still lives, belongs or holds a role there (each reason in the message). The
    node and its history stay; it is no longer offered for new records or roles."""
    _may_configure(actor, node)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why (e.g. the decision that merged it).")})
    if node.closed_on is not None:
        raise ValidationError(_("It is already closed."), code="closed")
    day = actor.today
    model = type(node)
    problems = []
    open_below = model._default_manager.filter(path__startswith=node.path, closed_on__isnull=True).exclude(pk=node.pk)
    if open_below.exists():
        n = open_below.count()
        problems.append(
            ngettext(
                "%(n)s node below it is still open; close or move it first.",
                "%(n)s nodes below it are still open; close or move them first.",
                n,
            )
            % {"n": n}
        )
    problems += [problem for check in _occupancy if (problem := check(node, day))]
    if problems:
        raise ValidationError(problems, code="occupied")
    with transaction.atomic():
        model._default_manager.filter(pk=node.pk).update(closed_on=day)
        node.closed_on = day
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=node,
            changes={"closed_on": [None, day.isoformat()]},
            reason=reason.strip(),
        )
    return node


# Merging one party organisation into another (合并). What lives at the organisation is known to
# the apps above: each registers a step that moves its live records to the receiving organisation
# (members, candidates, mobile members), ends them (committee seats), or refuses (a transfer in
# progress, a request assigned to it) by raising a ValidationError; each returns what it moved.

Merger = Callable[..., "dict[str, int]"]  # called with keywords: actor, source, target, day, reason
_mergers: list[Merger] = []


def register_merger(step: Merger) -> None:
    """``step(actor=, source=, target=, day=, reason=)`` moves its records of ``source`` to ``target``
    from ``day`` inside the merge's transaction and returns {what: how many}, or raises a
    ValidationError that names what stops the merge."""
    _mergers.append(step)


def merge_organization(*, actor: Actor, source: Organization, target: Organization, reason: str) -> dict[str, int]:
    """Merge ``source`` into ``target`` (two branches become one, a committee absorbs another)
    from today: the organisations below ``source`` move under ``target`` with their members (their
    paths rewritten, the former ones kept: ``move_node``), ``source``'s own members, candidates and
    service sites go to ``target``, its committee's seats end, and ``source`` is dissolved
    (``close_node``: refused while a role is held there). Both of the same kind, both open,
    ``target`` outside ``source``'s subtree; the configure right over both. One transaction:
    anything refused leaves everything as it was. Returns what moved, {what: how many}."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why (e.g. the decision that merged it).")})
    if target.pk == source.pk or target.path.startswith(source.path):
        raise ValidationError({"target": _("An organisation cannot merge into itself or into one below it.")})
    if target.kind != source.kind:
        raise ValidationError(
            {
                "target": _("It can only merge into an organisation of the same kind (%(kind)s).")
                % {"kind": OrgKind(source.kind).label}
            }
        )
    _open(source)
    _open(target)
    _may_configure(actor, source, target)
    day = actor.today
    why = _("Merged into %(target)s: %(reason)s") % {"target": target.name, "reason": reason.strip()}
    moved: dict[str, int] = {}
    with transaction.atomic():
        # Both rows locked, in the order of their keys (two merges the other way round wait, not deadlock).
        locked = Organization.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
        now = {pk: (path, closed) for pk, path, closed in locked.values_list("pk", "path", "closed_on")}
        if now != {source.pk: (source.path, None), target.pk: (target.path, None)}:
            raise ValidationError(_("Someone else changed the tree meanwhile; reload the page."), code="stale")
        children = list(Organization.objects.filter(parent=source).order_by("path"))
        for child in children:
            move_node(actor=actor, node=child, new_parent=target, reason=why)
        moved["organizations"] = len(children)
        moved["sites"] = ServiceSite.objects.filter(organization=source).update(organization=target)
        for step in _mergers:
            for what, count in step(actor=actor, source=source, target=target, day=day, reason=why).items():
                moved[what] = moved.get(what, 0) + count
        source.refresh_from_db()
        record_event(
            actor=actor,
            action=EventAction.UPDATED,
            target=source,
            changes={"merged_into": [None, target.name], **{what: [None, n] for what, n in moved.items() if n}},
            reason=reason.strip(),
        )
        close_node(actor=actor, node=source, reason=why)
    return moved


# Room bookings: the one door to a room's time (activities, meetings). A booking takes the room's
# row lock, so that two bookings of the same hour made at the same moment cannot both succeed.


def book_room(*, actor: Actor, room: Room, starts_at: dt.datetime, ends_at: dt.datetime, purpose: str) -> RoomBooking:
    """Book ``room`` from ``starts_at`` until ``ends_at`` for ``purpose``: refused when the room is
    not bookable, its site's area is closed, the times are reversed or past, or another booking
    of the room overlaps (the message names it). Needs the create right over the room's area."""
    if not allowed(actor, CREATE, room):
        raise PermissionDenied
    if not room.is_bookable or room.site.region.closed_on is not None:
        raise ValidationError({"room": _("%(room)s cannot be booked.") % {"room": room}})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The end must come after the start.")})
    if starts_at < actor.now:
        raise ValidationError({"starts_at": _("A room is booked for a time still to come.")})
    purpose = " ".join(purpose.split())[:200]
    if not purpose:
        raise ValidationError({"purpose": _("Say what the room is booked for.")})
    with transaction.atomic():
        Room.objects.select_for_update().filter(pk=room.pk).values("pk").first()
        taken = (
            RoomBooking.objects.filter(
                room=room, cancelled_at__isnull=True, starts_at__lt=ends_at, ends_at__gt=starts_at
            )
            .order_by("starts_at")
            .first()
        )
        if taken is not None:
            raise ValidationError(
                {
                    "room": _(
                        "%(room)s is booked from %(start)s to %(end)s (%(purpose)s); choose another time or room."
                    )
                    % {
                        "room": room,
                        "start": timezone.localtime(taken.starts_at).strftime("%Y-%m-%d %H:%M"),
                        "end": timezone.localtime(taken.ends_at).strftime("%H:%M"),
                        "purpose": taken.purpose,
                    }
                },
                code="taken",
            )
        booking = RoomBooking.objects.create(
            room=room, starts_at=starts_at, ends_at=ends_at, purpose=purpose, booked_by_id=actor.user_id
        )
        record_event(
            actor=actor,
            action=EventAction.CREATED,
            target=booking,
            changes={
                "room": [None, room.name],
                "starts_at": [None, starts_at.isoformat()],
                "ends_at": [None, ends_at.isoformat()],
            },
        )
    return booking


def cancel_booking(*, actor: Actor, booking: RoomBooking, reason: str) -> RoomBooking:
    """Free the room: the booking stays, cancelled (kept for the record)."""
    if not allowed(actor, CREATE, booking):
        raise PermissionDenied
    return release_booking(actor=actor, booking=booking, reason=reason)


def release_booking(*, actor: Actor, booking: RoomBooking, reason: str) -> RoomBooking:
    """Free the room of a booking held by a record the caller has checked the actor's right over
    (an activity called off by its organiser, who may not book rooms themselves)."""
    if booking.cancelled_at is not None:
        return booking
    with transaction.atomic():
        RoomBooking.objects.filter(pk=booking.pk, cancelled_at__isnull=True).update(cancelled_at=actor.now)
        booking.cancelled_at = actor.now
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=booking,
            changes={"cancelled_at": [None, actor.now.isoformat()]},
            reason=reason.strip(),
        )
    return booking
