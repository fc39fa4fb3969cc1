"""Party dues (党费): the formula, yearly assessments with reductions, payments with receipts and
voiding, the monthly bill that must reconcile at every level of the tree (to the fen, on SQLite
and PostgreSQL), who is on which month's bill, arrears, and the pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.core.conf import override
from dangjian.core.models import Event, EventAction
from dangjian.membership.dues import rules as dues
from dangjian.membership.dues.selectors import (
    arrears,
    arrears_alert_count,
    bill_by_organization,
    bill_rows,
    bill_totals,
)
from dangjian.membership.dues.services import dues_assess, dues_record_payment, dues_void_payment
from dangjian.membership.models import DuesAssessment, DuesKind, DuesPayment, PaymentMethod, Placement
from dangjian.membership.roster.services import member_change_status, member_move
from dangjian.people.models import Member, MemberCategory, MembershipStatus
from tests.factories import as_actor, make_member, make_person

# The dues stories are set in 2026 (assessed for 2026, paid for its months, arrears up to last month).
pytestmark = [pytest.mark.django_db, pytest.mark.clock("2026-11-28T10:00:00+08:00")]

D = Decimal
MONTH = dt.date(2026, 10, 1)  # the bill month of most tests (world.today is 2026-11-28)


def m(year: int, month: int) -> dt.date:
    return dt.date(year, month, 1)


def months(first: dt.date, last: dt.date) -> list[dt.date]:
    result, month = [], first
    while month <= last:
        result.append(month)
        month = dues.add_months(month, 1)
    return result


def zhao(world) -> Member:
    return Member.objects.get(person=world.zhao)


def new_member(world, name: str, organization, *, grid=None, joined_on=None, category=None) -> Member:
    person = make_person(world.users.admin, grid or world.grid_a1, name)
    member = make_member(person, organization, joined_on=joined_on)
    if category:
        Member.objects.filter(pk=member.pk).update(category=category)
        member.refresh_from_db()
    return member


def assess(world, member, year=2026, kind=DuesKind.WAGE, base=None, **kwargs) -> DuesAssessment:
    return dues_assess(
        actor=as_actor(kwargs.pop("actor", world.users.admin), today=world.today),
        member=member,
        year=year,
        kind=kind,
        base=base,
        **kwargs,
    )


def pay(world, member, paid_months, **kwargs) -> str:
    kwargs.setdefault("method", PaymentMethod.CASH)
    kwargs.setdefault("paid_on", dt.date(2026, 11, 5))
    return dues_record_payment(
        actor=as_actor(kwargs.pop("actor", world.users.admin), today=world.today),
        member=member,
        months=paid_months,
        **kwargs,
    )


def member_events(member):
    return Event.objects.filter(target_type=ContentType.objects.get_for_model(Member), target_id=member.pk)


# --- 1. the formula ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "base", "rate", "monthly"),
    [
        (DuesKind.WAGE, "3000", "0.005", "15.00"),
        (DuesKind.WAGE, "3000.01", "0.01", "30.00"),
        (DuesKind.WAGE, "5000", "0.01", "50.00"),
        (DuesKind.WAGE, "5400", "0.015", "81.00"),  # the bracket's rate applies to the whole base
        (DuesKind.WAGE, "10000", "0.015", "150.00"),
        (DuesKind.WAGE, "10000.01", "0.02", "200.00"),
        (DuesKind.WAGE, "12000", "0.02", "240.00"),
        (DuesKind.WAGE, "3333.33", "0.01", "33.33"),
        (DuesKind.WAGE, "1234.50", "0.005", "6.17"),  # 6.1725 rounds half up to the fen
        (DuesKind.WAGE, "2999", "0.005", "15.00"),  # 14.995 rounds half up
        (DuesKind.PENSION, "5000", "0.005", "25.00"),
        (DuesKind.PENSION, "6000", "0.01", "60.00"),
    ],
)
def test_standard_monthly_by_brackets(kind, base, rate, monthly):
    found_rate, found = dues.standard_monthly(kind, D(base))
    assert (found_rate, found) == (D(rate), D(monthly))
    assert str(found) == monthly  # exactly two decimals


@pytest.mark.parametrize(
    ("category", "monthly"),
    [(MemberCategory.FARMER, "0.50"), (MemberCategory.STUDENT, "0.20"), (MemberCategory.OTHER, "0.20")],
)
def test_fixed_amounts(category, monthly):
    assert dues.standard_monthly(DuesKind.FIXED, D("0"), category) == (D("0"), D(monthly))


def test_the_rules_are_configuration(settings):
    settings.DANGJIAN = override(
        DUES={
            "wage": [(D("3000"), D("0.01")), (None, D("0.03"))],
            "fixed_other": D("0.30"),
        }
    )
    assert dues.standard_monthly(DuesKind.WAGE, D("3000")) == (D("0.01"), D("30.00"))
    assert dues.standard_monthly(DuesKind.WAGE, D("5400")) == (D("0.03"), D("162.00"))
    assert dues.standard_monthly(DuesKind.FIXED, D("0"), MemberCategory.STUDENT)[1] == D("0.30")
    # Keys not overridden keep their defaults.
    assert dues.standard_monthly(DuesKind.PENSION, D("6000")) == (D("0.01"), D("60.00"))
    assert dues.standard_monthly(DuesKind.FIXED, D("0"), MemberCategory.FARMER)[1] == D("0.50")


def test_month_helpers():
    assert dues.add_months(m(2026, 11), 2) == m(2027, 1)
    assert dues.add_months(m(2026, 1), -1) == m(2025, 12)
    assert dues.months_between(m(2026, 5), m(2026, 10)) == 6
    assert dues.months_between(m(2026, 5), m(2026, 4)) == 0
    assert dues.month_end(dt.date(2024, 2, 10)) == dt.date(2024, 2, 29)
    assert dues.parse_month("2026-11") == m(2026, 11)
    assert dues.parse_month("2026-13") is None and dues.parse_month("2026/11") is None


# --- 2. assessments ------------------------------------------------------------------------------------


def test_assessment_follows_the_rules(world):
    member = zhao(world)
    assessment = assess(world, member, base="5400", actor=as_actor(world.users.secretary))
    assessment.refresh_from_db()
    assert (assessment.kind, assessment.base, assessment.rate) == (DuesKind.WAGE, D("5400.00"), D("0.0150"))
    assert (assessment.standard, assessment.monthly) == (D("81.00"), D("81.00"))
    assert assessment.reduction_reason == "" and assessment.confirmed_on == world.today
    (event,) = member_events(member).filter(action=EventAction.CREATED, actor=world.users.secretary)
    assert event.changes["dues_year"] == [None, 2026]
    assert event.changes["dues_monthly"] == [None, "81.00"]


def test_a_reduction_needs_a_reason_and_an_approval(world):
    member = zhao(world)
    for reason, approved in (("", ""), ("失业", ""), ("", "红钢城社区党委")):
        with pytest.raises(ValidationError) as excinfo:
            assess(world, member, base="5400", monthly="40", reduction_reason=reason, reduction_approved_by=approved)
        assert "reduction_reason" in excinfo.value.message_dict
    assert not DuesAssessment.objects.exists()

    assessment = assess(
        world,
        member,
        base="5400",
        monthly="40",
        reduction_reason="家庭困难",
        reduction_approved_by="红钢城社区党委（2026-03-05会议）",
    )
    assessment.refresh_from_db()
    assert (assessment.standard, assessment.monthly) == (D("81.00"), D("40.00"))
    assert assessment.monthly < assessment.standard
    assert assessment.reduction_reason == "家庭困难"
    assert assessment.reduction_approved_by.startswith("红钢城社区党委")

    with pytest.raises(ValidationError) as excinfo:  # more than the rules give
        assess(world, member, base="5400", monthly="81.01")
    assert "monthly" in excinfo.value.message_dict
    assert DuesAssessment.objects.get(pk=assessment.pk).monthly == D("40.00")


def test_a_reduced_amount_shows_on_the_members_page(world, client):
    member = zhao(world)
    assess(world, member, base="5400", monthly="40", reduction_reason="家庭困难", reduction_approved_by="社区党委")
    client.force_login(world.users.secretary)
    response = client.get(reverse("membership:member_dues", args=[member.pk]))
    (shown,) = response.context["record"]["assessments"]
    assert shown.monthly < shown.standard
    assert "家庭困难" in response.content.decode()


def test_fixed_amount_stays_between_the_bounds(world):
    member = zhao(world)
    for wrong in ("0.10", "1.50"):
        with pytest.raises(ValidationError) as excinfo:
            assess(world, member, kind=DuesKind.FIXED, monthly=wrong)
        assert "monthly" in excinfo.value.message_dict
    assert not DuesAssessment.objects.exists()
    assert assess(world, member, kind=DuesKind.FIXED, monthly="1.00").monthly == D("1.00")
    assert assess(world, member, kind=DuesKind.FIXED, monthly="0.20").monthly == D("0.20")
    # Without an amount: the default of the member's category (employed → the other amount).
    assert assess(world, member, kind=DuesKind.FIXED).monthly == D("0.20")


def test_assessment_input_is_validated(world):
    member = zhao(world)
    with pytest.raises(ValidationError) as excinfo:
        assess(world, member, base=None)
    assert "base" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        assess(world, member, base="-5")
    assert "base" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        assess(world, member, base="abc")
    assert "base" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        assess(world, member, year=2028, base="5000")
    assert "year" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        assess(world, member, kind="salary", base="5000")
    assert "kind" in excinfo.value.message_dict
    assert not DuesAssessment.objects.exists()


def test_reassessing_a_year_updates_it(world):
    member = zhao(world)
    first = assess(world, member, base="5400")
    second = assess(world, member, base="4000")
    assert second.pk == first.pk
    assert DuesAssessment.objects.filter(member=member, year=2026).count() == 1
    second.refresh_from_db()
    assert (second.monthly, second.rate, second.version) == (D("40.00"), D("0.0100"), 2)
    updated = member_events(member).get(action=EventAction.UPDATED)
    assert updated.changes["dues_base"] == ["5400.00", "4000.00"]
    assert updated.changes["dues_monthly"] == ["81.00", "40.00"]
    # A reduction granted once is dropped when the year is reassessed at the standard.
    assess(world, member, base="4000", monthly="20", reduction_reason="困难", reduction_approved_by="党委")
    plain = assess(world, member, base="4000")
    assert (plain.monthly, plain.reduction_reason, plain.reduction_approved_by) == (D("40.00"), "", "")


def test_assessment_permissions(world):
    member = zhao(world)
    for user in (world.users.outsider, world.users.member, world.users.resident):
        with pytest.raises(PermissionDenied):
            assess(world, member, base="5400", actor=as_actor(user))
    assert not DuesAssessment.objects.exists()
    assert assess(world, member, base="5400", actor=as_actor(world.users.branch)).monthly == D("81.00")


# --- 3. payments -----------------------------------------------------------------------------------------


def test_each_month_is_paid_at_its_years_amount(world):
    member = zhao(world)
    assess(world, member, year=2025, base="5000")  # 50.00
    assess(world, member, year=2026, base="5400")  # 81.00
    number = pay(world, member, [m(2026, 1), m(2025, 12)], paid_on=dt.date(2026, 1, 10))
    assert number == "PA1-2026-00001"
    rows = list(DuesPayment.objects.filter(receipt_number=number).order_by("month"))
    assert [(r.month, r.amount) for r in rows] == [(m(2025, 12), D("50.00")), (m(2026, 1), D("81.00"))]
    assert {(r.organization_id, r.method, r.paid_on, r.recorded_by_id) for r in rows} == {
        (world.branch_a1.pk, "cash", dt.date(2026, 1, 10), world.users.admin.pk)
    }
    event = member_events(member).filter(action=EventAction.UPDATED).latest("occurred_at")
    assert event.changes["receipt_number"] == [None, number]
    assert event.changes["dues_amount"] == [None, "131.00"]


def test_a_later_year_not_yet_assessed_uses_the_latest_assessment(world):
    member = zhao(world)
    assess(world, member, year=2025, base="5000")
    number = pay(world, member, [m(2026, 3)])
    assert DuesPayment.objects.get(receipt_number=number).amount == D("50.00")


def test_a_year_not_assessed_cannot_be_paid(world):
    member = zhao(world)
    assess(world, member, year=2026, base="5400")
    with pytest.raises(ValidationError) as excinfo:
        pay(world, member, [m(2025, 12), m(2026, 1)])
    assert "months" in excinfo.value.message_dict
    assert not DuesPayment.objects.exists()


def test_a_month_is_paid_once(world):
    member = zhao(world)
    assess(world, member, base="5400")
    pay(world, member, [m(2026, 10)])
    with pytest.raises(ValidationError) as excinfo:
        pay(world, member, [m(2026, 9), m(2026, 10)])
    assert "2026-10" in " ".join(excinfo.value.message_dict["months"])
    assert list(DuesPayment.objects.values_list("month", flat=True)) == [m(2026, 10)]  # September not written


def test_payment_input_is_validated(world):
    member = zhao(world)  # joined 2015-07-01
    assess(world, member, year=2015, base="5000")
    assess(world, member, year=2026, base="5400")
    cases = [
        ({"paid_months": [m(2015, 6)]}, "months"),  # before joining
        ({"paid_months": []}, "months"),
        ({"paid_months": months(m(2024, 1), m(2026, 1))}, "months"),  # 25 months at once
        ({"paid_months": [m(2027, 12)]}, "months"),  # more than a year ahead
        ({"paid_months": [m(2026, 10)], "paid_on": dt.date(2026, 11, 29)}, "paid_on"),  # in the future
        ({"paid_months": [m(2026, 10)], "method": "cheque"}, "method"),
        ({"paid_months": [m(2026, 10)], "method": PaymentMethod.PROXY}, "paid_by"),
        ({"paid_months": [m(2026, 10)], "method": PaymentMethod.PROXY, "paid_by": member}, "paid_by"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as excinfo:
            pay(world, member, kwargs.pop("paid_months"), **kwargs)
        assert field in excinfo.value.message_dict, kwargs
    assert not DuesPayment.objects.exists()
    # The month of joining is due (and one year ahead is allowed).
    pay(world, member, [m(2015, 7), m(2027, 11)])
    assert DuesPayment.objects.count() == 2


def test_proxy_payment_names_the_member_who_paid(world):
    member = zhao(world)
    assess(world, member, base="5400")
    number = pay(world, member, [m(2026, 10)], method=PaymentMethod.PROXY, paid_by=world.member_li)
    payment = DuesPayment.objects.get(receipt_number=number)
    assert payment.paid_by == world.member_li and payment.method == PaymentMethod.PROXY
    # paid_by is kept only for a proxy payment
    number = pay(world, member, [m(2026, 9)], method=PaymentMethod.CASH, paid_by=world.member_li)
    assert DuesPayment.objects.get(receipt_number=number).paid_by is None


def test_receipt_numbers_run_per_organisation_and_year(world):
    member, sun = zhao(world), world.sun.member
    for who in (member, sun):
        assess(world, who, year=2025, base="5400")
        assess(world, who, year=2026, base="5400")
    assert pay(world, member, [m(2026, 8)]) == "PA1-2026-00001"
    assert pay(world, member, [m(2026, 9), m(2026, 10)]) == "PA1-2026-00002"
    assert pay(world, sun, [m(2026, 10)], actor=as_actor(world.users.outsider)) == "PB1-2026-00001"
    assert pay(world, member, [m(2025, 12)], paid_on=dt.date(2025, 12, 20)) == "PA1-2025-00001"
    assert pay(world, member, [m(2026, 11)]) == "PA1-2026-00003"
    assert DuesPayment.objects.filter(receipt_number="PA1-2026-00002").count() == 2


def test_payment_permissions(world):
    member = zhao(world)
    assess(world, member, base="5400")
    for user in (world.users.outsider, world.users.member):
        with pytest.raises(PermissionDenied):
            pay(world, member, [m(2026, 10)], actor=as_actor(user))
    assert not DuesPayment.objects.exists()


def test_voiding_a_payment(world):
    member = zhao(world)
    assess(world, member, base="5400")
    number = pay(world, member, [m(2026, 10)])
    payment = DuesPayment.objects.get(receipt_number=number)
    stale = DuesPayment.objects.get(pk=payment.pk)

    with pytest.raises(ValidationError):
        dues_void_payment(actor=as_actor(world.users.secretary), payment=payment, reason="  ")
    with pytest.raises(PermissionDenied):
        dues_void_payment(actor=as_actor(world.users.outsider), payment=payment, reason="录错了")
    assert DuesPayment.objects.get(pk=payment.pk).voided_on is None

    dues_void_payment(actor=as_actor(world.users.secretary), payment=payment, reason="录错了月份")
    payment.refresh_from_db()
    assert payment.voided_on == timezone.localdate() and payment.void_reason == "录错了月份"
    event = member_events(member).filter(action=EventAction.UPDATED, actor=world.users.secretary).get()
    assert event.reason == "录错了月份"
    assert event.changes["dues_voided"] == ["2026-10 81.00", None]
    assert event.changes["receipt_number"] == [number, None]

    with pytest.raises(ValidationError):  # voided twice (e.g. from a page loaded before)
        dues_void_payment(actor=as_actor(world.users.secretary), payment=stale, reason="再作废")
    assert DuesPayment.objects.get(pk=payment.pk).void_reason == "录错了月份"

    # The month can be paid again; the voided row stays on record.
    again = pay(world, member, [m(2026, 10)])
    assert again != number
    assert DuesPayment.objects.filter(member=member, month=m(2026, 10)).count() == 2
    assert (
        DuesPayment.objects.filter(member=member, month=m(2026, 10), voided_on__isnull=True).get().receipt_number
        == again
    )


# --- 4. the bill reconciles --------------------------------------------------------------------------------


@pytest.fixture
def ledger(world):
    """Eight members on the October 2026 bill across A1 (and its group), A2 and B1, with
    assessments of 2026 (one of 2025 only, one none, one reduced), payments (one voided) and
    payments of other months that must not count."""
    a2, b1 = world.branch_a2, world.branch_b1
    wu = new_member(world, "吴二", world.group_a1)
    zheng = new_member(world, "郑三", a2, grid=world.grid_a2)
    feng = new_member(world, "冯四", a2, grid=world.grid_a2)
    chen = new_member(world, "陈五", b1, grid=world.grid_b1)
    he = new_member(world, "何七", b1, grid=world.grid_b1)
    member, li, sun = zhao(world), world.member_li, world.sun.member

    assess(world, member, base="5400")  # 81.00
    assess(world, wu, kind=DuesKind.PENSION, base="3333.33")  # 16.67
    assess(world, li, kind=DuesKind.FIXED, monthly="0.70")
    assess(world, zheng, year=2025, base="12000")  # 240.00, still due in 2026
    assess(world, sun, base="10000.01")  # 200.00
    assess(world, chen, base="3000.01")  # 30.00
    assess(world, he, base="8000", monthly="60", reduction_reason="困难", reduction_approved_by="钢花村社区党委")

    pay(world, member, [m(2026, 9), MONTH])
    pay(world, wu, [m(2026, 9)])
    pay(world, li, [MONTH])
    pay(world, zheng, [MONTH, m(2026, 11)])
    voided = pay(world, sun, [MONTH])
    dues_void_payment(
        actor=as_actor(world.users.admin), payment=DuesPayment.objects.get(receipt_number=voided), reason="重复"
    )
    pay(world, chen, [MONTH])
    pay(world, he, [m(2026, 8), MONTH])
    return {"wu": wu, "zheng": zheng, "feng": feng, "chen": chen, "he": he}


def on_bill(organization, month=MONTH):
    """Members on ``organization``'s bill of ``month``, straight from the placements."""
    end = dues.month_end(month)
    return (
        Placement.objects.filter(organization__path__startswith=organization.path, started_on__lte=end)
        .exclude(ended_on__lte=end)
        .values("member_id")
    )


