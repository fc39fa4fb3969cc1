"""The development of new members (发展党员): the pure rules that turn recorded steps into
warnings (each fires exactly when it should, counted on the Chinese business calendar), the
services (start, record a step, admission and full membership, attachments, stop) with their
permissions, the pipeline board, a candidate's page and the workbench deadlines."""

import datetime as dt
import html
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import calendar
from dangjian.core.conf import override
from dangjian.core.models import Event, EventAction
from dangjian.membership.development import rules as development
from dangjian.membership.development import selectors as dsel
from dangjian.membership.development import services as ds
from dangjian.membership.development.rules import STEP_BY_CODE, STEPS, StepRecord, Warning
from dangjian.membership.models import Candidate, CandidateStatus, DevelopmentStep, Placement, PlacementReason
from dangjian.people.models import Member, MembershipStatus, MemberStage
from tests.factories import as_actor, make_id_number, make_person

D = dt.date
TODAY = D(2026, 11, 28)  # the day the rule checks below are made on (given to check() explicitly)
APPLIED = D(2025, 3, 1)
MEETING = D(2025, 6, 10)
APPROVED = D(2025, 8, 1)
BORN = D(1995, 6, 1)  # of the candidates made up for a test
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# --- 1. the pure rules -----------------------------------------------------------------------


def pub(day: dt.date, **extra) -> StepRecord:
    """A step with a public notice of the month before it (always ≥ 5 working days here)."""
    return StepRecord(day, publicity_from=day - dt.timedelta(days=30), publicity_to=day, **extra)


def check(done: dict, *, birth: dt.date | None = None, today: dt.date = TODAY) -> list[Warning]:
    records = {code: r if isinstance(r, StepRecord) else StepRecord(r) for code, r in done.items()}
    return development.check(records, birth_date=birth, today=today)


def on(warnings: list[Warning], step: str) -> list[Warning]:
    return [w for w in warnings if w.step == step]


def weekdays_between(first: dt.date, last: dt.date) -> int:
    """The naive count the rules must NOT use (Monday–Friday, ignoring holidays and 调休)."""
    return sum((first + dt.timedelta(days=i)).weekday() < 5 for i in range((last - first).days + 1))


def test_exactly_25_steps_in_five_stages():
    assert len(STEPS) == 25
    assert len(STEP_BY_CODE) == 25  # the codes are unique
    per_stage = {stage: sum(1 for s in STEPS if s.stage == stage) for stage in development.STAGES}
    assert per_stage == {1: 2, 2: 4, 3: 5, 4: 7, 5: 7}
    assert [s.stage for s in STEPS] == sorted(s.stage for s in STEPS)  # stages in order
    assert STEPS[0].code == "application" and STEPS[-1].code == "archived"
    assert {s.code for s in STEPS if s.people} == {"contacts", "introducers"}
    assert {s.code for s in STEPS if s.publicity} == {"activist", "candidate", "pre_review", "full_meeting"}


def test_current_stage_and_next_step():
    assert development.current_stage({}) == 1
    assert development.next_step({}).code == "application"
    done = {"application": StepRecord(D(2025, 1, 1)), "talk": StepRecord(D(2025, 1, 20))}
    assert development.current_stage(done) == 2
    assert development.next_step(done).code == "activist"
    # A gap counts: the first step not done decides, even if later ones are recorded.
    gap = {"application": StepRecord(D(2025, 1, 1)), "activist": StepRecord(D(2025, 3, 1))}
    assert development.current_stage(gap) == 1
    assert development.next_step(gap).code == "talk"
    # A record without a date is not done.
    assert development.next_step({"application": StepRecord(None)}).code == "application"
    everything = {s.code: StepRecord(D(2025, 1, 1)) for s in STEPS}
    assert development.current_stage(everything) == 6
    assert development.next_step(everything) is None
    all_but_last = {s.code: StepRecord(D(2025, 1, 1)) for s in STEPS[:-1]}
    assert development.current_stage(all_but_last) == 5
    assert development.next_step(all_but_last).code == "archived"


def test_nothing_recorded_gives_no_warning():
    assert check({}) == []


def test_an_application_before_the_18th_birthday_warns():
    born = D(2008, 11, 1)
    talk = D(2026, 11, 10)  # done: no talk deadline
    early = check({"application": D(2026, 10, 31), "talk": talk}, birth=born)
    assert early == [
        Warning(
            "application",
            _("The application was made before the applicant turned 18 (on %(date)s).") % {"date": "2026-11-01"},
        )
    ]
    assert check({"application": D(2026, 11, 1), "talk": talk}, birth=born) == []  # on the birthday
    assert check({"application": D(2026, 10, 31), "talk": talk}, birth=None) == []  # unknown: no guess


@pytest.mark.parametrize(("talk", "late"), [(D(2026, 2, 14), 40), (D(2026, 1, 25), None), (D(2026, 2, 5), None)])
def test_the_talk_is_due_within_a_month_of_the_application(talk, late):
    warnings = check({"application": D(2026, 1, 5), "talk": talk})
    if late is None:  # 20 days, and 31 days (the last day allowed)
        assert warnings == []
    else:
        message = _("The talk came %(days)d days after the application; it is due within a month.") % {"days": late}
        assert warnings == [Warning("talk", message)]


@pytest.mark.parametrize(("days_ago", "warned"), [(23, False), (24, True), (31, True), (40, True)])
def test_a_talk_not_yet_held_becomes_a_deadline_a_week_before_it_is_due(days_ago, warned):
    applied = TODAY - dt.timedelta(days=days_ago)
    due = applied + dt.timedelta(days=31)
    warnings = check({"application": applied})
    if warned:
        message = _("The talk with the applicant is due by %(date)s.") % {"date": due.isoformat()}
        assert warnings == [Warning("talk", message, due)]
    else:
        assert warnings == []


