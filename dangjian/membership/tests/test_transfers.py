"""Transfers of membership (组织关系接转): the states and who may move a transfer through them,
the letter's serial number and validity, the member's organisation changing only on acceptance
(once), transfers out of and into the system, the pages and the printable letter."""

import datetime as dt
import os
import re
import shutil
import subprocess

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from dangjian.core.models import Event, EventAction
from dangjian.membership.dues.services import dues_assess, dues_record_payment
from dangjian.membership.forms import MemberStatusForm
from dangjian.membership.models import (
    Placement,
    PlacementReason,
    StatusChange,
    Transfer,
    TransferKind,
    TransferState,
    TransferStep,
)
from dangjian.membership.roster.selectors import member_count_on
from dangjian.membership.roster.services import member_change_status
from dangjian.membership.transfers import services as ts
from dangjian.people.models import Member, MemberCategory, MembershipStatus, MemberStage
from dangjian.people.services import person_update
from tests.factories import as_actor, make_id_number, make_person

# The transfer stories happen in late November 2026: letters issued on the 28th, numbered PA-2026-….
pytestmark = [pytest.mark.django_db, pytest.mark.clock("2026-11-28T10:00:00+08:00")]

RECEIVED_ON = dt.date(2026, 11, 28)  # the day the letter is issued (world.today) and accepted: never in the future
EXTERNAL = "湖北省武汉市某街道党工委"


def zhao(world) -> Member:
    """赵六's member record, fresh from the database (services update it behind our back)."""
    return Member.objects.get(person=world.zhao)


def fresh(transfer: Transfer) -> Transfer:
    return Transfer.objects.get(pk=transfer.pk)


def placements(member: Member) -> list[tuple]:
    return [
        (p.organization_id, p.started_on, p.ended_on, p.reason)
        for p in Placement.objects.filter(member=member).order_by("started_on", "pk")
    ]


def step_actions(transfer: Transfer) -> list[str]:
    return list(
        TransferStep.objects.filter(transfer=transfer).order_by("decided_at", "pk").values_list("action", flat=True)
    )


def transfer_events(transfer: Transfer):
    return Event.objects.filter(target_type=ContentType.objects.get_for_model(Transfer), target_id=transfer.pk)


def apply(world, *, actor=None, member=None, to=None, external="", reason="搬家到钢花村") -> Transfer:
    if to is None and not external:
        to = world.branch_b1
    return ts.transfer_apply(
        actor=as_actor(actor or world.users.secretary),
        member=member or zhao(world),
        to_organization=to,
        external_organization=external,
        reason=reason,
    )


def reviewing(world, **kwargs) -> Transfer:
    transfer = apply(world, **kwargs)
    return ts.transfer_submit(actor=as_actor(world.users.secretary), transfer=transfer)


def sent(world, *, approver=None, **kwargs) -> Transfer:
    transfer = reviewing(world, **kwargs)
    return ts.transfer_approve(actor=as_actor(approver or world.users.secretary, today=world.today), transfer=transfer)


# --- 1. the happy path A1 → B1 -----------------------------------------------------------------


