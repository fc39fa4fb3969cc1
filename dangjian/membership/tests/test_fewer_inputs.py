"""Fewer inputs for the everyday work on members (issue #16): what the platform knows is filled in
(the visitor and the day of a care visit, a step's date and 负责人, the oldest unpaid month), a
to-do opens the action it announces (the due development step, the transfers this user approves),
a care visit's need goes on to the service desk without typing it again, a branch secretary finds a
member's dues by name, and an issued transfer letter is kept instead of being drawn on every view."""

import datetime as dt
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.membership.care import services as care_services
from dangjian.membership.development import rules as development
from dangjian.membership.development import selectors as development_selectors
from dangjian.membership.development import services as development_services
from dangjian.membership.dues import selectors as dues_selectors
from dangjian.membership.dues.services import dues_assess, dues_record_payment, dues_void_payment
from dangjian.membership.models import CareVisit, DuesKind, DuesPayment, Transfer, TransferState
from dangjian.membership.transfers import letters
from dangjian.membership.transfers import selectors as transfer_selectors
from dangjian.membership.transfers import services as ts
from dangjian.people.models import Member
from tests.factories import as_actor, make_id_number, make_member, make_person, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.clock("2026-11-28T10:00:00+08:00")]

D = dt.date
TODAY = D(2026, 11, 28)


def zhao(world) -> Member:
    return Member.objects.get(person=world.zhao)


def worker_with_a_person(world):
    """A community A staff member whose account is 李四's (the name a form should show)."""
    return make_user("worker_a", Role.COMMUNITY_STAFF, world.community_a, person=world.li)


def hrefs(body: str, marker: str) -> list[str]:
    """The (unescaped) href of each link carrying ``marker`` among its attributes."""
    tags = [tag for tag in re.findall(r"<a [^>]*>", body) if marker in tag]
    return [html.unescape(re.search(r'href="([^"]+)"', tag).group(1)) for tag in tags]


# --- 1. the care visit form ---------------------------------------------------------------------


@pytest.mark.parametrize(("who", "name"), [("branch", "branch_a1"), ("worker", "李四")])
def test_the_visit_form_names_the_signed_in_worker_and_today(world, client, who, name):
    user = worker_with_a_person(world) if who == "worker" else world.users.branch
    client.force_login(user)
    url = reverse("membership:member_care", args=[zhao(world).pk])
    response = client.get(url)
    form = response.context["visit_form"]
    assert form["visitors"].value() == name and form["visited_on"].value() == TODAY
    assert re.search(rf'name="visitors"[^>]*value="{name}"', response.content.decode())
    # Still the worker's to change: what is sent is what is kept.
    client.post(url, {"action": "visit", "visited_on": "2026-11-27", "visitors": "王书记、李委员"})
    visit = CareVisit.objects.get(member=zhao(world))
    assert (visit.visitors, visit.visited_on) == ("王书记、李委员", D(2026, 11, 27))


# --- 2. a care visit becomes a service request ----------------------------------------------------


def test_a_visit_opens_the_desk_with_the_member_and_the_need(world, client):
    member = zhao(world)
    need = '腿脚不便，想申请助餐服务 <b>"急"</b> & 上门理发'
    noted = care_services.care_visit(
        actor=as_actor(world.users.branch),
        member=member,
        data={"visited_on": D(2026, 11, 20), "visitors": "王书记", "note": need},
    )
    silent = care_services.care_visit(
        actor=as_actor(world.users.branch), member=member, data={"visited_on": D(2026, 11, 1), "visitors": "王书记"}
    )
    client.force_login(world.users.staff)
    body = client.get(reverse("membership:member_care", args=[member.pk])).content.decode()
    assert "<b>" not in body  # the need is shown escaped
    for visit in (noted, silent):
        assert f'action="{reverse("membership:visit_to_request", args=[visit.pk])}"' in body
    assert body.count('data-action="visit-to-request"') == 2
    # The need goes to the desk through the session: the address carries a token only.
    response = client.post(reverse("membership:visit_to_request", args=[noted.pk]))
    location = urlsplit(response["Location"])
    assert response.status_code == 302 and location.path == reverse("servicedesk:desk")
    assert list(parse_qs(location.query)) == ["from"] and "助餐" not in response["Location"]
    desk = client.get(response["Location"])
    assert desk.context["chosen"] == world.zhao and desk.context["form"]["description"].value() == need
    # Nothing noted: only the member is carried.
    desk = client.get(client.post(reverse("membership:visit_to_request", args=[silent.pk]))["Location"])
    assert desk.context["chosen"] == world.zhao and not desk.context["form"]["description"].value()
    # A token is this session's own: another worker's browser gets an empty desk.
    client.force_login(world.users.secretary)
    desk = client.get(response["Location"])
    assert desk.context["chosen"] is None and not desk.context["form"]["description"].value()