@pytest.mark.parametrize(("candidate", "days"), [(D(2026, 3, 9), 364), (D(2026, 3, 10), None), (D(2026, 9, 1), None)])
def test_a_year_as_activist_before_becoming_a_candidate(candidate, days):
    warnings = check({"activist": pub(D(2025, 3, 10)), "candidate": pub(candidate)})
    if days is None:
        assert warnings == []
    else:
        message = _("Less than a year as activist (%(days)d days) before becoming a candidate.") % {"days": days}
        assert warnings == [Warning("candidate", message)]


@pytest.mark.parametrize(("hours", "shown"), [(16, 16), (None, 0), (23, 23), (24, None), (40, None)])
def test_the_intensive_training_lasts_at_least_24_hours(hours, shown):
    warnings = check({"training": StepRecord(D(2026, 5, 1), hours=hours)})
    if shown is None:
        assert warnings == []
    else:
        message = _("The intensive training lasted %(hours)d hours; at least 24 (or 3 days) are required.") % {
            "hours": shown
        }
        assert warnings == [Warning("training", message)]


def test_hours_of_other_steps_are_not_held_to_the_training_minimum():
    assert check({"activist_education": StepRecord(D(2026, 5, 1), hours=2)}) == []


def test_the_minimum_training_hours_are_configuration(settings):
    settings.DANGJIAN = override(DEVELOPMENT={"training_min_hours": 32})
    assert on(check({"training": StepRecord(D(2026, 5, 1), hours=24)}), "training")
    assert check({"training": StepRecord(D(2026, 5, 1), hours=32)}) == []


@pytest.mark.parametrize(("meeting", "warned"), [(D(2026, 1, 20), True), (D(2026, 1, 10), False)])
def test_the_political_review_may_be_at_most_a_year_old_at_the_branch_meeting(meeting, warned):
    done = {"political_review": D(2025, 1, 10), "branch_meeting": meeting, "approval": meeting + dt.timedelta(days=30)}
    expected = _("The political review is more than a year old at %(date)s; repeat it.") % {"date": meeting.isoformat()}
    assert on(check(done), "political_review") == ([Warning("political_review", expected)] if warned else [])


def test_a_political_review_before_the_meeting_is_measured_against_today():
    old = check({"political_review": TODAY - dt.timedelta(days=366)})
    expected = _("The political review is more than a year old at %(date)s; repeat it.") % {"date": TODAY.isoformat()}
    assert old == [Warning("political_review", expected)]
    assert check({"political_review": TODAY - dt.timedelta(days=365)}) == []


@pytest.mark.parametrize(("meeting", "warned"), [(D(2026, 2, 10), True), (D(2026, 2, 5), False)])
def test_the_branch_meeting_comes_within_a_month_of_the_preliminary_review(meeting, warned):
    done = {"pre_review": pub(D(2026, 1, 5)), "branch_meeting": meeting, "approval": meeting + dt.timedelta(days=30)}
    expected = _("The branch meeting came more than a month after the preliminary review.")
    assert check(done) == ([Warning("branch_meeting", expected)] if warned else [])


@pytest.mark.parametrize(("days_ago", "warned"), [(10, False), (17, True), (20, True), (40, True)])
def test_a_branch_meeting_not_yet_held_becomes_a_deadline_two_weeks_before_it_is_due(days_ago, warned):
    pre = TODAY - dt.timedelta(days=days_ago)
    due = pre + dt.timedelta(days=31)
    message = _("The branch meeting is due by %(date)s.") % {"date": due.isoformat()}
    assert check({"pre_review": pub(pre)}) == ([Warning("branch_meeting", message, due)] if warned else [])


THREE_MONTHS = "The approval came more than three months after the branch meeting."
SIX_MONTHS = "The approval came more than six months after the branch meeting."


@pytest.mark.parametrize(
    ("approval", "message"),
    [
        (D(2026, 3, 15), None),  # 59 days
        (D(2026, 4, 17), None),  # 92 days: the last day of three months
        (D(2026, 4, 18), THREE_MONTHS),  # 93 days
        (D(2026, 5, 1), THREE_MONTHS),  # 106 days
        (D(2026, 7, 17), THREE_MONTHS),  # 183 days: not yet more than six months
        (D(2026, 7, 18), SIX_MONTHS),  # 184 days: the six months message only
        (D(2026, 7, 20), SIX_MONTHS),
    ],
)
def test_the_approval_comes_within_three_and_at_most_six_months_of_the_meeting(approval, message):
    warnings = check({"branch_meeting": D(2026, 1, 15), "approval": approval})
    assert warnings == ([Warning("approval", _(message))] if message else [])


@pytest.mark.parametrize(("days_ago", "warned"), [(50, False), (62, True), (70, True)])
def test_an_approval_not_yet_given_becomes_a_deadline_a_month_before_it_is_due(days_ago, warned):
    meeting = TODAY - dt.timedelta(days=days_ago)
    due = meeting + dt.timedelta(days=92)
    message = _("The higher committee's approval is due by %(date)s.") % {"date": due.isoformat()}
    assert check({"branch_meeting": meeting}) == ([Warning("approval", message, due)] if warned else [])