def test_internal_transfer_from_application_to_acceptance(world):
    secretary, outsider, admin = world.users.secretary, world.users.outsider, world.users.admin
    member = zhao(world)
    dues_assess(actor=as_actor(secretary, today=world.today), member=member, year=2026, kind="wage", base="5400")
    dues_record_payment(
        actor=as_actor(secretary, today=world.today),
        member=member,
        months=[dt.date(2026, 9, 1), dt.date(2026, 10, 1)],
        method="cash",
        paid_on=dt.date(2026, 10, 8),
    )

    transfer = ts.transfer_apply(
        actor=as_actor(secretary), member=member, to_organization=world.branch_b1, reason="搬家"
    )
    transfer = fresh(transfer)
    assert transfer.state == TransferState.APPLIED
    assert transfer.kind == TransferKind.INTERNAL
    assert (transfer.from_organization, transfer.to_organization) == (world.branch_a1, world.branch_b1)
    assert transfer.approving_organization == world.committee_a
    assert transfer.person_id == world.zhao.pk and transfer.member_id == member.pk
    assert transfer.serial_number == "" and transfer.valid_until is None
    (step,) = TransferStep.objects.filter(transfer=transfer)
    assert (step.action, step.old_state, step.new_state) == ("apply", "applied", "applied")
    assert step.decided_by == secretary and step.organization == world.branch_a1 and step.note == "搬家"

    ts.transfer_submit(actor=as_actor(secretary), transfer=transfer)
    assert fresh(transfer).state == TransferState.REVIEWING

    ts.transfer_approve(actor=as_actor(secretary, today=world.today), transfer=fresh(transfer))
    transfer = fresh(transfer)
    assert transfer.state == TransferState.SENT
    assert transfer.serial_number == "PA-2026-0001"
    assert transfer.valid_until == world.today + dt.timedelta(days=90) == dt.date(2027, 2, 26)
    assert transfer.dues_paid_until == dt.date(2026, 10, 1)  # the last month paid
    approve_step = TransferStep.objects.get(transfer=transfer, action="approve")
    assert approve_step.organization == world.committee_a and approve_step.new_state == TransferState.SENT

    # Until the receiver accepts, the member stays with the sending branch.
    assert zhao(world).organization == world.branch_a1
    assert placements(member) == [(world.branch_a1.pk, dt.date(2015, 7, 1), None, PlacementReason.RECORDED)]

    # The committee's serial numbers run on; another committee counts from 1.
    second = sent(world, member=world.member_li, to=world.branch_b1)
    assert second.serial_number == "PA-2026-0002"
    from_b = ts.transfer_apply(
        actor=as_actor(outsider), member=world.sun.member, to_organization=world.branch_a2, reason="工作调动"
    )
    ts.transfer_submit(actor=as_actor(outsider), transfer=from_b)
    from_b = ts.transfer_approve(actor=as_actor(outsider, today=world.today), transfer=fresh(from_b))
    assert from_b.serial_number == "PB-2026-0001"

    ts.transfer_accept(actor=as_actor(outsider), transfer=transfer, effective_on=RECEIVED_ON, note="已接收")
    transfer = fresh(transfer)
    assert transfer.state == TransferState.RECEIVED
    assert transfer.effective_on == RECEIVED_ON
    member = zhao(world)
    assert member.organization == world.branch_b1
    assert placements(member) == [
        (world.branch_a1.pk, dt.date(2015, 7, 1), RECEIVED_ON, PlacementReason.RECORDED),
        (world.branch_b1.pk, RECEIVED_ON, None, PlacementReason.TRANSFERRED),
    ]
    assert step_actions(transfer) == ["apply", "submit", "approve", "accept"]
    assert transfer_events(transfer).filter(action=EventAction.STATUS_CHANGED).count() == 4

    day_before = RECEIVED_ON - dt.timedelta(days=1)
    assert member_count_on(actor=as_actor(admin), organization=world.branch_a1, day=day_before) == 1
    assert member_count_on(actor=as_actor(admin), organization=world.branch_a1, day=RECEIVED_ON) == 0
    assert member_count_on(actor=as_actor(admin), organization=world.branch_b1, day=day_before) == 1  # 孙八
    assert member_count_on(actor=as_actor(admin), organization=world.branch_b1, day=RECEIVED_ON) == 2
    assert (
        ts.transfer_actions(actor=as_actor(outsider), transfer=transfer) == []
        and ts.transfer_actions(actor=as_actor(admin), transfer=transfer) == []
    )


# --- 2. who may do what ------------------------------------------------------------------------


def test_approval_needs_the_committee_not_the_branch(world):
    branch = world.users.branch
    transfer = ts.transfer_apply(
        actor=as_actor(branch), member=zhao(world), to_organization=world.branch_b1, reason="搬家"
    )
    ts.transfer_submit(actor=as_actor(branch), transfer=transfer)  # the branch sends it up ...
    transfer = fresh(transfer)
    with pytest.raises(PermissionDenied):  # ... but only committee A approves
        ts.transfer_approve(actor=as_actor(branch, today=world.today), transfer=transfer)
    with pytest.raises(PermissionDenied):
        ts.transfer_return(actor=as_actor(branch), transfer=transfer, note="材料不全")
    assert fresh(transfer).state == TransferState.REVIEWING and fresh(transfer).serial_number == ""