def test_a_visit_out_of_scope_or_for_one_who_may_not_record_requests_is_404(world, client):
    member = zhao(world)
    visit = care_services.care_visit(
        actor=as_actor(world.users.branch), member=member, data={"visited_on": D(2026, 11, 1), "visitors": "王书记"}
    )
    url = reverse("membership:visit_to_request", args=[visit.pk])
    for user in (world.users.outsider, world.users.branch, world.users.member):
        client.force_login(user)
        assert client.post(url).status_code == 404
    client.force_login(world.users.staff)
    assert client.get(url).status_code == 405


@pytest.mark.parametrize(
    ("role", "offered"), [("secretary", True), ("admin", True), ("branch", False), ("member", False)]
)
def test_only_those_who_may_record_requests_are_offered_the_desk(world, client, role, offered):
    member = zhao(world)
    care_services.care_visit(
        actor=as_actor(world.users.branch),
        member=member,
        data={"visited_on": D(2026, 11, 20), "visitors": "王书记", "note": "需要助餐"},
    )
    client.force_login(getattr(world.users, role))  # the branch secretary may not create requests
    response = client.get(reverse("membership:member_care", args=[member.pk]))
    assert response.status_code == 200
    assert ('data-action="visit-to-request"' in response.content.decode()) is offered


# --- 3. development: the to-do opens the due step, whose form knows the day and the worker ----------


def start(world, applied_on: dt.date):
    return development_services.candidate_start(
        actor=as_actor(world.users.secretary), person=world.qian, organization=world.branch_a1, applied_on=applied_on
    )


def record(world, candidate, code: str, day: dt.date, **data) -> None:
    development_services.step_record(
        actor=as_actor(world.users.secretary, today=TODAY),
        candidate=candidate,
        code=code,
        data={"done_on": day, **data},
    )


def test_the_due_step_is_the_deadline_s_own_or_the_first_later_one_not_done():
    assert development.due_step("talk", {"application"}) == "talk"
    # the end of probation is announced on 支部大会讨论 until full membership is approved
    assert development.due_step("full_meeting", {"approval", "full_meeting"}) == "full_approval"
    assert development.due_step("archived", {"archived"}) == "archived"


def test_the_workbench_development_todo_opens_the_form_of_the_due_step(world, client):
    candidate = start(world, TODAY - dt.timedelta(days=60))
    record(world, candidate, "talk", TODAY - dt.timedelta(days=50))
    # The preliminary review was 20 days ago: the branch meeting is due within a month of it,
    # while the first step not yet recorded is an earlier one (推荐和确定为积极分子).
    record(world, candidate, "pre_review", TODAY - dt.timedelta(days=20))
    actor = as_actor(world.users.secretary)
    (deadline,) = development_selectors.development_deadlines(actor=actor)
    assert deadline["step"] == "branch_meeting"
    assert development_selectors.candidate_for(actor=actor, pk=candidate.pk).next_step.code == "activist"

    client.force_login(world.users.secretary)
    body = client.get(reverse("dashboard:workbench")).content.decode()
    url = f"{reverse('membership:candidate', args=[candidate.pk])}?step=branch_meeting#record"
    assert f'href="{html.escape(url)}"' in body

    response = client.get(url.partition("#")[0])
    assert response.context["step"].code == "branch_meeting"
    page = response.content.decode()
    assert 'id="record"' in page and 'name="code" value="branch_meeting"' in page
    assert re.search(r'<input[^>]*name="done_on"[^>]*autofocus', page)


@pytest.mark.parametrize(("who", "name"), [("secretary", "secretary_a"), ("worker", "李四")])
def test_a_step_form_defaults_to_today_and_the_signed_in_worker(world, client, who, name):
    candidate = start(world, TODAY - dt.timedelta(days=10))
    client.force_login(worker_with_a_person(world) if who == "worker" else world.users.secretary)
    url = reverse("membership:candidate", args=[candidate.pk])
    form = client.get(url, {"step": "talk"}).context["form"]
    assert form["done_on"].value() == TODAY and form["responsible"].value() == name
    # A step already recorded shows what was recorded, not the defaults.
    record(world, candidate, "talk", TODAY - dt.timedelta(days=3), responsible="组织委员")
    form = client.get(url, {"step": "talk"}).context["form"]
    assert form["done_on"].value() == TODAY - dt.timedelta(days=3) and form["responsible"].value() == "组织委员"
    # Opened without a step (the next one): the form is there but does not take the focus.
    assert "autofocus" not in client.get(url).content.decode()