@pytest.mark.parametrize(
    ("first", "last", "workdays", "weekdays"),
    [
        # 30 Sep, then the National Day holiday (1–7 Oct, Thursday to Wednesday), then 8–9 Oct.
        (D(2026, 9, 30), D(2026, 10, 9), 3, 8),
        # ... and on to Monday 12 Oct, with Saturday 10 Oct a 调休 working day.
        (D(2026, 9, 30), D(2026, 10, 12), 5, 9),
        # Thursday 8 Oct to Monday 12 Oct: the make-up Saturday counts.
        (D(2026, 10, 8), D(2026, 10, 12), 4, 3),
        (D(2026, 10, 8), D(2026, 10, 13), 5, 4),
        # Sunday 20 Sep is a 调休 working day before National Day.
        (D(2026, 9, 19), D(2026, 9, 24), 5, 4),
        # Friday 25 Sep is the Mid-Autumn holiday.
        (D(2026, 9, 21), D(2026, 9, 27), 4, 5),
    ],
)
def test_a_public_notice_lasts_five_working_days_of_the_chinese_calendar(first, last, workdays, weekdays):
    assert calendar.covered(2026)
    assert calendar.workdays_between(first, last) == workdays
    # Counting Monday to Friday would give another number (and mostly the other verdict).
    assert weekdays_between(first, last) == weekdays != workdays
    warnings = check({"activist": StepRecord(last, publicity_from=first, publicity_to=last)})
    if workdays < 5:
        message = _("The public notice lasted %(days)d working days; at least 5 are required.") % {"days": workdays}
        assert warnings == [Warning("activist", message)]
    else:
        assert warnings == []


def test_working_days_between_two_dates_equal_a_count_day_by_day():
    """workdays_between takes the difference of running counts per year: it must give what
    counting is_workday day by day gives, across years, holidays, 调休 and corrections."""
    import random

    calendar.forget_overrides({D(2027, 2, 8): False, D(2027, 2, 6): True, D(2026, 10, 8): False})
    chooser = random.Random(7)
    for _attempt in range(400):
        first = D(2025, 1, 1) + dt.timedelta(days=chooser.randrange(0, 1000))
        last = first + dt.timedelta(days=chooser.randrange(-3, 500))
        by_day = sum(calendar.is_workday(first + dt.timedelta(days=i)) for i in range((last - first).days + 1))
        assert calendar.workdays_between(first, last) == by_day, (first, last)
    assert calendar.workdays_between(D(2026, 10, 8), D(2026, 10, 8)) == 0  # the correction holds
    # Thursday 31 Dec 2026, Friday 1 Jan 2027 (a year the package does not know: Monday to
    # Friday until an admin corrects it), Monday 4 Jan.
    assert calendar.workdays_between(D(2026, 12, 31), D(2027, 1, 4)) == 3


@pytest.mark.parametrize("code", [s.code for s in STEPS if s.publicity])
def test_a_step_with_a_public_notice_warns_when_the_notice_is_missing(code):
    missing = _("The public notice (公示) of this step is not recorded.")
    day = D(2026, 6, 1)
    assert on(check({code: StepRecord(day)}), code) == [Warning(code, missing)]
    assert on(check({code: StepRecord(day, publicity_from=day - dt.timedelta(days=10))}), code) == [
        Warning(code, missing)
    ]
    assert on(check({code: pub(day)}), code) == []


def test_steps_without_a_public_notice_need_none():
    assert check({"activist_filed": StepRecord(D(2026, 6, 1)), "oath": StepRecord(D(2026, 6, 2))}) == []


@pytest.mark.parametrize(("full_members", "warned"), [(0, True), (1, False), (2, False), (3, True)])
def test_one_or_two_full_members_are_the_contacts(full_members, warned):
    warnings = check({"contacts": StepRecord(D(2026, 6, 1), people_full=full_members)})
    message = _("One or two full members are assigned as contacts; %(n)d are recorded.") % {"n": full_members}
    assert warnings == ([Warning("contacts", message)] if warned else [])


@pytest.mark.parametrize(("full_members", "warned"), [(0, True), (1, True), (2, False), (3, True)])
def test_exactly_two_full_members_are_the_introducers(full_members, warned):
    warnings = check({"introducers": StepRecord(D(2026, 6, 1), people_full=full_members)})
    message = _("Two full members are the introducers; %(n)d are recorded.") % {"n": full_members}
    assert warnings == ([Warning("introducers", message)] if warned else [])


@pytest.mark.parametrize(("meeting_days_ago", "warned"), [(330, False), (334, False), (335, True), (340, True)])
def test_the_end_of_the_probation_year_is_announced_30_days_ahead(meeting_days_ago, warned):
    meeting = TODAY - dt.timedelta(days=meeting_days_ago)
    done = {"branch_meeting": meeting, "approval": meeting + dt.timedelta(days=40)}
    ends = meeting + dt.timedelta(days=365)
    message = _("The probation year ends on %(date)s: prepare the discussion of full membership.") % {
        "date": ends.isoformat()
    }
    assert check(done) == ([Warning("full_meeting", message, ends)] if warned else [])
    # Once full membership is approved there is nothing to prepare.
    done["full_approval"] = TODAY - dt.timedelta(days=1)
    done["archived"] = TODAY
    assert on(check(done), "full_meeting") == []


@pytest.mark.parametrize(
    ("archived", "warned"), [(D(2026, 6, 9), True), (D(2026, 6, 8), False), (D(2026, 6, 2), False)]
)
def test_the_records_are_archived_within_a_week_of_full_approval(archived, warned):
    warnings = check({"full_approval": D(2026, 6, 1), "archived": archived})
    message = _("The records were archived more than a week after the approval.")
    assert warnings == ([Warning("archived", message)] if warned else [])


@pytest.mark.parametrize(("days_ago", "warned"), [(3, False), (4, True), (10, True)])
def test_archiving_not_yet_done_becomes_a_deadline_three_days_before_it_is_due(days_ago, warned):
    approved = TODAY - dt.timedelta(days=days_ago)
    due = approved + dt.timedelta(days=7)
    message = _("Archive the records by %(date)s.") % {"date": due.isoformat()}
    assert check({"full_approval": approved}) == ([Warning("archived", message, due)] if warned else [])


