"""The evaluation pages as their users meet them: every number of a scorecard opens a list of as
many records, the street's overview and a scorecard read a constant number of queries, the English
pages have no Chinese but the data, a run goes through the real background worker, and hostile
values answer 404 or a clear message, never 500."""

import datetime as dt
import io
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core.models import Job
from dangjian.evaluation import services
from dangjian.evaluation.models import Run
from dangjian.evaluation.tests.test_runs import AFTER, admin, published_plan, some_requests
from dangjian.volunteering.tests.test_pages import _chinese_left, _data_of
from tests.factories import as_actor


def _run(world):
    """Computed now, as the pages read the records behind each number now (an open request is
    late or not by the time of reading)."""
    plan = published_plan(world)
    some_requests(world)
    return services.compute_run(actor=as_actor(world.users.admin), plan=plan)


def test_every_number_of_a_scorecard_opens_as_many_records(world, client):
    run = _run(world)
    client.force_login(world.users.secretary)
    a = run.results.get(unit=world.community_a)
    page = client.get(reverse("evaluation:scorecard", args=[run.pk, world.community_a.pk])).content.decode()
    checked = 0
    for leaf in a.leaves:
        for part in ("numerator", "denominator"):
            stored = leaf[part]
            if stored is None:
                continue
            url = reverse("evaluation:records", args=[run.pk, world.community_a.pk, leaf["code"], part])
            assert f'href="{url}"' in page
            listed = client.get(url)
            assert listed.status_code == 200
            assert listed.context["page"].paginator.count == stored, (leaf["code"], part)
            assert "记录有了变化" not in listed.content.decode()
            checked += 1
    assert checked >= 10  # the service desk's rates and volunteering's, both parts


def test_a_record_added_after_the_run_is_said_on_its_list(world, client):
    from dangjian.servicedesk.models import RequestState
    from dangjian.servicedesk.tests.test_lifecycle import reach

    run = _run(world)
    reach(world, RequestState.DISPATCHED, description="电梯坏了")
    client.force_login(world.users.admin)
    url = reverse("evaluation:records", args=[run.pk, world.community_a.pk, "servicedesk.response", "denominator"])
    assert "记录有了变化" in client.get(url).content.decode()


def test_the_overview_and_a_scorecard_read_a_constant_number_of_queries(world, client):
    from dangjian.orgs.models import RegionLevel
    from dangjian.orgs.services import add_region

    client.force_login(world.users.admin)
    first = _run(world)

    def count(url):
        client.get(url)  # the first page of a session writes what later ones do not
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = (
        count(reverse("evaluation:run", args=[first.pk])),
        count(reverse("evaluation:scorecard", args=[first.pk, world.community_a.pk])),
    )
    for n in range(4):
        add_region(
            actor=as_actor(world.users.admin),
            parent=world.street,
            name=f"新社区{n}",
            code=f"4201070019{n}",
            level=RegionLevel.COMMUNITY,
        )
    actor = admin(world, AFTER)
    second = services.compute_run(actor=actor, plan=first.plan)
    assert second.results.count() == 6
    large = (
        count(reverse("evaluation:run", args=[second.pk])),
        count(reverse("evaluation:scorecard", args=[second.pk, world.community_a.pk])),
    )
    assert large == small, (small, large)
    assert small[0] <= 20 and small[1] <= 20


def test_the_english_pages_have_no_chinese_but_the_data(world, client):
    run = _run(world)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.users.admin)
    from dangjian.servicedesk.models import ServiceCategory

    data = sorted({*_data_of(world), *ServiceCategory.objects.values_list("name", flat=True)}, key=len, reverse=True)
    found = {}
    for url in (
        reverse("evaluation:index"),
        reverse("evaluation:plan", args=[run.plan_id]),
        reverse("evaluation:run", args=[run.pk]),
        reverse("evaluation:scorecard", args=[run.pk, world.community_a.pk]),
        reverse("evaluation:method", args=[run.pk]),
        reverse("evaluation:flags", args=[run.pk]),
        reverse("evaluation:records", args=[run.pk, world.community_a.pk, "servicedesk.resolution", "numerator"]),
    ):
        html = client.get(url).content.decode()
        assert '<html lang="en"' in html
        found[url] = _chinese_left(html, data)
    assert found == {url: [] for url in found}, found


@pytest.mark.parametrize(
    "path",
    [
        "/evaluation/runs/999999/",
        "/evaluation/runs/{run}/units/999999/",
        "/evaluation/runs/{run}/units/{a}/servicedesk.response/everything/",
        "/evaluation/runs/{run}/units/{a}/no.such.code/numerator/",
        "/evaluation/runs/{run}/units/{a}/servicedesk.response/numerator/?page=-3",
        "/evaluation/runs/{run}/units/{a}/servicedesk.response/numerator/?page=%00%27",
        "/evaluation/plans/999999/judgements/groups/",
        "/evaluation/plans/{plan}/judgements/Z/",
        "/evaluation/runs/{run}/units/99999999999999999999999/",
        "/evaluation/runs/99999999999999999999999/method/",
        "/evaluation/plans/99999999999999999999999/",
    ],
)
def test_hostile_values_answer_404_or_the_page(world, client, path):
    run = _run(world)
    client.force_login(world.users.admin)
    response = client.get(path.format(run=run.pk, a=world.community_a.pk, plan=run.plan_id))
    assert response.status_code in (200, 400, 404)  # 400: the NUL the middleware refuses


