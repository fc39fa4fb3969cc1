"""Seed a realistic year of service requests (two at district scale and above).

About 0.42 requests per resident a year (DESIGN.md §7: ~5,000 a year for the demo's 12,000
people), more in summer for cleaning and health, more before the Spring Festival for hardship
help. Communities differ, so the three rates tell a story: the first community answers fast
and well, the last one is slow and its residents less satisfied, the others in between; a few
addresses come back with the same problem within a month (重复诉求). Most requests are finished;
those of the last weeks are still open, some overdue. Deadlines and handling times are in
business time on the Chinese calendar, computed with a precomputed timeline of service hours
(the seed creates up to a million requests; sla.due_at per row would take minutes).
"""

from __future__ import annotations

import bisect
import datetime as dt
import secrets
from typing import Any

from django.db import connection
from django.utils import timezone

from dangjian.core.calendar import is_workday
from dangjian.demo.seeding import SeedContext, fast_insert
from dangjian.servicedesk import sla
from dangjian.servicedesk.models import (
    AssigneeKind,
    Callback,
    CloseReason,
    Rating,
    RequestState,
    RequestStep,
    ServiceCategory,
    ServiceRequest,
)
from dangjian.servicedesk.rates import rollups

ORDER = 40
# Requests per resident a year (DESIGN.md §7): ~5,000 for the demo's 12,000 people, ~500,000
# for the district's 600,000.
PER_PERSON_YEAR = {"demo": 0.42, "tiny": 0.42, "district": 0.83, "city": 0.83}
BATCH = 20000
# Community quality profiles: (chance of a timely response, handling time ÷ target median, share of
# residents satisfied, share resolved). Cycled over the communities.
PROFILES = [(0.96, 0.45, 0.93, 0.95), (0.85, 0.7, 0.84, 0.88), (0.78, 0.8, 0.78, 0.84), (0.62, 1.05, 0.62, 0.72)]
# What residents write, per service: every request's description fits its category.
DESCRIPTIONS = {
    "hardship-aid": ["家中老人生病住院，生活困难，希望申请临时救助", "独居老人冬季取暖有困难，请社区帮忙"],
    "dispute-mediation": [
        "楼上住户装修噪音大，多次沟通无果，请社区调解",
        "邻居在楼道堆放杂物，协商不成",
        "楼上住户深夜噪音扰民，希望社区帮忙协调",
    ],
    "legal-advice": ["房屋租赁合同纠纷，想咨询法律问题", "子女不履行赡养义务，想了解怎么办"],
    "deputy-reception": ["希望向党代表反映小区停车难问题", "想向党代表反映老旧小区加装电梯的意见"],
    "member-education": ["想参加社区的党员学习活动，请告知时间", "流动党员希望就近参加组织生活"],
    "membership-transfer": ["想把党组织关系转到社区，需要准备什么材料", "组织关系介绍信快过期了，请帮忙办理"],
    "culture-sports": ["想报名参加社区的广场舞队", "希望社区周末组织老年人合唱活动"],
    "job-referral": ["想找一份离家近的工作", "孩子大专毕业半年还没找到工作，想请社区推荐岗位"],
    "legal-aid": ["工地拖欠工资三个月，想申请法律援助", "交通事故对方不赔偿，请不起律师"],
    "social-assistance": ["家里收入低，想了解低保怎么申请", "因病致贫，希望申请临时救助"],
    "science-talks": ["希望社区办一次防诈骗讲座", "想听老年人慢性病防治的健康讲座"],
    "home-services": ["家里需要找家政服务，请帮忙推荐", "老人行动不便，想请人上门理发"],
    "free-clinic": ["希望社区组织一次健康义诊", "想请医生来社区给老人量血压、测血糖"],
    "employment-support": ["下岗后想参加技能培训，请社区帮忙联系", "残疾人想找力所能及的工作"],
    "public-order-mediation": ["小区门口摊贩占道经营，影响通行", "两户居民因停车位发生争执，请社区调解"],
    "sanitation": ["楼道卫生无人打扫，请社区协调", "小区垃圾桶满了好几天没人清运"],
    "public-safety": ["小区路灯不亮，晚上出行不安全", "单元门禁坏了，陌生人随意进出"],
}
GENERIC = ["想咨询社区的相关服务，请工作人员联系我"]  # a category the demo does not know (added by hand)
RESULTS = [
    "已联系相关单位处理完毕，并电话告知居民。",
    "已上门了解情况并协调解决。",
    "已安排志愿者上门服务。",
    "已组织双方调解，达成一致意见。",
    "已提供政策咨询并协助准备材料。",
]
SUMMARIES = ["居民反映的问题已协调解决，居民表示满意。", "经社区调解，双方达成和解。", "志愿者上门服务，问题已解决。"]