def test_a_deadline_counted_before_it_named_its_step_still_opens_the_candidate(world, client, monkeypatch):
    """The workbench keeps its to-dos for days: one counted before the change has no step."""
    from dangjian.dashboard import selectors as dashboard_selectors

    item = {"pk": 7, "name": "钱七", "message": "…", "due": TODAY}
    monkeypatch.setattr(dashboard_selectors.development_selectors, "development_deadlines", lambda actor: [item])
    client.force_login(world.users.secretary)
    body = client.get(reverse("dashboard:workbench")).content.decode()
    assert f'href="{reverse("membership:candidate", args=[7])}"' in body


# --- 4. dues: the oldest unpaid month ticked, the receipt offered after recording -----------------


def assess(world, member) -> None:
    dues_assess(actor=as_actor(world.users.admin), member=member, year=2026, kind=DuesKind.WAGE, base="5400")


def test_the_oldest_unpaid_month_is_ticked_and_the_receipt_offered(world, client):
    member = zhao(world)
    assess(world, member)
    dues_record_payment(
        actor=as_actor(world.users.secretary), member=member, months=[D(2026, 1, 1), D(2026, 2, 1)], method="cash"
    )
    client.force_login(world.users.branch)
    url = reverse("membership:member_dues", args=[member.pk])
    response = client.get(url)
    assert response.context["pay_form"]["months"].value() == ["2026-03"]
    assert re.search(r'<input[^>]*value="2026-03"[^>]*checked', response.content.decode())
    assert not re.search(r'<input[^>]*value="2026-04"[^>]*checked', response.content.decode())
    assert response.context["receipt"] is None

    # The worker only confirms.
    form = response.context["pay_form"]
    sent = {"action": "pay", "months": form["months"].value(), "method": form["method"].value()}
    sent["paid_on"] = form["paid_on"].value().isoformat()
    response = client.post(url, sent)
    payment = DuesPayment.objects.get(member=member, month=D(2026, 3, 1))
    assert response.status_code == 302
    assert response["Location"] == f"{url}?{urlencode({'receipt': payment.receipt_number})}"
    landed = client.get(response["Location"])
    assert landed.context["receipt"] == payment.receipt_number
    assert hrefs(landed.content.decode(), 'id="print-receipt"') == [
        reverse("membership:dues_receipt", args=[payment.receipt_number])
    ]
    assert landed.context["pay_form"]["months"].value() == ["2026-04"]


def test_a_month_owed_since_more_than_a_year_is_the_one_ticked(world, client):
    member = zhao(world)
    for year in (2025, 2026):
        dues_assess(actor=as_actor(world.users.admin), member=member, year=year, kind=DuesKind.WAGE, base="5400")
    client.force_login(world.users.branch)
    response = client.get(reverse("membership:member_dues", args=[member.pk]))
    assert response.context["pay_form"]["months"].value() == ["2025-01"]
    assert len(response.context["record"]["months"]) == 12  # the table: the last twelve months


def test_only_a_standing_receipt_of_this_member_is_offered(world, client):
    member, other = zhao(world), Member.objects.get(person=world.li)
    assess(world, member)
    assess(world, other)
    mine = dues_record_payment(actor=as_actor(world.users.admin), member=member, months=[D(2026, 1, 1)], method="cash")
    theirs = dues_record_payment(actor=as_actor(world.users.admin), member=other, months=[D(2026, 1, 1)], method="cash")
    client.force_login(world.users.secretary)
    url = reverse("membership:member_dues", args=[member.pk])
    assert client.get(url, {"receipt": theirs}).context["receipt"] is None
    assert client.get(url, {"receipt": "<script>"}).context["receipt"] is None
    assert client.get(url, {"receipt": mine}).context["receipt"] == mine
    dues_void_payment(
        actor=as_actor(world.users.admin), payment=DuesPayment.objects.get(receipt_number=mine), reason="错录"
    )
    assert client.get(url, {"receipt": mine}).context["receipt"] is None


# --- 5. the branch secretary finds a member's dues by name ------------------------------------------


