"""The development of new members (发展党员): 5 stages, 25 steps, and the rules that become
warnings (DESIGN.md §5). Pure: no database. Every number is configuration
(``DEVELOPMENT`` in settings.DANGJIAN overrides DEFAULT_RULES; core/conf.py).

A warning never blocks recording what happened: the branch records the real dates, and the
warnings say, with reasons, where the procedure was not followed or a deadline is near.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangjian.core import calendar
from dangjian.core.conf import config


@dataclass(frozen=True)
class StepDef:
    code: str
    stage: int
    label: Any
    publicity: bool = False  # a 公示 of at least 5 working days belongs to this step
    hours: bool = False  # training hours are recorded
    people: str = ""  # "contacts" (培养联系人) or "introducers" (入党介绍人)


STAGES = {
    1: gettext_lazy("Application"),
    2: gettext_lazy("Activist"),
    3: gettext_lazy("Development candidate"),
    4: gettext_lazy("Admission as probationary member"),
    5: gettext_lazy("Full membership"),
}

STEPS: tuple[StepDef, ...] = (
    StepDef("application", 1, gettext_lazy("Application for membership submitted")),
    StepDef("talk", 1, gettext_lazy("Talk with the applicant by the organisation")),
    StepDef("activist", 2, gettext_lazy("Recommended and confirmed as activist"), publicity=True),
    StepDef("activist_filed", 2, gettext_lazy("Activist filed with the higher committee")),
    StepDef("contacts", 2, gettext_lazy("Contact members assigned"), people="contacts"),
    StepDef("activist_education", 2, gettext_lazy("Education and observation of the activist"), hours=True),
    StepDef("candidate", 3, gettext_lazy("Confirmed as development candidate"), publicity=True),
    StepDef("candidate_filed", 3, gettext_lazy("Candidate filed with the higher committee")),
    StepDef("introducers", 3, gettext_lazy("Introducers chosen"), people="introducers"),
    StepDef("political_review", 3, gettext_lazy("Political review")),
    StepDef("training", 3, gettext_lazy("Intensive training"), hours=True),
    StepDef("committee_review", 4, gettext_lazy("Review by the branch committee")),
    StepDef("pre_review", 4, gettext_lazy("Preliminary review by the higher committee"), publicity=True),
    StepDef("application_form", 4, gettext_lazy("Application form (入党志愿书) filled in")),
    StepDef("branch_meeting", 4, gettext_lazy("Discussed and admitted by the branch general meeting")),
    StepDef("higher_talk", 4, gettext_lazy("Talk by the higher committee")),
    StepDef("approval", 4, gettext_lazy("Approved by the higher committee")),
    StepDef("approval_filed", 4, gettext_lazy("Filed with the organisation department above")),
    StepDef("placed", 5, gettext_lazy("Placed in a branch and party group")),
    StepDef("oath", 5, gettext_lazy("Oath of admission")),
    StepDef("probation_education", 5, gettext_lazy("Continued education and observation")),
    StepDef("full_application", 5, gettext_lazy("Application for full membership")),
    StepDef("full_meeting", 5, gettext_lazy("Discussed by the branch general meeting"), publicity=True),
    StepDef("full_approval", 5, gettext_lazy("Full membership approved by the higher committee")),
    StepDef("archived", 5, gettext_lazy("Records archived")),
)
STEP_BY_CODE = {step.code: step for step in STEPS}
assert len(STEPS) == 25

DEFAULT_RULES: dict[str, int] = {
    "minimum_age": 18,
    "talk_within_days": 31,  # 党组织派人谈话 within a month of the application
    "activist_min_days": 365,  # ≥ 1 year as activist before becoming a candidate
    "training_min_hours": 24,  # ≥ 3 days or 24 学时
    "political_review_valid_days": 365,
    "meeting_within_days": 31,  # 支部大会 within a month of the preliminary review
    "approval_within_days": 92,  # 3 months (at most 6)
    "approval_max_days": 183,
    "publicity_min_workdays": 5,
    "probation_days": 365,
    "probation_warning_days": 30,
    "archive_within_days": 7,
    "contacts_min": 1,
    "contacts_max": 2,
    "introducers": 2,
}


def rules() -> dict[str, int]:
    return {**DEFAULT_RULES, **config().development}


@dataclass
class StepRecord:
    """What the rules need to know of a recorded step."""

    done_on: dt.date | None
    publicity_from: dt.date | None = None
    publicity_to: dt.date | None = None
    hours: int | None = None
    people_full: int = 0  # how many of the named contacts/introducers are full members


@dataclass
class Warning:
    step: str
    message: str
    due: dt.date | None = None  # for deadlines


def current_stage(done: dict[str, StepRecord]) -> int:
    """The stage of the first step not yet done (6 when every step is done)."""
    for step in STEPS:
        record = done.get(step.code)
        if record is None or record.done_on is None:
            return step.stage
    return 6


def next_step(done: dict[str, StepRecord]) -> StepDef | None:
    for step in STEPS:
        record = done.get(step.code)
        if record is None or record.done_on is None:
            return step
    return None


def due_step(code: str, done: set[str] | frozenset[str]) -> str:
    """The step a deadline on ``code`` asks to record now: ``code`` itself, or, once it is done
    (the end of probation is announced on 支部大会讨论 until full membership is approved), the
    first later step not yet done. ``done``: the codes of the steps recorded with a date."""
    codes = [step.code for step in STEPS]
    for later in codes[codes.index(code) :]:
        if later not in done:
            return later
    return code


def check(done: dict[str, StepRecord], *, birth_date: dt.date | None, today: dt.date) -> list[Warning]:
    """Warnings with reasons for a candidate's recorded steps, and deadlines that are near or
    past (within 30 days). Pure: the same records always give the same warnings."""
    config = rules()
    warnings: list[Warning] = []
    dates = {code: record.done_on for code, record in done.items() if record.done_on is not None}

    def warn(step: str, message: str, due: dt.date | None = None) -> None:
        warnings.append(Warning(step, message, due))

    applied = dates.get("application")
    if applied and birth_date:
        adult = calendar.add_years(birth_date, config["minimum_age"])
        if applied < adult:
            warn(
                "application",
                _("The application was made before the applicant turned %(age)d (on %(date)s).")
                % {"age": config["minimum_age"], "date": adult.isoformat()},
            )
    talk = dates.get("talk")
    if applied:
        due = applied + dt.timedelta(days=config["talk_within_days"])
        if talk and talk > due:
            warn(
                "talk",
                _("The talk came %(days)d days after the application; it is due within a month.")
                % {"days": (talk - applied).days},
            )
        elif not talk and today >= due - dt.timedelta(days=7):
            warn("talk", _("The talk with the applicant is due by %(date)s.") % {"date": due.isoformat()}, due)
    activist, candidate = dates.get("activist"), dates.get("candidate")
    if activist and candidate and (candidate - activist).days < config["activist_min_days"]:
        warn(
            "candidate",
            _("Less than a year as activist (%(days)d days) before becoming a candidate.")
            % {"days": (candidate - activist).days},
        )
    for step in STEPS:
        record = done.get(step.code)
        if record is None or record.done_on is None:
            continue
        if step.publicity:
            if record.publicity_from is None or record.publicity_to is None:
                warn(step.code, _("The public notice (公示) of this step is not recorded."))
            else:
                days = calendar.workdays_between(record.publicity_from, record.publicity_to)
                if days < config["publicity_min_workdays"]:
                    warn(
                        step.code,
                        _("The public notice lasted %(days)d working days; at least %(minimum)d are required.")
                        % {"days": days, "minimum": config["publicity_min_workdays"]},
                    )
        if step.hours and step.code == "training" and (record.hours or 0) < config["training_min_hours"]:
            warn(
                step.code,
                _("The intensive training lasted %(hours)d hours; at least %(minimum)d (or 3 days) are required.")
                % {"hours": record.hours or 0, "minimum": config["training_min_hours"]},
            )
        if step.people == "contacts" and not config["contacts_min"] <= record.people_full <= config["contacts_max"]:
            warn(
                step.code,
                _("%(low)d to %(high)d full members are assigned as contacts; %(n)d are recorded.")
                % {"low": config["contacts_min"], "high": config["contacts_max"], "n": record.people_full},
            )
        if step.people == "introducers" and record.people_full != config["introducers"]:
            warn(
                step.code,
                _("%(required)d full members are the introducers; %(n)d are recorded.")
                % {"required": config["introducers"], "n": record.people_full},
            )
    review, meeting = dates.get("political_review"), dates.get("branch_meeting")
    if review:
        reference = meeting or today
        if (reference - review).days > config["political_review_valid_days"]:
            warn(
                "political_review",
                _("The political review is more than a year old at %(date)s; repeat it.")
                % {"date": reference.isoformat()},
            )
    pre = dates.get("pre_review")
    if pre:
        due = pre + dt.timedelta(days=config["meeting_within_days"])
        if meeting and meeting > due:
            warn("branch_meeting", _("The branch meeting came more than a month after the preliminary review."))
        elif not meeting and today >= due - dt.timedelta(days=14):
            warn("branch_meeting", _("The branch meeting is due by %(date)s.") % {"date": due.isoformat()}, due)
    approval = dates.get("approval")
    if meeting:
        due = meeting + dt.timedelta(days=config["approval_within_days"])
        if approval and (approval - meeting).days > config["approval_max_days"]:
            warn("approval", _("The approval came more than six months after the branch meeting."))
        elif approval and approval > due:
            warn("approval", _("The approval came more than three months after the branch meeting."))
        elif not approval and today >= due - dt.timedelta(days=30):
            warn("approval", _("The higher committee's approval is due by %(date)s.") % {"date": due.isoformat()}, due)
        full_due = meeting + dt.timedelta(days=config["probation_days"])
        if (
            approval
            and not dates.get("full_approval")
            and today >= full_due - dt.timedelta(days=config["probation_warning_days"])
        ):
            warn(
                "full_meeting",
                _("The probation year ends on %(date)s: prepare the discussion of full membership.")
                % {"date": full_due.isoformat()},
                full_due,
            )
    full_approval, archived = dates.get("full_approval"), dates.get("archived")
    if full_approval:
        due = full_approval + dt.timedelta(days=config["archive_within_days"])
        if archived and archived > due:
            warn("archived", _("The records were archived more than a week after the approval."))
        elif not archived and today >= due - dt.timedelta(days=3):
            warn("archived", _("Archive the records by %(date)s.") % {"date": due.isoformat()}, due)
    previous: tuple[str, dt.date] | None = None
    for step in STEPS:
        day = dates.get(step.code)
        if day is None:
            continue
        if previous and day < previous[1]:
            warn(
                step.code,
                _("Dated before the earlier step “%(step)s” (%(date)s).")
                % {"step": STEP_BY_CODE[previous[0]].label, "date": previous[1].isoformat()},
            )
        previous = (step.code, day)
    return warnings


def deadlines(dates: dict[str, dt.date]) -> list[tuple[str, dt.date, dt.date | None]]:
    """The steps with a deadline that a candidate's recorded dates have started, as (step, due,
    done on or None): the talk a month after the application, the branch meeting a month after
    the preliminary review, the approval three months after the meeting, the archiving a week
    after full membership is approved. Pure, like ``check``."""
    config = rules()
    found = []
    for step, after, days in (
        ("talk", "application", config["talk_within_days"]),
        ("branch_meeting", "pre_review", config["meeting_within_days"]),
        ("approval", "branch_meeting", config["approval_within_days"]),
        ("archived", "full_approval", config["archive_within_days"]),
    ):
        if after in dates:
            found.append((step, dates[after] + dt.timedelta(days=days), dates.get(step)))
    return found
