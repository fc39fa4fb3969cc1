"""The life of a request (诉求), in one module: intake and every transition of DESIGN.md §5.

    已提交 submitted → 已受理 accepted → 已派单 dispatched → 办理中 in_progress → 已办结 handled
        → 已回访 visited (the resident, or an independent callback, says whether it is resolved)
        → 已关闭 closed
    plus 退回 returned (the handler sends it back to the desk), 转派 (to another community: it
    starts again there as submitted), 升级/吹哨 escalated (to the street), 挂起 suspended (waiting
    for the requester: the SLA clock stops) and 重开 (within 30 days: a new request linked to the
    original).

Who may do what:

* staff: whoever may CHANGE the request through the access layer (the grid's and community's
  staff, the street above; a branch it was dispatched to);
* the handler: the user it is assigned to (a volunteer member or a staff member) may start,
  suspend, return and report it handled;
* the requester: their own requests (or, without an account, whoever holds the request's
  token): add information, withdraw, confirm or reject the outcome, rate, reopen;
* a callback is made by someone who may see the request but did not handle it.

Every transition locks the request row, checks the state it expects (two people dispatching at
once: the second is told someone else already did) and the version the user saw when one is
given, writes a RequestStep and an Event, all in one transaction. ``Resolved`` comes only from
the requester or a callback, never from the handler's 办结.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Field, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from dangjian.accounts.models import User
from dangjian.core import crypto
from dangjian.core.access import CHANGE, CREATE, EXPORT, VIEW, allowed
from dangjian.core.actors import Actor
from dangjian.core.conf import config
from dangjian.core.events import EventAction, build_event, record_event
from dangjian.core.models import PATH_STEP, Event, UnmaskPurpose
from dangjian.core.uploads import check_upload
from dangjian.core.validators import validate_mobile
from dangjian.core.versioning import refuse_stale
from dangjian.orgs.models import Organization, Region, RegionLevel
from dangjian.people.models import Person
from dangjian.servicedesk import sla
from dangjian.servicedesk.models import (
    CALLBACK_CLOSE_REASONS,
    OPEN_STATES,
    REQUEST_PHONE_PURPOSE,
    AssigneeKind,
    Channel,
    Classification,
    CloseReason,
    Outcome,
    OutcomeSource,
    Rating,
    RequestAttachment,
    RequestState,
    RequestStep,
    ServiceCategory,
    ServiceRequest,
    UnresolvedSource,
)
from dangjian.servicedesk.rates import rollups

S = RequestState
PHONE_PURPOSE = REQUEST_PHONE_PURPOSE
DESCRIPTION_MAX = 2000
NOTE_MAX = 1000
MAX_ATTACHMENTS = 5
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
# REOPEN_DAYS, CONFIRM_DAYS and CALLBACK_RATE are configuration (core/conf.py), read when used.
# A handled request the requester has not confirmed is closed as "no confirmation" after this
# many days (servicedesk_sweep); it then counts neither as resolved nor as unresolved.
# The share of handled requests called back by someone outside the handling unit.

# action → the states it may start from. The one table of the state machine.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "accept": (S.SUBMITTED,),
    "dispatch": (S.SUBMITTED, S.ACCEPTED, S.RETURNED, S.ESCALATED, S.DISPATCHED, S.IN_PROGRESS),
    "start": (S.DISPATCHED,),
    "return": (S.DISPATCHED, S.IN_PROGRESS),
    "suspend": (S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS),
    "resume": (S.SUSPENDED,),
    "escalate": (S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.RETURNED),
    "transfer": (S.SUBMITTED, S.ACCEPTED, S.RETURNED),
    "handle": (S.DISPATCHED, S.IN_PROGRESS),
    "confirm": (S.HANDLED,),
    "reject": (S.HANDLED,),
    # The sampled callback is independent of the requester's own answer: it may come after it.
    "callback": (S.HANDLED, S.VISITED, S.CLOSED),
    "close": (S.VISITED,),
    "withdraw": (S.SUBMITTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.SUSPENDED, S.ESCALATED, S.RETURNED),
    "merge": (S.SUBMITTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.SUSPENDED, S.ESCALATED, S.RETURNED),
}
ACTION_LABELS = {
    "submit": gettext_lazy("submitted"),
    "accept": gettext_lazy("accepted"),
    "dispatch": gettext_lazy("dispatched"),
    "start": gettext_lazy("started"),
    "return": gettext_lazy("returned to the desk"),
    "suspend": gettext_lazy("put on hold"),
    "resume": gettext_lazy("resumed"),
    "escalate": gettext_lazy("escalated to the street"),
    "transfer": gettext_lazy("transferred to another community"),
    "handle": gettext_lazy("handled"),
    "confirm": gettext_lazy("confirmed resolved"),
    "reject": gettext_lazy("reported not resolved"),
    "callback": gettext_lazy("called back"),
    "close": gettext_lazy("closed"),
    "withdraw": gettext_lazy("withdrawn"),
    "merge": gettext_lazy("merged as a duplicate"),
    "reopen": gettext_lazy("reopened"),
    "info": gettext_lazy("added information"),
    "note": gettext_lazy("internal note"),
    "classify": gettext_lazy("classified"),
    "sign_off": gettext_lazy("signed off (leaves the rates)"),
    "unmerge": gettext_lazy("merge undone"),
    "breach": gettext_lazy("deadline passed"),
}


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _person_of(actor: Actor) -> int | None:
    return actor.scope.person_id if actor.is_authenticated else None


def is_requester(actor: Actor, req: ServiceRequest, token: str = "") -> bool:
    if token and secrets.compare_digest(token.encode(), req.token.encode()):
        return True
    person_id = _person_of(actor)
    return bool(person_id and req.requester_id == person_id)


def is_staff_for(actor: Actor, req: ServiceRequest) -> bool:
    return actor.is_authenticated and allowed(actor, CHANGE, req)


def is_handler(actor: Actor, req: ServiceRequest) -> bool:
    return bool(actor.is_authenticated and req.assignee_user_id == actor.user_id)


def may_reveal_contact(actor: Actor, req: ServiceRequest) -> bool:
    """Who may see the requester's full number, to call them: staff of the request, its handler,
    and whoever may call it back."""
    return is_staff_for(actor, req) or is_handler(actor, req) or may_call_back(actor, req)


def request_reveal_contact(*, actor: Actor, req: ServiceRequest) -> str:
    """The requester's full contact number, logged as an unmasking (like a person's number)."""
    if not (allowed(actor, VIEW, req) and may_reveal_contact(actor, req)):
        raise PermissionDenied
    number = crypto.decrypt(req.phone_encrypted)
    if not number and req.requester is not None:
        number = crypto.decrypt(req.requester.phone_encrypted)
    if number:
        record_event(
            actor=actor,
            action=EventAction.UNMASKED,
            target=req,
            changes={"field": ["phone", "phone"], "purpose": [None, UnmaskPurpose.CONTACT]},
            reason=str(UnmaskPurpose.CONTACT.label),
        )
    return number


def may(actor: Actor, req: ServiceRequest, action: str, token: str = "") -> bool:
    """Whether ``actor`` may perform ``action`` on ``req`` in its current state (for showing
    buttons; the transition itself checks again under the row lock)."""
    if action in TRANSITIONS and req.state not in TRANSITIONS[action]:
        return False
    if action in ("confirm", "reject"):
        return is_requester(actor, req, token) and not handled_by(actor, req)
    if action == "withdraw":
        return is_requester(actor, req, token)
    if action == "reopen":
        return reopen_allowed(req) and (is_requester(actor, req, token) or is_staff_for(actor, req))
    if action in ("start", "return", "suspend", "handle", "resume", "note"):
        return is_handler(actor, req) or is_staff_for(actor, req)
    if action == "info":
        return req.is_open and is_requester(actor, req, token)
    if action == "sign_off":
        return may_sign_off(actor, req)
    if action == "unmerge":
        return req.is_merged and not req.signed_off_at and is_staff_for(actor, req)
    if action == "callback":
        return may_call_back(actor, req)
    if action == "dispatch" and req.state == S.ESCALATED:
        return covers_street(actor, req)
    return is_staff_for(actor, req)


def covers_street(actor: Actor, req: ServiceRequest) -> bool:
    """An escalated request is for the street: users whose grant covers the community's street."""
    scope = actor.scope
    if scope.superuser:
        return True
    street_path = req.community.path[:-PATH_STEP]
    return any(street_path.startswith(p) for p in scope.nodes(CHANGE).region_paths)