def test_a_step_dated_before_the_previous_recorded_step_warns():
    label = STEP_BY_CODE["application"].label
    backwards = check({"application": D(2026, 3, 1), "talk": D(2026, 2, 20)})
    message = _("Dated before the earlier step “%(step)s” (%(date)s).") % {"step": label, "date": "2026-03-01"}
    assert backwards == [Warning("talk", message)]
    # The previous *recorded* step counts when steps in between are missing.
    gap = check({"application": D(2026, 3, 1), "activist": pub(D(2026, 2, 25))}, today=D(2026, 3, 10))
    assert on(gap, "activist") == [Warning("activist", message)]
    # The same day is not "before".
    assert check({"application": D(2026, 3, 1), "talk": D(2026, 3, 1)}) == []


def test_the_rules_are_pure():
    done = {
        "application": StepRecord(TODAY - dt.timedelta(days=30)),
        "contacts": StepRecord(TODAY - dt.timedelta(days=2), people_full=3),
    }
    first = check(done)
    assert first == check(done)
    assert {w.step for w in first} == {"talk", "contacts"}
    assert done["contacts"] == StepRecord(TODAY - dt.timedelta(days=2), people_full=3)


# --- 2. services ------------------------------------------------------------------------------


def fresh(candidate: Candidate) -> Candidate:
    return Candidate.objects.get(pk=candidate.pk)


def start(world, person=None, *, actor=None, organization=None, applied_on=APPLIED) -> Candidate:
    return ds.candidate_start(
        actor=as_actor(actor or world.users.secretary),
        person=person or world.qian,
        organization=organization or world.branch_a1,
        applied_on=applied_on,
    )


def record(world, candidate, code, day, *, actor=None, attachment=None, **data) -> DevelopmentStep:
    return ds.step_record(
        actor=as_actor(actor or world.users.secretary, today=world.today),
        candidate=fresh(candidate),
        code=code,
        data={"done_on": day, **data},
        attachment=attachment,
    )


def candidate_events(candidate: Candidate):
    return Event.objects.filter(
        target_type=ContentType.objects.get_for_model(Candidate), target_id=candidate.pk
    ).order_by("occurred_at", "pk")


def new_person(world, name: str, born: dt.date = BORN):
    return make_person(world.users.admin, world.grid_a1, name, id_number=make_id_number(born))


@pytest.fixture
def qian(world) -> Candidate:
    """钱七 (a resident of grid A1, not a member) applied to branch A1 on 2025-03-01."""
    return start(world)


@pytest.fixture
def admitted(world, qian) -> Candidate:
    """钱七 admitted by the branch meeting of 2025-06-10, approved on 2025-08-01."""
    record(world, qian, "branch_meeting", MEETING)
    record(world, qian, "approval", APPROVED)
    return fresh(qian)


@pytest.mark.django_db
def test_start_records_the_candidate_the_application_and_an_event(world, qian):
    assert (qian.person, qian.organization, qian.status, qian.stage) == (
        world.qian,
        world.branch_a1,
        CandidateStatus.ACTIVE,
        1,
    )
    assert qian.member is None
    steps = list(qian.steps.values_list("code", "done_on", "recorded_by"))
    assert steps == [("application", APPLIED, world.users.secretary.pk)]
    (event,) = candidate_events(qian)
    assert event.action == EventAction.CREATED and event.actor == world.users.secretary
    assert event.changes["application"] == [None, "2025-03-01"]


@pytest.mark.django_db
def test_a_second_start_for_the_same_person_is_refused(world, qian):
    with pytest.raises(ValidationError) as exc:
        start(world, organization=world.branch_a2)
    assert "person" in exc.value.message_dict
    assert Candidate.objects.filter(person=world.qian).count() == 1


@pytest.mark.django_db
def test_a_stopped_development_may_start_again(world, qian):
    ds.candidate_stop(actor=as_actor(world.users.secretary), candidate=qian, reason="本人撤回申请")
    again = start(world, applied_on=D(2026, 3, 1))
    assert again.pk != qian.pk and again.status == CandidateStatus.ACTIVE


@pytest.mark.django_db
def test_a_member_cannot_be_a_candidate(world):
    with pytest.raises(ValidationError) as exc:
        start(world, world.zhao)
    assert exc.value.message_dict["person"] == [_("This person is already a party member.")]
    assert not Candidate.objects.exists()


@pytest.mark.django_db
def test_start_refuses_a_future_date_and_an_organisation_that_is_not_a_branch(world):
    with pytest.raises(ValidationError) as exc:
        start(world, applied_on=timezone.localdate() + dt.timedelta(days=1), organization=world.committee_a)
    assert set(exc.value.message_dict) == {"applied_on", "organization"}
    assert not Candidate.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("user", ["outsider", "resident", "member", "liaison"])
def test_only_managers_of_the_branch_may_start(world, user):
    with pytest.raises(PermissionDenied):
        start(world, actor=as_actor(getattr(world.users, user)))
    assert not Candidate.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("user", ["secretary", "staff", "branch", "admin"])
def test_managers_in_scope_may_start(world, user):
    assert start(world, actor=as_actor(getattr(world.users, user))).pk


@pytest.mark.django_db
def test_a_step_dated_in_the_future_is_refused(world, qian):
    with pytest.raises(ValidationError) as exc:
        record(world, qian, "talk", world.today + dt.timedelta(days=1))
    assert exc.value.message_dict["done_on"] == [_("This date is in the future.")]
    assert record(world, qian, "talk", world.today).done_on == world.today  # today itself is fine