def test_outsider_cannot_move_community_a_transfers(world):
    outsider = world.users.outsider
    with pytest.raises(PermissionDenied):
        ts.transfer_apply(actor=as_actor(outsider), member=zhao(world), to_organization=world.branch_b1, reason="搬家")
    transfer = apply(world)
    with pytest.raises(PermissionDenied):
        ts.transfer_submit(actor=as_actor(outsider), transfer=transfer)
    with pytest.raises(PermissionDenied):
        ts.transfer_cancel(actor=as_actor(outsider), transfer=transfer)
    transfer = ts.transfer_submit(actor=as_actor(world.users.secretary), transfer=transfer)
    with pytest.raises(PermissionDenied):
        ts.transfer_approve(actor=as_actor(outsider, today=world.today), transfer=transfer)
    with pytest.raises(PermissionDenied):  # while under review, returning is the committee's
        ts.transfer_return(actor=as_actor(outsider), transfer=transfer, note="不接收")
    assert fresh(transfer).state == TransferState.REVIEWING
    assert step_actions(transfer) == ["apply", "submit"]


def test_sending_secretary_cannot_accept_into_another_community(world):
    transfer = sent(world)
    with pytest.raises(PermissionDenied):
        ts.transfer_accept(actor=as_actor(world.users.secretary), transfer=transfer, effective_on=RECEIVED_ON)
    with pytest.raises(PermissionDenied):
        ts.transfer_accept(actor=as_actor(world.users.branch), transfer=transfer, effective_on=RECEIVED_ON)
    assert fresh(transfer).state == TransferState.SENT
    assert zhao(world).organization == world.branch_a1


def test_the_member_account_can_do_nothing(world):
    me = world.users.member
    with pytest.raises(PermissionDenied):
        ts.transfer_apply(actor=as_actor(me), member=zhao(world), to_organization=world.branch_b1, reason="我要搬家")
    transfer = apply(world)
    for call in (
        lambda: ts.transfer_submit(actor=as_actor(me), transfer=transfer),
        lambda: ts.transfer_cancel(actor=as_actor(me), transfer=transfer),
    ):
        with pytest.raises(PermissionDenied):
            call()
    transfer = ts.transfer_submit(actor=as_actor(world.users.secretary), transfer=transfer)
    with pytest.raises(PermissionDenied):
        ts.transfer_approve(actor=as_actor(me, today=world.today), transfer=transfer)
    transfer = ts.transfer_approve(actor=as_actor(world.users.secretary, today=world.today), transfer=transfer)
    with pytest.raises(PermissionDenied):
        ts.transfer_accept(actor=as_actor(me), transfer=transfer, effective_on=RECEIVED_ON)
    with pytest.raises(PermissionDenied):
        ts.transfer_return(actor=as_actor(me), transfer=transfer, note="不去了")
    assert fresh(transfer).state == TransferState.SENT
    assert ts.transfer_actions(actor=as_actor(me), transfer=transfer) == []


def test_transfer_actions_per_user_and_state(world):
    u = world.users
    people = {
        "admin": u.admin,
        "secretary": u.secretary,
        "branch": u.branch,
        "outsider": u.outsider,
        "member": u.member,
    }

    def actions(transfer):
        return {
            name: ts.transfer_actions(actor=as_actor(user), transfer=fresh(transfer)) for name, user in people.items()
        }

    transfer = apply(world)
    assert actions(transfer) == {
        "admin": ["submit", "cancel"],
        "secretary": ["submit", "cancel"],
        "branch": ["submit", "cancel"],
        "outsider": [],
        "member": [],
    }
    ts.transfer_submit(actor=as_actor(u.secretary), transfer=transfer)
    assert actions(transfer) == {
        "admin": ["approve", "return", "cancel"],
        "secretary": ["approve", "return", "cancel"],
        "branch": ["cancel"],
        "outsider": [],
        "member": [],
    }
    ts.transfer_approve(actor=as_actor(u.secretary, today=world.today), transfer=fresh(transfer))
    assert actions(transfer) == {
        "admin": ["accept", "return", "cancel"],
        "secretary": ["cancel"],
        "branch": ["cancel"],
        "outsider": ["accept", "return"],
        "member": [],
    }
    ts.transfer_accept(actor=as_actor(u.outsider), transfer=fresh(transfer), effective_on=RECEIVED_ON)
    assert actions(transfer) == {name: [] for name in people}


# --- 3. accepted once only -----------------------------------------------------------------------


