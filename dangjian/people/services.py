"""Every write to people records. Each function is atomic, checks permission through the
access layer, validates with Chinese messages (ValidationError keyed by field) and records
an Event. Nothing here deletes a person."""

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangjian.core import crypto
from dangjian.core.access import CHANGE, CONFIGURE, CREATE, UNMASK, VIEW, allowed, restrict
from dangjian.core.actors import Actor
from dangjian.core.calendar import add_years
from dangjian.core.events import EventAction, record_event
from dangjian.core.models import UnmaskPurpose
from dangjian.core.ratelimit import Budget
from dangjian.core.validators import (
    id_birth_date,
    id_gender,
    validate_id_number,
    validate_mobile,
)
from dangjian.core.versioning import versioned_update
from dangjian.orgs.models import Organization, Region
from dangjian.people.models import (
    CommitteeSeat,
    Gender,
    Household,
    MembershipStatus,
    MemberStage,
    Person,
    PersonStatus,
    Tag,
)
from dangjian.people.pinyin import given_name, name_pinyin

ID_PURPOSE = "id_number"
PHONE_PURPOSE = "phone"

# An ID number recorded for someone the user may not see is refused in these words, the same
# wherever that person is: the register form must not tell who is registered where in the
# district. Such refusals are limited per user (DUPLICATE_ID_REFUSALS, 10 an hour), so that the
# form cannot be used to test many numbers.
ID_NUMBER_TAKEN = gettext_lazy(
    "This ID number is already registered. If the person is moving into your community, "
    "contact the street office or a higher-level administrator."
)
DUPLICATE_ID_REFUSALS = Budget("duplicate-id-number", limit=10, seconds=3600)

# Fields a caller may set through person_create / person_update, in form order.
EDITABLE_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "education",
    "region",
    "address",
    "tags",
    "notes",
)


_CJK_NAME = re.compile(r"[\u3400-\u9fff\uf900-\ufaff ]+")


def normalize_name(value: Any) -> str:
    """A name as stored: whitespace collapsed, and none at all inside a Chinese name ("刘  洋",
    typed to line up two-character names, is 刘洋)."""
    name = " ".join(str(value or "").split())
    if _CJK_NAME.fullmatch(name):
        name = name.replace(" ", "")
    return name


def _set_id_number(person: Person, raw: str, errors: dict[str, list[str]]) -> None:
    if not raw:
        crypto.protect(person, "id_number", "", purpose=ID_PURPOSE)
        return
    try:
        number = validate_id_number(raw)
    except ValidationError as exc:
        errors.setdefault("id_number", []).extend(exc.messages)
        return
    crypto.protect(person, "id_number", number, purpose=ID_PURPOSE)
    # The ID number is the authority on birth date and gender; a conflict is an input error.
    born = id_birth_date(number)
    if born is not None and person.birth_date and person.birth_date != born:
        errors.setdefault("birth_date", []).append(
            _("The date of birth does not match the ID number (which says %(date)s).") % {"date": born.isoformat()}
        )
    person.birth_date = born
    gender = id_gender(number)
    if person.gender not in ("", Gender.UNKNOWN, gender):
        errors.setdefault("gender", []).append(
            _("The gender does not match the ID number (which says %(gender)s).") % {"gender": Gender(gender).label}
        )
    person.gender = gender


def _set_phone(person: Person, raw: str, errors: dict[str, list[str]]) -> None:
    if not raw:
        crypto.protect(person, "phone", "", purpose=PHONE_PURPOSE)
        return
    try:
        number = validate_mobile(raw)
    except ValidationError as exc:
        errors.setdefault("phone", []).extend(exc.messages)
        return
    crypto.protect(person, "phone", number, purpose=PHONE_PURPOSE)


def _check_region(actor: Actor, region: Region | None, action: str, errors: dict[str, list[str]]) -> None:
    if region is None:
        errors.setdefault("region", []).append(_("Choose the grid where the person lives."))
    elif not restrict(Region.objects.filter(pk=region.pk), actor, action).exists():
        errors.setdefault("region", []).append(_("You cannot register people in this grid."))