def handled_by(actor: Actor, req: ServiceRequest) -> bool:
    """Whether ``actor`` handles ``req`` or reported it handled: they cannot judge their own work
    (confirm, rate or call back), even when the request is their own."""
    if not actor.is_authenticated:
        return False
    return is_handler(actor, req) or req.steps.filter(action="handle", actor_id=actor.user_id).exists()


def may_sign_off(actor: Actor, req: ServiceRequest) -> bool:
    """A classification is signed off by someone with the secretary's rights on this request
    (the export right) who did not make it."""
    return (
        bool(req.classification)
        and not req.signed_off_at
        and req.classified_by_id != actor.user_id
        and is_staff_for(actor, req)
        and allowed(actor, EXPORT, req)
    )


def may_call_back(actor: Actor, req: ServiceRequest, *, tried_today: bool = False) -> bool:
    """Callbacks are made on the requests the sweep sampled (callbacks_sample), by someone outside
    the handling unit (servicedesk.access.outside_handling_unit: a street or district admin for a
    community's request) who did not handle it; not yet reached or given up, nor tried today
    (``tried_today``: or tried today, which request_callback then refuses with its reason)."""
    from dangjian.servicedesk.access import outside_handling_unit
    from dangjian.servicedesk.requests.selectors import callback_to_make

    if not actor.is_authenticated or handled_by(actor, req):
        return False
    return (
        allowed(actor, VIEW, req)
        and actor.scope.can(CHANGE)
        and not (req.requester_id and req.requester_id == _person_of(actor))
        and ServiceRequest.objects.filter(
            callback_to_make(actor.now, tried_today=tried_today), outside_handling_unit(actor), pk=req.pk
        ).exists()
    )


def reopen_allowed(req: ServiceRequest, now: dt.datetime | None = None) -> bool:
    ended = req.closed_at or req.outcome_at
    if (
        req.state not in (S.VISITED, S.CLOSED)
        or ended is None
        or req.close_reason in (CloseReason.DUPLICATE, CloseReason.CLASSIFIED)
    ):
        return False
    return _now(now) - ended <= dt.timedelta(days=config().reopen_days)


# --- intake -------------------------------------------------------------------------------------


def community_of(region: Region) -> Region | None:
    return region.community()


def _deadlines(category: ServiceCategory, start: dt.datetime, pauses: Iterable[sla.Interval] = ()) -> tuple:
    pauses = list(pauses)
    return (
        sla.due_at(start, sla.target_seconds(category.response_target, category.response_unit), pauses),
        sla.due_at(start, sla.target_seconds(category.resolution_target, category.resolution_unit), pauses),
    )


def check_attachments(files: Iterable[Any], errors: dict[str, list[str]], already: int = 0) -> list[Any]:
    files = [f for f in files or [] if f]
    if len(files) + already > MAX_ATTACHMENTS:
        errors.setdefault("attachments", []).append(
            _("Attach at most %(count)d files to one request.") % {"count": MAX_ATTACHMENTS}
        )
        return []
    for upload in files:
        problem = check_upload(upload, max_bytes=ATTACHMENT_MAX_BYTES)
        if problem:
            errors.setdefault("attachments", []).append(f"{str(upload.name)[:60]}：{problem}")
    return files


def _save_attachments(req: ServiceRequest, files: list[Any], actor: Actor) -> None:
    for upload in files:
        RequestAttachment.objects.create(request=req, file=upload, name=str(upload.name)[-100:], uploaded_by=actor.user)


def _in_range(value: Any, limit: int) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return -limit <= number <= limit


