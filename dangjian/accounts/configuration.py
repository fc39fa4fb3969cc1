"""The numbers a locality changes, changed in the browser by the platform admin (core.conf.EDITABLE):
reminder windows, service-desk deadlines, the minimum sample of the rates, a rate limit, and how
long files are kept. Each change is an event with its reason; a value left empty goes back to the
deployment's (settings.DANGJIAN or the default). Who may: the platform admin — a superuser, or
whoever may configure the whole region tree (the district admin at its root)."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangjian.accounts.scopes import covers_region_tree
from dangjian.core.access import CONFIGURE
from dangjian.core.actors import Actor
from dangjian.core.conf import EDITABLE, FIELDS, browser_values_changed, config, deployment_value
from dangjian.core.events import EventAction, record_event
from dangjian.core.models import Setting

LABELS: dict[str, tuple[Any, Any]] = {  # key → (label, what it does)
    "TERM_REMINDER_DAYS": (
        gettext_lazy("Term renewal reminder (days before a term ends)"),
        gettext_lazy(
            "The workbench reminds the secretary of an organisation's election this long before its term ends."
        ),
    ),
    "PROBATION_REMINDER_DAYS": (
        gettext_lazy("Full membership reminder (days before probation ends)"),
        gettext_lazy(
            "The workbench reminds of a probationary member's full membership this long before the year ends."
        ),
    ),
    "CONFIRM_DAYS": (
        gettext_lazy("Days to confirm a handled request"),
        gettext_lazy("A handled request that nobody confirmed is closed after this many days."),
    ),
    "REOPEN_DAYS": (
        gettext_lazy("Days to reopen a finished request"),
        gettext_lazy("A resident may reopen a finished request within this many days."),
    ),
    "CALLBACK_RATE": (
        gettext_lazy("Share of handled requests called back"),
        gettext_lazy("Between 0 and 1: 0.3 calls back three in ten handled requests, chosen at random."),
    ),
    "CALLBACK_ATTEMPTS": (
        gettext_lazy("Callback tries before giving up"),
        gettext_lazy(
            "A sampled requester not reached after this many tries, one a day, counts as not reached "
            "(the callback reach rate)."
        ),
    ),
    "RATES_MIN_SAMPLE": (
        gettext_lazy("Minimum sample of the three rates"),
        gettext_lazy("A unit with fewer cases is shown as “sample too small”, not ranked."),
    ),
    "ANONYMOUS_SUBMISSIONS": (
        gettext_lazy("Requests without an account (per hour and address)"),
        gettext_lazy("How many requests one network address may send in an hour without signing in."),
    ),
    "TRANSFER_LETTER_DAYS": (
        gettext_lazy("Validity of a transfer letter (days)"),
        gettext_lazy("A member must report to the receiving organisation within this many days."),
    ),
    "SERVICE_DAILY_CAP_HOURS": (
        gettext_lazy("Service hours counted per day at most"),
        gettext_lazy("A service record that would take a volunteer's verified time of one day past this is refused."),
    ),
    "REPORT_BACK_MONTHS": (
        gettext_lazy("Reporting back to workplaces (months)"),
        gettext_lazy("The service of in-service members is reported to their workplace organisations this often."),
    ),
    "EXPORT_RETENTION_HOURS": (
        gettext_lazy("Keep export files (hours)"),
        gettext_lazy("Files of exports and lists of import problems are deleted after this long."),
    ),
    "IMPORT_UPLOAD_RETENTION_HOURS": (
        gettext_lazy("Keep uploaded import files (hours)"),
        gettext_lazy("An uploaded file (with ID numbers) is deleted this long after its check or import."),
    ),
}


@dataclass
class SettingRow:
    key: str
    label: Any
    help: Any
    value: Any  # in force now
    deployment: Any  # without the browser's value
    kind: type  # int or float
    low: float
    high: float
    changed: Setting | None  # the browser's value, when one is set


def may_configure_platform(*, actor: Actor) -> bool:
    return actor.system or covers_region_tree(actor.scope, CONFIGURE)


def setting_rows(*, actor: Actor) -> list[SettingRow]:
    """Every key the platform admin may change, with its value now and where it comes from."""
    if not may_configure_platform(actor=actor):
        raise PermissionDenied
    changed = {s.key: s for s in Setting.objects.select_related("changed_by")}
    now = config()
    rows = []
    for key, (low, high) in EDITABLE.items():
        label, help_text = LABELS[key]
        kind = float if FIELDS[key].type in ("float", float) else int
        rows.append(
            SettingRow(
                key,
                label,
                help_text,
                getattr(now, key.lower()),
                deployment_value(key),
                kind,
                low,
                high,
                changed.get(key),
            )
        )
    return rows


def change_settings(*, actor: Actor, values: dict[str, Any], reason: str) -> list[str]:
    """Set the keys of ``values`` (None: back to the deployment's value); each change an event with
    ``reason``. Returns the keys that changed. All or nothing: a value out of range refuses all."""
    if not may_configure_platform(actor=actor):
        raise PermissionDenied
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        if key not in EDITABLE:
            raise ValueError(f"not editable in the browser: {key}")
        low, high = EDITABLE[key]
        if value is not None and not low <= value <= high:
            errors[key.lower()] = [_("Between %(low)s and %(high)s.") % {"low": low, "high": high}]
    if errors:
        raise ValidationError(errors)
    now = config()
    changed = [
        key
        for key, value in values.items()
        if (deployment_value(key) if value is None else value) != getattr(now, key.lower())
    ]
    if changed and not reason:
        raise ValidationError({"reason": _("Say why the settings change (it is kept with the change).")})
    with transaction.atomic():
        for key in changed:
            value, before = values[key], getattr(now, key.lower())
            if value is None:
                setting = Setting.objects.filter(key=key).first()
                if setting is None:
                    continue
                after = deployment_value(key)
                Setting.objects.filter(pk=setting.pk).delete()
            else:
                setting, _created = Setting.objects.update_or_create(
                    key=key, defaults={"value": value, "changed_at": timezone.now(), "changed_by": actor.user}
                )
                after = value
            record_event(
                actor=actor, action=EventAction.UPDATED, target=setting, changes={key: [before, after]}, reason=reason
            )
        current = {key: value for key, value in Setting.objects.values_list("key", "value") if key in EDITABLE}
    # This process sees the change at once; the others when they next read (DANGJIAN_CONFIG_REFRESH_SECONDS).
    browser_values_changed(current)
    return changed