def _check_unique_id(actor: Actor, person: Person, errors: dict[str, list[str]]) -> None:
    """Refuse an ID number recorded for someone else: by name if the actor may see them, else
    with ID_NUMBER_TAKEN. Each number is counted against the actor's DUPLICATE_ID_REFUSALS before
    it is looked up and given back unless it was refused as ID_NUMBER_TAKEN; once they are used
    up, no ID number is looked up for the actor (any answer would tell) until the hour ends."""
    if not person.id_number_hash or "id_number" in errors:
        return
    attempt = DUPLICATE_ID_REFUSALS.spend(actor.user_id, now=actor.now) if actor.user_id else None
    if attempt is not None and attempt.over_limit:
        errors.setdefault("id_number", []).append(
            _("Too many of the ID numbers you entered are already registered. Try again after %(time)s.")
            % {"time": attempt.retry_time}
        )
        return
    others = Person.objects.filter(id_number_hash=person.id_number_hash).exclude(pk=person.pk)
    if others.exists():
        seen = restrict(others, actor, VIEW).first()
        if seen is None:
            errors.setdefault("id_number", []).append(str(ID_NUMBER_TAKEN))
            return
        errors.setdefault("id_number", []).append(
            _("This ID number is already registered for %(name)s; open their record instead of registering them again.")
            % {"name": seen.name}
        )
    if attempt is not None:
        DUPLICATE_ID_REFUSALS.refund(attempt)


def _display(person: Person) -> dict[str, str]:
    """What an event records of a person: display values, personal numbers masked."""
    return {
        "name": person.name,
        "gender": person.gender,
        "ethnicity": person.ethnicity,
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "id_number": person.id_number_masked,
        "phone": person.phone_masked,
        "education": person.education,
        "region": str(person.region) if person.region_id else "",
        "address": person.address,
        "notes": person.notes,
    }