class Timeline:
    """Business seconds as a line: position of a moment and the moment at a position, on the
    Chinese calendar and service hours (the same rules as sla.py, precomputed for a range)."""

    def __init__(self, first: dt.date, last: dt.date) -> None:
        zone = timezone.get_current_timezone()
        periods = sla._periods()
        self.starts: list[dt.datetime] = []
        self.ends: list[dt.datetime] = []
        self.offsets: list[int] = []
        total = 0
        day = first
        while day <= last:
            if is_workday(day):
                for start, end in periods:
                    a = dt.datetime.combine(day, start, tzinfo=zone)
                    b = dt.datetime.combine(day, end, tzinfo=zone)
                    self.starts.append(a)
                    self.ends.append(b)
                    self.offsets.append(total)
                    total += int((b - a).total_seconds())
            day += dt.timedelta(days=1)

    def position(self, moment: dt.datetime) -> int:
        i = bisect.bisect_right(self.starts, moment) - 1
        if i < 0:
            return 0
        if moment >= self.ends[i]:
            return self.offsets[i] + int((self.ends[i] - self.starts[i]).total_seconds())
        return self.offsets[i] + int((moment - self.starts[i]).total_seconds())

    def moment(self, position: int) -> dt.datetime:
        i = max(0, bisect.bisect_right(self.offsets, position) - 1)
        if i >= len(self.starts):
            return self.ends[-1]
        return self.starts[i] + dt.timedelta(seconds=position - self.offsets[i])


def _db(value: Any) -> Any:
    return connection.ops.adapt_datetimefield_value(value) if isinstance(value, dt.datetime) else value


def _weights(category: ServiceCategory, month: int) -> float:
    weight = {"party": 1.0, "convenience": 1.4, "units": 0.8}.get(category.family, 1.0)
    if category.code in ("sanitation", "free-clinic") and month in (6, 7, 8):
        weight *= 1.8
    if category.code in ("hardship-aid", "social-assistance") and month in (12, 1, 2):
        weight *= 2.0
    return weight