def assessed_due(organization, year=MONTH.year) -> Decimal:
    """The amounts due, summed in the database: this year's assessments plus, for members
    without one, their latest earlier year's."""
    members = on_bill(organization)
    this_year = DuesAssessment.objects.filter(member__in=members, year=year).aggregate(s=Sum("monthly"))["s"]
    latest_earlier = D("0")
    for member_id in (
        DuesAssessment.objects.filter(member__in=members)
        .exclude(member__dues_assessments__year=year)
        .values_list("member_id", flat=True)
        .distinct()
    ):
        latest_earlier += DuesAssessment.objects.filter(member_id=member_id, year__lt=year).order_by("-year")[0].monthly
    return (this_year or D("0")) + latest_earlier


def paid_in_db(organization, month=MONTH) -> Decimal:
    total = DuesPayment.objects.filter(
        month=month, voided_on__isnull=True, organization__path__startswith=organization.path
    ).aggregate(s=Sum("amount"))["s"]
    return total if total is not None else D("0")


def row_sums(rows) -> tuple[int, Decimal, Decimal]:
    rows = list(rows)
    due = sum((D(r.due) for r in rows if r.due is not None), D("0"))
    paid = sum((D(r.paid) for r in rows if r.paid is not None), D("0"))
    return len(rows), due, paid