def test_the_dues_search_finds_members_whose_dues_the_user_records(world, client):
    member = zhao(world)
    assess(world, member)
    dues_record_payment(actor=as_actor(world.users.admin), member=member, months=[D(2026, 9, 1)], method="cash")
    client.force_login(world.users.branch)
    url = reverse("membership:dues_find")
    response = client.get(url, {"q": "zl"})  # 赵六's initials
    assert [m.pk for m in response.context["found"]] == [member.pk]
    assert response.context["found"][0].paid_until == D(2026, 9, 1)
    assert hrefs(response.content.decode(), "data-member=") == [reverse("membership:member_dues", args=[member.pk])]
    assert client.get(url, {"q": "赵"}).context["found"][0].pk == member.pk
    # 李四 is in branch A2 (not this secretary's), 孙八 in community B.
    assert client.get(url, {"q": "ls"}).context["found"] == []
    assert client.get(url, {"q": "孙"}).context["found"] == []
    assert client.get(url, {"q": " "}).context["found"] == []
    # From the workbench's box, htmx asks for the list alone.
    partial = client.get(url, {"q": "zl"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and "data-member=" in partial.content.decode()
    assert "HX-Request" in partial["Vary"]
    client.force_login(world.users.outsider)
    assert client.get(url, {"q": "zl"}).context["found"] == []


@pytest.mark.parametrize("role", ["member", "resident", "liaison"])
def test_the_dues_search_is_not_there_for_those_who_record_no_dues(world, client, role):
    client.force_login(getattr(world.users, role))
    assert client.get(reverse("membership:dues_find"), {"q": "zl"}).status_code == 404


def test_the_dues_search_runs_the_same_queries_whatever_it_finds(world, client):
    client.force_login(world.users.secretary)
    url = reverse("membership:dues_find")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"q": "赵"}, headers={"HX-Request": "true"}).status_code == 200
        return len(queries)

    count()  # warm the process-wide caches
    before = count()
    for i in range(6):
        person = make_person(world.users.admin, world.grid_a1, f"赵{i}号", id_number=make_id_number(D(1970 + i, 3, 1)))
        new = make_member(person, world.branch_a1)
        assess(world, new)
        dues_record_payment(actor=as_actor(world.users.admin), member=new, months=[D(2026, 1, 1)], method="cash")
    assert len(dues_selectors.members_for_dues(actor=as_actor(world.users.secretary), q="赵")) == 7
    assert count() == before


# --- 6. transfers: the to-do counts what the user approves; the letter is kept ----------------------


def transfer_into_a(world) -> Transfer:
    """孙八 (community B) on his way to branch A1: under review by B's committee. Community A sees it
    as the receiving side but has nothing to approve."""
    transfer = ts.transfer_apply(
        actor=as_actor(world.users.outsider),
        member=Member.objects.get(person=world.sun),
        to_organization=world.branch_a1,
        reason="搬到红钢城",
    )
    return ts.transfer_submit(actor=as_actor(world.users.outsider), transfer=transfer)


def transfer_out_of_a(world, *, approve: bool = False) -> Transfer:
    transfer = ts.transfer_apply(
        actor=as_actor(world.users.secretary), member=zhao(world), to_organization=world.branch_b1, reason="搬家"
    )
    transfer = ts.transfer_submit(actor=as_actor(world.users.secretary), transfer=transfer)
    if approve:
        transfer = ts.transfer_approve(actor=as_actor(world.users.secretary, today=TODAY), transfer=transfer)
    return transfer


def test_the_transfers_to_approve_are_those_the_list_it_opens_shows(world, client):
    incoming, outgoing = transfer_into_a(world), transfer_out_of_a(world)
    actor = as_actor(world.users.secretary)
    # Both are under review and both are on the secretary's list; only one is theirs to approve.
    assert {t.pk for t in transfer_selectors.transfer_list(actor=actor, state="reviewing")} == {
        incoming.pk,
        outgoing.pk,
    }
    assert transfer_selectors.transfer_todo_counts(actor=actor)["transfers_to_approve"] == 1
    client.force_login(world.users.secretary)
    body = client.get(reverse("dashboard:workbench")).content.decode()
    (link,) = re.findall(r'href="([^"]*state=reviewing[^"]*)"', body)
    page = client.get(html.unescape(link))
    assert [t.pk for t in page.context["page"].object_list] == [outgoing.pk]
    assert page.context["to_approve"] == 1
    assert ts.transfer_actions(actor=actor, transfer=outgoing)[:1] == ["approve"]
    # B's secretary approves the incoming one, from the same kind of list.
    outsider = as_actor(world.users.outsider)
    assert [t.pk for t in transfer_selectors.transfer_list(actor=outsider, state="reviewing", direction="approve")] == [
        incoming.pk
    ]