@pytest.mark.django_db
def test_a_step_without_a_date_or_of_an_unknown_code_is_refused(world, qian):
    with pytest.raises(ValidationError) as exc:
        record(world, qian, "talk", None)
    assert "done_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        record(world, qian, "interview", D(2025, 3, 20))
    assert "code" in exc.value.message_dict


@pytest.mark.django_db
def test_a_public_notice_ending_before_it_began_is_refused(world, qian):
    with pytest.raises(ValidationError) as exc:
        record(world, qian, "activist", D(2025, 5, 1), publicity_from=D(2025, 4, 20), publicity_to=D(2025, 4, 10))
    assert "publicity_to" in exc.value.message_dict
    with pytest.raises(ValidationError):  # half a notice
        record(world, qian, "activist", D(2025, 5, 1), publicity_from=D(2025, 4, 20))
    step = record(world, qian, "activist", D(2025, 5, 1), publicity_from=D(2025, 4, 20), publicity_to=D(2025, 4, 28))
    assert (step.publicity_from, step.publicity_to) == (D(2025, 4, 20), D(2025, 4, 28))
    # A step without a notice keeps none, whatever is sent.
    talk = record(world, qian, "talk", D(2025, 3, 20), publicity_from=D(2025, 3, 1), publicity_to=D(2025, 3, 9))
    assert (talk.publicity_from, talk.publicity_to) == (None, None)


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["contacts", "introducers"])
def test_contacts_and_introducers_need_the_people(world, qian, code):
    with pytest.raises(ValidationError) as exc:
        record(world, qian, code, D(2025, 5, 1))
    assert exc.value.message_dict["people"] == [_("Choose the members.")]
    step = record(world, qian, code, D(2025, 5, 1), people=[world.zhao])
    assert list(step.people.all()) == [world.zhao]


@pytest.mark.django_db
def test_the_approval_needs_the_branch_meeting_first(world, qian):
    with pytest.raises(ValidationError) as exc:
        record(world, qian, "approval", APPROVED)
    assert exc.value.message_dict["done_on"] == [_("Record the branch meeting that admitted the candidate first.")]
    assert not Member.objects.filter(person=world.qian).exists()
    assert not qian.steps.filter(code="approval").exists()


@pytest.mark.django_db
def test_full_approval_needs_the_admission_first(world, qian):
    record(world, qian, "branch_meeting", MEETING)
    with pytest.raises(ValidationError) as exc:
        record(world, qian, "full_approval", D(2026, 6, 20))
    assert "done_on" in exc.value.message_dict


@pytest.mark.django_db
def test_the_approval_admits_a_probationary_member_from_the_branch_meeting(world, admitted):
    member = Member.objects.get(person=world.qian)
    assert admitted.member == member
    assert admitted.status == CandidateStatus.ACTIVE
    assert (member.organization, member.stage, member.status) == (
        world.branch_a1,
        MemberStage.PROBATIONARY,
        MembershipStatus.NORMAL,
    )
    assert (member.joined_on, member.applied_on, member.full_on) == (MEETING, APPLIED, None)
    placements = list(Placement.objects.filter(member=member).values_list("organization", "started_on", "ended_on"))
    assert placements == [(world.branch_a1.pk, MEETING, None)]
    assert Placement.objects.get(member=member).reason == PlacementReason.JOINED
    # Re-recording the approval does not admit twice.
    record(world, admitted, "approval", APPROVED + dt.timedelta(days=1))
    assert Member.objects.filter(person=world.qian).count() == 1


@pytest.mark.django_db
def test_full_approval_makes_a_full_member_from_the_end_of_the_probation_year(world, admitted):
    record(world, admitted, "full_approval", D(2026, 6, 20))
    member = Member.objects.get(person=world.qian)
    assert (member.stage, member.full_on, member.joined_on) == (MemberStage.FULL, D(2026, 6, 10), MEETING)
    candidate = fresh(admitted)
    assert candidate.status == CandidateStatus.ADMITTED
    member_events = Event.objects.filter(
        target_type=ContentType.objects.get_for_model(Member), target_id=member.pk, action=EventAction.UPDATED
    )
    assert member_events.get().changes["stage"] == [MemberStage.PROBATIONARY, MemberStage.FULL]
    # The development has ended: only the archiving may still be recorded.
    with pytest.raises(ValidationError) as exc:
        record(world, candidate, "oath", D(2026, 6, 21))
    assert exc.value.message_dict["done_on"] == [_("The development has ended; nothing more can be recorded.")]
    assert record(world, candidate, "archived", D(2026, 6, 25)).done_on == D(2026, 6, 25)
    assert fresh(admitted).status == CandidateStatus.ADMITTED


@pytest.mark.django_db
@pytest.mark.clock("2026-11-28T10:00:00+08:00")  # the story's dates are in the past: refused for probation only
def test_full_approval_before_the_probation_year_ends_is_refused(world, qian):
    record(world, qian, "branch_meeting", D(2026, 3, 2))
    record(world, qian, "approval", D(2026, 5, 10))
    with pytest.raises(ValidationError) as exc:
        record(world, qian, "full_approval", D(2026, 11, 20))  # the probation year ends on 2027-03-02
    assert _("This date is in the future.") not in exc.value.messages
    member = Member.objects.get(person=world.qian)
    assert member.stage == MemberStage.PROBATIONARY and member.full_on is None


@pytest.mark.django_db
def test_correcting_the_branch_meeting_after_admission_keeps_the_member_consistent(world, admitted):
    corrected = MEETING + dt.timedelta(days=2)
    try:
        record(world, admitted, "branch_meeting", corrected)
    except ValidationError:
        return  # refusing the correction (and saying how to fix the member) would be consistent too
    member = Member.objects.get(person=world.qian)
    assert member.joined_on == corrected
    assert Placement.objects.get(member=member).started_on == corrected