def test_bill_reconciles_at_every_level(world, ledger):
    admin = world.users.admin
    street = bill_totals(bill_rows(actor=as_actor(admin), organization=world.working, month=MONTH))
    assert (street.members, street.assessed, street.paid_members) == (8, 7, 5)
    assert (street.due, street.paid) == (D("628.37"), D("411.70"))
    assert isinstance(street.due, Decimal) and isinstance(street.paid, Decimal)
    assert street.outstanding == D("216.67")
    assert paid_in_db(world.working) == D("411.70")
    assert assessed_due(world.working) == D("628.37")

    expected = {
        world.committee_a.pk: (5, D("338.37"), D("321.70")),
        world.committee_b.pk: (3, D("290.00"), D("90.00")),
        world.branch_a1.pk: (2, D("97.67"), D("81.00")),
        world.branch_a2.pk: (3, D("240.70"), D("240.70")),
        world.branch_b1.pk: (3, D("290.00"), D("90.00")),
    }
    for parent, children in (
        (world.working, [world.committee_a, world.committee_b]),
        (world.committee_a, [world.branch_a1, world.branch_a2]),
        (world.committee_b, [world.branch_b1]),
    ):
        parent_rows = list(bill_rows(actor=as_actor(admin), organization=parent, month=MONTH))
        parent_totals = bill_totals(parent_rows)
        groups = bill_by_organization(actor=as_actor(admin), organization=parent, month=MONTH)
        assert [org.pk for org, _totals in groups] == [c.pk for c in children]
        merged = type(parent_totals)()
        for org, totals in groups:
            child_rows = list(bill_rows(actor=as_actor(admin), organization=org, month=MONTH))
            # each organisation's totals are the sums of the member rows under it ...
            assert (totals.members, totals.due, totals.paid) == row_sums(child_rows) == expected[org.pk]
            assert bill_totals(child_rows) == totals
            # ... the money agrees with the payments and assessments in the database ...
            assert totals.paid == paid_in_db(org)
            assert totals.due == assessed_due(org)
            merged.merge(totals)
        # ... and the children add up to the parent.
        assert merged == parent_totals
        assert (parent_totals.members, parent_totals.due, parent_totals.paid) == row_sums(parent_rows)
        assert parent_totals.paid == paid_in_db(parent)