def test_a_plan_for_the_year_9999_is_refused_not_a_server_error(world, client):
    client.force_login(world.users.admin)
    for kind, start in (("quarter", "9999-10-01"), ("year", "9999-01-01"), ("quarter", "1999-01-01")):
        page = client.post(reverse("evaluation:index"), {"region": world.street.pk, "kind": kind, "start": start})
        assert page.status_code == 200 and "9998" in page.content.decode()


def test_a_bad_judgement_is_refused_with_the_pairs_to_revisit(world, client):
    plan = services.create_plan(actor=admin(world), region=world.street, kind="quarter", start=dt.date(2027, 1, 1))
    client.force_login(world.users.admin)
    url = reverse("evaluation:judgements", args=[plan.pk, "groups"])
    pairs = {f"p_{i}_{j}": "1" for i in range(5) for j in range(i + 1, 5)}
    # A beats B 9 times, B beats C 9 times, and yet C beats A 9 times: not consistent.
    bad = {**pairs, "expert": "王教授", "p_0_1": "9", "p_1_2": "9", "p_0_2": "1/9"}
    page = client.post(url, bad)
    assert page.status_code == 400 and "一致性不够" in page.content.decode()
    typo = client.post(url, {**pairs, "expert": "王教授", "p_0_1": "10"})
    assert typo.status_code == 400 and "Saaty" in typo.content.decode()
    assert plan.judgements.count() == 0
    good = client.post(url, {**pairs, "expert": "王教授", "p_0_1": "2", "p_0_2": "3"})
    assert good.status_code == 302 and plan.judgements.count() == 1
    client.post(url, {"apply": "1"})
    from dangjian.evaluation import mcdm

    kept = plan.judgements.get()
    expected = mcdm.ahp(kept.matrix).weights
    assert list(plan.groups.order_by("order").values_list("weight", flat=True)) == pytest.approx(expected)
    assert kept.matrix[0][1] == 2 and kept.matrix[1][0] == pytest.approx(0.5)


@pytest.mark.django_db(transaction=True)  # the job is queued when the request's transaction commits
def test_a_run_is_a_background_job_whose_file_is_the_results_workbook(world, client):
    from openpyxl import load_workbook

    start = dt.date(world.today.year, (world.today.month - 1) // 3 * 3 + 1, 1)
    before = as_actor(world.users.admin, today=start - dt.timedelta(days=1))
    plan = services.publish_plan(
        actor=before, plan=services.create_plan(actor=before, region=world.street, kind="quarter", start=start)
    )
    client.force_login(world.users.admin)
    response = client.post(reverse("evaluation:plan_run", args=[plan.pk]))
    assert response.status_code == 302
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    job = Job.objects.get(kind=services.RUN_KIND)
    assert job.status == "succeeded", job.error
    run = Run.objects.get(pk=job.result["run"])
    assert run.job_id == job.pk and run.results.count() == 2
    rows = list(load_workbook(io.BytesIO(job.file.read()), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:2] == ("社区", "总分")
    assert {r[0] for r in rows[1:]} == {"红钢城社区", "钢花村社区"}
    assert len(rows) - 1 == 2 * plan.leaves.count()
    # A community's secretary may not start one.
    client.force_login(world.users.secretary)
    assert client.post(reverse("evaluation:plan_run", args=[plan.pk])).status_code == 404
    assert re.match(r"[0-9a-f]{64}$", run.fingerprint)


def test_the_pdf_is_the_streets_for_its_admin_and_a_communitys_own_for_its_secretary(world, client, tmp_path):
    from dangjian.core.models import Event
    from dangjian.membership.tests.test_transfers import pdf_text

    run = _run(world)

    def text(user, query=""):
        client.force_login(user)
        response = client.get(reverse("evaluation:run_pdf", args=[run.pk]) + query)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        found = pdf_text(response.content, tmp_path)
        assert found is not None, "pdftotext (poppler-utils) is needed"
        return found

    street = text(world.users.admin)
    assert "红钢城社区" in street and "钢花村社区" in street and "解决率" in street
    own = text(world.users.secretary)
    assert "红钢城社区" in own and "钢花村社区" not in own
    client.force_login(world.users.secretary)
    assert client.get(reverse("evaluation:run_pdf", args=[run.pk]) + f"?unit={world.community_b.pk}").status_code == 404
    client.force_login(world.users.staff)  # no right to export
    assert client.get(reverse("evaluation:run_pdf", args=[run.pk])).status_code == 404
    assert Event.objects.filter(action="exported", changes__format=[None, "pdf"]).count() == 2
