"""Every URL, every role, in scope and out of scope.

RULES lists, for each named URL of the project, requests and the status each role must get.
``test_every_url_has_a_rule`` fails when someone adds a URL without saying who may open it.
Out of scope, a detail page answers 404: the record does not exist for that user.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import as_actor
from tests.url_access_base import BEYOND, EVERYONE, ROLES, STAFF, Case, beyond_user, expect, only  # noqa: F401
from tests.url_cases import accounts as account_cases
from tests.url_cases import activities as activity_cases
from tests.url_cases import api as api_cases
from tests.url_cases import catalogue as catalogue_cases
from tests.url_cases import evaluation as evaluation_cases
from tests.url_cases import phrases as phrase_cases
from tests.url_cases import rates as rates_cases
from tests.url_cases import requests as request_cases
from tests.url_cases import trees as tree_cases
from tests.url_cases import volunteering as volunteering_cases


def _job(world, finished: bool = True):
    from dangjian.core.exports import list_export_needs
    from dangjian.core.jobs import job_succeeded
    from dangjian.core.models import Job

    job = Job.objects.create(kind="test", label="导出", created_by=world.users.secretary, total=1)
    if finished:
        needs = list_export_needs(as_actor(world.users.secretary), full=True)
        job_succeeded(job, file_name="people.xlsx", content=b"PK-test", result={"rows": 1}, needs=needs)
    return job


def _import_check(world):
    from dangjian.core.access import CREATE
    from dangjian.core.jobs import job_succeeded, need_record
    from dangjian.core.models import Job

    job = Job.objects.create(
        kind="roster_import_check",
        label="检查",
        created_by=world.users.secretary,
        total=1,
        params={"upload": "imports/none.xlsx", "name": "x.xlsx", "target": world.branch_a1.pk, "importer": "members"},
    )
    job_succeeded(
        job,
        file_name="check.xlsx",
        content=b"PK-test",
        result={"valid": 0, "total": 1, "errors": []},
        needs=[need_record(CREATE, world.branch_a1)],
    )
    return job


def _payment(world):
    import datetime as dt

    from dangjian.membership.dues.services import dues_assess, dues_record_payment
    from dangjian.membership.models import DuesPayment

    member = world.zhao.member
    dues_assess(actor=as_actor(world.users.admin), member=member, year=2026, kind="wage", base="5400")
    number = dues_record_payment(
        actor=as_actor(world.users.admin, today=dt.date(2026, 11, 28)),
        member=member,
        months=[dt.date(2026, 10, 1)],
        method="cash",
        paid_on=dt.date(2026, 10, 8),
    )
    return DuesPayment.objects.get(receipt_number=number)


def _transfer(world):
    """赵六 (branch A1) on his way to branch B1: approved, the letter issued."""
    from dangjian.membership.transfers import services as ts

    transfer = ts.transfer_apply(
        actor=as_actor(world.users.admin), member=world.zhao.member, to_organization=world.branch_b1, reason="搬家"
    )
    ts.transfer_submit(actor=as_actor(world.users.admin), transfer=transfer)
    return ts.transfer_approve(actor=as_actor(world.users.admin), transfer=transfer)


def _candidate(world):
    """张三 applied to branch A1 a year ago."""
    import datetime as dt

    from dangjian.membership.development.services import candidate_start

    return candidate_start(
        actor=as_actor(world.users.admin),
        person=world.zhang,
        organization=world.branch_a1,
        applied_on=dt.date(2025, 11, 1),
    )


def _step_with_attachment(world):
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.membership.development.services import step_record

    return step_record(
        actor=as_actor(world.users.admin),
        candidate=_candidate(world),
        code="talk",
        data={"done_on": dt.date(2025, 11, 20)},
        attachment=SimpleUploadedFile("谈话记录.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    )


def _mobile(world):
    import datetime as dt

    from dangjian.membership.mobile.services import mobile_register

    return mobile_register(
        actor=as_actor(world.users.admin),
        person=world.zhao,
        organization=world.branch_a1,
        data={"direction": "out", "place": "深圳市南山区", "started_on": dt.date(2026, 3, 1)},
    )


RULES: list[Case] = [
    Case("healthz", "health check is public", lambda w: reverse("healthz"), expect(200, anonymous=200)),
    Case("favicon", "the icon is public", lambda w: reverse("favicon"), expect(302, anonymous=302)),
    Case(
        "toggle_large_text",
        "large-text switch works for anyone",
        lambda w: reverse("toggle_large_text"),
        expect(302, anonymous=302),
        method="post",
    ),
    Case(
        "set_language",
        "language switch works for anyone",
        lambda w: reverse("set_language"),
        expect(302, anonymous=302),
        method="post",
        data=lambda w: {"language": "en", "next": "/"},
    ),
    Case("accounts:login", "login page", lambda w: reverse("accounts:login"), expect(302, anonymous=200)),
    Case(
        "accounts:login_code",
        "second step without a pending login goes back to login",
        lambda w: reverse("accounts:login_code"),
        expect(302, anonymous=302),
    ),
    Case("accounts:logout", "logout", lambda w: reverse("accounts:logout"), expect(302, anonymous=302), method="post"),
    Case("accounts:security", "own security page", lambda w: reverse("accounts:security"), expect(200)),
    Case(
        "dashboard:workbench",
        "workbench; the public front page for visitors",
        lambda w: reverse("dashboard:workbench"),
        expect(200, anonymous=200),
    ),
    Case(
        "dashboard:org_tree",
        "org tree (empty for those without a node)",
        lambda w: reverse("dashboard:org_tree"),
        expect(200),
    ),
    Case(
        "dashboard:org_detail",
        "community A's committee",
        lambda w: reverse("dashboard:org_detail", args=[w.committee_a.pk]),
        only(("admin", "secretary", "staff"), 200),
    ),
    Case(
        "dashboard:org_detail",
        "branch A1 (the branch secretary's own)",
        lambda w: reverse("dashboard:org_detail", args=[w.branch_a1.pk]),
        only(("admin", "secretary", "staff", "branch"), 200),
    ),
    Case(
        "dashboard:org_detail",
        "community B's committee is out of A's scope",
        lambda w: reverse("dashboard:org_detail", args=[w.committee_b.pk]),
        only(("admin", "outsider"), 200),
    ),
    Case("dashboard:region_tree", "region tree", lambda w: reverse("dashboard:region_tree"), expect(200)),
    Case(
        "dashboard:region_detail",
        "community A",
        lambda w: reverse("dashboard:region_detail", args=[w.community_a.pk]),
        only(("admin", "secretary", "staff"), 200),
    ),
    Case(
        "dashboard:region_detail",
        "community B",
        lambda w: reverse("dashboard:region_detail", args=[w.community_b.pk]),
        only(("admin", "outsider"), 200),
    ),
    Case("people:list", "people list (each sees their own scope)", lambda w: reverse("people:list"), expect(200)),
    Case(
        "people:households",
        "households (each sees their own scope; tests/people test_households)",
        lambda w: reverse("people:households"),
        expect(200),
    ),
    Case(
        "people:create",
        "register a person",
        lambda w: reverse("people:create"),
        only(("admin", "secretary", "staff", "outsider"), 200),
    ),
    Case(
        "people:validate",
        "inline validation of a field",
        lambda w: reverse("people:validate"),
        expect(200),
        method="post",
        data=lambda w: {"field": "phone", "phone": "138"},
    ),
    Case(
        "people:export",
        "export the people list",
        lambda w: reverse("people:export"),
        only(("admin", "secretary", "outsider"), 302),
        method="post",
        data=lambda w: {"query": "q=zs"},
    ),
    Case(
        "jobs:detail",
        "a job is its starter's only",
        lambda w: reverse("jobs:detail", args=[_job(w, finished=False).pk]),
        only(("secretary",), 200),
    ),
    Case(
        "jobs:download",
        "a job's file is its starter's only",
        lambda w: reverse("jobs:download", args=[_job(w).pk]),
        only(("secretary",), 200),
    ),
    Case(
        "people:detail",
        "张三 lives in grid A1",
        lambda w: reverse("people:detail", args=[w.zhang.pk]),
        only(("admin", "secretary", "staff"), 200),
    ),
    Case(
        "people:detail",
        "赵六 is a member of branch A1 and the member account's own person",
        lambda w: reverse("people:detail", args=[w.zhao.pk]),
        only(("admin", "secretary", "staff", "branch", "member"), 200),
    ),
    Case(
        "people:detail",
        "钱七 is the resident account's own person",
        lambda w: reverse("people:detail", args=[w.qian.pk]),
        only(("admin", "secretary", "staff", "resident"), 200),
    ),
    Case(
        "people:detail",
        "王五 lives in community B",
        lambda w: reverse("people:detail", args=[w.wang.pk]),
        only(("admin", "outsider"), 200),
    ),
    Case(
        "people:edit",
        "edit 张三",
        lambda w: reverse("people:edit", args=[w.zhang.pk]),
        only(("admin", "secretary", "staff"), 200),
    ),
    Case(
        "people:edit",
        "edit 王五 (community B)",
        lambda w: reverse("people:edit", args=[w.wang.pk]),
        only(("admin", "outsider"), 200),
    ),
    Case(
        "people:status",
        "change 张三's status",
        lambda w: reverse("people:status", args=[w.zhang.pk]),
        only(("admin", "secretary", "staff"), 302),
        method="post",
        data=lambda w: {"status": "moved_out", "reason": "搬至外区"},
    ),
    Case(
        "people:reveal",
        "see 张三's full ID number",
        lambda w: reverse("people:reveal", args=[w.zhang.pk, "id_number"]),
        only(("admin", "secretary", "staff"), 200),
        method="post",
        data=lambda w: {"purpose": "verify"},
    ),
    Case(
        "people:reveal",
        "see 王五's full phone (community B)",
        lambda w: reverse("people:reveal", args=[w.wang.pk, "phone"]),
        only(("admin", "outsider"), 200),
        method="post",
        data=lambda w: {"purpose": "contact"},
    ),
    Case("membership:list", "roster (each sees their own scope)", lambda w: reverse("membership:list"), expect(200)),
    Case(
        "membership:list",
        "roster of branch A1 on a past date",
        lambda w: reverse("membership:list") + f"?org={w.branch_a1.pk}&on=2020-01-01",
        expect(200),
    ),
    Case(
        "membership:composition",
        "composition charts (own scope)",
        lambda w: reverse("membership:composition"),
        expect(200),
    ),
    Case(
        "membership:export",
        "export the roster",
        lambda w: reverse("membership:export"),
        only(("admin", "secretary", "outsider"), 302),
        method="post",
        data=lambda w: {"query": "stage=full"},
    ),
    Case(
        "imports:index",
        "the imports one may use (needs the right to import somewhere)",
        lambda w: reverse("imports:index"),
        only(("admin", "secretary", "staff", "outsider"), 200),
    ),
    Case(
        "imports:upload",
        "upload a roster (needs the right to register)",
        lambda w: reverse("imports:upload", args=["members"]),
        only(("admin", "secretary", "staff", "outsider"), 200),
    ),
    Case(
        "imports:upload",
        "upload the trees (needs the right to configure a street or community)",
        lambda w: reverse("imports:upload", args=["trees"]),
        only(("admin",), 200),
    ),
    Case(
        "imports:template",
        "the trees' template",
        lambda w: reverse("imports:template", args=["trees"]),
        only(("admin",), 200),
    ),
    Case(
        "imports:upload",
        "upload residents (needs the right to register people)",
        lambda w: reverse("imports:upload", args=["residents"]),
        only(("admin", "secretary", "staff", "outsider"), 200),
    ),
    Case(
        "imports:template",
        "the residents' template",
        lambda w: reverse("imports:template", args=["residents"]),
        only(("admin", "secretary", "staff", "outsider"), 200),
    ),
    Case(
        "imports:upload",
        "upload staff accounts (needs the right to give roles)",
        lambda w: reverse("imports:upload", args=["staff"]),
        only(("admin", "secretary", "outsider"), 200),
    ),
    Case(
        "imports:template",
        "the staff accounts' template",
        lambda w: reverse("imports:template", args=["staff"]),
        only(("admin", "secretary", "outsider"), 200),
    ),
    Case(
        "imports:upload",
        "an importer that does not exist",
        lambda w: reverse("imports:upload", args=["nothing"]),
        expect(404),
    ),
    Case(
        "imports:template",
        "the blank template (offered with the import)",
        lambda w: reverse("imports:template", args=["members"]),
        only(("admin", "secretary", "staff", "outsider"), 200),
    ),
    Case(
        "imports:job",
        "an import check is its starter's only",
        lambda w: reverse("imports:job", args=[_import_check(w).pk]),
        only(("secretary",), 200),
    ),
    Case(
        "imports:confirm",
        "confirming an import is its starter's only",
        lambda w: reverse("imports:confirm", args=[_import_check(w).pk]),
        only(("secretary",), 302),
        method="post",
    ),
    Case(
        "membership:detail",
        "赵六, member of branch A1 and the member account's own record",
        lambda w: reverse("membership:detail", args=[w.zhao.member.pk]),
        only(("admin", "secretary", "staff", "branch", "member"), 200),
    ),
    Case(
        "membership:detail",
        "孙八, member of branch B1",
        lambda w: reverse("membership:detail", args=[w.sun.member.pk]),
        only(("admin", "outsider"), 200),
    ),
    Case(
        "membership:edit",
        "edit 赵六's membership",
        lambda w: reverse("membership:edit", args=[w.zhao.member.pk]),
        only(("admin", "secretary", "staff", "branch"), 200),
    ),
    Case(
        "membership:edit",
        "edit 孙八's membership (community B)",
        lambda w: reverse("membership:edit", args=[w.sun.member.pk]),
        only(("admin", "outsider"), 200),
    ),
    Case(
        "membership:status",
        "change 赵六's membership status",
        lambda w: reverse("membership:status", args=[w.zhao.member.pk]),
        only(("admin", "secretary", "staff", "branch"), 302),
        method="post",
        data=lambda w: {"status": "suspended", "effective_on": "2026-11-01", "reason": "支部大会决议"},
    ),
    Case(
        "membership:dues_bill",
        "dues bill (own scope; 404 without any organisation)",
        lambda w: reverse("membership:dues_bill"),
        only(("admin", "secretary", "staff", "branch", "outsider"), 200),
    ),
    Case(
        "membership:dues_bill",
        "dues bill of branch A1 for a month",
        lambda w: reverse("membership:dues_bill") + f"?org={w.branch_a1.pk}&month=2026-10",
        only(("admin", "secretary", "staff", "branch", "outsider"), 200),
    ),
    Case(
        "membership:dues_export",
        "export branch A1's bill for a month (secretaries and admins export)",
        lambda w: reverse("membership:dues_export"),
        only(("admin", "secretary"), 302),
        method="post",
        data=lambda w: {"org": w.branch_a1.pk, "month": "2026-10"},
    ),
    Case(
        "membership:dues_arrears",
        "arrears (own scope)",
        lambda w: reverse("membership:dues_arrears"),
        only(("admin", "secretary", "staff", "branch", "outsider"), 200),
    ),
    Case(
        "membership:dues_confirm_year",
        "confirm a year's dues for branch A1",
        lambda w: reverse("membership:dues_confirm_year"),
        only(("admin", "secretary", "staff", "branch"), 302),
        method="post",
        data=lambda w: {"org": w.branch_a1.pk, "year": "2026"},
    ),
    Case(
        "membership:member_dues",
        "赵六's dues",
        lambda w: reverse("membership:member_dues", args=[w.zhao.member.pk]),
        only(("admin", "secretary", "staff", "branch", "member"), 200),
    ),
    Case(
        "membership:member_dues",
        "孙八's dues (community B)",
        lambda w: reverse("membership:member_dues", args=[w.sun.member.pk]),
        only(("admin", "outsider"), 200),
    ),
    Case(
        "membership:dues_find",
        "find a member's dues by name (those who record dues; each finds only their own members)",
        lambda w: reverse("membership:dues_find") + "?q=zl",
        only(("admin", "secretary", "staff", "branch", "outsider"), 200),
    ),
    Case(
        "membership:dues_void",
        "void a payment of 赵六",
        lambda w: reverse("membership:dues_void", args=[_payment(w).pk]),
        only(("admin", "secretary", "staff", "branch"), 302),
        method="post",
        data=lambda w: {"reason": "重复录入"},
    ),
    Case(
        "membership:dues_receipt",
        "receipt of 赵六's payment",
        lambda w: reverse("membership:dues_receipt", args=[_payment(w).receipt_number]),
        only(("admin", "secretary", "staff", "branch", "member"), 200),
    ),
    Case("membership:transfers", "transfers (own scope)", lambda w: reverse("membership:transfers"), expect(200)),
    Case(
        "membership:transfer_new",
        "open a transfer for 赵六",
        lambda w: reverse("membership:transfer_new", args=[w.zhao.member.pk]),
        only(("admin", "secretary", "staff", "branch"), 200),
    ),
    Case(
        "membership:transfer_new",
        "open a transfer for 孙八 (community B)",
        lambda w: reverse("membership:transfer_new", args=[w.sun.member.pk]),
        only(("admin", "outsider"), 200),
    ),
    Case(
        "membership:transfer_incoming",
        "register a letter from outside (needs an organisation to change)",
        lambda w: reverse("membership:transfer_incoming"),
        only(("admin", "secretary", "staff", "branch", "outsider"), 200),
    ),
    Case(
        "membership:transfer_detail",
        "赵六's transfer from A1 to B1: sending side, receiving side and the member",
        lambda w: reverse("membership:transfer_detail", args=[_transfer(w).pk]),
        only(("admin", "secretary", "staff", "branch", "member", "outsider"), 200),
    ),
    Case(
        "membership:transfer_letter",
        "the letter of 赵六's transfer",
        lambda w: reverse("membership:transfer_letter", args=[_transfer(w).pk]),
        only(("admin", "secretary", "staff", "branch", "member", "outsider"), 200),
    ),
    Case(
        "membership:development", "pipeline board (own scope)", lambda w: reverse("membership:development"), expect(200)
    ),
    Case(
        "membership:candidate_new",
        "record an application (needs a branch to change)",
        lambda w: reverse("membership:candidate_new"),
        only(("admin", "secretary", "staff", "branch", "outsider"), 200),
    ),
    Case(
        "membership:candidate",
        "张三's development in branch A1",
        lambda w: reverse("membership:candidate", args=[_candidate(w).pk]),
        only(("admin", "secretary", "staff", "branch"), 200),
    ),
    Case(
        "membership:candidate_stop",
        "stop 张三's development",
        lambda w: reverse("membership:candidate_stop", args=[_candidate(w).pk]),
        only(("admin", "secretary", "staff", "branch"), 302),
        method="post",
        data=lambda w: {"reason": "本人申请撤回"},
    ),
    Case(
        "membership:step_attachment",
        "the attachment of a step of 张三's development",
        lambda w: reverse("membership:step_attachment", args=[_step_with_attachment(w).pk]),
        only(("admin", "secretary", "staff", "branch"), 200),
    ),
    Case(
        "membership:create",
        "record a member from the paper files (needs the right to register)",
        lambda w: reverse("membership:create"),
        only(("admin", "secretary", "staff", "outsider"), 200),
    ),
    Case("membership:mobile", "mobile members (own scope)", lambda w: reverse("membership:mobile"), expect(200)),
    Case(
        "membership:mobile_end",
        "close 赵六's mobile record",
        lambda w: reverse("membership:mobile_end", args=[_mobile(w).pk]),
        only(("admin", "secretary", "staff", "branch"), 302),
        method="post",
        data=lambda w: {"note": "已返回"},
    ),
    Case(
        "membership:reports",
        "双报到 (own report, own communities): party members and staff only",
        lambda w: reverse("membership:reports"),
        expect(200, resident=404, liaison=404),
    ),
    Case("membership:care", "care register (own scope)", lambda w: reverse("membership:care"), expect(200)),
    Case(
        "membership:appraisal",
        "appraisal sheet (404 without a branch in scope)",
        lambda w: reverse("membership:appraisal"),
        only(("admin", "secretary", "staff", "branch", "outsider"), 200),
    ),
    Case(
        "membership:appraisal",
        "appraisal sheet of branch B1",
        lambda w: reverse("membership:appraisal") + f"?org={w.branch_b1.pk}&member={w.sun.member.pk}",
        only(("admin", "outsider"), 200),
    ),
    Case(
        "membership:visit_to_request",
        "turn a visit to 赵六 into a service request (those who may record requests)",
        lambda w: reverse("membership:visit_to_request", args=[_visit(w).pk]),
        only(("admin", "secretary", "staff"), 302),
        method="post",
    ),
    Case(
        "membership:member_care",
        "care of 赵六",
        lambda w: reverse("membership:member_care", args=[w.zhao.member.pk]),
        only(("admin", "secretary", "staff", "branch", "member"), 200),
    ),
]


def _visit(world):
    from dangjian.membership.care.services import care_visit

    return care_visit(
        actor=as_actor(world.users.admin),
        member=world.zhao.member,
        data={"visited_on": world.today, "visitors": "王书记", "note": "需要助餐"},
    )


# Cases of the service desk's pages and APIs live beside it, one module each.
RULES += [
    *catalogue_cases.CASES,
    *request_cases.CASES,
    *rates_cases.CASES,
    *api_cases.CASES,
    *account_cases.CASES,
    *tree_cases.CASES,
    *activity_cases.CASES,
    *volunteering_cases.CASES,
    *evaluation_cases.CASES,
    *phrase_cases.CASES,
]


def _named_patterns(resolver=None, namespace: str = "") -> list[str]:
    resolver = resolver or get_resolver()
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names.extend(_named_patterns(pattern, inner))
        elif isinstance(pattern, URLPattern):
            names.append(f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {pattern.pattern}>")
    return names


def test_every_url_has_a_rule():
    covered = {case.name for case in RULES}
    missing = [name for name in _named_patterns() if name not in covered]
    assert not missing, f"URLs without an access rule in tests/test_url_access.py: {missing}"


def _client_for(role: str, world, client):
    if role != "anonymous":
        client.force_login(getattr(world.users, role))
    return client


@pytest.mark.parametrize("case", RULES, ids=lambda c: f"{c.name}: {c.describe}")
@pytest.mark.parametrize("role", ROLES)
def test_access(role, case, world, client):
    _check(case, role, world, _client_for(role, world, client))


@pytest.mark.parametrize(
    ("case", "role"),
    [(case, role) for case in RULES for role in BEYOND if role in case.statuses],
    ids=lambda value: f"{value.name}: {value.describe}" if isinstance(value, Case) else value,
)
def test_access_beyond_the_worlds_roles(role, case, world, client):
    """The users some cases add to the nine (url_access_base.BEYOND), e.g. the district admin."""
    client.force_login(beyond_user(role, world))
    _check(case, role, world, client)


def _check(case, role, world, client):
    url = case.url(world)
    data = case.data(world) if case.data else {}
    response = getattr(client, case.method)(url, data)
    assert response.status_code == case.statuses[role], (
        f"{role} → {case.method.upper()} {url}: got {response.status_code}, expected {case.statuses[role]}"
    )