def test_bill_rows_carry_each_members_amounts(world, ledger):
    rows = {
        r.member.person.name: r
        for r in bill_rows(actor=as_actor(world.users.admin), organization=world.working, month=MONTH)
    }
    assert set(rows) == {"赵六", "吴二", "李四", "郑三", "冯四", "孙八", "陈五", "何七"}
    assert (rows["赵六"].due, rows["赵六"].paid, rows["赵六"].assessed_year) == (D("81.00"), D("81.00"), 2026)
    assert rows["赵六"].receipt.startswith("PA1-2026-") and rows["赵六"].method == "cash"
    assert (rows["郑三"].due, rows["郑三"].assessed_year) == (D("240.00"), 2025)  # until 2026 is confirmed
    assert rows["冯四"].due is None and rows["冯四"].paid is None
    assert rows["孙八"].paid is None and rows["孙八"].receipt is None  # the voided payment does not count
    assert rows["吴二"].paid is None  # paid September only
    assert rows["何七"].due == D("60.00")  # the reduced amount


def test_bill_is_limited_to_the_users_scope(world, ledger):
    secretary = bill_totals(bill_rows(actor=as_actor(world.users.secretary), organization=None, month=MONTH))
    admin_a = bill_totals(bill_rows(actor=as_actor(world.users.admin), organization=world.committee_a, month=MONTH))
    assert secretary == admin_a and secretary.members == 5
    branch = bill_rows(actor=as_actor(world.users.branch), organization=None, month=MONTH)
    assert {r.member.person.name for r in branch} == {"赵六", "吴二"}
    assert (
        bill_totals(
            bill_rows(actor=as_actor(world.users.outsider), organization=world.committee_a, month=MONTH)
        ).members
        == 0
    )


