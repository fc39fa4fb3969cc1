"""URL access cases of the evaluation pages (see tests/test_url_access.py). The street admin makes
and runs the street's plans; a published plan is read by the communities it evaluates (the
secretaries and staff of A and B); each community's staff read their own scorecard and the records
behind it, not the other community's; members, residents, liaisons and a branch secretary (who
holds no community) see none of it (404)."""

import datetime as dt

from django.urls import reverse

from tests.url_access_base import Case, only

COMMUNITY_STAFF = ("secretary", "staff", "outsider")  # A's secretary and staff, B's secretary
READERS = ("admin", *COMMUNITY_STAFF)


def _quarter_start(world):
    today = world.today
    return dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)


def _quarter_after(start):
    return dt.date(start.year + (start.month + 2) // 12, (start.month + 2) % 12 + 1, 1)


def _next_quarter(world):
    return _quarter_after(_quarter_start(world))


def _published(world):
    """The street's plan of the current quarter, published the day before it started."""
    from dangjian.evaluation import services
    from dangjian.evaluation.models import Plan
    from tests.factories import as_actor

    start = _quarter_start(world)
    plan = Plan.objects.filter(region=world.street, start=start, state="published").first()
    if plan is None:
        before = as_actor(world.users.admin, today=start - dt.timedelta(days=1))
        plan = services.create_plan(actor=before, region=world.street, kind="quarter", start=start)
        plan = services.publish_plan(actor=before, plan=plan)
    return plan


def _draft(world):
    from dangjian.evaluation import services
    from dangjian.evaluation.models import Plan
    from tests.factories import as_actor

    start = _next_quarter(world)
    return Plan.objects.filter(region=world.street, start=start).first() or services.create_plan(
        actor=as_actor(world.users.admin), region=world.street, kind="quarter", start=start
    )


def _run(world):
    from dangjian.evaluation import services
    from tests.factories import as_actor

    plan = _published(world)
    return plan.runs.first() or services.compute_run(actor=as_actor(world.users.admin), plan=plan)


def _flag(world):
    """A finding of the run (made here: the world's records raise none)."""
    from dangjian.evaluation.models import Flag

    run = _run(world)
    return run.flags.first() or Flag.objects.create(
        run=run, unit=world.community_a, code="servicedesk.batch_closures", count=5, base=5, evidence=[]
    )


CASES = [
    Case("evaluation:index", "the plans of one's area and the published ones that evaluate it", lambda w: reverse("evaluation:index"), only((*READERS, "branch"), 200)),
    Case(
        "evaluation:index",
        "draft the street's plan of the next quarter",
        lambda w: reverse("evaluation:index"),
        {**only(("admin",), 302), "secretary": 404, "staff": 404, "outsider": 404, "branch": 404},
        method="post",
        data=lambda w: {"region": w.street.pk, "kind": "quarter", "start": f"{_quarter_after(_next_quarter(w)):%Y-%m-%d}"},
    ),
    Case("evaluation:upward", "the quarterly statistics (the area's admins)", lambda w: reverse("evaluation:upward"), only(("admin",), 200)),
    Case("evaluation:plan", "the published plan of the street", lambda w: reverse("evaluation:plan", args=[_published(w).pk]), only(READERS, 200)),
    Case("evaluation:plan", "a draft plan (its area's admins only)", lambda w: reverse("evaluation:plan", args=[_draft(w).pk]), only(("admin",), 200)),
    Case(
        "evaluation:leaf_update",
        "change a draft's floor and target",
        lambda w: reverse("evaluation:leaf_update", args=[_draft(w).pk, _draft(w).leaves.get(code="servicedesk.response").pk]),
        only(("admin",), 302),
        method="post",
        data=lambda w: {f"l{_draft(w).leaves.get(code='servicedesk.response').pk}-{k}": v for k, v in {"weight": 0.2, "floor": 0.5, "target": 0.9, "min_sample": 20}.items()},
    ),
    Case("evaluation:plan_publish", "publish a draft", lambda w: reverse("evaluation:plan_publish", args=[_draft(w).pk]), only(("admin",), 302), method="post"),
    Case(
        "evaluation:plan_revise",
        "draft a new revision of the published plan",
        lambda w: reverse("evaluation:plan_revise", args=[_published(w).pk]),
        only(("admin",), 302),
        method="post",
        data=lambda w: {"reason": "P90 目标按新的服务时限调整"},
    ),
    Case("evaluation:plan_run", "compute the results", lambda w: reverse("evaluation:plan_run", args=[_published(w).pk]), only(("admin",), 302), method="post"),
    Case("evaluation:judgements", "the AHP workshop of a draft's groups", lambda w: reverse("evaluation:judgements", args=[_draft(w).pk, "groups"]), only(("admin",), 200)),
    Case(
        "evaluation:judgements",
        "an expert's comparisons of group A",
        lambda w: reverse("evaluation:judgements", args=[_draft(w).pk, "A"]),
        only(("admin",), 302),
        method="post",
        data=lambda w: {"expert": "王教授", **{f"p_{i}_{j}": "1" for i in range(6) for j in range(i + 1, 6)}},
    ),
    Case(
        "evaluation:run",
        "the street's results (a community's staff are taken to their own scorecard)",
        lambda w: reverse("evaluation:run", args=[_run(w).pk]),
        {**only(("admin",), 200), **dict.fromkeys(COMMUNITY_STAFF, 302)},
    ),
    Case("evaluation:method", "the method and every number of a run", lambda w: reverse("evaluation:method", args=[_run(w).pk]), only(READERS, 200)),
    Case("evaluation:flags", "the checks for a reviewer (the area's admins)", lambda w: reverse("evaluation:flags", args=[_run(w).pk]), only(("admin",), 200)),
    Case(
        "evaluation:flags",
        "record what a check's finding was",
        lambda w: reverse("evaluation:flags", args=[_run(w).pk]),
        only(("admin",), 302),
        method="post",
        data=lambda w: {"flag": _flag(w).pk, "state": "explained", "note": "下乡回来后集中补录"},
    ),
    Case("evaluation:run_export", "the results as Excel (the area's admins)", lambda w: reverse("evaluation:run_export", args=[_run(w).pk]), only(("admin",), 200)),
    Case("evaluation:run_pdf", "the results as a PDF (a street's for its admins, a community's own for its secretary)", lambda w: reverse("evaluation:run_pdf", args=[_run(w).pk]), only(("admin", "secretary", "outsider"), 200)),
    Case("evaluation:run_pdf", "community A's PDF", lambda w: reverse("evaluation:run_pdf", args=[_run(w).pk]) + f"?unit={w.community_a.pk}", only(("admin", "secretary"), 200)),
    Case("evaluation:scorecard", "community A's scorecard", lambda w: reverse("evaluation:scorecard", args=[_run(w).pk, w.community_a.pk]), only(("admin", "secretary", "staff"), 200)),
    Case(
        "evaluation:records",
        "the records behind A's 响应率",
        lambda w: reverse("evaluation:records", args=[_run(w).pk, w.community_a.pk, "servicedesk.response", "denominator"]),
        only(("admin", "secretary", "staff"), 200),
    ),
]  # fmt: skip