def request_submit(
    *,
    actor: Actor,
    channel: str,
    category: ServiceCategory | None,
    description: str,
    region: Region | None = None,
    requester: Person | None = None,
    contact_name: str = "",
    phone: str = "",
    address: str = "",
    latitude: Any = None,
    longitude: Any = None,
    attachments: Iterable[Any] = (),
    is_public: bool = False,
    reopened_from: ServiceRequest | None = None,
    location_required: bool = False,
) -> ServiceRequest:
    """Take in a request from any channel. Staff recording at the desk or by phone need CREATE
    where it sits; a resident submits for themself (``requester`` is their own person, found
    from the account), or without an account with a contact phone. Nothing is saved unless
    everything is valid. ``location_required``: an address or coordinates must be given (Open311)."""
    now = actor.now
    errors: dict[str, list[str]] = {}
    description = (description or "").strip()
    if channel not in Channel.values:
        errors["channel"] = [_("Choose how the request came in.")]
    if category is None or not category.is_active:
        errors["category"] = [_("Choose the service you need.")]
    if len(description) < 2:
        errors["description"] = [_("Describe what you need in a few words.")]
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = [
            _("Keep the description under %(max)d characters (it has %(count)d).")
            % {"max": DESCRIPTION_MAX, "count": len(description)}
        ]
    own_person = _person_of(actor)
    on_behalf = False
    if requester is not None and requester.pk != own_person:
        on_behalf = True
        if not (actor.is_authenticated and allowed(actor, VIEW, requester)):
            raise PermissionDenied
    if region is None and requester is not None:
        region = requester.region
    community = community_of(region) if region is not None else None
    if region is None or community is None:  # no region, no community
        errors["region"] = [_("Choose the community (and, if you know it, the grid).")]
    elif (on_behalf or channel in ("desk", "phone", "reception")) and not allowed(actor, CREATE, region):
        errors["region"] = [_("You cannot record requests for this community.")]
    number = ""
    if requester is None:
        try:
            number = validate_mobile(phone)
        except ValidationError as exc:
            errors["phone"] = [
                _("Leave a mobile number so that we can reach you.") if exc.code == "required" else exc.messages[0]
            ]
    elif phone:
        try:
            number = validate_mobile(phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    for name, value, limit in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if value not in (None, "") and not _in_range(value, limit):
            field = cast("Field[Any, Any]", ServiceRequest._meta.get_field(name))  # a column, not a relation
            label = field.verbose_name
            errors[name] = [_("Enter a %(name)s between -%(limit)d and %(limit)d.") % {"name": label, "limit": limit}]
    if "\x00" in description:
        errors["description"] = [_("The description contains characters that cannot be stored.")]
    if location_required and not (address or "").strip() and latitude in (None, ""):
        errors["address"] = [_("Say where: give an address or the coordinates.")]
    files = check_attachments(attachments, errors)
    if errors:
        raise ValidationError(errors)
    assert category is not None and region is not None and community is not None
    response_due, resolution_due = _deadlines(category, now)
    with transaction.atomic():
        req = ServiceRequest(
            category=category,
            channel=channel,
            description=description,
            region=region,
            community=community,
            level=category.default_level,
            requester=requester,
            contact_name=(contact_name or "").strip()[:50],
            address=(address or "").strip()[:200],
            latitude=latitude,
            longitude=longitude,
            submitted_by=actor.user,
            token=secrets.token_urlsafe(16),
            submitted_at=now,
            response_due_at=response_due,
            resolution_due_at=resolution_due,
            is_public=bool(is_public),
            reopened_from=reopened_from,
        )
        crypto.protect(req, "phone", number, purpose=PHONE_PURPOSE)
        req.save()
        rollups.refresh_after(None, req)
        _save_attachments(req, files, actor)
        RequestStep.objects.create(request=req, action="submit", new_state=req.state, actor=actor.user, at=now)
        record_event(
            actor=actor,
            action=EventAction.CREATED,
            target=req,
            changes={"category": [None, category.name], "channel": [None, channel]},
        )
    return req


# --- transitions --------------------------------------------------------------------------------


def _transition(
    *,
    actor: Actor,
    req: ServiceRequest,
    action: str,
    new_state: str | None,
    check: Callable[[ServiceRequest], bool],
    note: str = "",
    note_required: str = "",
    note_field: str = "note",
    note_max: int = NOTE_MAX,
    expected_version: int | None = None,
    change: Callable[[ServiceRequest, dt.datetime], dict[str, Any]] | None = None,
    public: bool = True,
    step_note: str | None = None,
) -> ServiceRequest:
    """Lock, check state, permission and version, apply ``change``, record the step and event.
    ``step_note`` replaces the note on the step and event (a rating's comment is the rating's,
    anonymous to the handler, not part of the history)."""
    now = actor.now
    note = (note or "").strip()
    if note_required and not note:
        raise ValidationError({note_field: [note_required]})
    if len(note) > note_max:
        raise ValidationError({note_field: [_("Keep it under %(max)d characters.") % {"max": note_max}]})
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update().select_related("category", "community").get(pk=req.pk)
        if not check(locked):
            raise PermissionDenied
        if action in TRANSITIONS and locked.state not in TRANSITIONS[action]:
            raise ValidationError(
                _("This request is %(state)s; it cannot be %(action)s now.")
                % {"state": locked.get_state_display(), "action": ACTION_LABELS[action]},
                code="state",
            )
        refuse_stale(current=locked.version, expected=expected_version)
        old_state = locked.state
        before = rollups.Footprint.of(locked)
        fields = change(locked, now) if change else {}
        if new_state is not None:
            fields["state"] = new_state
        _mark_breaches(locked, old_state, now, fields)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.version = F("version") + 1
        locked.save(update_fields=[*fields, "version", "updated_at"])
        locked.refresh_from_db(fields=["version"])
        rollups.refresh_after(before, locked)
        if step_note is not None:
            note = step_note
        RequestStep.objects.create(
            request=locked,
            action=action,
            old_state=old_state,
            new_state=locked.state,
            actor=actor.user,
            at=now,
            note=note,
            is_public=public,
        )
        changes: dict[str, Any] = {"state": [old_state, locked.state]} if old_state != locked.state else {}
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED if changes else EventAction.UPDATED,
            target=locked,
            changes=changes,
            reason=note,
        )
    return locked


def _mark_breaches(req: ServiceRequest, old_state: str, now: dt.datetime, fields: dict[str, Any]) -> None:
    """A breach stays a breach: once a deadline has passed unmet the flag is set for good, before
    a pause could move the deadline later. A finished request cannot become late; one on hold is
    judged against its deadlines as moved by the pause (known when it resumes)."""
    resuming = old_state == S.SUSPENDED and "resolution_due_at" in fields
    if old_state not in OPEN_STATES or (old_state == S.SUSPENDED and not resuming):
        return
    response_due = fields.get("response_due_at", req.response_due_at)
    resolution_due = fields.get("resolution_due_at", req.resolution_due_at)
    responded = fields.get("first_response_at") or req.first_response_at
    if not req.response_breached and (responded or now) > response_due:
        fields["response_breached"] = True
    handled = fields.get("handled_at") or req.handled_at
    if not req.resolution_breached and (handled or now) > resolution_due:
        fields["resolution_breached"] = True


def _responded(req: ServiceRequest, now: dt.datetime) -> dict[str, Any]:
    return {} if req.first_response_at else {"first_response_at": now}


def request_accept(
    *,
    actor: Actor,
    req: ServiceRequest,
    note: str = "",
    expected_version: int | None = None,
) -> ServiceRequest:
    """受理: the desk has contacted the requester (this is the first response)."""
    return _transition(
        actor=actor,
        req=req,
        action="accept",
        new_state=S.ACCEPTED,
        check=lambda r: is_staff_for(actor, r),
        note=note,
        expected_version=expected_version,
        change=_responded,
    )