# --- 5. who is on which month's bill -------------------------------------------------------------------------


def names_on(world, organization, month) -> set[str]:
    return {
        r.member.person.name
        for r in bill_rows(actor=as_actor(world.users.admin), organization=organization, month=month)
    }


def test_bill_membership_follows_the_placements(world):
    mover = new_member(world, "钱八", world.branch_a1)
    assess(world, mover, base="5400")
    receipt = pay(world, mover, [MONTH], paid_on=dt.date(2026, 10, 5))  # paid to A1 before leaving
    member_move(
        actor=as_actor(world.users.admin),
        member=mover,
        organization=world.branch_b1,
        effective_on=dt.date(2026, 10, 15),
        reason="组织关系转接",
    )
    joiner = new_member(world, "卫九", world.branch_a2, grid=world.grid_a2, joined_on=dt.date(2026, 10, 20))
    late = new_member(world, "褚十", world.branch_a2, grid=world.grid_a2)
    member_change_status(
        actor=as_actor(world.users.admin, today=world.today),
        member=late,
        status=MembershipStatus.DECEASED,
        effective_on=dt.date(2026, 8, 10),
        reason="病故",
    )

    # Transferred mid-October: October is on the receiving branch's bill, not the sender's.
    assert "钱八" in names_on(world, world.branch_b1, MONTH)
    assert "钱八" not in names_on(world, world.branch_a1, MONTH)
    assert "钱八" in names_on(world, world.branch_a1, m(2026, 9))
    assert "钱八" not in names_on(world, world.branch_b1, m(2026, 9))
    street_rows = list(bill_rows(actor=as_actor(world.users.admin), organization=world.working, month=MONTH))
    assert [r.organization_id for r in street_rows if r.member_id == mover.pk] == [world.branch_b1.pk]
    # The bill follows the member (October shows as paid on B1's bill, with A1's receipt); the
    # money stays with the organisation that collected it, so the street still reconciles.
    (row,) = [r for r in street_rows if r.member_id == mover.pk]
    assert (row.paid, row.receipt) == (D("81.00"), receipt) and receipt.startswith("PA1-")
    assert bill_totals(street_rows).paid == paid_in_db(world.working) == D("81.00")

    # Joined mid-October: from October.
    assert "卫九" in names_on(world, world.branch_a2, MONTH)
    assert "卫九" not in names_on(world, world.branch_a2, m(2026, 9))

    # Died in August: not on the bills after it.
    assert "褚十" in names_on(world, world.branch_a2, m(2026, 7))
    assert "褚十" not in names_on(world, world.branch_a2, m(2026, 9))
    assert "褚十" not in names_on(world, world.working, MONTH)
    assert Member.objects.get(pk=late.pk).status == MembershipStatus.DECEASED
    assert Placement.objects.get(member=joiner).started_on == dt.date(2026, 10, 20)