def _apply(person: Person, data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    name = (data.get("name") if "name" in data else person.name) or ""
    name = normalize_name(name)
    if not name:
        errors.setdefault("name", []).append(_("Enter the person's name."))
    person.name = name
    person.name_pinyin, person.name_initials = name_pinyin(name)
    person.name_given = given_name(name)
    for field in ("gender", "ethnicity", "education", "address", "notes"):
        if field in data:
            setattr(person, field, (data[field] or "").strip() if isinstance(data[field], str) else data[field])
    if "birth_date" in data:
        person.birth_date = data["birth_date"]
        if person.birth_date and person.birth_date > timezone.localdate():
            errors.setdefault("birth_date", []).append(_("The date of birth cannot be in the future."))
    if "region" in data:
        person.region = data["region"]
    if "id_number" in data:
        _set_id_number(person, data["id_number"] or "", errors)
    if "phone" in data:
        _set_phone(person, data["phone"] or "", errors)


def person_prepare(data: dict[str, Any], person: Person | None = None) -> tuple[Person, dict[str, list[str]]]:
    """Apply ``data`` to ``person`` (or a new one) without saving: name and pinyin, encrypted and
    masked numbers, ID-derived birth date and gender. Returns the person and the input errors.
    For bulk writers (imports); they check scope and uniqueness for the whole batch themselves."""
    errors: dict[str, list[str]] = {}
    if person is None:
        person = Person(gender=Gender.UNKNOWN)
    _apply(person, data, errors)
    return person, errors


def person_display(person: Person) -> dict[str, str]:
    """What an event records of a person (personal numbers masked)."""
    return _display(person)


def person_create(*, actor: Actor, data: dict[str, Any]) -> Person:
    """Register a person in a grid within the actor's CREATE scope."""
    errors: dict[str, list[str]] = {}
    person = Person(gender=Gender.UNKNOWN)
    if not data.get("birth_date"):
        data = {**data, "birth_date": None}
    _apply(person, data, errors)
    _check_region(actor, data.get("region"), CREATE, errors)
    _check_unique_id(actor, person, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        try:
            person.save()
        except IntegrityError as exc:  # a concurrent registration of the same ID number
            raise ValidationError({"id_number": [str(ID_NUMBER_TAKEN)]}) from exc
        if "tags" in data:
            person.tags.set(_tags(data["tags"]))
        changes: dict[str, list[Any]] = {k: [None, v] for k, v in _display(person).items() if v}
        if data.get("household_address"):
            changes["household"] = _join_household(person, data["household_address"])
        record_event(actor=actor, action=EventAction.CREATED, target=person, changes=changes)
    return person


def _join_household(person: Person, address: str) -> list[str]:
    """Put ``person`` (saved) in the household at ``address`` in their grid — found by grid and
    address, as the residents' import does, or made — or in none when ``address`` is empty.
    Returns the change [old address, new address] for the event ([] when nothing changed)."""
    address = " ".join(str(address or "").split())[:200]
    old = person.household
    household = None
    if address:
        household = Household.objects.filter(region=person.region, address=address).order_by("pk").first()
        if household is None:
            household = Household.objects.create(region=person.region, address=address)
    if (household.pk if household else None) == person.household_id:
        return []
    Person.objects.filter(pk=person.pk).update(household=household)
    person.household = household
    return [old.address if old else "", address]


def _tags(values: Iterable[Tag | int]) -> list[Tag]:
    return list(Tag.objects.filter(pk__in=[v.pk if isinstance(v, Tag) else v for v in values]))


def person_update(
    *, actor: Actor, person: Person, data: dict[str, Any], expected_version: int, reason: str = ""
) -> Person:
    """Change a person's details. Refused if someone saved since ``expected_version`` was read."""
    if not allowed(actor, CHANGE, person):
        raise PermissionDenied
    before = _display(person)
    region_before = person.region_id
    id_number_before = person.id_number_hash
    tags_before = sorted(person.tags.values_list("name", flat=True))
    errors: dict[str, list[str]] = {}
    # Start from the ID-derived values only if the ID number is being replaced.
    if data.get("id_number"):
        person.gender = data.get("gender") or Gender.UNKNOWN
        person.birth_date = data.get("birth_date")
    _apply(person, data, errors)
    if "id_number" not in data and person.id_number_encrypted:
        # The recorded ID number stays the authority on birth date and gender.
        _set_id_number(person, crypto.decrypt(person.id_number_encrypted), errors)
    if data.get("region") is None and "region" in data:
        errors.setdefault("region", []).append(_("Choose the grid where the person lives."))
    elif data.get("region") is not None and data["region"].pk != region_before:
        _check_region(actor, data["region"], CREATE, errors)
    if person.id_number_hash != id_number_before:  # the recorded number is unique already
        _check_unique_id(actor, person, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fields = [f.attname for f in Person._meta.concrete_fields if f.attname not in ("id", "created_at", "version")]
        values = {name: getattr(person, name) for name in fields}
        values.pop("updated_at", None)
        versioned_update(person, expected_version=expected_version, **values)
        if "tags" in data:
            person.tags.set(_tags(data["tags"]))
        after = _display(person)
        changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if "household_address" in data and (moved := _join_household(person, data["household_address"])):
            changes["household"] = moved
        tags_after = sorted(t.name for t in person.tags.all())
        if tags_after != tags_before:
            changes["tags"] = ["、".join(tags_before), "、".join(tags_after)]
        if changes:
            record_event(actor=actor, action=EventAction.UPDATED, target=person, changes=changes, reason=reason)
    return person


def person_change_status(*, actor: Actor, person: Person, status: str, reason: str) -> Person:
    """Mark a person as moved out, deceased or living here again. A reason is required."""
    if not allowed(actor, CHANGE, person):
        raise PermissionDenied
    if status not in PersonStatus.values:
        raise ValidationError({"status": [_("Choose a valid status.")]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for this change (e.g. where the person moved to).")]})
    if status == person.status:
        raise ValidationError({"status": [_("The person already has this status.")]})
    old = person.status
    with transaction.atomic():
        Person.objects.filter(pk=person.pk).update(status=status, version=F("version") + 1, updated_at=timezone.now())
        person.refresh_from_db()
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=person,
            changes={"status": [old, person.status]},
            reason=reason,
        )
    return person


def person_reveal(*, actor: Actor, person: Person, field: str, purpose: str) -> str:
    """Return the full ID or phone number and log that ``actor`` saw it, and why (``purpose``, an
    ``UnmaskPurpose``: the event's reason, shown to the person on their own page)."""
    if field not in ("id_number", "phone"):
        raise ValueError(field)
    if purpose not in UnmaskPurpose.values:
        raise ValidationError({"purpose": _("Say why you need the full number.")})
    if not allowed(actor, UNMASK, person):
        raise PermissionDenied
    token = person.id_number_encrypted if field == "id_number" else person.phone_encrypted
    value = crypto.decrypt(token)
    if value:
        record_event(
            actor=actor,
            action=EventAction.UNMASKED,
            target=person,
            changes={"field": [field, field], "purpose": [None, purpose]},
            reason=str(UnmaskPurpose(purpose).label),
        )
    return value


# -- 换届: a new term of an organisation's committee ------------------------------------------------

TERM_YEARS = {"working_committee": 5, "committee": 5, "general_branch": 3, "branch": 3}  # 党章, 支部工作条例


def term_end(kind: str, started_on: dt.date) -> dt.date:
    """When a term begun on ``started_on`` ends by the rules: five years for a party committee,
    three for a general branch or a branch (the day before the same date that many years on)."""
    return add_years(started_on, TERM_YEARS.get(kind, 3)) - dt.timedelta(days=1)


def eligible_for_committee(organization: Organization) -> QuerySet[Person]:
    """Who may sit on ``organization``'s committee: its full members in good standing (a
    probationary member neither votes nor stands), and for a committee or general branch those
    of the organisations below it."""
    return Person.objects.filter(
        member__organization__path__startswith=organization.path,
        member__status=MembershipStatus.NORMAL,
        member__stage=MemberStage.FULL,
    )


def record_term(
    *,
    actor: Actor,
    organization: Organization,
    started_on: dt.date,
    ends_on: dt.date | None,
    secretary: Person,
    deputies: Iterable[Person] = (),
    members: Iterable[Person] = (),
    reason: str = "",
) -> list[CommitteeSeat]:
    """Record a 换届: the committee elected on ``started_on`` takes office that day, the seats of the
    former committee end that day (kept, with their dates), and the organisation's term becomes
    ``started_on``–``ends_on`` (by default the term of its kind). One secretary, any deputies and
    committee members, each once, all members in good standing of the organisation (or of those
    below it). One transaction, one event on the organisation."""
    if not allowed(actor, CONFIGURE, organization):
        raise PermissionDenied
    if organization.kind == "group":
        raise ValidationError(_("A party group has a leader, not a committee; there is no committee to elect."))
    if organization.closed_on is not None:
        raise ValidationError(
            _("%(node)s was closed on %(day)s; it takes nothing new.")
            % {"node": organization, "day": organization.closed_on}
        )
    deputies, members = list(deputies), list(members)
    errors: dict[str, list[str]] = {}
    if started_on > actor.today:
        errors.setdefault("started_on", []).append(_("The election cannot be later than today."))
    ends_on = ends_on or term_end(organization.kind, started_on)
    if ends_on <= started_on:
        errors.setdefault("ends_on", []).append(_("The term must end after it starts."))
    chosen = [secretary, *deputies, *members]
    twice = sorted({p.name for p in chosen if sum(q.pk == p.pk for q in chosen) > 1})
    if twice:
        errors.setdefault("members", []).append(
            _("Each person holds one seat: %(names)s was chosen twice.") % {"names": "、".join(twice)}
        )
    eligible = set(
        eligible_for_committee(organization).filter(pk__in=[p.pk for p in chosen]).values_list("pk", flat=True)
    )
    outside = sorted({p.name for p in chosen if p.pk not in eligible})
    if outside:
        errors.setdefault("members", []).append(
            _("Only full members in good standing of the organisation can be elected: %(names)s.")
            % {"names": "、".join(outside)}
        )
    if errors:
        raise ValidationError(errors)
    seats = [
        CommitteeSeat(organization=organization, person=person, title=title, started_on=started_on)
        for title, people in (
            (CommitteeSeat.Title.SECRETARY, [secretary]),
            (CommitteeSeat.Title.DEPUTY, deputies),
            (CommitteeSeat.Title.MEMBER, members),
        )
        for person in people
    ]
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        current = list(
            CommitteeSeat.objects.filter(organization=locked, ended_on__isnull=True).select_related("person")
        )
        if any(seat.started_on >= started_on for seat in current):
            raise ValidationError(
                {
                    "started_on": [
                        _(
                            "The committee in office was elected on or after this date; the election recorded must come after it."
                        )
                    ]
                }
            )
        CommitteeSeat.objects.filter(pk__in=[seat.pk for seat in current]).update(ended_on=started_on)
        CommitteeSeat.objects.bulk_create(seats)
        old_term = [_shown_day(locked.term_started_on), _shown_day(locked.term_ends_on)]
        Organization.objects.filter(pk=locked.pk).update(
            term_started_on=started_on, term_ends_on=ends_on, version=F("version") + 1
        )
        organization.term_started_on, organization.term_ends_on = started_on, ends_on
        record_event(
            actor=actor,
            action=EventAction.UPDATED,
            target=organization,
            changes={
                "term_started_on": [old_term[0], started_on.isoformat()],
                "term_ends_on": [old_term[1], ends_on.isoformat()],
                "committee": [_committee_text(current), _committee_text(seats)],
            },
            reason=reason.strip(),
        )
    return seats


def _shown_day(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _committee_text(seats: list[CommitteeSeat]) -> str:
    order = {title: i for i, title in enumerate(CommitteeSeat.Title.values)}
    return "、".join(
        f"{CommitteeSeat.Title(seat.title).label} {seat.person.name}"
        for seat in sorted(seats, key=lambda seat: order[seat.title])
    )


def end_seats(*, actor: Actor, source: Organization, target: Organization, day: dt.date, reason: str) -> dict[str, int]:
    """An organisation merged into another (orgs.services.merge_organization): its committee's
    seats end on ``day`` (kept with their dates; ``target``'s committee stays as it is)."""
    ended = CommitteeSeat.objects.filter(organization=source, ended_on__isnull=True).update(ended_on=day)
    return {"seats_ended": ended}