@pytest.mark.django_db
def test_recording_a_step_again_updates_it_and_records_the_change(world, qian):
    first = record(world, qian, "talk", D(2025, 3, 20), responsible="王书记")
    second = record(world, qian, "talk", D(2025, 3, 25), responsible="王书记", opinion="态度端正")
    assert second.pk == first.pk
    assert qian.steps.filter(code="talk").count() == 1
    assert (second.done_on, second.opinion, second.version) == (D(2025, 3, 25), "态度端正", 2)
    created, updated = candidate_events(qian).filter(reason=str(STEP_BY_CODE["talk"].label))
    assert created.action == EventAction.CREATED
    assert updated.action == EventAction.UPDATED
    assert updated.changes == {"talk:done_on": ["2025-03-20", "2025-03-25"], "talk:opinion": ["", "态度端正"]}


@pytest.mark.django_db
def test_the_stage_follows_the_first_step_not_done(world, qian):
    record(world, qian, "talk", D(2025, 3, 20))
    assert fresh(qian).stage == 2
    for code, day in (("activist", D(2025, 5, 1)), ("activist_filed", D(2025, 5, 10))):
        record(world, qian, code, day, publicity_from=D(2025, 4, 20), publicity_to=D(2025, 4, 28))
    record(world, qian, "contacts", D(2025, 5, 12), people=[world.zhao])
    assert fresh(qian).stage == 2
    record(world, qian, "activist_education", D(2026, 5, 1), hours=10)
    assert fresh(qian).stage == 3


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("renamed.pdf", b"MZ\x90\x00 not a pdf at all", "content"),
        ("photo.png", PDF, "content"),
        ("tool.exe", b"MZ\x90\x00", "type"),
        ("no-extension", PDF, "type"),
    ],
)
def test_an_attachment_of_the_wrong_kind_is_refused(world, qian, name, content, message):
    with pytest.raises(ValidationError) as exc:
        record(world, qian, "talk", D(2025, 3, 20), attachment=upload(name, content))
    expected = (
        _("Attach a PDF, JPG or PNG file.")
        if message == "type"
        else _("The file's content is not a %(kind)s file; it may have been renamed.")
        % {"kind": name.rsplit(".", 1)[-1].upper()}
    )
    assert exc.value.message_dict["attachment"] == [expected]
    assert not qian.steps.filter(code="talk").exists()


@pytest.mark.django_db
def test_an_attachment_over_the_limit_is_refused(world, qian, monkeypatch):
    monkeypatch.setattr(ds, "ATTACHMENT_MAX_BYTES", 64)
    with pytest.raises(ValidationError) as exc:
        record(world, qian, "talk", D(2025, 3, 20), attachment=upload("big.pdf", PDF + b"0" * 64))
    assert exc.value.message_dict["attachment"] == [
        _("The attachment is larger than %(size)s.") % {"size": filesizeformat(64)}
    ]
    assert record(world, qian, "talk", D(2025, 3, 20), attachment=upload("small.pdf", PDF[:64])).attachment