def test_a_transfer_is_accepted_once_even_from_a_stale_page(world):
    outsider = world.users.outsider
    transfer = sent(world)
    stale = Transfer.objects.get(pk=transfer.pk)  # a second tab loaded while it was still "sent"
    ts.transfer_accept(actor=as_actor(outsider), transfer=transfer, effective_on=RECEIVED_ON)
    member = zhao(world)
    before = (placements(member), member.version, step_actions(transfer), transfer_events(transfer).count())

    with pytest.raises(ValidationError) as excinfo:
        ts.transfer_accept(actor=as_actor(outsider), transfer=stale, effective_on=dt.date(2026, 11, 25))
    assert excinfo.value.code == "stale"
    member = zhao(world)
    assert (placements(member), member.version, step_actions(transfer), transfer_events(transfer).count()) == before
    assert Placement.objects.filter(member=member).count() == 2
    assert member.organization == world.branch_b1
    assert fresh(transfer).effective_on == RECEIVED_ON

    with pytest.raises(ValidationError):  # the same object again, accepted a third time
        ts.transfer_accept(actor=as_actor(outsider), transfer=stale, effective_on=RECEIVED_ON)
    assert Placement.objects.filter(member=member).count() == 2


def test_accept_after_the_sender_withdrew_is_refused(world):
    transfer = sent(world)
    stale = Transfer.objects.get(pk=transfer.pk)  # the receiver's page, loaded while "sent"
    ts.transfer_cancel(actor=as_actor(world.users.secretary), transfer=transfer, note="本人不去了")
    assert fresh(transfer).state == TransferState.CANCELLED
    with pytest.raises(ValidationError) as excinfo:
        ts.transfer_accept(actor=as_actor(world.users.outsider), transfer=stale, effective_on=RECEIVED_ON)
    assert excinfo.value.code == "stale"
    assert fresh(transfer).state == TransferState.CANCELLED
    assert zhao(world).organization == world.branch_a1
    assert placements(zhao(world)) == [(world.branch_a1.pk, dt.date(2015, 7, 1), None, PlacementReason.RECORDED)]
    assert ts.transfer_actions(actor=as_actor(world.users.outsider), transfer=fresh(transfer)) == []


def test_submit_and_approve_are_refused_in_the_wrong_state(world):
    transfer = apply(world)
    with pytest.raises(ValidationError):  # not yet submitted
        ts.transfer_approve(actor=as_actor(world.users.secretary, today=world.today), transfer=transfer)
    ts.transfer_submit(actor=as_actor(world.users.secretary), transfer=transfer)
    with pytest.raises(ValidationError):  # submitted twice
        ts.transfer_submit(actor=as_actor(world.users.secretary), transfer=transfer)
    assert fresh(transfer).serial_number == "" and step_actions(transfer) == ["apply", "submit"]


# --- 4. one active transfer per member ------------------------------------------------------------


def test_a_member_cannot_be_in_two_active_transfers(world):
    first = apply(world)
    with pytest.raises(ValidationError) as excinfo:
        apply(world, to=world.branch_a2)
    assert "member" in excinfo.value.message_dict
    with pytest.raises(ValidationError):
        apply(world, actor=as_actor(world.users.admin), external=EXTERNAL)
    assert Transfer.objects.filter(person=world.zhao).count() == 1

    # The partial unique constraint itself (whatever the service checks).
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(
            member=zhao(world),
            person=world.zhao,
            kind=TransferKind.OUTGOING,
            state=TransferState.SENT,
            from_organization=world.branch_a1,
            external_organization=EXTERNAL,
            reason="重复",
        )

    ts.transfer_cancel(actor=as_actor(world.users.secretary), transfer=first, note="改去第二支部")
    second = apply(world, to=world.branch_a2)
    assert second.state == TransferState.APPLIED
    ts.transfer_submit(actor=as_actor(world.users.secretary), transfer=second)
    ts.transfer_return(actor=as_actor(world.users.secretary), transfer=fresh(second), note="材料不全")
    third = apply(world, to=world.branch_b1)
    assert third.state == TransferState.APPLIED
    states = set(Transfer.objects.filter(person=world.zhao).values_list("state", flat=True))
    assert states == {TransferState.CANCELLED, TransferState.RETURNED, TransferState.APPLIED}


def test_apply_validates_its_input(world):
    with pytest.raises(ValidationError) as excinfo:
        ts.transfer_apply(actor=as_actor(world.users.secretary), member=zhao(world), to_organization=None, reason="")
    assert {"reason", "to_organization"} <= set(excinfo.value.message_dict)
    with pytest.raises(ValidationError) as excinfo:
        apply(world, to=world.branch_a1)  # his own branch
    assert "to_organization" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        apply(world, to=world.group_a1)  # a party group is not a receiving organisation
    assert "to_organization" in excinfo.value.message_dict
    assert not Transfer.objects.exists()