# --- 6. arrears -----------------------------------------------------------------------------------------------


@pytest.fixture
def debtors(world):
    member = zhao(world)
    assess(world, member, year=2025, base="5000")  # 50.00
    assess(world, member, year=2026, base="5400")  # 81.00
    pay(world, member, months(m(2025, 1), m(2026, 4)), paid_on=dt.date(2026, 4, 30))

    zheng = new_member(world, "郑三", world.branch_a1)
    assess(world, zheng, year=2025, base="3000")  # 15.00
    assess(world, zheng, year=2026, base="3000.01")  # 30.00
    pay(world, zheng, months(m(2025, 1), m(2025, 10)), paid_on=dt.date(2025, 10, 31))

    wu = new_member(world, "吴二", world.branch_a1)
    assess(world, wu, year=2025, base="4000")
    pay(world, wu, months(m(2025, 1), m(2026, 10)), paid_on=dt.date(2026, 10, 31))

    feng = new_member(world, "冯四", world.branch_a2, grid=world.grid_a2)  # assessed this year, never paid
    assess(world, feng, year=2026, kind=DuesKind.PENSION, base="6000")  # 60.00

    wang = new_member(world, "王五", world.branch_a2, grid=world.grid_a2)
    assess(world, wang, year=2026, base="2000")  # 10.00
    pay(world, wang, months(m(2026, 1), m(2026, 8)), paid_on=dt.date(2026, 8, 31))
    return {"zheng": zheng, "wu": wu, "feng": feng, "wang": wang}


def test_arrears_count_the_unpaid_months_up_to_last_month(world, debtors):
    rows = arrears(actor=as_actor(world.users.secretary, today=world.today))
    found = {r.member.person.name: (r.months, r.owed, r.last_paid) for r in rows}
    assert found == {
        "郑三": (12, D("330.00"), m(2025, 10)),  # 2025-11 … 2026-10: 2 × 15 + 10 × 30
        "冯四": (10, D("600.00"), None),  # from the first assessed year, January 2026
        "赵六": (6, D("486.00"), m(2026, 4)),  # May … October (November is not overdue yet)
        "王五": (2, D("20.00"), m(2026, 8)),
    }
    assert [r.member.person.name for r in rows] == ["郑三", "冯四", "赵六", "王五"]  # longest first
    assert all(isinstance(r.owed, Decimal) for r in rows)
    # 李四 was never assessed; 吴二 paid through October.
    assert "李四" not in found and "吴二" not in found
    assert arrears_alert_count(actor=as_actor(world.users.secretary, today=world.today)) == 3
    assert arrears_alert_count(actor=as_actor(world.users.outsider, today=world.today)) == 0
    assert [r.member.person.name for r in arrears(actor=as_actor(world.users.branch, today=world.today))] == [
        "郑三",
        "赵六",
    ]