@pytest.mark.django_db
def test_a_real_pdf_is_kept_and_downloadable_within_scope_only(world, qian, client):
    step = record(world, qian, "talk", D(2025, 3, 20), attachment=upload("谈话记录.PDF", PDF))
    assert step.attachment.name.startswith(f"development/{qian.pk}/talk-")
    url = reverse("membership:step_attachment", args=[step.pk])
    client.force_login(world.users.secretary)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]
    client.force_login(world.users.outsider)
    assert client.get(url).status_code == 404
    # A step without an attachment has nothing to download.
    bare = record(world, qian, "application", APPLIED)
    client.force_login(world.users.secretary)
    assert client.get(reverse("membership:step_attachment", args=[bare.pk])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("user", ["outsider", "resident"])
def test_only_managers_may_record_a_step(world, qian, user):
    with pytest.raises(PermissionDenied):
        record(world, qian, "talk", D(2025, 3, 20), actor=as_actor(getattr(world.users, user)))
    assert not qian.steps.filter(code="talk").exists()


@pytest.mark.django_db
def test_stopping_needs_a_reason(world, qian):
    with pytest.raises(ValidationError) as exc:
        ds.candidate_stop(actor=as_actor(world.users.secretary), candidate=qian, reason="  ")
    assert "reason" in exc.value.message_dict
    stopped = ds.candidate_stop(actor=as_actor(world.users.secretary), candidate=qian, reason="本人撤回申请")
    assert (stopped.status, stopped.stopped_reason) == (CandidateStatus.STOPPED, "本人撤回申请")
    assert candidate_events(qian).last().action == EventAction.STATUS_CHANGED
    with pytest.raises(ValidationError):  # once is enough
        ds.candidate_stop(actor=as_actor(world.users.secretary), candidate=fresh(qian), reason="再次")
    with pytest.raises(ValidationError) as exc:  # and nothing more is recorded
        record(world, qian, "talk", D(2025, 3, 20))
    assert exc.value.message_dict["done_on"] == [_("The development has ended; nothing more can be recorded.")]


@pytest.mark.django_db
def test_stopping_is_refused_once_the_candidate_is_a_member(world, admitted):
    with pytest.raises(ValidationError) as exc:
        ds.candidate_stop(actor=as_actor(world.users.secretary), candidate=admitted, reason="不再发展")
    assert "reason" in exc.value.message_dict
    assert fresh(admitted).status == CandidateStatus.ACTIVE


@pytest.mark.django_db
def test_stopping_checks_permission(world, qian):
    with pytest.raises(PermissionDenied):
        ds.candidate_stop(actor=as_actor(world.users.outsider), candidate=qian, reason="越权")
    assert fresh(qian).status == CandidateStatus.ACTIVE


# --- 3. selectors and pages -------------------------------------------------------------------


def set_stage(candidate: Candidate, stage: int) -> None:
    Candidate.objects.filter(pk=candidate.pk).update(stage=stage)


@pytest.fixture
def board(world):
    """Candidates of community A at stages 1, 1, 2, 3 and 5, one of B at stage 1 and one stopped.
    周周 (stage 1) applied 40 days ago: the talk is overdue."""
    today = timezone.localdate()
    people = {}
    for name, stage in (("安安", 1), ("周周", 1), ("白白", 2), ("陈陈", 3), ("丁丁", 5)):
        person = new_person(world, name)
        applied = today - dt.timedelta(days=40 if name == "周周" else 3)
        people[name] = start(world, person, applied_on=applied)
        set_stage(people[name], stage)
    outside = make_person(world.users.admin, world.grid_b1, "方方", id_number=make_id_number(D(1996, 1, 1)))
    people["方方"] = start(world, outside, actor=as_actor(world.users.outsider), organization=world.branch_b1)
    stopped = start(world, new_person(world, "高高"), applied_on=today - dt.timedelta(days=3))
    ds.candidate_stop(actor=as_actor(world.users.secretary), candidate=stopped, reason="撤回")
    return people


def stage_names(result) -> dict[int, list[str]]:
    return {s["number"]: [entry.name for entry in s["candidates"]] for s in result["stages"]}


@pytest.mark.django_db
def test_the_board_counts_each_stage_and_lists_late_candidates_first(world, board):
    result = dsel.pipeline(actor=as_actor(world.users.secretary), organization=None)
    assert [s["number"] for s in result["stages"]] == [1, 2, 3, 4, 5]
    names = stage_names(result)
    assert names == {1: ["周周", "安安"], 2: ["白白"], 3: ["陈陈"], 4: [], 5: ["丁丁"]}
    assert {s["number"]: s["count"] for s in result["stages"]} == {n: len(v) for n, v in names.items()}
    assert (result["total"], result["late"]) == (5, 1)
    late = result["stages"][0]["candidates"][0]
    assert late.late and [w.step for w in late.warnings if w.due is not None] == ["talk"]
    assert result["stages"][0]["late"] == 1
    # B's secretary sees B's candidate only; an organisation filter narrows the board.
    assert stage_names(dsel.pipeline(actor=as_actor(world.users.outsider), organization=None))[1] == ["方方"]
    assert dsel.pipeline(actor=as_actor(world.users.secretary), organization=world.branch_a2)["total"] == 0


@pytest.mark.django_db
def test_the_board_counts_late_steps_on_the_day_it_is_asked_for(world):
    start(world, applied_on=timezone.localdate() - dt.timedelta(days=1))
    later = timezone.localdate() + dt.timedelta(days=60)
    result = dsel.pipeline(actor=as_actor(world.users.secretary, today=later), organization=None)
    (view,) = result["stages"][0]["candidates"]
    assert view.warnings and view.warnings[0].due < later  # the talk is overdue on that day
    assert result["late"] == 1


@pytest.mark.django_db
def test_the_board_page(world, board, client):
    client.force_login(world.users.secretary)
    response = client.get(reverse("membership:development"))
    assert response.status_code == 200
    body = response.content.decode()
    assert stage_names(response.context["board"])[1] == ["周周", "安安"]
    assert body.index("周周") < body.index("安安")
    assert (
        body.count('class="badge red"') == 2
    )  # the late candidate, and the late count of its column  # the late badge
    assert "方方" not in body and "高高" not in body
    filtered = client.get(reverse("membership:development"), {"org": world.branch_a2.pk})
    assert filtered.context["board"]["total"] == 0


def board_queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("membership:development"))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_board_query_count_does_not_grow_with_the_candidates(world, client):
    def add(n: int) -> None:
        for i in range(n):
            candidate = start(world, new_person(world, f"候选{chr(0x4E00 + len(added))}"))
            added.append(candidate)
            record(world, candidate, "talk", D(2025, 3, 20 + i % 5))
            record(world, candidate, "contacts", D(2025, 5, 1), people=[world.zhao])
            record(
                world, candidate, "activist", D(2025, 5, 2), publicity_from=D(2025, 4, 20), publicity_to=D(2025, 4, 25)
            )

    added: list[Candidate] = []
    add(2)
    board_queries(client, world.users.secretary)  # warm up per-process caches (content types, sessions)
    few = board_queries(client, world.users.secretary)
    add(4)
    many = board_queries(client, world.users.secretary)
    assert many == few