# --- 5. returning --------------------------------------------------------------------------------


def test_return_while_under_review_needs_a_reason(world):
    transfer = reviewing(world)
    with pytest.raises(ValidationError) as excinfo:
        ts.transfer_return(actor=as_actor(world.users.secretary), transfer=transfer, note="   ")
    assert "note" in excinfo.value.message_dict
    assert fresh(transfer).state == TransferState.REVIEWING

    ts.transfer_return(actor=as_actor(world.users.secretary), transfer=transfer, note="缺少接收证明")
    transfer = fresh(transfer)
    assert transfer.state == TransferState.RETURNED and transfer.serial_number == ""
    step = TransferStep.objects.get(transfer=transfer, action="return")
    assert (step.old_state, step.organization, step.note) == ("reviewing", world.committee_a, "缺少接收证明")
    assert zhao(world).organization == world.branch_a1
    assert len(placements(zhao(world))) == 1
    assert ts.transfer_actions(actor=as_actor(world.users.admin), transfer=transfer) == []
    with pytest.raises(ValidationError):  # nothing to return any more
        ts.transfer_return(actor=as_actor(world.users.admin), transfer=transfer, note="再退一次")


def test_return_once_sent_is_the_receivers(world):
    transfer = sent(world)
    with pytest.raises(PermissionDenied):  # the sender cannot return its own letter
        ts.transfer_return(actor=as_actor(world.users.secretary), transfer=transfer, note="不去了")
    with pytest.raises(ValidationError):
        ts.transfer_return(actor=as_actor(world.users.outsider), transfer=transfer, note="")
    ts.transfer_return(actor=as_actor(world.users.outsider), transfer=transfer, note="本支部无法接收")
    transfer = fresh(transfer)
    assert transfer.state == TransferState.RETURNED
    step = TransferStep.objects.get(transfer=transfer, action="return")
    assert (step.old_state, step.organization, step.decided_by) == ("sent", world.branch_b1, world.users.outsider)
    member = zhao(world)
    assert member.organization == world.branch_a1
    assert placements(member) == [(world.branch_a1.pk, dt.date(2015, 7, 1), None, PlacementReason.RECORDED)]
    with pytest.raises(ValidationError):
        ts.transfer_accept(actor=as_actor(world.users.outsider), transfer=transfer, effective_on=RECEIVED_ON)


# --- 6. out of the system ----------------------------------------------------------------------------


def test_outgoing_transfer_ends_with_the_receipt(world):
    secretary, outsider, admin = world.users.secretary, world.users.outsider, world.users.admin
    transfer = sent(world, external=EXTERNAL)
    assert transfer.kind == TransferKind.OUTGOING
    assert transfer.to_organization is None and transfer.external_organization == EXTERNAL
    assert transfer.state == TransferState.SENT and transfer.serial_number == "PA-2026-0001"

    assert ts.transfer_actions(actor=as_actor(secretary), transfer=transfer) == ["receipt", "cancel"]
    assert ts.transfer_actions(actor=as_actor(outsider), transfer=transfer) == []
    assert "accept" not in ts.transfer_actions(actor=as_actor(admin), transfer=transfer)
    with pytest.raises(PermissionDenied):  # nobody in the system receives it
        ts.transfer_accept(actor=as_actor(admin), transfer=transfer, effective_on=RECEIVED_ON)
    with pytest.raises(PermissionDenied):
        ts.transfer_record_receipt(actor=as_actor(outsider), transfer=transfer, effective_on=RECEIVED_ON)

    ts.transfer_record_receipt(
        actor=as_actor(secretary), transfer=transfer, effective_on=RECEIVED_ON, note="回执已收到"
    )
    transfer = fresh(transfer)
    assert transfer.state == TransferState.RECEIVED and transfer.effective_on == RECEIVED_ON
    member = zhao(world)
    assert member.status == MembershipStatus.TRANSFERRED_OUT
    assert placements(member) == [(world.branch_a1.pk, dt.date(2015, 7, 1), RECEIVED_ON, PlacementReason.RECORDED)]
    change = StatusChange.objects.get(member=member)
    assert (change.old_status, change.new_status, change.effective_on) == ("normal", "transferred_out", RECEIVED_ON)
    assert EXTERNAL in change.reason
    assert (
        member_count_on(actor=as_actor(admin), organization=world.branch_a1, day=RECEIVED_ON - dt.timedelta(days=1))
        == 1
    )
    assert member_count_on(actor=as_actor(admin), organization=world.branch_a1, day=RECEIVED_ON) == 0
    with pytest.raises(ValidationError):  # the receipt is recorded once
        ts.transfer_record_receipt(actor=as_actor(secretary), transfer=transfer, effective_on=RECEIVED_ON)