def seed(ctx: SeedContext) -> None:
    rng, today = ctx.rng, ctx.today
    years = 2 if ctx.scale.name in ("district", "city") else 1
    categories = list(ServiceCategory.objects.filter(is_active=True).prefetch_related("skills"))
    if not categories:
        return
    zone = timezone.get_current_timezone()
    first = today - dt.timedelta(days=365 * years)
    timeline = Timeline(first - dt.timedelta(days=5), today + dt.timedelta(days=120))
    now = dt.datetime.combine(today, dt.time(10, 0), tzinfo=zone)
    now_position = timeline.position(now)
    staff_by_community = _staff(ctx)
    callers = _callers(ctx)
    demo_people = {p.user_id: p for c in ctx.shared["communities"][:1] for p in c["people"] if p.user_id}
    demo_resident = (
        next((p for p in demo_people.values() if p.user.username == "resident"), None) if demo_people else None
    )
    next_id = (ServiceRequest.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    requests: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    ratings: list[dict[str, Any]] = []
    callbacks: list[dict[str, Any]] = []
    full_steps = ctx.scale.name in ("demo", "tiny")
    total = 0

    def flush() -> None:
        fast_insert(ServiceRequest, requests)
        fast_insert(RequestStep, steps)
        fast_insert(Rating, ratings)
        fast_insert(Callback, callbacks)
        for rows in (requests, steps, ratings, callbacks):
            rows.clear()

    # Day by day, every community: ids then follow submission time, as in real life.
    rate = PER_PERSON_YEAR.get(ctx.scale.name, PER_PERSON_YEAR["district"])
    communities: list[Any] = []
    for index, community in enumerate(ctx.shared["communities"]):
        if community["people"]:
            communities.append(
                (
                    community,
                    PROFILES[index % len(PROFILES)],
                    list(community["people"]),
                    staff_by_community.get(community["region"].pk, []),
                    [],
                )
            )
    day = first
    while day <= today:
        weights = [_weights(c, day.month) for c in categories]
        for community, profile, people, staff, repeat_pool in communities:
            respond_p, handle_ratio, satisfied_p, resolved_p = profile
            grids = community["grids"]
            expected = len(people) * rate / 365 * (1.25 if is_workday(day) else 0.4)
            for _n in range(int(expected) + (1 if rng.random() < expected - int(expected) else 0)):
                category = rng.choices(categories, weights)[0]
                person = rng.choice(people)
                channel = rng.choices(["desk", "phone", "web", "reception"], [4, 3, 3, 0.3])[0]
                if category.code == "deputy-reception":
                    channel = "reception"
                minute = (
                    rng.randrange(8 * 60 + 30, 17 * 60 + 30) if channel != "web" else rng.randrange(7 * 60, 22 * 60)
                )
                submitted = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)
                if submitted > now:
                    continue
                address = person.address or ""
                if repeat_pool and rng.random() < 0.04:  # the same problem again within a month
                    category_id, address, earlier = rng.choice(repeat_pool)
                    category = next(c for c in categories if c.pk == category_id)
                    submitted = max(submitted, earlier + dt.timedelta(days=rng.randint(3, 28)))
                    if submitted > now:
                        continue
                if address and rng.random() < 0.1:
                    repeat_pool.append((category.pk, address, submitted))
                    del repeat_pool[:-200]
                start = timeline.position(submitted)
                response_target = sla.target_seconds(category.response_target, category.response_unit)
                resolution_target = sla.target_seconds(category.resolution_target, category.resolution_unit)
                response_due = timeline.moment(start + response_target)
                resolution_due = timeline.moment(start + resolution_target)
                on_time = rng.random() < respond_p
                response_pos = start + int(
                    response_target * (rng.uniform(0.05, 0.9) if on_time else rng.uniform(1.05, 2.5))
                )
                ratio = rng.lognormvariate(0, 0.45) * handle_ratio
                handle_pos = max(response_pos + 600, start + int(resolution_target * ratio))
                grid = rng.choice(grids) if grids else community["region"]
                row: dict[str, Any] = {
                    "id": next_id,
                    "created_at": _db(submitted),
                    "updated_at": _db(submitted),
                    "version": 1,
                    "category_id": category.pk,
                    "channel": channel,
                    "description": rng.choice(DESCRIPTIONS.get(category.code, GENERIC)),
                    "address": address[:200],
                    "latitude": None,
                    "longitude": None,
                    "region_id": person.region_id or grid.pk,
                    "community_id": community["region"].pk,
                    "level": category.default_level,
                    "requester_id": person.pk,
                    "contact_name": "",
                    "phone_encrypted": "",
                    "phone_hash": "",
                    "phone_masked": "",
                    "submitted_by_id": None,
                    "token": secrets.token_urlsafe(16),
                    "state": RequestState.CLOSED,
                    "submitted_at": _db(submitted),
                    "assignee_kind": "",
                    "assignee_user_id": None,
                    "assignee_person_id": None,
                    "assignee_organization_id": None,
                    "assignee_region_id": None,
                    "response_due_at": _db(response_due),
                    "resolution_due_at": _db(resolution_due),
                    "first_response_at": None,
                    "handled_at": None,
                    "closed_at": None,
                    "handle_seconds": None,
                    "paused_since": None,
                    "response_breached": False,
                    "resolution_breached": False,
                    "result": "",
                    "outcome": "",
                    "outcome_source": "",
                    "outcome_at": None,
                    "unresolved_at": None,
                    "unresolved_source": "",
                    "close_reason": "",
                    "is_public": False,
                    "public_summary": "",
                    "reopened_from_id": None,
                    "duplicate_of_id": None,
                    "classification": "",
                    "classification_note": "",
                    "classified_by_id": None,
                    "signed_off_by_id": None,
                    "signed_off_at": None,
                    "callback_sampled": False,
                }
                handler = rng.choice(staff) if staff else None
                events = [("submit", "", RequestState.SUBMITTED, submitted, None, "")]
                if response_pos <= now_position:
                    responded = timeline.moment(response_pos)
                    row["first_response_at"] = _db(responded)
                    row["response_breached"] = responded > response_due
                    row["assignee_kind"] = AssigneeKind.STAFF if handler else AssigneeKind.GRID
                    row["assignee_user_id"] = handler.pk if handler else None
                    row["assignee_region_id"] = None if handler else grid.pk
                    row["state"] = RequestState.DISPATCHED
                    events.append(("accept", RequestState.SUBMITTED, RequestState.ACCEPTED, responded, handler, ""))
                    events.append(("dispatch", RequestState.ACCEPTED, RequestState.DISPATCHED, responded, handler, ""))
                else:
                    row["state"] = RequestState.SUBMITTED
                    row["response_breached"] = now > response_due
                if row["first_response_at"] and handle_pos <= now_position:
                    handled = timeline.moment(handle_pos)
                    row.update(
                        state=RequestState.HANDLED,
                        handled_at=_db(handled),
                        handle_seconds=handle_pos - start,
                        resolution_breached=handled > resolution_due,
                        result=rng.choice(RESULTS),
                    )
                    events.append(
                        ("handle", RequestState.DISPATCHED, RequestState.HANDLED, handled, handler, row["result"])
                    )
                    days_since = (now - handled).days
                    _verdicts(
                        row,
                        events,
                        ratings,
                        callbacks,
                        rng=rng,
                        now=now,
                        handled=handled,
                        resolved=rng.random() < resolved_p,
                        satisfied_p=satisfied_p,
                        handler=handler,
                        caller=callers.get(community["region"].pk),
                        timeline=timeline,
                        start=start,
                        resolution_due=resolution_due,
                        days_since=days_since,
                    )
                elif row["first_response_at"]:
                    # Open and overdue: left for the sweep to flag, as it would have, so that its
                    # notifications (to the handler, the community, the street) are in the demo.
                    row["resolution_breached"] = False
                    if rng.random() < 0.5:
                        row["state"] = RequestState.IN_PROGRESS
                if row["state"] == RequestState.CLOSED and rng.random() < 0.004:
                    row.update(
                        classification=rng.choice(["unreasonable", "untrue", "not_our_remit"]),
                        classification_note="经核实，诉求超出社区职责范围",
                    )
                if full_steps or row["state"] not in (RequestState.CLOSED, RequestState.VISITED):
                    for action, old, new, at, actor, note in events:
                        steps.append(
                            {
                                "request_id": next_id,
                                "action": action,
                                "old_state": old,
                                "new_state": new,
                                "actor_id": actor.pk if actor else None,
                                "at": _db(at),
                                "note": note,
                                "is_public": action != "dispatch",
                            }
                        )
                requests.append(row)
                next_id += 1
                total += 1
                if len(requests) >= BATCH:
                    flush()
        day += dt.timedelta(days=1)
    if demo_resident is not None:
        _demo_resident_requests(ctx, demo_resident, categories, requests, steps, timeline, now, next_id)
    flush()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            last = ServiceRequest.objects.order_by("-id").values_list("id", flat=True).first() or 1
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [ServiceRequest._meta.db_table, last])
            cursor.execute(f"ANALYZE {connection.ops.quote_name(ServiceRequest._meta.db_table)}")
    _receptions(ctx, now)
    _merges_and_reopenings(ctx, now)
    days = rollups.rebuild()  # the rates' daily counts of what was written above in bulk
    ctx.log(f"service requests: {total} over {years} year(s), {days} daily counts")


