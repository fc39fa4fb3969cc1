"""Writes to the service catalogue and the business calendar: configuration that applies to the
whole district, for users whose ``configure`` right covers the root of the region tree (district
admins, superusers; selectors.may_configure) — not street admins. Atomic, validated, evented."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from dangjian.core.actors import Actor
from dangjian.core.calendar import forget_overrides
from dangjian.core.events import EventAction, record_event
from dangjian.core.models import CalendarDay
from dangjian.core.versioning import versioned_update
from dangjian.people.models import Tag, TagKind
from dangjian.servicedesk.catalogue.selectors import may_configure
from dangjian.servicedesk.models import Family, HandlingLevel, ServiceCategory, TimeUnit

FIELDS = (
    "name",
    "family",
    "description",
    "response_target",
    "response_unit",
    "resolution_target",
    "resolution_unit",
    "default_level",
    "is_active",
    "sort_order",
)
MAX_TARGET = {TimeUnit.HOURS: 24 * 30, TimeUnit.DAYS: 365}
MAX_SORT_ORDER = 32767  # the column is a small integer (PostgreSQL refuses more: a 500 otherwise)


def _require_configure(actor: Actor) -> None:
    if not may_configure(actor=actor):
        raise PermissionDenied


def _check(data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not (data.get("name") or "").strip():
        errors["name"] = [_("Enter the name of the service.")]
    if data.get("family") not in Family.values:
        errors["family"] = [_("Choose the family.")]
    if data.get("default_level") not in HandlingLevel.values:
        errors["default_level"] = [_("Choose the level that handles it by default.")]
    for target, unit in (("response_target", "response_unit"), ("resolution_target", "resolution_unit")):
        value, kind = data.get(target), data.get(unit)
        if kind not in TimeUnit.values:
            errors[unit] = [_("Choose hours or days.")]
        elif not value or value < 1 or value > MAX_TARGET[kind]:
            errors[target] = [_("Enter a target between 1 and %(max)d.") % {"max": MAX_TARGET[kind]}]
    sort_order = data.get("sort_order") or 0
    if not 0 <= sort_order <= MAX_SORT_ORDER:
        errors["sort_order"] = [_("Enter a number between 0 and %(max)d.") % {"max": MAX_SORT_ORDER}]
    if not errors and _in_hours(data["resolution_target"], data["resolution_unit"]) < _in_hours(
        data["response_target"], data["response_unit"]
    ):
        errors["resolution_target"] = [_("The resolution target cannot be shorter than the first response.")]
    return errors


def _in_hours(value: int, unit: str) -> int:
    return value * 8 if unit == TimeUnit.DAYS else value  # a business day is 8 business hours


def _skills(values: Any) -> list[Tag]:
    return list(Tag.objects.filter(kind=TagKind.SKILL, pk__in=[getattr(v, "pk", v) for v in values or []]))


def category_create(*, actor: Actor, data: dict[str, Any]) -> ServiceCategory:
    _require_configure(actor)
    errors = _check(data)
    code = slugify(data.get("code") or "")
    if not code:
        errors["code"] = [_("Enter a code of letters, digits and hyphens (used by the API).")]
    elif ServiceCategory.objects.filter(code=code).exists():
        errors["code"] = [_("This code is taken.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            category = ServiceCategory.objects.create(code=code, **{f: data[f] for f in FIELDS if f in data})
            category.skills.set(_skills(data.get("skills")))
            record_event(
                actor=actor,
                action=EventAction.CREATED,
                target=category,
                changes={"code": [None, code], "name": [None, category.name]},
            )
    except IntegrityError as exc:
        raise ValidationError({"code": [_("This code is taken.")]}) from exc
    return category


def category_update(
    *, actor: Actor, category: ServiceCategory, data: dict[str, Any], expected_version: int
) -> ServiceCategory:
    """Change a category (its code never changes: the API and old requests use it)."""
    _require_configure(actor)
    merged = {f: data.get(f, getattr(category, f)) for f in FIELDS}
    errors = _check(merged)
    if errors:
        raise ValidationError(errors)
    before = {f: getattr(category, f) for f in FIELDS}
    skills_before = sorted(category.skills.values_list("name", flat=True))
    with transaction.atomic():
        versioned_update(category, expected_version=expected_version, **merged)
        category.refresh_from_db()
        if "skills" in data:
            category.skills.set(_skills(data["skills"]))
        changes: dict[str, Any] = {f: [before[f], merged[f]] for f in FIELDS if before[f] != merged[f]}
        skills_after = sorted(category.skills.values_list("name", flat=True))
        if skills_after != skills_before:
            changes["skills"] = ["、".join(skills_before), "、".join(skills_after)]
        if changes:
            record_event(actor=actor, action=EventAction.UPDATED, target=category, changes=changes)
    return category


def calendar_set_day(*, actor: Actor, day: dt.date, is_workday: bool, note: str = "") -> CalendarDay:
    """Mark ``day`` as a holiday or a (make-up) working day, overriding the package."""
    _require_configure(actor)
    if not (dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31)):
        raise ValidationError({"day": [_("Choose a date between 2000 and 2100.")]})
    with transaction.atomic():
        entry, _created = CalendarDay.objects.update_or_create(
            day=day, defaults={"is_workday": is_workday, "note": (note or "").strip()[:100]}
        )
        record_event(
            actor=actor,
            action=EventAction.UPDATED,
            target=entry,
            changes={"day": [None, day.isoformat()], "is_workday": [None, is_workday]},
        )
    forget_overrides()
    return entry


def calendar_clear_day(*, actor: Actor, entry: CalendarDay) -> None:
    """Remove a correction: the day follows the package (or Monday–Friday) again."""
    _require_configure(actor)
    with transaction.atomic():
        record_event(
            actor=actor, action=EventAction.UPDATED, target=entry, changes={"day": [entry.day.isoformat(), None]}
        )
        CalendarDay.objects.filter(pk=entry.pk).delete()
    forget_overrides()