def test_transferred_out_is_set_only_through_a_transfer(world):
    form = MemberStatusForm()
    offered = [value for value, _label in form.fields["status"].choices]
    assert MembershipStatus.TRANSFERRED_OUT not in offered
    assert MembershipStatus.DECEASED in offered
    bound = MemberStatusForm(data={"status": "transferred_out", "effective_on": "2026-11-01", "reason": "外转"})
    assert not bound.is_valid() and "status" in bound.errors
    with pytest.raises(ValidationError):
        member_change_status(
            actor=as_actor(world.users.secretary, today=world.today),
            member=zhao(world),
            status=MembershipStatus.TRANSFERRED_OUT,
            effective_on=RECEIVED_ON,
            reason="外转",
        )
    assert zhao(world).status == MembershipStatus.NORMAL


# --- 7. into the system from outside -----------------------------------------------------------------


INCOMING_DATA = {
    "stage": MemberStage.FULL,
    "category": MemberCategory.RETIRED,
    "joined_on": dt.date(2012, 6, 1),
    "full_on": dt.date(2013, 6, 1),
}


@pytest.fixture
def zhou(world):
    """周九: a resident of grid A1 with an ID number, arriving with a letter from outside."""
    return make_person(world.users.admin, world.grid_a1, "周九", id_number=make_id_number(dt.date(1960, 4, 9)))


def register(world, person, **overrides):
    return ts.transfer_register_incoming(
        actor=as_actor(overrides.pop("actor", world.users.secretary)),
        person=person,
        to_organization=world.branch_a1,
        external_organization="湖北省武汉市江岸区某街道党工委",
        serial_number="江岸-2026-031",
        data={**INCOMING_DATA, **overrides},
    )


def test_incoming_letter_creates_the_member_on_acceptance(world, zhou):
    secretary = world.users.secretary
    transfer = register(world, zhou)
    transfer = fresh(transfer)
    assert (transfer.kind, transfer.state) == (TransferKind.INCOMING, TransferState.SENT)
    assert transfer.member is None and transfer.from_organization is None
    assert transfer.to_organization == world.branch_a1 and transfer.serial_number == "江岸-2026-031"
    assert not Member.objects.filter(person=zhou).exists()
    assert ts.transfer_actions(actor=as_actor(secretary), transfer=transfer) == ["accept", "return"]
    assert ts.transfer_actions(actor=as_actor(world.users.outsider), transfer=transfer) == []

    ts.transfer_accept(actor=as_actor(secretary), transfer=transfer, effective_on=RECEIVED_ON)
    transfer = fresh(transfer)
    member = Member.objects.get(person=zhou)
    assert transfer.state == TransferState.RECEIVED and transfer.member == member
    assert member.organization == world.branch_a1
    assert (member.stage, member.category, member.joined_on, member.full_on) == (
        MemberStage.FULL,
        MemberCategory.RETIRED,
        dt.date(2012, 6, 1),
        dt.date(2013, 6, 1),
    )
    (placement,) = Placement.objects.filter(member=member)
    assert placement.organization == world.branch_a1 and placement.ended_on is None
    assert placement.reason == PlacementReason.TRANSFERRED
    assert member_count_on(actor=as_actor(world.users.admin), organization=world.branch_a1, day=RECEIVED_ON) == 2


def test_incoming_member_belongs_to_the_branch_only_from_acceptance(world, zhou):
    transfer = register(world, zhou)
    ts.transfer_accept(actor=as_actor(world.users.secretary), transfer=transfer, effective_on=RECEIVED_ON)
    member = Member.objects.get(person=zhou)
    admin = world.users.admin
    assert (
        member_count_on(actor=as_actor(admin), organization=world.branch_a1, day=RECEIVED_ON - dt.timedelta(days=1))
        == 1
    )
    assert Placement.objects.get(member=member).started_on == RECEIVED_ON


