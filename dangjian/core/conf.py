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
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings


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
    rates_min_sample: int = _number(20, "cases", "below this a unit is not ranked (样本不足)")
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


_built: list[Any] = [None, None]  # the settings.DANGJIAN object last read, and its Config


def config() -> Config:
    """The configuration now: ``settings.DANGJIAN`` over the defaults. Unknown keys are refused,
    so that a misspelt setting does not pass unnoticed. Built again only when ``settings.DANGJIAN``
    is another object (a test's override), since SLA arithmetic asks for it in tight loops."""
    given = getattr(settings, "DANGJIAN", {}) or {}
    if _built[0] is given:
        return _built[1]
    unknown = set(given) - set(FIELDS)
    if unknown:
        raise KeyError(f"Unknown settings.DANGJIAN keys: {', '.join(sorted(unknown))}")
    built = Config(**{key.lower(): value for key, value in given.items()})
    _built[:] = [given, built]
    return built


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