@pytest.fixture
def drawn(monkeypatch):
    """Counts the letters drawn (each drawing takes about a second)."""
    calls: list[tuple[str, dt.date]] = []
    draw = letters.render_letter

    def counting(transfer, **kwargs):
        calls.append((kwargs["id_number"], kwargs["today"]))
        return draw(transfer, **kwargs)

    monkeypatch.setattr(letters, "render_letter", counting)
    return calls


def give_zhao_an_id_number(world) -> str:
    from dangjian.people.services import person_update

    number = make_id_number(D(1980, 8, 15))
    person = world.zhao
    person.refresh_from_db()
    person_update(
        actor=as_actor(world.users.admin), person=person, data={"id_number": number}, expected_version=person.version
    )
    return number


def test_an_approved_letter_is_drawn_once_in_the_background_and_then_served(
    world, client, drawn, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    number = give_zhao_an_id_number(world)
    with django_capture_on_commit_callbacks(execute=True):
        transfer = transfer_out_of_a(world, approve=True)
    (queued,) = DBTaskResult.objects.filter(task_path__endswith="store_transfer_letters")
    assert queued.args_kwargs["args"] == [transfer.pk]
    ts.store_transfer_letters.call(transfer.pk)  # what the worker runs
    stored = Transfer.objects.get(pk=transfer.pk)
    assert stored.letter.name and stored.letter_full.name
    masked = number[:6] + "********" + number[-4:]
    assert sorted(drawn) == sorted([(masked, TODAY), (number, TODAY)])
    # At rest, the full number is encrypted; the masked letter is a plain PDF.
    assert default_storage.open(stored.letter.name).read().startswith(b"%PDF")
    assert not default_storage.open(stored.letter_full.name).read().startswith(b"%PDF")

    url = reverse("membership:transfer_letter", args=[transfer.pk])
    for role in ("secretary", "branch", "secretary"):
        client.force_login(getattr(world.users, role))
        response = client.get(url)
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert len(drawn) == 2  # none drawn for the three views


def test_a_letter_issued_before_letters_were_kept_is_drawn_on_first_view_and_kept(world, client, drawn):
    transfer = transfer_out_of_a(world, approve=True)  # its letter never stored (no worker ran)
    assert not Transfer.objects.get(pk=transfer.pk).letter
    client.force_login(world.users.branch)  # sees the ID number masked
    url = reverse("membership:transfer_letter", args=[transfer.pk])
    first = client.get(url)
    assert first.status_code == 200 and len(drawn) == 1
    assert Transfer.objects.get(pk=transfer.pk).letter.name
    again = client.get(url)
    assert again.content == first.content and len(drawn) == 1
    # The full version is a letter of its own, drawn once for the first who may see it.
    client.force_login(world.users.secretary)
    assert client.get(url).status_code == 200 and len(drawn) == 2
    assert client.get(url).status_code == 200 and len(drawn) == 2


def test_a_stored_letter_that_cannot_be_read_is_drawn_again(world, client, drawn):
    transfer = transfer_out_of_a(world, approve=True)
    client.force_login(world.users.branch)
    url = reverse("membership:transfer_letter", args=[transfer.pk])
    client.get(url)
    default_storage.delete(Transfer.objects.get(pk=transfer.pk).letter.name)  # lost in a restore
    response = client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF") and len(drawn) == 2
    assert default_storage.exists(Transfer.objects.get(pk=transfer.pk).letter.name)


def test_a_stored_letter_is_served_only_as_before(world, client, drawn):
    transfer = transfer_out_of_a(world, approve=True)
    ts.store_transfer_letters.call(transfer.pk)
    url = reverse("membership:transfer_letter", args=[transfer.pk])
    client.force_login(world.users.resident)  # out of scope
    assert client.get(url).status_code == 404
    client.force_login(world.users.liaison)
    assert client.get(url).status_code == 404
    client.force_login(world.users.staff)
    assert client.get(url).status_code == 200
    RoleGrant.objects.filter(user=world.users.staff).update(revoked_at=timezone.now())  # the right is gone
    assert client.get(url).status_code == 404
    client.force_login(world.users.secretary)
    reviewing = Transfer.objects.filter(pk=transfer_into_a(world).pk).get()
    assert client.get(reverse("membership:transfer_letter", args=[reviewing.pk])).status_code == 404  # no letter yet
    assert len(drawn) == 2 and reviewing.state == TransferState.REVIEWING