def _verdicts(
    row: dict[str, Any],
    events: list,
    ratings: list,
    callbacks: list,
    *,
    rng: Any,
    now: dt.datetime,
    handled: dt.datetime,
    resolved: bool,
    satisfied_p: float,
    handler: Any,
    caller: Any,
    timeline: Timeline,
    start: int,
    resolution_due: dt.datetime,
    days_since: int,
) -> None:
    """What happens to a handled request, by the state machine's rules (lifecycle.py; the demo's
    rates must be ones the live rules can produce): the requester answers on their own (about
    half do); "not resolved" sends it back to the handler and stays the 解决率's verdict even if a
    second handling is then confirmed; CALLBACK_RATE of the handled requests are called back
    independently of that answer, and a callback that finds it not resolved is the verdict too;
    a handled request nobody answers is closed "no confirmation" after 7 days."""
    S = RequestState
    request_id = row["id"]
    verdict_at: dt.datetime | None = None

    def rate(at: dt.datetime, source: str, satisfied: float) -> None:
        if rng.random() < 0.75 and not any(r["request_id"] == request_id for r in ratings[-3:]):
            score = _score(rng, satisfied)
            ratings.append(
                {"request_id": request_id, "score": score, "comment": "", "source": source, "rated_at": _db(at)}
            )

    if days_since >= 1 and rng.random() < 0.55:
        answered_at = handled + dt.timedelta(hours=rng.randint(2, 72))
        if answered_at < now and resolved:
            row.update(state=S.VISITED, outcome="resolved", outcome_source="resident", outcome_at=_db(answered_at))
            events.append(("confirm", S.HANDLED, S.VISITED, answered_at, None, ""))
            rate(answered_at, "resident", satisfied_p)
            verdict_at = answered_at
        elif answered_at < now:
            # 还没有解决: back to the handler (lifecycle.request_confirm); the verdict stays.
            row.update(
                state=S.IN_PROGRESS,
                handled_at=None,
                handle_seconds=None,
                unresolved_at=_db(answered_at),
                unresolved_source="resident",
            )
            events.append(("reject", S.HANDLED, S.IN_PROGRESS, answered_at, None, "问题还是没有解决"))
            rate(answered_at, "resident", satisfied_p * 0.4)
            again = answered_at + dt.timedelta(hours=rng.randint(4, 48))
            if again < now:
                handled = again
                row.update(
                    state=S.HANDLED,
                    handled_at=_db(again),
                    handle_seconds=timeline.position(again) - start,
                    resolution_breached=row["resolution_breached"] or again > resolution_due,
                )
                events.append(("handle", S.IN_PROGRESS, S.HANDLED, again, handler, row["result"]))
                confirmed = again + dt.timedelta(hours=rng.randint(2, 72))
                if confirmed < now and rng.random() < 0.7:
                    row.update(
                        state=S.VISITED, outcome="resolved", outcome_source="resident", outcome_at=_db(confirmed)
                    )
                    events.append(("confirm", S.HANDLED, S.VISITED, confirmed, None, ""))
                    verdict_at = confirmed
    if days_since >= 1 and rng.random() < 0.3:  # CALLBACK_RATE, sampled whatever the requester said
        row["callback_sampled"] = True
        # after the requester's own answer, if any (a callback first would close their answer off);
        # a requester not reached is tried again on later days, and given up after three tries
        # (CALLBACK_ATTEMPTS), when the callback counts as not reached in the 回访接通率
        first_try = (verdict_at or handled) + dt.timedelta(hours=rng.randint(20, 96))
        missed = rng.choice((0, 0, 0, 0, 1, 1, 2, 3))  # tries without an answer
        planned = min(missed + 1, 3)  # the last one reaches the requester, unless it is the third miss
        tries = [m for m in (first_try + dt.timedelta(days=n) for n in range(planned)) if m < now]
        done = bool(tries) and row["state"] != S.IN_PROGRESS and caller is not None
        given_up = done and missed >= 3 and len(tries) == 3
        reached = done and missed < 3 and len(tries) == planned
        called = tries[-1] if done else first_try
        not_reached = (tries[:-1] if reached else tries) if done else []
        for moment in not_reached:
            events.append(("callback", row["state"], row["state"], moment, caller, "无人接听"))
        callbacks.append(
            {
                "request_id": request_id,
                "sampled_at": _db(handled),
                "caller_id": caller.pk if done else None,
                "done_at": _db(called) if done else None,
                "answered": reached if done else None,
                "resolved": resolved if reached else None,
                "note": "",
                "attempts": len(not_reached),
                "given_up_at": _db(called) if given_up else None,
            }
        )
        if reached:
            state = row["state"]
            if not resolved and not row["unresolved_at"]:
                row.update(unresolved_at=_db(called), unresolved_source="callback")
            if not row["outcome"]:
                row.update(
                    outcome="resolved" if resolved else "unresolved", outcome_source="callback", outcome_at=_db(called)
                )
                verdict_at = called
            if state == S.HANDLED:
                row["state"] = S.VISITED
            events.append(("callback", state, row["state"], called, caller, ""))
            rate(called, "callback", satisfied_p if resolved else satisfied_p * 0.4)
    if row["state"] == S.VISITED and verdict_at is not None:
        if resolved and rng.random() < 0.08:
            row.update(is_public=True, public_summary=rng.choice(SUMMARIES))
        closed = verdict_at + dt.timedelta(days=rng.randint(1, 5))
        if (now - verdict_at).days > 7 and closed < now:
            row.update(state=S.CLOSED, closed_at=_db(closed), close_reason="confirmed")
            events.append(("close", S.VISITED, S.CLOSED, closed, handler, ""))
    elif row["state"] == S.HANDLED and (now - handled).days > 8:
        closed = handled + dt.timedelta(days=7)
        row.update(state=S.CLOSED, closed_at=_db(closed), close_reason="no_answer")
        events.append(("close", S.HANDLED, S.CLOSED, closed, None, str(CloseReason.NO_ANSWER.label)))