def test_incoming_letter_is_refused_for_an_existing_member_or_a_second_letter(world, zhou):
    with pytest.raises(ValidationError) as excinfo:
        register(world, world.zhao)  # 赵六 is already a member
    assert "person" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        register(world, zhou, joined_on=None)
    assert "joined_on" in excinfo.value.message_dict
    with pytest.raises(PermissionDenied):  # community B cannot receive into branch A1
        register(world, zhou, actor=as_actor(world.users.outsider))
    register(world, zhou)
    with pytest.raises(ValidationError) as excinfo:
        register(world, zhou)
    assert "person" in excinfo.value.message_dict
    assert Transfer.objects.filter(person=zhou).count() == 1


# --- 8. the pages ---------------------------------------------------------------------------------------


def last_message(response) -> tuple[str, str]:
    """The level and text of the message the response added (earlier ones may still be queued:
    the tests do not follow the redirects that would show them)."""
    message = list(get_messages(response.wsgi_request))[-1]
    return message.level_tag, str(message)


def test_transfer_new_page_opens_a_transfer(world, client):
    member = zhao(world)
    url = reverse("membership:transfer_new", args=[member.pk])
    client.force_login(world.users.secretary)
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["member"] == member and "赵六" in response.content.decode()

    response = client.post(url, {"to_organization": world.branch_b1.pk, "reason": "搬家到钢花村"})
    transfer = Transfer.objects.get(person=world.zhao)
    assert response.status_code == 302
    assert response["Location"] == reverse("membership:transfer_detail", args=[transfer.pk])
    assert (transfer.state, transfer.to_organization, transfer.reason) == ("applied", world.branch_b1, "搬家到钢花村")
    assert last_message(response)[0] == "success"


def test_transfer_new_page_without_a_destination_shows_the_error(world, client):
    client.force_login(world.users.secretary)
    response = client.post(reverse("membership:transfer_new", args=[zhao(world).pk]), {"reason": "搬家"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["to_organization"] == [_("Choose the receiving organisation, or name the one outside the system.")]
    assert not Transfer.objects.exists()


def test_transfer_form_error_is_in_chinese(world, client):
    client.force_login(world.users.secretary)
    response = client.post(reverse("membership:transfer_new", args=[zhao(world).pk]), {"reason": "搬家"})
    (message,) = response.context["form"].errors["to_organization"]
    assert re.search(r"[\u4e00-\u9fff]", message), message


def test_transfer_new_page_is_not_found_out_of_scope(world, client):
    client.force_login(world.users.outsider)
    url = reverse("membership:transfer_new", args=[zhao(world).pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"to_organization": world.branch_b1.pk, "reason": "搬家"}).status_code == 404
    assert not Transfer.objects.exists()


def test_detail_refuses_an_action_the_user_may_not_take(world, client):
    transfer = apply(world)
    url = reverse("membership:transfer_detail", args=[transfer.pk])
    client.force_login(world.users.outsider)  # sees the transfer (it is coming to B1) but may not submit it
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "submit"})
    assert response.status_code == 302 and response["Location"] == url
    assert last_message(response)[0] == "error"
    assert fresh(transfer).state == TransferState.APPLIED and step_actions(transfer) == ["apply"]

    client.force_login(world.users.secretary)
    response = client.post(url, {"action": "accept", "effective_on": "2026-11-20"})
    assert last_message(response)[0] == "error"
    assert fresh(transfer).state == TransferState.APPLIED


def test_detail_page_drives_the_transfer_to_acceptance(world, client):
    transfer = apply(world)
    url = reverse("membership:transfer_detail", args=[transfer.pk])
    client.force_login(world.users.secretary)
    body = client.get(url).content.decode()
    assert 'value="submit"' in body and 'value="approve"' not in body
    for action in ("submit", "approve"):
        response = client.post(url, {"action": action, "note": f"{action} ok"})
        assert response.status_code == 302
        assert last_message(response)[0] == "success"
    transfer = fresh(transfer)
    assert transfer.state == TransferState.SENT and transfer.serial_number.startswith("PA-")
    body = client.get(url).content.decode()
    assert reverse("membership:transfer_letter", args=[transfer.pk]) in body and 'value="accept"' not in body

    client.force_login(world.users.outsider)
    body = client.get(url).content.decode()
    assert 'value="accept"' in body
    response = client.post(url, {"action": "accept", "effective_on": RECEIVED_ON.isoformat(), "note": "欢迎"})
    assert response.status_code == 302
    transfer = fresh(transfer)
    assert transfer.state == TransferState.RECEIVED and transfer.effective_on == RECEIVED_ON
    assert zhao(world).organization == world.branch_b1
    assert step_actions(transfer) == ["apply", "submit", "approve", "accept"]
    # A second click (the page was open twice) changes nothing.
    response = client.post(url, {"action": "accept", "effective_on": RECEIVED_ON.isoformat()})
    assert last_message(response)[0] == "error"
    assert Placement.objects.filter(member=zhao(world)).count() == 2