@pytest.mark.django_db
def test_the_candidate_page_shows_the_25_steps_and_the_warnings(world, client):
    applied = timezone.localdate() - dt.timedelta(days=26)  # the talk is due in 5 days
    candidate = start(world, applied_on=applied)
    record(world, candidate, "contacts", applied + dt.timedelta(days=1), people=[world.zhao])  # one full member: fine
    client.force_login(world.users.secretary)
    response = client.get(reverse("membership:candidate", args=[candidate.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    stages = response.context["stages"]
    assert [len(s["steps"]) for s in stages] == [2, 4, 5, 7, 7]
    for step in STEPS:
        assert html.escape(str(step.label)) in body
    warnings = response.context["view"].warnings
    assert [w.step for w in warnings] == ["talk"]
    assert html.escape(warnings[0].message) in body
    assert response.context["step"].code == "talk"  # the form is for the next step
    client.force_login(world.users.outsider)
    assert client.get(reverse("membership:candidate", args=[candidate.pk])).status_code == 404


@pytest.mark.django_db
def test_recording_a_step_through_the_page(world, qian, client):
    client.force_login(world.users.branch)
    url = reverse("membership:candidate", args=[qian.pk])
    response = client.post(url, {"code": "talk", "done_on": "2025-03-20", "responsible": "王书记", "opinion": "好"})
    assert response.status_code == 302 and response.url == url
    step = qian.steps.get(code="talk")
    assert (step.done_on, step.responsible, step.opinion, step.recorded_by) == (
        D(2025, 3, 20),
        "王书记",
        "好",
        world.users.branch,
    )
    response = client.post(url, {"code": "contacts", "done_on": "2025-05-01", "people": [world.zhao.pk]})
    assert response.status_code == 302
    assert list(qian.steps.get(code="contacts").people.all()) == [world.zhao]
    response = client.post(
        url, {"code": "activist", "done_on": "2025-05-02", "publicity_from": "2025-04-20", "publicity_to": "2025-04-28"}
    )
    assert response.status_code == 302
    response = client.post(
        url,
        {"code": "training", "done_on": "2025-06-01", "hours": "24", "attachment": upload("证书.pdf", PDF)},
    )
    assert response.status_code == 302
    training = qian.steps.get(code="training")
    assert training.hours == 24 and training.attachment


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"code": "talk", "done_on": ""}, "done_on"),
        ({"code": "talk", "done_on": "2099-01-01"}, "done_on"),
        ({"code": "contacts", "done_on": "2025-05-01"}, "people"),
        (
            {"code": "activist", "done_on": "2025-05-02", "publicity_from": "2025-04-28", "publicity_to": "2025-04-20"},
            "publicity_to",
        ),
        ({"code": "approval", "done_on": "2025-08-01"}, "done_on"),
        ({"code": "talk", "done_on": "2025-03-20", "attachment": upload("x.exe", b"MZ")}, "attachment"),
    ],
)
def test_bad_input_through_the_page_shows_errors(world, qian, client, data, field):
    client.force_login(world.users.secretary)
    response = client.post(reverse("membership:candidate", args=[qian.pk]), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors.get(field), form.errors
    body = response.content.decode()
    # One alert (the summary, linking to the field) and the message beside the field, which the
    # field's aria-describedby names.
    assert body.count('role="alert"') == 1 and 'class="form-errors error-summary"' in body
    error_id = f"{form[field].auto_id}_error"
    assert f'id="{error_id}"' in body and re.search(rf'aria-describedby="[^"]*\b{error_id}\b', body)
    assert not qian.steps.filter(code=data["code"]).exclude(code="application").exists()


@pytest.mark.django_db
def test_the_page_refuses_posts_from_those_who_may_only_look(world, qian, client):
    client.force_login(world.users.resident)  # 钱七 sees his own development
    url = reverse("membership:candidate", args=[qian.pk])
    assert client.get(url).status_code == 200
    assert client.get(url).context["form"] is None
    assert client.post(url, {"code": "talk", "done_on": "2025-03-20"}).status_code == 404
    assert not qian.steps.filter(code="talk").exists()


@pytest.mark.django_db
def test_starting_and_stopping_through_the_pages(world, client):
    number = make_id_number(D(1996, 4, 1))
    person = make_person(world.users.admin, world.grid_a1, "黄黄", id_number=number)
    url = reverse("membership:candidate_new")
    client.force_login(world.users.secretary)
    response = client.post(url, {"id_number": number, "organization": world.branch_a1.pk, "applied_on": "2026-10-01"})
    candidate = Candidate.objects.get(person=person)
    assert response.status_code == 302 and response.url == reverse("membership:candidate", args=[candidate.pk])
    assert candidate.steps.get().done_on == D(2026, 10, 1)
    again = client.post(url, {"id_number": number, "organization": world.branch_a1.pk, "applied_on": "2026-10-01"})
    assert again.status_code == 200 and again.context["form"].errors
    unknown = make_id_number(D(1997, 4, 1))  # nobody recorded with this number
    response = client.post(url, {"id_number": unknown, "organization": world.branch_a1.pk, "applied_on": "2026-10-01"})
    assert response.status_code == 200 and "id_number" in response.context["form"].errors
    client.force_login(world.users.resident)  # nowhere to start a development: no page
    assert client.get(url).status_code == 404
    client.force_login(world.users.secretary)
    stop = reverse("membership:candidate_stop", args=[candidate.pk])
    client.post(stop, {"reason": ""})
    assert fresh(candidate).status == CandidateStatus.ACTIVE
    client.post(stop, {"reason": "本人撤回"})
    assert fresh(candidate).status == CandidateStatus.STOPPED


# --- 4. the workbench -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_workbench_shows_a_talk_that_is_due(world, client):
    applied = timezone.localdate() - dt.timedelta(days=26)
    candidate = start(world, applied_on=applied)
    quiet = start(world, new_person(world, "静静"), applied_on=timezone.localdate() - dt.timedelta(days=2))
    client.force_login(world.users.secretary)
    response = client.get(reverse("dashboard:workbench"))
    assert response.status_code == 200
    deadlines = response.context["development_deadlines"]
    assert [item["pk"] for item in deadlines] == [candidate.pk]
    assert deadlines[0]["due"] == applied + dt.timedelta(days=31)
    body = response.content.decode()
    assert reverse("membership:candidate", args=[candidate.pk]) in body
    assert html.escape(deadlines[0]["message"]) in body
    assert reverse("membership:candidate", args=[quiet.pk]) not in body
    # B's secretary has nothing of A's.
    client.force_login(world.users.outsider)
    assert client.get(reverse("dashboard:workbench")).context["development_deadlines"] == []