def request_dispatch(
    *,
    actor: Actor,
    req: ServiceRequest,
    kind: str,
    user: User | None = None,
    person: Person | None = None,
    organization: Organization | None = None,
    grid: Region | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> ServiceRequest:
    """派单 to a grid, a staff member, a branch or a volunteer member. Dispatching a request not
    yet accepted accepts it too; an escalated one is dispatched by the street."""
    errors, assignee_user = _check_assignee(req, kind, user, person, organization, grid)
    if errors:
        raise ValidationError(errors)

    def check(r: ServiceRequest) -> bool:
        return covers_street(actor, r) if r.state == S.ESCALATED else is_staff_for(actor, r)

    def change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
        # Checked again on the locked row: a transfer at the same moment moves its community.
        errors, _user_again = _check_assignee(r, kind, user, person, organization, grid)
        if errors:
            raise ValidationError(errors)
        fields = {
            "assignee_kind": kind,
            "assignee_user": assignee_user,
            "assignee_person": person if kind == AssigneeKind.VOLUNTEER else None,
            "assignee_organization": organization if kind == AssigneeKind.BRANCH else None,
            "assignee_region": grid if kind == AssigneeKind.GRID else None,
        }
        if kind == AssigneeKind.GRID and grid is not None and grid.parent_id == r.community_id:
            fields["region"] = grid
        return {**fields, **_responded(r, moment)}

    done = _transition(
        actor=actor,
        req=req,
        action="dispatch",
        new_state=S.DISPATCHED,
        check=check,
        note=note,
        expected_version=expected_version,
        change=change,
        public=False,
    )
    # The names come from the request as the caller loaded it (the page selects them with it):
    # the row the transition returns would read each again.
    _notify_holder(actor, done, category=req.category.name, community=req.community.name)
    return done


def _notify_holder(actor: Actor, req: ServiceRequest, *, category: str, community: str) -> None:
    """Tell whoever now holds ``req``: the staff member or volunteer, or everyone with a role at
    the branch or grid it went to (its secretary, its staff). Each dispatch once."""
    from django.urls import reverse

    from dangjian.accounts.models import RoleGrant
    from dangjian.core.notifications import notify

    if req.assignee_kind in (AssigneeKind.STAFF, AssigneeKind.VOLUNTEER):
        recipients = [req.assignee_user_id]
    elif req.assignee_kind == AssigneeKind.BRANCH:
        recipients = list(
            RoleGrant.objects.active()
            .filter(organization_id=req.assignee_organization_id)
            .values_list("user_id", flat=True)
        )
    else:
        recipients = list(
            RoleGrant.objects.active().filter(region_id=req.assignee_region_id).values_list("user_id", flat=True)
        )
    notify(
        recipients=[u for u in recipients if u and u != actor.user_id],
        kind="request_dispatched",
        key=f"request-dispatched:{req.pk}:{req.version}",
        params={"number": req.number, "category": category, "community": community},
        url=reverse("servicedesk:request", args=[req.pk]),
    )


def _check_assignee(
    req: ServiceRequest,
    kind: str,
    user: User | None,
    person: Person | None,
    organization: Organization | None,
    grid: Region | None,
) -> tuple[dict[str, list[str]], Any]:
    """Who a request may go to: a grid or branch of its community, a staff member who can see
    it, a party member in good standing with an account."""
    from dangjian.accounts.roles import STAFF_ROLES
    from dangjian.orgs.models import OrgKind
    from dangjian.people.models import Member, MembershipStatus

    community = req.community
    if kind == AssigneeKind.STAFF:
        if user is None or not getattr(user, "is_active", False):
            return {"assignee": [_("Choose the staff member.")]}, None
        candidate = Actor.for_user(user, via="web")  # could they act on it, were they to sign in
        if not (candidate.scope.has_role(*STAFF_ROLES) and allowed(candidate, VIEW, req)):
            return {"assignee": [_("%(name)s is not a staff member who can see this request.") % {"name": user}]}, None
        return {}, user
    if kind == AssigneeKind.VOLUNTEER:
        if person is None:
            return {"assignee": [_("Choose the party member.")]}, None
        if not Member.objects.filter(person=person, status=MembershipStatus.NORMAL).exists():
            return {"assignee": [_("%(name)s is not a party member in good standing.") % {"name": person.name}]}, None
        if person.user_id is None:
            return {
                "assignee": [
                    _(
                        "This member has no account yet, so they cannot see the request. "
                        "Give them one, or dispatch to their branch."
                    )
                ]
            }, None
        return {}, person.user
    if kind == AssigneeKind.BRANCH:
        if (
            organization is None
            or organization.kind not in (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)
            or organization.region_id != community.pk
        ):
            return {"assignee": [_("Choose a party branch of %(community)s.") % {"community": community.name}]}, None
        return {}, None
    if kind == AssigneeKind.GRID:
        if grid is None or grid.level != RegionLevel.GRID or grid.parent_id != community.pk:
            return {"assignee": [_("Choose a grid of %(community)s.") % {"community": community.name}]}, None
        return {}, None
    return {"assignee": [_("Choose whom to dispatch it to.")]}, None


def request_start(*, actor: Actor, req: ServiceRequest, note: str = "") -> ServiceRequest:
    return _transition(
        actor=actor,
        req=req,
        action="start",
        new_state=S.IN_PROGRESS,
        check=lambda r: is_handler(actor, r) or is_staff_for(actor, r),
        note=note,
    )


def request_return(*, actor: Actor, req: ServiceRequest, note: str) -> ServiceRequest:
    """退回: the handler cannot take it (wrong assignment); it goes back to the desk, unassigned."""

    def change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
        return {
            "assignee_kind": "",
            "assignee_user": None,
            "assignee_person": None,
            "assignee_organization": None,
            "assignee_region": None,
        }

    return _transition(
        actor=actor,
        req=req,
        action="return",
        new_state=S.RETURNED,
        check=lambda r: is_handler(actor, r) or is_staff_for(actor, r),
        note=note,
        note_required=_("Say why it is returned."),
        change=change,
        public=False,
    )


def request_suspend(*, actor: Actor, req: ServiceRequest, note: str) -> ServiceRequest:
    """挂起 while waiting for the requester: the clock stops until it is resumed."""

    def change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
        return {"paused_since": moment}

    return _transition(
        actor=actor,
        req=req,
        action="suspend",
        new_state=S.SUSPENDED,
        check=lambda r: is_handler(actor, r) or is_staff_for(actor, r),
        note=note,
        note_required=_("Say what you are waiting for from the requester."),
        change=change,
    )


def _resume_change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
    """Back to the state before the pause, with the deadlines moved by the business time spent on
    hold, rebuilt from the whole history (several pauses add up)."""
    history = list(r.steps.order_by("at", "id").values_list("at", "new_state"))
    previous = next(
        (old for old in r.steps.filter(action="suspend").order_by("-at", "-id").values_list("old_state", flat=True)),
        S.IN_PROGRESS,
    )
    pauses = sla.pauses_from_history([*history, (moment, previous)], {S.SUSPENDED}, moment)
    response_due, resolution_due = _deadlines(r.category, r.submitted_at, pauses)
    fields: dict[str, Any] = {"state": previous, "paused_since": None, "resolution_due_at": resolution_due}
    if not r.first_response_at:
        fields["response_due_at"] = response_due
    return fields


def request_resume(*, actor: Actor, req: ServiceRequest, note: str = "") -> ServiceRequest:
    return _transition(
        actor=actor,
        req=req,
        action="resume",
        new_state=None,
        check=lambda r: is_handler(actor, r) or is_staff_for(actor, r),
        note=note,
        change=_resume_change,
    )


def request_escalate(*, actor: Actor, req: ServiceRequest, note: str) -> ServiceRequest:
    """升级 (吹哨): the community cannot solve it alone; the street takes it over."""

    def change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
        return {"level": "street", **_responded(r, moment)}

    return _transition(
        actor=actor,
        req=req,
        action="escalate",
        new_state=S.ESCALATED,
        check=lambda r: is_staff_for(actor, r),
        note=note,
        note_required=_("Say what the community cannot solve alone."),
        change=change,
    )


def request_transfer(*, actor: Actor, req: ServiceRequest, region: Region | None, note: str) -> ServiceRequest:
    """转派 to another community (it belongs there): it starts there as submitted; its deadlines
    keep running (the requester has been waiting all along)."""
    target = community_of(region) if region is not None else None
    if region is None or target is None:
        raise ValidationError({"region": [_("Choose the community (or grid) it belongs to.")]})

    def check(r: ServiceRequest) -> bool:
        return is_staff_for(actor, r) and target.pk != r.community_id

    def change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
        return {
            "region": region,
            "community": target,
            "assignee_kind": "",
            "assignee_user": None,
            "assignee_person": None,
            "assignee_organization": None,
            "assignee_region": None,
        }

    if target.pk == req.community_id:
        raise ValidationError({"region": [_("The request is already in this community.")]})
    return _transition(
        actor=actor,
        req=req,
        action="transfer",
        new_state=S.SUBMITTED,
        check=check,
        note=note,
        note_required=_("Say why it belongs to the other community."),
        change=change,
    )


def request_handle(*, actor: Actor, req: ServiceRequest, result: str) -> ServiceRequest:
    """办结: the handler reports what was done. It is not "resolved" until the requester says so."""
    result = (result or "").strip()
    if not result:
        raise ValidationError({"result": [_("Tell the requester what was done.")]})
    if len(result) > DESCRIPTION_MAX:
        raise ValidationError({"result": [_("Keep the reply under %(max)d characters.") % {"max": DESCRIPTION_MAX}]})

    def change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
        history = list(r.steps.order_by("at", "id").values_list("at", "new_state"))
        pauses = sla.pauses_from_history(history, {S.SUSPENDED}, moment)
        seconds = sla.business_seconds(r.submitted_at, moment, pauses)
        return {"handled_at": moment, "handle_seconds": seconds, "result": result, **_responded(r, moment)}

    return _transition(
        actor=actor,
        req=req,
        action="handle",
        new_state=S.HANDLED,
        check=lambda r: is_handler(actor, r) or is_staff_for(actor, r),
        note=result,
        note_field="result",
        note_max=DESCRIPTION_MAX,
        change=change,
    )


def _rate(req: ServiceRequest, score: Any, comment: str, source: str, now: dt.datetime) -> None:
    if score in (None, ""):
        return
    Rating.objects.update_or_create(
        request=req,
        defaults={"score": int(score), "comment": (comment or "").strip()[:500], "source": source, "rated_at": now},
    )


def _check_score(score: Any) -> None:
    if score in (None, ""):
        return
    try:
        value = int(score)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise ValidationError({"score": [_("Choose a rating from 1 to 5.")]})


def request_confirm(
    *,
    actor: Actor,
    req: ServiceRequest,
    resolved: bool,
    score: Any = None,
    comment: str = "",
    token: str = "",
) -> ServiceRequest:
    """The requester says whether it is resolved (and may rate it). Not resolved sends it back
    to the handler, with the requester's words as the reason."""
    _check_score(score)
    comment = (comment or "").strip()
    if not resolved and not comment:
        raise ValidationError({"comment": [_("Tell us what is still not resolved.")]})

    def change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
        _rate(r, score, comment, OutcomeSource.RESIDENT, moment)
        if not resolved:
            # Not resolved sends it back to the handler, and it is the 解决率's verdict for good:
            # whatever is said after a second handling, the request counts once, as not resolved.
            return {
                "state": S.IN_PROGRESS,
                "handled_at": None,
                "handle_seconds": None,
                "outcome": "",
                "outcome_source": "",
                "outcome_at": None,
                **_found_unresolved(r, moment, UnresolvedSource.RESIDENT),
            }
        fields: dict[str, Any] = {
            "outcome": Outcome.RESOLVED,
            "outcome_source": OutcomeSource.RESIDENT,
            "outcome_at": moment,
        }
        return fields

    return _transition(
        actor=actor,
        req=req,
        action="confirm" if resolved else "reject",
        new_state=S.VISITED if resolved else None,
        check=lambda r: is_requester(actor, r, token) and not handled_by(actor, r),
        note=comment,
        note_field="comment",
        change=change,
        step_note="" if resolved else None,
    )


def _found_unresolved(req: ServiceRequest, moment: dt.datetime, source: str) -> dict[str, Any]:
    """The fields that record a "not resolved" verdict, the first time one is given (never cleared)."""
    if req.unresolved_at is not None:
        return {}
    return {"unresolved_at": moment, "unresolved_source": source}


def request_callback(
    *,
    actor: Actor,
    req: ServiceRequest,
    answered: bool,
    resolved: bool | None = None,
    score: Any = None,
    note: str = "",
) -> ServiceRequest:
    """回访 by someone outside the handling unit who did not handle it, of a request the sample
    chose (callbacks_sample). Reaching the requester records their verdict (and rating, unless they
    rated it themselves), which makes the 回访解决率 and, for a handled request nobody confirmed yet,
    its outcome; "not resolved" is the 解决率's verdict for good, whatever the requester said
    before. Not reaching them is a try: one a day, and at CALLBACK_ATTEMPTS tries the case is
    given up and counts as not reached in the 回访接通率 (so that "not reached" cannot keep a case
    out of the rates for ever). A callback that reached the requester is made once."""
    from dangjian.servicedesk.models import Callback

    _check_score(score)
    if answered and resolved is None:
        raise ValidationError({"resolved": [_("Record whether the requester says it is resolved.")]})

    def change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
        callback = Callback.objects.select_for_update().get(request=r)
        if callback.answered or callback.given_up_at:
            raise ValidationError(_("This request has already been called back."), code="state")
        if callback.done_at and timezone.localdate(callback.done_at) == timezone.localdate(moment):
            raise ValidationError(
                _("The requester was tried today without an answer; try again on another day."), code="state"
            )
        callback.caller, callback.done_at, callback.note = actor.user, moment, (note or "").strip()[:500]
        callback.answered = answered
        callback.resolved = resolved if answered else None
        if not answered:
            callback.attempts += 1
            if callback.attempts >= config().callback_attempts:
                callback.given_up_at = moment
        callback.save()
        if not answered:
            return {}
        if not Rating.objects.filter(request=r).exists():
            _rate(r, score, note, OutcomeSource.CALLBACK, moment)
        fields: dict[str, Any] = {} if resolved else _found_unresolved(r, moment, UnresolvedSource.CALLBACK)
        if not r.outcome:
            fields.update(
                outcome=Outcome.RESOLVED if resolved else Outcome.UNRESOLVED,
                outcome_source=OutcomeSource.CALLBACK,
                outcome_at=moment,
            )
        if r.state == S.HANDLED:
            fields["state"] = S.VISITED
        return fields

    # The caller's note is among staff: the step is not shown to the requester.
    return _transition(
        actor=actor,
        req=req,
        action="callback",
        new_state=None,
        check=lambda r: may_call_back(actor, r, tried_today=True),
        note=note,
        change=change,
        public=False,
    )


def request_close(*, actor: Actor, req: ServiceRequest, note: str = "") -> ServiceRequest:

    def change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
        return {"closed_at": moment, "close_reason": CloseReason.CONFIRMED}

    return _transition(
        actor=actor,
        req=req,
        action="close",
        new_state=S.CLOSED,
        check=lambda r: is_staff_for(actor, r),
        note=note,
        change=change,
    )


def request_withdraw(*, actor: Actor, req: ServiceRequest, note: str = "", token: str = "") -> ServiceRequest:

    def change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
        return {"closed_at": moment, "close_reason": CloseReason.WITHDRAWN, "paused_since": None}

    return _transition(
        actor=actor,
        req=req,
        action="withdraw",
        new_state=S.CLOSED,
        check=lambda r: is_requester(actor, r, token),
        note=note,
        change=change,
    )


def request_merge(
    *,
    actor: Actor,
    req: ServiceRequest,
    original: ServiceRequest | None,
    note: str = "",
) -> ServiceRequest:
    """Close as a duplicate of ``original`` (which the requester can follow instead), with the
    reason. Only within one community; the merged request stays in every rate, as a repeat of
    the one it joins, until a second person signs the merge off (request_sign_off, as a
    classification "duplicate"), and the merge can be undone until then (request_unmerge)."""
    note = (note or "").strip()
    if original is None or not allowed(actor, VIEW, original):
        raise ValidationError({"original": [_("Enter the number of the request this one repeats.")]})
    if not note:
        raise ValidationError({"note": [_("Say why it repeats that request.")]})
    seen = {original.pk}
    while original.duplicate_of_id and original.duplicate_of_id not in seen:  # to the root of the chain
        seen.add(original.duplicate_of_id)
        parent = original.duplicate_of
        assert parent is not None  # duplicate_of_id is set
        original = parent
    if original.pk == req.pk:
        raise ValidationError({"original": [_("A request cannot repeat itself.")]})
    root_pk = original.pk

    def change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
        # The request is locked (_transition); the original is read again under its lock too, so
        # that two merges of a pair into each other, or a transfer of the original meanwhile,
        # cannot make a cycle or a merge across communities.
        locked = ServiceRequest.objects.select_for_update().get(pk=root_pk)
        if locked.close_reason == CloseReason.DUPLICATE or locked.pk == r.pk:
            raise ValidationError({"original": [_("That request has just been merged itself; try again.")]})
        if locked.close_reason in (CloseReason.WITHDRAWN, CloseReason.CLASSIFIED) or locked.excluded:
            raise ValidationError(
                {
                    "original": [
                        _("%(number)s was withdrawn or classified; it cannot carry another request.")
                        % {"number": locked.number}
                    ]
                }
            )
        if r.community_id != locked.community_id:  # checked under the lock, once the right to merge is
            raise ValidationError(
                {
                    "original": [
                        _("Only a request of the same community can be merged into; %(number)s is of another.")
                        % {"number": original.number}
                    ]
                }
            )
        return {
            "closed_at": moment,
            "close_reason": CloseReason.DUPLICATE,
            "duplicate_of": locked,
            "paused_since": None,
            "classification": Classification.DUPLICATE,
            "classification_note": note[:500],
            "classified_by": actor.user,
            "signed_off_by": None,
            "signed_off_at": None,
        }

    with transaction.atomic():
        # Both rows locked in one order (by id): two merges of a pair into each other wait for
        # each other instead of deadlocking.
        pair = ServiceRequest.objects.select_for_update().filter(pk__in=[req.pk, root_pk]).order_by("pk")
        list(pair.values_list("pk", flat=True))
        return _transition(
            actor=actor,
            req=req,
            action="merge",
            new_state=S.CLOSED,
            check=lambda r: is_staff_for(actor, r),
            note=f"{original.number}: {note}",
            change=change,
        )


def request_unmerge(*, actor: Actor, req: ServiceRequest, note: str) -> ServiceRequest:
    """Undo a merge not yet signed off (the reviewer does not agree, or it was a mistake): the
    request goes back to the state it was merged from, its clock as if it had never stopped."""

    def change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
        if r.close_reason != CloseReason.DUPLICATE or r.signed_off_at:
            raise ValidationError(_("Only a merge not yet signed off can be undone."), code="state")
        merged = r.steps.filter(action="merge").order_by("-at", "-id").first()
        state = merged.old_state if merged is not None and merged.old_state else S.SUBMITTED
        return {
            "state": state,
            "closed_at": None,
            "close_reason": "",
            "duplicate_of": None,
            "classification": "",
            "classification_note": "",
            "classified_by": None,
            "paused_since": moment if state == S.SUSPENDED else None,
        }

    return _transition(
        actor=actor,
        req=req,
        action="unmerge",
        new_state=None,
        check=lambda r: is_staff_for(actor, r),
        note=note,
        note_required=_("Say why the merge is undone."),
        change=change,
        public=False,
    )


def request_add_info(
    *,
    actor: Actor,
    req: ServiceRequest,
    note: str,
    attachments: Iterable[Any] = (),
    token: str = "",
) -> ServiceRequest:
    """The requester adds information. A request on hold for them resumes."""
    errors: dict[str, list[str]] = {}
    files = check_attachments(attachments, errors, already=req.attachments.count())
    if errors:
        raise ValidationError(errors)
    if not req.is_open:
        raise ValidationError(_("This request is finished; reopen it or submit a new one."), code="state")

    def change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
        _save_attachments(r, files, actor)
        return _resume_change(r, moment) if r.state == S.SUSPENDED else {}

    return _transition(
        actor=actor,
        req=req,
        action="info",
        new_state=None,
        check=lambda r: is_requester(actor, r, token) and r.is_open,
        note=note,
        note_required=_("Write what you want to add."),
        change=change,
    )


def request_note(*, actor: Actor, req: ServiceRequest, note: str) -> ServiceRequest:
    """An internal note among staff and handlers (not shown to the requester)."""
    return _transition(
        actor=actor,
        req=req,
        action="note",
        new_state=None,
        check=lambda r: is_handler(actor, r) or is_staff_for(actor, r),
        note=note,
        note_required=_("Write the note."),
        public=False,
    )


def request_reopen(*, actor: Actor, req: ServiceRequest, note: str, token: str = "") -> ServiceRequest:
    """重开 within 30 days: a new request linked to the original, which keeps its history. The
    problem came back, so the original was not resolved: its 解决率 verdict becomes "not resolved"
    (in its own period; a step on it records the reopening's reason)."""
    now = actor.now
    if not (is_requester(actor, req, token) or is_staff_for(actor, req)):
        raise PermissionDenied
    if not reopen_allowed(req, now):
        raise ValidationError(
            _("Only a request finished in the last %(days)d days can be reopened; submit a new one.")
            % {"days": config().reopen_days},
            code="state",
        )
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say why the problem is back.")]})
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update().get(pk=req.pk)
        again = req.reopenings.order_by("-id").first()
        if again is not None:
            raise ValidationError(
                _("This request was already reopened as %(number)s; follow that one.") % {"number": again.number},
                code="reopened",
            )
        # The original's verdict first (its recount takes the community's row for update), then the
        # copy (whose intake takes it in share mode): in the other order two reopenings in one
        # community would each hold the share lock the other's update waits for.
        # A request withdrawn before anyone handled or answered it had no verdict to turn.
        had_verdict = locked.handled_at is not None or bool(locked.outcome)
        flipped = _found_unresolved(locked, now, UnresolvedSource.REOPENED) if had_verdict else {}
        if flipped:
            before = rollups.Footprint.of(locked)
            ServiceRequest.objects.filter(pk=locked.pk).update(**flipped, updated_at=now, version=F("version") + 1)
            for name, value in flipped.items():
                setattr(locked, name, value)
            rollups.refresh_after(before, locked)
            record_event(
                actor=actor,
                action=EventAction.UPDATED,
                target=locked,
                changes={"unresolved_at": [None, now.isoformat()]},
                reason=note,
            )
        new = _reopen_copy(actor, req, note, now)
        RequestStep.objects.create(
            request=req,
            action="reopen",
            old_state=locked.state,
            new_state=locked.state,
            actor=actor.user,
            at=now,
            note=f"{new.number}: {note}"[:NOTE_MAX],
        )
    return new


def _reopen_copy(actor: Actor, req: ServiceRequest, note: str, now: dt.datetime) -> ServiceRequest:
    """Reopening keeps the original's requester and contact as they were, whoever reopens it."""
    response_due, resolution_due = _deadlines(req.category, now)
    new = ServiceRequest.objects.create(
        category=req.category,
        channel=req.channel,
        description=f"{note}\n\n——{req.description}"[:DESCRIPTION_MAX],
        region=req.region,
        community=req.community,
        level=req.category.default_level,
        requester=req.requester,
        contact_name=req.contact_name,
        phone_encrypted=req.phone_encrypted,
        phone_hash=req.phone_hash,
        phone_masked=req.phone_masked,
        address=req.address,
        submitted_by=actor.user,
        token=secrets.token_urlsafe(16),
        submitted_at=now,
        response_due_at=response_due,
        resolution_due_at=resolution_due,
        reopened_from=req,
    )
    rollups.refresh_after(None, new)
    RequestStep.objects.create(request=new, action="submit", new_state=new.state, actor=actor.user, at=now, note=note)
    record_event(actor=actor, action=EventAction.CREATED, target=new, changes={"reopens": [None, req.number]})
    return new


def request_classify(*, actor: Actor, req: ServiceRequest, classification: str, note: str) -> ServiceRequest:
    """Propose 不合理/不属实/非本级事权 with grounds. It has no effect on the rates until a second
    person signs it off; an empty classification withdraws a proposal not yet signed off."""
    if classification and (classification not in Classification.values or classification == Classification.DUPLICATE):
        raise ValidationError({"classification": [_("Choose a classification.")]})
    if classification and not (note or "").strip():
        raise ValidationError({"note": [_("Give the grounds for the classification.")]})

    def change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
        if r.signed_off_at:
            raise ValidationError(_("The classification has been signed off and cannot be changed."), code="state")
        if r.close_reason == CloseReason.DUPLICATE:
            raise ValidationError(_("A merged request is undone, not classified."), code="state")
        return {
            "classification": classification,
            "classification_note": (note or "").strip()[:500],
            "classified_by": actor.user if classification else None,
        }

    return _transition(
        actor=actor,
        req=req,
        action="classify",
        new_state=None,
        check=lambda r: is_staff_for(actor, r),
        note=note,
        change=change,
        public=False,
    )


def request_sign_off(*, actor: Actor, req: ServiceRequest, note: str = "") -> ServiceRequest:
    """A second reviewer (a secretary or admin, not the one who classified it) signs off: the
    request leaves the rates and, if still open, is closed as classified."""

    def check(r: ServiceRequest) -> bool:
        return is_staff_for(actor, r) and allowed(actor, EXPORT, r)

    def change(r: ServiceRequest, moment: dt.datetime) -> dict[str, Any]:
        if not r.classification or r.signed_off_at:
            raise ValidationError(_("There is no classification waiting for sign-off."), code="state")
        if r.classified_by_id == actor.user_id:
            raise ValidationError(_("Someone other than the one who classified it must sign it off."), code="self")
        fields: dict[str, Any] = {"signed_off_by": actor.user, "signed_off_at": moment}
        if r.is_open:
            fields.update(state=S.CLOSED, closed_at=moment, close_reason=CloseReason.CLASSIFIED, paused_since=None)
        return fields

    return _transition(
        actor=actor,
        req=req,
        action="sign_off",
        new_state=None,
        check=check,
        note=note,
        change=change,
        public=False,
    )


def request_set_public(
    *, actor: Actor, req: ServiceRequest, consent: bool | None = None, summary: str | None = None, token: str = ""
) -> ServiceRequest:
    """The public board shows a finished case only with the requester's consent and a summary
    written by staff without names, phone numbers or addresses."""
    fields: dict[str, Any] = {}
    if consent is not None:
        if not is_requester(actor, req, token):
            raise PermissionDenied
        fields["is_public"] = consent
    if summary is not None:
        if not is_staff_for(actor, req):
            raise PermissionDenied
        fields["public_summary"] = summary.strip()[:300]
    if fields:
        with transaction.atomic():
            ServiceRequest.objects.filter(pk=req.pk).update(
                **fields, updated_at=timezone.now(), version=F("version") + 1
            )
            record_event(
                actor=actor,
                action=EventAction.UPDATED,
                target=req,
                changes={k: [getattr(req, k), v] for k, v in fields.items()},
            )
        for name, value in fields.items():
            setattr(req, name, value)
    return req


# --- the clock ----------------------------------------------------------------------------------


def sweep(*, actor: Actor) -> dict[str, int]:
    """Run every few minutes (manage.py servicedesk_sweep): flag deadlines that have passed (a
    breach stays a breach, and a resolution breach escalates to the street's overdue list), and
    close handled requests nobody confirmed within CONFIRM_DAYS (they count as neither resolved
    nor unresolved). ``actor`` is the system, at the moment the sweep runs."""
    now = actor.now
    with transaction.atomic():
        # A merge waiting for its sign-off stops no clock (rates/definitions.py UNSIGNED_MERGE).
        unsigned_merge = Q(close_reason=CloseReason.DUPLICATE, signed_off_at__isnull=True)
        unanswered = list(
            ServiceRequest.objects.filter(
                Q(state__in=[S.SUBMITTED, S.RETURNED]) | unsigned_merge,
                response_breached=False,
                first_response_at__isnull=True,
                response_due_at__lt=now,
            ).values_list("pk", flat=True)
        )
        responses = ServiceRequest.objects.filter(pk__in=unanswered, response_breached=False).update(
            response_breached=True, updated_at=now
        )
        late = list(
            ServiceRequest.objects.filter(
                ~Q(state__in=[S.SUSPENDED, S.HANDLED, S.VISITED, S.CLOSED]) | unsigned_merge,
                resolution_breached=False,
                resolution_due_at__lt=now,
                handled_at__isnull=True,
            ).values_list("pk", "state")
        )
        ServiceRequest.objects.filter(pk__in=[pk for pk, _state in late]).update(
            resolution_breached=True, updated_at=now
        )
        RequestStep.objects.bulk_create(
            RequestStep(request_id=pk, action="breach", old_state=state, new_state=state, at=now, is_public=False)
            for pk, state in late
        )
        # Lock the rows it closes: a requester confirming at this moment either waits and then
        # finds it closed, or confirmed first and the row is no longer "handled" here.
        stale = list(
            ServiceRequest.objects.select_for_update()
            .filter(state=S.HANDLED, handled_at__lt=now - dt.timedelta(days=config().confirm_days))
            .values_list("pk", flat=True)
        )
        ServiceRequest.objects.filter(pk__in=stale, state=S.HANDLED).update(
            state=S.CLOSED, closed_at=now, close_reason=CloseReason.NO_ANSWER, version=F("version") + 1, updated_at=now
        )
        note = str(CloseReason.NO_ANSWER.label)
        RequestStep.objects.bulk_create(
            RequestStep(request_id=pk, action="close", old_state=S.HANDLED, new_state=S.CLOSED, at=now, note=note)
            for pk in stale
        )
        closed = ServiceRequest.objects.filter(pk__in=stale).select_related("category")
        Event.objects.bulk_create(
            build_event(
                actor=actor,
                action=EventAction.STATUS_CHANGED,
                target=r,
                reason=note,
                changes={"state": [S.HANDLED, S.CLOSED]},
            )
            for r in closed
        )
        rollups.refresh_requests({*unanswered, *(pk for pk, _state in late), *stale})
        # Nobody handles a merged request: its lateness is for the rates and the audit, not a to-do.
        _notify_deadlines(late_ids=[pk for pk, state in late if state != S.CLOSED], now=now)
    return {"response_breaches": responses, "resolution_breaches": len(late), "closed_unconfirmed": len(stale)}


def _notify_deadlines(*, late_ids: list[int], now: dt.datetime) -> None:
    """Tell people about deadlines, once each: a request due within half a working day reaches
    its handler (or, unassigned, the staff of its grid and community); a request past its
    deadline reaches them too and is escalated to the street's admins (督办)."""
    from django.urls import reverse

    from dangjian.accounts.models import RoleGrant
    from dangjian.accounts.roles import Role
    from dangjian.core.notifications import notify

    soon_until = sla.due_at(now, sla.day_seconds() // 2)
    columns = (
        "pk",
        "region__path",
        "community__path",
        "assignee_user_id",
        "resolution_due_at",
        "submitted_at",
        "community__name",
    )
    due_soon = list(
        ServiceRequest.objects.filter(
            state__in=[s for s in OPEN_STATES if s != S.SUSPENDED],
            resolution_breached=False,
            resolution_due_at__gte=now,
            resolution_due_at__lt=soon_until,
        ).values_list(*columns)
    )
    late = list(ServiceRequest.objects.filter(pk__in=late_ids).values_list(*columns))
    if not due_soon and not late:
        return
    grants = list(
        RoleGrant.objects.active()
        .filter(role__in=(Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY, Role.DISTRICT_ADMIN), region__isnull=False)
        .values_list("user_id", "role", "region__path")
    )

    def staff_of(region_path: str) -> list[int]:
        return [u for u, role, path in grants if role != Role.DISTRICT_ADMIN and region_path.startswith(path)]

    def street_admins(community_path: str) -> list[int]:
        street = community_path[:-PATH_STEP]
        return [u for u, role, path in grants if role == Role.DISTRICT_ADMIN and street.startswith(path)]

    for pk, region_path, _community_path, assignee, due, submitted, community in due_soon:
        local_due = timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
        notify(
            recipients=[assignee] if assignee else staff_of(region_path),
            kind="request_due_soon",
            key=f"request-due-soon:{pk}",
            params={
                "number": ServiceRequest(pk=pk, submitted_at=submitted).number,
                "due": local_due,
                "community": community,
            },
            url=reverse("servicedesk:request", args=[pk]),
        )
    for pk, region_path, community_path, assignee, due, submitted, community in late:
        params = {
            "number": ServiceRequest(pk=pk, submitted_at=submitted).number,
            "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
            "community": community,
        }
        url = reverse("servicedesk:request", args=[pk])
        notify(
            recipients=[assignee, *staff_of(region_path)],
            kind="request_overdue",
            key=f"request-overdue:{pk}",
            params=params,
            url=url,
        )
        notify(
            recipients=street_admins(community_path),
            kind="request_escalated",
            key=f"request-escalated:{pk}",
            params=params,
            url=url,
        )


def callbacks_sample(*, actor: Actor, rate: float | None = None) -> int:
    """Sample handled requests for a callback (回访): a fixed share chosen by a keyed hash of the
    id, so neither the handler nor the handling unit picks which of their cases are called."""
    from dangjian.servicedesk.models import Callback

    rate = config().callback_rate if rate is None else rate
    now = actor.now
    # Every handled request, whether or not the requester answered first (a sample of the
    # unanswered ones only would not be independent), handled in the last REOPEN_DAYS days.
    candidates = (
        ServiceRequest.objects.filter(
            handled_at__gte=now - dt.timedelta(days=config().reopen_days),
            state__in=[S.HANDLED, S.VISITED, S.CLOSED],
            callback_sampled=False,
        )
        .exclude(state=S.CLOSED, close_reason__in=[r for r in CloseReason.values if r not in CALLBACK_CLOSE_REASONS])
        .values_list("pk", flat=True)
    )
    chosen, seen = [], []
    for pk in candidates.iterator(chunk_size=2000):
        seen.append(pk)
        if int(crypto.search_hash(str(pk), purpose="callback-sample")[:8], 16) / 0xFFFFFFFF < rate:
            chosen.append(pk)
    with transaction.atomic():
        Callback.objects.bulk_create([Callback(request_id=pk, sampled_at=now) for pk in chosen], ignore_conflicts=True)
        ServiceRequest.objects.filter(pk__in=seen).update(callback_sampled=True)
    return len(chosen)


def requests_assigned_before_merge(
    *, actor: Actor, source: Organization, target: Organization, day: dt.date, reason: str
) -> dict[str, int]:
    """An organisation merged into another (orgs.services.merge_organization) must first hand on
    the open requests assigned to it: a request changes handler by a dispatch, which tells the new
    handler and restarts nothing of the requester's clock. Refused while any is open."""
    count = ServiceRequest.objects.filter(assignee_organization=source, state__in=OPEN_STATES).count()
    if count:
        raise ValidationError(
            ngettext(
                "%(n)s open request is assigned to it; dispatch it to another handler first.",
                "%(n)s open requests are assigned to it; dispatch them to another handler first.",
                count,
            )
            % {"n": count}
        )
    return {}