def test_the_owed_amount_is_the_sum_of_the_months_assessments(world, debtors):
    (row,) = [
        r for r in arrears(actor=as_actor(world.users.admin, today=world.today)) if r.member.person.name == "郑三"
    ]
    due = {2025: D("15.00"), 2026: D("30.00")}
    assert row.owed == sum(due[month.year] for month in months(m(2025, 11), m(2026, 10)))
    # Paying two of the months shortens the arrears from the start.
    pay(world, debtors["zheng"], [m(2025, 11), m(2025, 12)])
    (row,) = [
        r for r in arrears(actor=as_actor(world.users.admin, today=world.today)) if r.member.person.name == "郑三"
    ]
    assert (row.months, row.owed) == (10, D("300.00"))


def test_paying_the_current_month_does_not_hide_arrears(world, debtors):
    pay(world, zhao(world), [m(2026, 11)])  # November, while May … October are still unpaid
    found = {r.member.person.name: r.months for r in arrears(actor=as_actor(world.users.secretary, today=world.today))}
    assert found.get("赵六") == 6


# --- 7. the pages ------------------------------------------------------------------------------------------------


def last_message(response) -> tuple[str, str]:
    message = list(get_messages(response.wsgi_request))[-1]
    return message.level_tag, str(message)


def test_bill_page_shows_totals_and_members(world, client, ledger):
    client.force_login(world.users.secretary)
    response = client.get(reverse("membership:dues_bill"), {"org": world.committee_a.pk, "month": "2026-10"})
    assert response.status_code == 200
    totals = response.context["totals"]
    assert (totals.members, totals.due, totals.paid) == (5, D("338.37"), D("321.70"))
    assert [org.pk for org, _t in response.context["groups"]] == [world.branch_a1.pk, world.branch_a2.pk]
    body = response.content.decode()
    for name in ("赵六", "吴二", "李四", "郑三", "冯四"):
        assert name in body
    assert "孙八" not in body and "陈五" not in body
    assert "338.37" in body and "321.70" in body
    assert {r.member.person.name for r in response.context["page"].object_list} == {
        "赵六",
        "吴二",
        "李四",
        "郑三",
        "冯四",
    }

    client.force_login(world.users.outsider)  # community A's bill is not B's to see
    response = client.get(reverse("membership:dues_bill"), {"org": world.committee_a.pk, "month": "2026-10"})
    assert response.context["organization"] != world.committee_a
    assert "赵六" not in response.content.decode()


def recent_month() -> dt.date:
    """Last month by the real calendar (the pages use the real date)."""
    return dues.add_months(dues.month_start(timezone.localdate()), -1)