def _merges_and_reopenings(ctx: SeedContext, now: dt.datetime) -> None:
    """Through the state machine itself (lifecycle.py), in the demo's first community: reports of
    the same problem merged by the staff member (one signed off by the secretary, two waiting on
    the audit page) and requests the requester called again about, reopened (their 解决率 verdict
    turned "not resolved"). Every community of a larger scale gets the same."""
    from dangjian.accounts.models import RoleGrant
    from dangjian.accounts.roles import Role
    from dangjian.core.actors import Actor
    from dangjian.servicedesk.requests import lifecycle

    communities = ctx.shared["communities"] if ctx.scale.name != "demo" else ctx.shared["communities"][:1]
    grants = RoleGrant.objects.active().filter(role__in=[Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY])
    by_region: dict[tuple[int, str], Any] = {}
    for grant in grants.select_related("user").order_by("pk"):
        by_region.setdefault((grant.region_id, grant.role), grant.user)
    S = RequestState
    for community in communities:
        region = community["region"]
        staff = by_region.get((region.pk, Role.COMMUNITY_STAFF))
        secretary = by_region.get((region.pk, Role.COMMUNITY_SECRETARY))
        if staff is None or secretary is None:
            continue
        recent = ServiceRequest.objects.filter(community=region, submitted_at__gte=now - dt.timedelta(days=25))
        merged = 0
        for req in recent.filter(state__in=[S.SUBMITTED, S.DISPATCHED, S.IN_PROGRESS]).order_by("submitted_at", "pk"):
            original = (
                ServiceRequest.objects.filter(
                    community=region,
                    category_id=req.category_id,
                    submitted_at__lt=req.submitted_at,
                    submitted_at__gte=req.submitted_at - dt.timedelta(days=30),
                    close_reason="",
                )
                .order_by("-submitted_at")
                .first()
            )
            if original is None:
                continue
            at = now - dt.timedelta(hours=6 - merged)  # after everything written of it above
            done = lifecycle.request_merge(
                actor=Actor.for_user(staff, via="seed", now=at),
                req=req,
                original=original,
                note="同一问题已有诉求在办，合并办理",
            )
            if merged == 0:
                lifecycle.request_sign_off(
                    actor=Actor.for_user(secretary, via="seed", now=at + dt.timedelta(hours=3)),
                    req=done,
                    note="核实为同一问题",
                )
            merged += 1
            if merged == 3:
                break
        finished = recent.filter(state__in=[S.VISITED, S.CLOSED], outcome="resolved", unresolved_at__isnull=True)
        for req in finished.exclude(close_reason__in=[CloseReason.DUPLICATE, CloseReason.CLASSIFIED]).order_by(
            "-outcome_at"
        )[:2]:
            if lifecycle.reopen_allowed(req, now):
                lifecycle.request_reopen(
                    actor=Actor.for_user(staff, via="seed", now=now - dt.timedelta(hours=1)),
                    req=req,
                    note="居民来电反映问题又出现了",
                )


