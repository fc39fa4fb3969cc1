"""Issue #16: each top task of a community worker in at most 5 inputs and about 30 seconds,
from the role's workbench, nothing typed that the platform already knows. Each test drives one
task in Chromium through a ``Task`` (tests/browser/tasks.py), which counts the inputs and
estimates the human time by a keystroke-level model, and checks the outcome in the database.
docs/workload.md has the table these tests measure."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.servicedesk import phrases as desk_phrases
from dangjian.servicedesk.models import AssigneeKind, Rating, RequestState, ServiceCategory, ServiceRequest
from dangjian.servicedesk.rates import rollups
from dangjian.servicedesk.requests import lifecycle
from tests.browser.tasks import Task
from tests.factories import as_actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def catalogue(db):
    """Transactional tests empty the tables, the data migration's catalogue too: load it again."""
    import importlib

    from django.apps import apps

    importlib.import_module("dangjian.servicedesk.migrations.0002_default_catalogue").load(apps, None)


def _request(world, *, code="sanitation", requester=None, description="楼道灯坏了"):
    return lifecycle.request_submit(
        actor=as_actor(world.users.staff),
        channel="desk",
        category=ServiceCategory.objects.get(code=code),
        description=description,
        requester=requester or world.zhang,
    )


def test_desk_request_of_a_registered_resident(world, page_for):
    page = page_for(world.users.staff)
    task = Task(page, "desk: request of a registered resident")
    task.click(f"main a[href='{reverse('servicedesk:desk')}']")
    task.type("#requester-q", "5678")  # the last four digits of 张三's mobile
    expect(page.locator("#people-found input[name=person]")).to_have_count(1)
    task.choose("#id_category", label="卫生保洁")
    task.tap(page.locator(".phrases[data-phrases-for=id_description] button[data-phrase]").first)
    task.click("main form button[type=submit]")
    task.finish()
    req = ServiceRequest.objects.get()
    assert req.requester == world.zhang and req.category.code == "sanitation"
    assert req.description == desk_phrases.DESCRIPTIONS["sanitation"][0]
    assert task.inputs == 3