def test_transfer_list_shows_incoming_transfers_to_the_receiver(world, client):
    transfer = sent(world)
    client.force_login(world.users.outsider)
    response = client.get(reverse("membership:transfers"), {"direction": "in"})
    assert response.status_code == 200
    assert [t.pk for t in response.context["page"].object_list] == [transfer.pk]
    assert response.context["to_accept"] == 1
    assert "赵六" in response.content.decode()
    response = client.get(reverse("membership:transfers"), {"direction": "out"})
    assert list(response.context["page"].object_list) == []

    client.force_login(world.users.secretary)
    response = client.get(reverse("membership:transfers"), {"direction": "in"})
    assert list(response.context["page"].object_list) == []
    response = client.get(reverse("membership:transfers"), {"direction": "out"})
    assert [t.pk for t in response.context["page"].object_list] == [transfer.pk]
    assert response.context["to_accept"] == 0


# --- 9. the letter -----------------------------------------------------------------------------------------


@pytest.fixture
def zhao_id(world) -> str:
    """Give 赵六 an ID number (the world has none for him), returned in full."""
    number = make_id_number(dt.date(1980, 8, 15))
    person = world.zhao
    person.refresh_from_db()
    person_update(
        actor=as_actor(world.users.admin), person=person, data={"id_number": number}, expected_version=person.version
    )
    return number


def pdf_text(content: bytes, tmp_path) -> str | None:
    if not shutil.which("pdftotext"):
        return None
    path = tmp_path / "letter.pdf"
    path.write_bytes(content)
    return subprocess.run(  # noqa: S603 - fixed arguments
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout


def export_events(transfer):
    return transfer_events(transfer).filter(action=EventAction.EXPORTED).order_by("occurred_at", "pk")


@pytest.mark.parametrize(("role", "full"), [("secretary", True), ("branch", False)])
def test_letter_pdf_prints_the_id_number_only_for_those_who_may_unmask(world, client, zhao_id, tmp_path, role, full):
    transfer = sent(world)
    user = getattr(world.users, role)
    client.force_login(user)
    response = client.get(reverse("membership:transfer_letter", args=[transfer.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert transfer.serial_number in response["Content-Disposition"]

    (event,) = export_events(transfer)
    assert event.actor == user
    assert event.changes["full_numbers"] == [None, full]
    assert event.changes["letter"] == [None, "PA-2026-0001"]

    text = pdf_text(response.content, tmp_path)
    if text is None:
        if os.environ.get("CI"):  # CI installs poppler-utils: a missing tool is a failure there
            pytest.fail("pdftotext is not installed: apt-get install -y poppler-utils")
        pytest.skip("pdftotext is not installed: the PDF's text cannot be checked")
    flat = re.sub(r"\s+", "", text)
    assert "赵六" in flat and "党员组织关系介绍信" in flat and "PA-2026-0001" in flat
    masked = zhao_id[:6] + "********" + zhao_id[-4:]
    if full:
        assert zhao_id in flat
    else:
        assert zhao_id not in flat and masked in flat


def test_letter_is_not_found_before_approval_or_out_of_scope(world, client):
    transfer = reviewing(world)
    client.force_login(world.users.secretary)
    url = reverse("membership:transfer_letter", args=[transfer.pk])
    assert client.get(url).status_code == 404
    assert not export_events(transfer).exists()
    ts.transfer_approve(actor=as_actor(world.users.secretary, today=world.today), transfer=fresh(transfer))
    assert client.get(url).status_code == 200
    client.force_login(world.users.resident)
    assert client.get(url).status_code in (302, 404)
    assert export_events(transfer).count() == 1