def _score(rng: Any, satisfied: float) -> int:
    if rng.random() < satisfied:
        return rng.choices([4, 5], [0.45, 0.55])[0]
    return rng.choices([1, 2, 3], [0.2, 0.3, 0.5])[0]


def _callers(ctx: SeedContext) -> dict[int, Any]:
    """Who calls each community's requests back: an admin of its street, else of its district
    (outside the handling unit, servicedesk.access.outside_handling_unit); none where neither
    has an account."""
    from dangjian.accounts.models import RoleGrant
    from dangjian.accounts.roles import Role

    admins = sorted(
        RoleGrant.objects.active()
        .filter(role=Role.DISTRICT_ADMIN, region__isnull=False)
        .select_related("user", "region")
        .order_by("pk"),
        key=lambda grant: -len(grant.region.path),  # the nearest first
    )
    result: dict[int, Any] = {}
    for community in ctx.shared["communities"]:
        region = community["region"]
        result[region.pk] = next(
            (g.user for g in admins if region.path.startswith(g.region.path) and g.region.path != region.path), None
        )
    return result


def _staff(ctx: SeedContext) -> dict[int, list[Any]]:
    """Demo staff accounts by community (the demo's staff and secretary handle community 1)."""
    from dangjian.accounts.models import RoleGrant
    from dangjian.accounts.roles import Role

    result: dict[int, list[Any]] = {}
    grants = RoleGrant.objects.active().filter(role=Role.COMMUNITY_STAFF).select_related("user", "region")
    for grant in grants:
        result.setdefault(grant.region_id, []).append(grant.user)
    return result