def test_desk_request_of_a_person_not_yet_registered(world, page_for):
    from dangjian.people.models import Household

    for entrance in (1, 3):  # the building's neighbours are on record: its grid is known
        Household.objects.create(region=world.grid_a2, address=f"和平小区8栋{entrance}单元101室")
    page = page_for(world.users.staff)
    task = Task(page, "desk: request of a person not yet registered")
    task.click(f"main a[href='{reverse('servicedesk:desk')}']")
    task.type("#requester-q", "周九")
    expect(page.locator("#people-found [data-nobody]")).to_be_visible()
    expect(page.locator("#id_new_name")).to_have_value("周九")  # carried, not typed again
    task.type("#id_phone", "13655556666")
    task.tap(page.locator("#field-id_address .phrases button[data-phrase='和平小区']"))  # the estate
    task.go_on_typing("8栋2单元301室")
    task.choose("#id_category", label="家政服务")
    task.tap(page.locator(".phrases[data-phrases-for=id_description] button[data-phrase]").first)
    task.click("main form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("家政服务")
    task.finish()
    req = ServiceRequest.objects.select_related("requester").get()
    person = req.requester
    assert (person.name, person.region, person.address) == ("周九", world.grid_a2, "和平小区8栋2单元301室")
    assert person.phone_masked == "136****6666" and person.household.address == "和平小区8栋2单元301室"
    assert task.inputs == 5  # name (searched once), mobile, address, service, phrase; the grid from the address


def test_dispatch_from_the_suggestions(world, page_for):
    req = _request(world)
    page = page_for(world.users.staff)
    task = Task(page, "dispatch from the suggestions")
    task.click("main a[href$='?view=new']")
    task.click(page.get_by_role("link", name=req.number))
    task.click(page.locator("form[action$='/act/dispatch/'] button").first)
    expect(page.locator("form[action$='/act/start/']")).to_be_visible()
    task.finish()
    req.refresh_from_db()
    assert req.state == RequestState.DISPATCHED and task.inputs == 0


def test_handle_a_request_as_branch_secretary(world, page_for):
    req = _request(world)
    req = lifecycle.request_dispatch(
        actor=as_actor(world.users.staff), req=req, kind=AssigneeKind.BRANCH, organization=world.branch_a1
    )
    page = page_for(world.users.branch)
    task = Task(page, "handle it (branch secretary)")
    task.click("main a[href$='?view=mine']")
    task.click(page.get_by_role("link", name=req.number))
    task.click("form[action$='/act/start/'] button")
    task.tap(page.locator(".phrases button[data-phrase]").first)
    task.click("form[action$='/act/handle/'] button[type=submit]")
    expect(page.locator("form[action$='/act/handle/']")).to_have_count(0)
    task.finish()
    req.refresh_from_db()
    assert req.state == RequestState.HANDLED
    assert req.steps.get(action="handle").note == desk_phrases.RESULTS[0]
    assert task.inputs == 1


def test_street_admin_from_the_weakest_satisfaction_to_its_requests(world, page_for):
    scores = {world.zhang: (5, 5, 5, 4), world.wang: (1, 2, 5, 3)}  # community A, community B
    for person, given in scores.items():
        for score in given:
            req = (
                _request(world, requester=person)
                if person == world.zhang
                else lifecycle.request_submit(
                    actor=as_actor(world.users.admin),
                    channel="desk",
                    category=ServiceCategory.objects.get(code="sanitation"),
                    description="垃圾",
                    requester=person,
                )
            )
            Rating.objects.create(request=req, score=score, source="resident")
    rollups.rebuild()
    page = page_for(world.users.admin)
    task = Task(page, "street: weakest satisfaction → its requests")
    task.click("nav a[href='/services/rates/']")
    task.choose("#rates-measure", value="satisfaction")
    task.click("form.filters button[type=submit]")
    weakest = page.locator("table.rates-table tbody tr").last.locator("th[scope=row] a").first.inner_text()
    assert weakest == world.community_b.name
    task.click(
        page.locator("section[aria-labelledby=scores-h] tbody tr", has_text=weakest).locator("td").last.locator("a")
    )
    task.finish()
    rows = page.locator("main table.list tbody tr")
    expect(rows).to_have_count(3)
    assert [rows.nth(i).locator("td.num").inner_text() for i in range(3)] == ["1", "2", "3"]
    assert task.inputs == 1


def _assess(world, member):
    from dangjian.membership.dues.services import dues_assess
    from dangjian.membership.models import DuesKind

    today = timezone.localdate()
    dues_assess(actor=as_actor(world.users.admin), member=member, year=today.year, kind=DuesKind.WAGE, base="5400")


def test_dues_paid_in_cash_with_the_receipt(world, page_for):
    from dangjian.membership.models import DuesPayment

    member = world.zhao.member
    _assess(world, member)
    page = page_for(world.users.branch)
    task = Task(page, "dues paid in cash + receipt")
    task.type("#dues-q", "zl")  # pinyin initials of 赵六
    task.click(page.locator("#dues-found a[data-member]").first)
    task.click("main form button[type=submit]")  # the oldest unpaid month is ticked already
    task.click("#print-receipt")
    task.finish()
    payment = DuesPayment.objects.get(member=member)
    assert payment.month.month == 1 and payment.method == "cash"
    assert payment.receipt_number in page.url
    assert task.inputs == 1


def test_approve_a_transfer_and_print_its_letter(world, page_for):
    from dangjian.membership.models import Transfer, TransferState
    from dangjian.membership.transfers import services as ts

    transfer = ts.transfer_apply(
        actor=as_actor(world.users.secretary), member=world.zhao.member, to_organization=world.branch_b1, reason="搬家"
    )
    ts.transfer_submit(actor=as_actor(world.users.secretary), transfer=transfer)
    page = page_for(world.users.secretary)
    task = Task(page, "approve a transfer + letter")
    task.click("main a[href*='state=reviewing']")
    task.click(page.locator("main table a[href*='/members/transfers/']").first)
    task.click("main button[value=approve]")
    letter_url = reverse("membership:transfer_letter", args=[transfer.pk])
    with page.expect_response(lambda response: response.url.endswith(letter_url)) as letter:
        task.click(f"main a[href='{letter_url}']")
    task.finish()
    assert letter.value.status == 200 and letter.value.headers["content-type"] == "application/pdf"
    assert Transfer.objects.get(pk=transfer.pk).state == TransferState.SENT
    assert task.inputs == 0


def _sick(world):
    from dangjian.membership.care.services import care_register

    today = timezone.localdate()
    return care_register(
        actor=as_actor(world.users.secretary),
        member=world.zhao.member,
        hardship="illness",
        description="术后康复",
        registered_on=today,
    )


def test_record_a_care_visit(world, page_for):
    from dangjian.membership import phrases as membership_phrases
    from dangjian.membership.models import CareVisit

    _sick(world)
    page = page_for(world.users.staff)
    task = Task(page, "record a care visit")
    task.click(f"main a[href='{reverse('membership:care')}']")
    task.click(page.locator(f"main a[href='{reverse('membership:member_care', args=[world.zhao.member.pk])}']").first)
    task.tap(page.locator(".phrases button[data-phrase]").first)
    task.click(page.locator("main form", has=page.locator("textarea[name=note]")).locator("button[type=submit]"))
    task.finish()
    visit = CareVisit.objects.get(member=world.zhao.member)
    assert visit.visited_on == timezone.localdate() and visit.visitors == "staff_a"
    assert visit.note == membership_phrases.CARE_NOTES[0] and visit.recorded_by == world.users.staff
    assert task.inputs == 1


def test_a_care_visit_turned_into_a_request(world, page_for):
    from dangjian.membership.care.services import care_visit

    _sick(world)
    care_visit(
        actor=as_actor(world.users.staff),
        member=world.zhao.member,
        data={"visited_on": timezone.localdate(), "visitors": "staff_a", "note": "家中下水道堵塞，需要疏通"},
    )
    page = page_for(world.users.staff)
    task = Task(page, "care visit → request")
    page.goto(reverse("membership:member_care", args=[world.zhao.member.pk]))  # where the visit was recorded
    task.click("main button[data-action=visit-to-request]")
    expect(page.locator("#id_description")).to_have_value("家中下水道堵塞，需要疏通")
    task.choose("#id_category", label="家政服务")
    task.click("main form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("家政服务")
    task.finish()
    req = ServiceRequest.objects.get()
    assert req.requester == world.zhao and req.description == "家中下水道堵塞，需要疏通"
    assert task.inputs == 1


def test_record_a_due_development_step(world, page_for):
    import datetime as dt

    from dangjian.membership import phrases as membership_phrases
    from dangjian.membership.development import services as development_services
    from dangjian.membership.models import DevelopmentStep

    today = timezone.localdate()
    candidate = development_services.candidate_start(
        actor=as_actor(world.users.secretary),
        person=world.qian,
        organization=world.branch_a1,
        applied_on=today - dt.timedelta(days=60),
    )
    for code, days in (("talk", 50), ("pre_review", 20)):
        development_services.step_record(
            actor=as_actor(world.users.secretary),
            candidate=candidate,
            code=code,
            data={"done_on": today - dt.timedelta(days=days)},
        )
    page = page_for(world.users.secretary)
    task = Task(page, "record a due development step")
    task.click(f"main a[href*='{reverse('membership:candidate', args=[candidate.pk])}?step=']")
    task.tap(page.locator("#record .phrases button[data-phrase]").nth(2))
    task.click("#record button[type=submit]")
    task.finish()
    step = DevelopmentStep.objects.get(candidate=candidate, code="branch_meeting")
    assert step.done_on == today and step.responsible == "secretary_a"
    assert step.opinion == membership_phrases.STEP_OPINIONS[2]
    assert task.inputs == 1


def test_export_the_filtered_roster(world, page_for, tmp_path):
    import io

    from django.core.management import call_command
    from openpyxl import load_workbook

    page = page_for(world.users.secretary)
    task = Task(page, "export the filtered roster")
    task.click(f"nav a[href='{reverse('membership:list')}']")
    task.choose("#id_stage", value="probationary")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    task.click("#results form[action$='/members/export/'] button[type=submit]")
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)  # the real worker
    download = page.locator("#job-status a[href*='/download']")
    expect(download).to_be_visible(timeout=10_000)
    with page.expect_download() as info:
        task.click(download)
    task.finish()
    path = tmp_path / "roster.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(io.BytesIO(path.read_bytes()), read_only=True).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == ["李四"]
    assert task.inputs == 1
