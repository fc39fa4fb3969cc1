"""The numbers a locality may change, in one typed place.

Each is a field of ``Config`` with its default, its unit and the rule it comes from. A deployment
sets any of them in ``settings.DANGJIAN`` (upper-case keys; ``settings.py`` fills some from the
environment), and code reads them when it uses them through ``config()``, so that a test can
override one with ``settings.DANGJIAN = override(REOPEN_DAYS=10)``:

    from dangjian.core.conf import config
    if age > dt.timedelta(days=config().reopen_days): ...

The rule books with many numbers (dues brackets, the development steps) keep their defaults beside
their code (``membership/dues.py``, ``membership/development.py``); here are only their overrides.
docs/configuration.md lists every key.

The keys of ``EDITABLE`` (numbers a locality changes and that are safe to change while the platform
runs) the platform admin may also change in the browser (``accounts.configuration``): those values
are kept in ``core.Setting`` and take precedence over ``settings.DANGJIAN``. Every process reads
them again at most every ``DANGJIAN_CONFIG_REFRESH_SECONDS`` (10; ``None`` in tests, where a change
is seen at once by the process that made it, and nothing is read behind a test's back).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError


def _number(default: Any, unit: str, rule: str) -> Any:
    return field(default=default, metadata={"unit": unit, "rule": rule})


@dataclass(frozen=True)
class Config:
    # Workbench and lists
    term_reminder_days: int = _number(90, "days", "换届 is due: remind this long before a term ends")
    probation_reminder_days: int = _number(30, "days", "预备期将满: remind this long before probation ends")
    figures_cache_seconds: int = _number(120, "seconds", "workbench figures are counted at most this often per scope")
    # Service desk (DESIGN.md §5)
    service_hours: tuple[tuple[str, str], ...] = _number(
        (("08:30", "12:00"), ("14:00", "17:30")), "HH:MM ranges", "党群服务中心 opening hours: business time for SLAs"
    )
    confirm_days: int = _number(7, "days", "a handled request nobody confirmed is closed after this long")
    reopen_days: int = _number(30, "days", "a resident may reopen a finished request within this long")
    callback_rate: float = _number(0.3, "share", "share of handled requests sampled for an independent callback")
    callback_attempts: int = _number(
        3, "tries on different days", "a sampled requester not reached after this many tries counts as not reached"
    )
    rates_min_sample: int = _number(20, "cases", "below this a unit is not ranked (样本不足)")
    bulk_merges: int = _number(
        5, "merges per account and day", "one account merging this many requests as duplicates in a day is flagged"
    )
    anonymous_submissions: int = _number(5, "per hour and address", "requests without an account")
    anonymous_submissions_site: int = _number(120, "per minute", "requests without an account, whole site")
    api_posts_per_minute: int = _number(600, "per minute and key", "API writes")
    # Members
    transfer_letter_days: int = _number(90, "days", "a transfer letter is valid this long (3 months)")
    excellent_share: tuple[int, int] = _number((1, 3), "fraction", "民主评议: 优秀 normally at most this share")
    dues: dict[str, Any] = field(
        default_factory=dict,
        metadata={"unit": "keys of membership.dues.DEFAULT_RULES", "rule": "dues brackets and amounts"},
    )
    development: dict[str, int] = field(
        default_factory=dict,
        metadata={"unit": "keys of membership.development.DEFAULT_RULES", "rule": "development rules"},
    )
    # Evaluation (issue #13): the thresholds of the checks for a reviewer
    evaluation_checks: dict[str, float] = field(
        default_factory=dict,
        metadata={
            "unit": "keys of servicedesk.flags.DEFAULT_LIMITS",
            "rule": "thresholds of the checks for a reviewer",
        },
    )
    # Volunteering (DESIGN.md §5 双报到)
    service_daily_cap_hours: int = _number(8, "hours", "verified service time counted per person and day at most")
    report_back_months: int = _number(6, "months", "在职党员's service is reported to their workplaces this often")
    pdf_font: str = _number("", "path[:index]", "the CJK font of transfer letters (found with fc-match if empty)")
    # Accounts
    two_factor_roles: tuple[str, ...] = _number(
        ("district_admin",),
        "roles (accounts.roles.Role)",
        "holders of these roles must sign in with two-factor login; they set it up before anything else",
    )
    # Operations
    proxy_count: int = _number(0, "proxies", "trusted reverse proxies in front (X-Forwarded-For)")
    export_retention_hours: int = _number(
        24, "hours", "files of background jobs (exports, lists of import problems) are kept this long, then deleted"
    )
    import_upload_retention_hours: int = _number(
        72,
        "hours",
        "an uploaded file to import (rosters with ID numbers) is deleted this long after its check or import finished",
    )
    job_stall_minutes: int = _number(
        30, "minutes", "a queued or running job without a sign of progress this long is failed as interrupted"
    )


FIELDS = {f.name.upper(): f for f in dataclasses.fields(Config)}

# The keys the platform admin may change in the browser, with the range a value must lie in.
EDITABLE: dict[str, tuple[float, float]] = {
    "TERM_REMINDER_DAYS": (7, 365),
    "PROBATION_REMINDER_DAYS": (7, 180),
    "CONFIRM_DAYS": (1, 60),
    "REOPEN_DAYS": (1, 365),
    "CALLBACK_RATE": (0, 1),
    "CALLBACK_ATTEMPTS": (1, 10),
    "RATES_MIN_SAMPLE": (1, 1000),
    "ANONYMOUS_SUBMISSIONS": (1, 100),
    "TRANSFER_LETTER_DAYS": (30, 365),
    "SERVICE_DAILY_CAP_HOURS": (1, 24),
    "REPORT_BACK_MONTHS": (1, 12),
    "EXPORT_RETENTION_HOURS": (1, 720),
    "IMPORT_UPLOAD_RETENTION_HOURS": (1, 720),
}


_built: list[Any] = [None, None, None]  # the settings.DANGJIAN and the browser's values last read, and their Config
_browser: dict[str, Any] = {
    "values": {},
    "read_at": None,
    "generation": 0,
}  # the values set in the browser (core.Setting)


def _browser_values() -> dict[str, Any]:
    """The values set in the browser, read again when older than DANGJIAN_CONFIG_REFRESH_SECONDS —
    not inside a transaction (a failed read would abort it on PostgreSQL: the values read before
    serve until the next read). A read that fails keeps the values read before."""
    every = getattr(settings, "DANGJIAN_CONFIG_REFRESH_SECONDS", 10)
    read_at = _browser["read_at"]
    if every is None or (read_at is not None and time.monotonic() - read_at <= every):
        return _browser["values"]
    from django.db import connection

    if connection.in_atomic_block:
        return _browser["values"]
    from dangjian.core.models import Setting

    generation = _browser["generation"]
    try:
        values = {key: value for key, value in Setting.objects.values_list("key", "value") if key in EDITABLE}
    except DatabaseError:  # before the first migration, or the database is unreachable a moment
        values = _browser["values"]
    if _browser["generation"] == generation:  # not overtaken by a change saved in this process meanwhile
        if values != _browser["values"]:
            _browser["values"] = values
        _browser["read_at"] = time.monotonic()
    return _browser["values"]


def browser_values_changed(values: dict[str, Any]) -> None:
    """Take the values the browser has just saved (this process sees them at once)."""
    _browser["values"] = dict(values)
    _browser["read_at"] = time.monotonic()
    _browser["generation"] += 1


def config() -> Config:
    """The configuration now: the browser's values (``EDITABLE`` keys) over ``settings.DANGJIAN``
    over the defaults. Unknown keys are refused, so that a misspelt setting does not pass
    unnoticed. Built again only when either changed (a test's override, an admin's change), since
    SLA arithmetic asks for it in tight loops."""
    given = getattr(settings, "DANGJIAN", {}) or {}
    browser = _browser_values()
    if _built[0] is given and _built[1] is browser:
        return _built[2]
    unknown = set(given) - set(FIELDS)
    if unknown:
        raise KeyError(f"Unknown settings.DANGJIAN keys: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {**given, **browser}
    built = Config(**{key.lower(): value for key, value in values.items()})
    _built[:] = [given, browser, built]
    return built


def deployment_value(key: str) -> Any:
    """``key``'s value without the browser's: from ``settings.DANGJIAN`` or the default."""
    given = getattr(settings, "DANGJIAN", {}) or {}
    if key in given:
        return given[key]
    spec = FIELDS[key]
    return spec.default_factory() if spec.default_factory is not dataclasses.MISSING else spec.default


def override(**values: Any) -> dict[str, Any]:
    """``settings.DANGJIAN`` with some keys replaced (for tests: ``settings.DANGJIAN = override(REOPEN_DAYS=10)``)."""
    return {**(getattr(settings, "DANGJIAN", {}) or {}), **values}


def described() -> list[dict[str, Any]]:
    """Every key with its default, unit and rule (for docs and the admin page)."""
    rows = []
    for key, spec in FIELDS.items():
        default = spec.default_factory() if spec.default_factory is not dataclasses.MISSING else spec.default
        rows.append({"key": key, "default": default, "unit": spec.metadata["unit"], "rule": spec.metadata["rule"]})
    return rows