def _demo_resident_requests(
    ctx: SeedContext,
    person: Any,
    categories: list[ServiceCategory],
    requests: list,
    steps: list,
    timeline: Timeline,
    now: dt.datetime,
    next_id: int,
) -> None:
    """The demo resident has one request handled and waiting for their confirmation, so the
    confirm-and-rate step can be tried at once."""
    category = next((c for c in categories if c.code == "dispute-mediation"), categories[0])
    submitted = now - dt.timedelta(days=3)
    start = timeline.position(submitted)
    handled = now - dt.timedelta(hours=20)
    requests.append(
        {
            **dict.fromkeys(
                (
                    "latitude",
                    "longitude",
                    "submitted_by_id",
                    "assignee_person_id",
                    "assignee_organization_id",
                    "assignee_region_id",
                    "closed_at",
                    "paused_since",
                    "outcome_at",
                    "unresolved_at",
                    "reopened_from_id",
                    "duplicate_of_id",
                    "classified_by_id",
                    "signed_off_by_id",
                    "signed_off_at",
                    "assignee_user_id",
                )
            ),
            "id": next_id,
            "created_at": _db(submitted),
            "updated_at": _db(handled),
            "version": 4,
            "category_id": category.pk,
            "channel": "web",
            "description": DESCRIPTIONS["dispute-mediation"][2],
            "address": person.address[:200],
            "region_id": person.region_id,
            "community_id": person.region.parent_id,
            "level": category.default_level,
            "requester_id": person.pk,
            "contact_name": "",
            "phone_encrypted": "",
            "phone_hash": "",
            "phone_masked": "",
            "token": secrets.token_urlsafe(16),
            "state": RequestState.HANDLED,
            "submitted_at": _db(submitted),
            "assignee_kind": AssigneeKind.GRID,
            "response_due_at": _db(
                timeline.moment(start + sla.target_seconds(category.response_target, category.response_unit))
            ),
            "resolution_due_at": _db(
                timeline.moment(start + sla.target_seconds(category.resolution_target, category.resolution_unit))
            ),
            "first_response_at": _db(submitted + dt.timedelta(hours=1)),
            "handled_at": _db(handled),
            "handle_seconds": max(0, timeline.position(handled) - start),
            "response_breached": False,
            "resolution_breached": False,
            "result": "网格员已上门与楼上住户沟通，对方承诺晚十点后不再发出噪音。",
            "outcome": "",
            "outcome_source": "",
            "unresolved_source": "",
            "close_reason": "",
            "is_public": False,
            "public_summary": "",
            "classification": "",
            "classification_note": "",
            "callback_sampled": False,
        }
    )
    for action, new, at in (
        ("submit", RequestState.SUBMITTED, submitted),
        ("accept", RequestState.ACCEPTED, submitted + dt.timedelta(hours=1)),
        ("handle", RequestState.HANDLED, handled),
    ):
        steps.append(
            {
                "request_id": next_id,
                "action": action,
                "old_state": "",
                "new_state": new,
                "actor_id": None,
                "at": _db(at),
                "note": "",
                "is_public": True,
            }
        )