def test_pay_form_records_a_payment(world, client):
    member = zhao(world)
    month = recent_month()
    dues_assess(actor=as_actor(world.users.admin), member=member, year=month.year, kind=DuesKind.WAGE, base="5400")
    url = reverse("membership:member_dues", args=[member.pk])
    client.force_login(world.users.secretary)
    assert f"{month:%Y-%m}" in client.get(url).content.decode()

    response = client.post(
        url,
        {"action": "pay", "months": [f"{month:%Y-%m}"], "method": "cash", "paid_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302 and response["Location"].partition("?")[0] == url
    payment = DuesPayment.objects.get(member=member)
    assert (payment.month, payment.amount, payment.recorded_by) == (month, D("81.00"), world.users.secretary)
    level, text = last_message(response)
    assert level == "success" and payment.receipt_number in text


def test_pay_form_without_a_month_shows_an_error(world, client):
    member = zhao(world)
    month = recent_month()
    dues_assess(actor=as_actor(world.users.admin), member=member, year=month.year, kind=DuesKind.WAGE, base="5400")
    client.force_login(world.users.secretary)
    response = client.post(
        reverse("membership:member_dues", args=[member.pk]),
        {"action": "pay", "method": "cash", "paid_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 200
    assert "months" in response.context["pay_form"].errors
    assert not DuesPayment.objects.exists()


def test_member_dues_page_cannot_be_changed_by_a_viewer(world, client):
    member = zhao(world)
    month = recent_month()
    dues_assess(actor=as_actor(world.users.admin), member=member, year=month.year, kind=DuesKind.WAGE, base="5400")
    client.force_login(world.users.member)  # 赵六 sees his own dues but cannot record payments
    url = reverse("membership:member_dues", args=[member.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "pay", "months": [f"{month:%Y-%m}"], "method": "cash"})
    assert response.status_code == 404
    assert not DuesPayment.objects.exists()


def test_receipt_page_lists_the_months_and_total(world, client):
    member = zhao(world)
    assess(world, member, year=2025, base="5000")
    assess(world, member, year=2026, base="5400")
    number = pay(world, member, [m(2025, 12), m(2026, 1)], paid_on=dt.date(2026, 1, 10))
    client.force_login(world.users.secretary)
    response = client.get(reverse("membership:dues_receipt", args=[number]))
    assert response.status_code == 200
    assert response.context["total"] == D("131.00")
    body = response.content.decode()
    assert number in body and "2025-12 (50.00)" in body and "2026-01 (81.00)" in body and "131.00" in body
    assert "赵六" in body
    client.force_login(world.users.outsider)
    assert client.get(reverse("membership:dues_receipt", args=[number])).status_code == 404


def test_void_page_voids_the_payment(world, client):
    member = zhao(world)
    assess(world, member, base="5400")
    payment = DuesPayment.objects.get(receipt_number=pay(world, member, [m(2026, 10)]))
    url = reverse("membership:dues_void", args=[payment.pk])

    client.force_login(world.users.outsider)
    assert client.post(url, {"reason": "录错"}).status_code == 404
    client.force_login(world.users.secretary)
    response = client.post(url, {"reason": ""})
    assert last_message(response)[0] == "error"
    assert DuesPayment.objects.get(pk=payment.pk).voided_on is None

    response = client.post(url, {"reason": "录错了月份"})
    assert response.status_code == 302
    assert response["Location"] == reverse("membership:member_dues", args=[member.pk])
    assert last_message(response)[0] == "success"
    payment.refresh_from_db()
    assert payment.voided_on is not None and payment.void_reason == "录错了月份"
    response = client.post(url, {"reason": "再作废"})
    assert last_message(response)[0] == "error"
    assert DuesPayment.objects.get(pk=payment.pk).void_reason == "录错了月份"


def _grow_bill(world, count: int, start: int) -> None:
    for i in range(start, start + count):
        organization = world.branch_a1 if i % 2 else world.branch_a2
        member = new_member(world, f"党员{i}号", organization, grid=world.grid_a1 if i % 2 else world.grid_a2)
        assess(world, member, base=str(3000 + 100 * i))
        if i % 3:
            pay(world, member, [MONTH])


def _bill_queries(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.context["totals"].members


def test_bill_page_query_count_does_not_grow_with_members(world, client):
    client.force_login(world.users.secretary)
    url = reverse("membership:dues_bill") + f"?org={world.committee_a.pk}&month=2026-10"
    _grow_bill(world, 3, 0)
    client.get(url)  # the header's unread count is cached from then on, as after any page
    few, members_few = _bill_queries(client, url)
    _grow_bill(world, 6, 3)
    many, members_many = _bill_queries(client, url)
    assert (members_few, members_many) == (5, 11)  # 赵六 and 李四 besides those added
    assert many == few
    assert few <= 15


@pytest.mark.django_db(transaction=True)
def test_the_bill_exports_to_excel_with_totals_from_its_rows(world, client):
    """The .xlsx export of a month's bill (a background job with the real worker): one row per
    member on the bill, amounts as on the bill page, and a totals row equal to their sums."""
    import io

    from django.core.management import call_command
    from openpyxl import load_workbook

    from dangjian.core.models import Job

    zhao_member = world.zhao.member
    li = world.member_li
    assess(world, zhao_member, base="5400")
    assess(world, li, kind=DuesKind.PENSION, base="6000")
    pay(world, zhao_member, [m(2026, 10)])
    client.force_login(world.users.secretary)
    response = client.post(reverse("membership:dues_export"), {"org": world.committee_a.pk, "month": "2026-10"})
    assert response.status_code == 302
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    job = Job.objects.get(kind="dues_bill_export")
    assert job.status == "succeeded", job.error
    sheet = load_workbook(io.BytesIO(job.file.read()), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    members = [r for r in rows[1:] if r and r[1] and r[0] != rows[-1][0]]
    expected = bill_rows(actor=as_actor(world.users.secretary), organization=world.committee_a, month=m(2026, 10))
    assert sorted(r[1] for r in members) == sorted(p.member.person.name for p in expected)
    by_name = {r[1]: r for r in members}
    assert Decimal(str(by_name["赵六"][3])) == Decimal("81.00") and Decimal(str(by_name["赵六"][5])) == Decimal("81.00")
    assert by_name["李四"][5] is None  # unpaid
    total = rows[-1]
    assert Decimal(str(total[3])) == sum(Decimal(str(r[3])) for r in members if r[3] is not None) == Decimal("141.00")
    assert Decimal(str(total[5])) == Decimal("81.00")
    assert Event.objects.filter(action=EventAction.EXPORTED, changes__dues_bill=[None, "2026-10"]).exists()


def test_confirming_a_year_refuses_a_year_that_is_a_typo(world, client):
    """Confirming year 0 wrote assessments for year 0; "²" answered 500."""
    from dangjian.membership.dues.services import dues_confirm_year

    dues_assess(actor=as_actor(world.users.secretary), member=world.zhao.member, year=2026, kind="wage", base="5400")
    client.force_login(world.users.secretary)
    url = reverse("membership:dues_confirm_year")
    for year in ("0", "²", "20266", "1999", str(timezone.localdate().year + 2)):
        assert client.post(url, {"org": world.branch_a1.pk, "year": year}).status_code == 404, year
    assert client.post(url, {"org": "²", "year": "2027"}).status_code == 404
    with pytest.raises(ValidationError):
        dues_confirm_year(actor=as_actor(world.users.secretary), organization=world.branch_a1, year=0)
    assert not DuesAssessment.objects.exclude(year=2026).exists()