def _receptions(ctx: SeedContext, now: dt.datetime) -> None:
    """Two receptions with a party representative in each of the first communities: next week's
    with a few bookings, and one a fortnight ago whose bookings staff have yet to record as
    requests (the demo's "record as a request")."""
    from dangjian.servicedesk.models import ReceptionBooking, ReceptionSession

    rng = ctx.rng
    for community in ctx.shared["communities"][:4]:
        # A party representative (党代表) is an experienced member: full, at least 35 years old.
        senior = [
            m
            for m in community["members"]
            if m.stage == "full" and m.person.birth_date and (now.date() - m.person.birth_date).days >= 35 * 365
        ]
        if not senior:
            continue
        representative = rng.choice(senior).person
        people = community["people"]
        for days, booked in ((7, 3), (-14, 2)):
            start = (now + dt.timedelta(days=days)).replace(hour=9, minute=0)
            session = ReceptionSession.objects.create(
                community=community["region"],
                representative=representative,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=2),
                place="党群服务中心二楼接待室",
                slots=8,
                note="欢迎反映小区治理、民生服务方面的意见建议",
            )
            for person in rng.sample(people, k=min(booked, len(people))):
                ReceptionBooking.objects.create(
                    session=session,
                    person=person,
                    topic=rng.choice(DESCRIPTIONS["deputy-reception"]),
                    booked_at=start - dt.timedelta(days=3),
                )
