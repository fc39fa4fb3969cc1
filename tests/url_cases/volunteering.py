"""URL access cases of the volunteering pages (see tests/test_url_access.py). Community A's team,
post, wish and records are seen and handled by A's staff and the street admin; the member 赵六
(who lives in A) may claim A's posts and take the wishes shown to members; the resident 钱七 sees
her own wish; the liaison of A's hospital may claim a post for it; community B's secretary and the
branch secretary see none of it (404)."""

import datetime as dt

from django.urls import reverse

from tests.url_access_base import Case, expect, only

MANAGERS = ("admin", "secretary", "staff")
TREES = (*MANAGERS, "branch", "outsider")  # users with the organisation and region pages


def _team(world):
    from dangjian.volunteering.models import Team
    from dangjian.volunteering.tests.helpers import make_team

    return Team.objects.filter(region=world.community_a).first() or make_team(world)


def _post(world):
    from dangjian.volunteering.models import Post
    from dangjian.volunteering.tests.helpers import make_post

    return Post.objects.filter(region=world.community_a).first() or make_post(world)


def _claim(world):
    """赵六's claim of the post, waiting for the community."""
    from dangjian.volunteering import services
    from dangjian.volunteering.models import Claim
    from tests.factories import as_actor

    post = _post(world)
    return Claim.objects.filter(post=post, person=world.zhao).first() or services.claim_post(
        actor=as_actor(world.users.member), post=post
    )


def _wish(world):
    from dangjian.volunteering.models import Wish
    from dangjian.volunteering.tests.helpers import make_wish

    return Wish.objects.filter(resident=world.qian).first() or make_wish(world)


def _taken_wish(world):
    from dangjian.volunteering import services
    from tests.factories import as_actor

    wish = _wish(world)
    if wish.state == "open":
        services.wish_claim(actor=as_actor(world.users.member), wish=wish)
    return wish


def _fulfilled_wish(world):
    from dangjian.volunteering import services
    from tests.factories import as_actor

    wish = _taken_wish(world)
    if wish.state == "claimed":
        services.wish_fulfil(actor=as_actor(world.users.member), wish=wish, note="已送到")
    return wish


def _record(world, *, verified: bool):
    """A record of 赵六's service yesterday: waiting (submitted by him) or verified (by the staff)."""
    from django.utils import timezone

    from dangjian.volunteering import services
    from dangjian.volunteering.models import ServiceRecord
    from tests.factories import as_actor

    found = ServiceRecord.objects.filter(person=world.zhao).first()
    if found is not None:
        return found
    start = timezone.make_aware(dt.datetime.combine(world.today - dt.timedelta(days=1), dt.time(9)))
    end = start + dt.timedelta(hours=2)
    if verified:
        return services.record_service(
            actor=as_actor(world.users.staff),
            person=world.zhao,
            community=world.community_a,
            started_at=start,
            ended_at=end,
            description="入户走访",
        )
    return services.record_submit(
        actor=as_actor(world.users.member),
        community=world.community_a,
        started_at=start,
        ended_at=end,
        description="修水管",
    )


def _membership(world):
    from dangjian.volunteering.models import TeamMember

    return TeamMember.objects.get(team=_team(world), person=world.zhao)


def _moment(world, days: int, hour: int) -> str:
    return (world.today + dt.timedelta(days=days)).isoformat() + f"T{hour:02d}:00"


CASES: list[Case] = [
    Case(
        "volunteering:index",
        "the hub (each sees what they may take and their area's)",
        lambda w: reverse("volunteering:index"),
        expect(200),
    ),
    Case(
        "volunteering:mine",
        "one's own hours and time bank",
        lambda w: reverse("volunteering:mine"),
        only(("member", "resident"), 200),
    ),
    Case(
        "volunteering:record_submit",
        "a member records their own service",
        lambda w: reverse("volunteering:record_submit"),
        only(("member", "resident"), 302),
        method="post",
        data=lambda w: {
            "community": w.community_a.pk,
            "started_at": _moment(w, -1, 9),
            "ended_at": _moment(w, -1, 10),
            "description": "帮邻居修水管",
        },
    ),
    Case(
        "volunteering:teams",
        "the teams (of one's area, and one's own)",
        lambda w: reverse("volunteering:teams"),
        expect(200),
    ),
    Case(
        "volunteering:team_new",
        "the form to found a team",
        lambda w: reverse("volunteering:team_new"),
        only((*MANAGERS, "outsider"), 200),
    ),
    Case(
        "volunteering:team_new",
        "found a team in community A",
        lambda w: reverse("volunteering:team_new"),
        {**only(MANAGERS, 302), "outsider": 200},
        method="post",
        data=lambda w: {"name": "红钢城文艺志愿服务队", "region": w.community_a.pk, "specialty": _specialty(w)},
    ),
    Case(
        "volunteering:team",
        "a team of community A (its staff, and its members: 赵六 leads it)",
        lambda w: reverse("volunteering:team", args=[_team(w).pk]),
        only((*MANAGERS, "member"), 200),
    ),
    Case(
        "volunteering:team",
        "add 钱七 to a team of community A",
        lambda w: reverse("volunteering:team", args=[_team(w).pk]),
        only(MANAGERS, 302),
        method="post",
        data=lambda w: {"who": "钱七"},
    ),
    Case(
        "volunteering:team_member_leave",
        "赵六 leaves the team (himself, or the staff remove him)",
        lambda w: reverse("volunteering:team_member_leave", args=[_membership(w).pk]),
        only((*MANAGERS, "member"), 302),
        method="post",
    ),
    Case(
        "volunteering:posts",
        "the posts of one's area",
        lambda w: reverse("volunteering:posts"),
        {**only(TREES, 200, no=302)},
    ),
    Case(
        "volunteering:post_new",
        "the form to publish a post",
        lambda w: reverse("volunteering:post_new"),
        only((*MANAGERS, "outsider"), 200),
    ),
    Case(
        "volunteering:post_new",
        "publish a post in community A",
        lambda w: reverse("volunteering:post_new"),
        {**only(MANAGERS, 302), "outsider": 200},
        method="post",
        data=lambda w: {
            "title": "周末楼道清洁",
            "region": w.community_a.pk,
            "category": "governance",
            "place": "临江苑3栋",
            "starts_at": _moment(w, 2, 9),
            "ends_at": _moment(w, 2, 11),
            "places": "3",
        },
    ),
    Case(
        "volunteering:post",
        "a post of community A (its staff, the member who may claim it, the unit's liaison)",
        lambda w: reverse("volunteering:post", args=[_post(w).pk]),
        only((*MANAGERS, "member", "liaison"), 200),
    ),
    Case(
        "volunteering:post_claim",
        "claim a post of community A for oneself",
        lambda w: reverse("volunteering:post_claim", args=[_post(w).pk]),
        only(("member",), 302),
        method="post",
    ),
    Case(
        "volunteering:post_claim",
        "claim a post of community A for the hospital",
        lambda w: reverse("volunteering:post_claim", args=[_post(w).pk]),
        only(("liaison",), 302),
        method="post",
        data=lambda w: {"unit": w.unit_a.pk},
    ),
    Case(
        "volunteering:post_cancel",
        "call a post of community A off",
        lambda w: reverse("volunteering:post_cancel", args=[_post(w).pk]),
        only(MANAGERS, 302),
        method="post",
        data=lambda w: {"reason": "天气原因"},
    ),
    Case(
        "volunteering:claim_decide",
        "confirm 赵六's claim",
        lambda w: reverse("volunteering:claim_decide", args=[_claim(w).pk]),
        only(MANAGERS, 302),
        method="post",
        data=lambda w: {"confirm": "on"},
    ),
    Case(
        "volunteering:claim_withdraw",
        "withdraw 赵六's claim (he, or the staff)",
        lambda w: reverse("volunteering:claim_withdraw", args=[_claim(w).pk]),
        only((*MANAGERS, "member"), 302),
        method="post",
    ),
    Case(
        "volunteering:claim_check_in",
        "check in to one's claimed post (refused with a message before it is confirmed)",
        lambda w: reverse("volunteering:claim_check_in", args=[_claim(w).pk]),
        only(("member",), 302),
        method="post",
    ),
    Case(
        "volunteering:claim_check_out",
        "check out of one's claimed post (refused with a message before checking in)",
        lambda w: reverse("volunteering:claim_check_out", args=[_claim(w).pk]),
        only(("member",), 302),
        method="post",
    ),
    Case(
        "volunteering:claim_record",
        "the organiser records the time of 赵六's claim (refused with a message before it is confirmed)",
        lambda w: reverse("volunteering:claim_record", args=[_claim(w).pk]),
        only(MANAGERS, 302),
        method="post",
    ),
    Case(
        "volunteering:wishes",
        "the wishes of one's area",
        lambda w: reverse("volunteering:wishes"),
        only(TREES, 200, no=302),
    ),
    Case(
        "volunteering:wish_new",
        "the form of a wish (a resident's own, or the staff's for a resident)",
        lambda w: reverse("volunteering:wish_new"),
        only((*MANAGERS, "outsider", "member", "resident"), 200),
    ),
    Case(
        "volunteering:wish_new",
        "make a wish (the staff: for 张三 of community A)",
        lambda w: reverse("volunteering:wish_new"),
        {**only((*MANAGERS, "member", "resident"), 302), "outsider": 200},
        method="post",
        data=lambda w: {"who": "张三", "title": "希望有人帮忙换灯泡"},
    ),
    Case(
        "volunteering:wish",
        "钱七's wish, shown to members (its community's staff, herself, the members and units who may take it)",
        lambda w: reverse("volunteering:wish", args=[_wish(w).pk]),
        only((*MANAGERS, "member", "resident", "liaison"), 200),
    ),
    Case(
        "volunteering:wish_shown",
        "钱七 shows her wish to the members (or the staff, saying how she agreed)",
        lambda w: reverse("volunteering:wish_shown", args=[_wish(w).pk]),
        only(("admin", "secretary", "staff", "resident"), 302),
        method="post",
        data=lambda w: {"shown": "1", "note": "电话确认"},
    ),
    Case(
        "volunteering:wish_take",
        "take 钱七's wish (the member himself)",
        lambda w: reverse("volunteering:wish_take", args=[_wish(w).pk]),
        only(("member",), 302),
        method="post",
    ),
    Case(
        "volunteering:wish_take",
        "give 钱七's wish to 赵六 (the staff)",
        lambda w: reverse("volunteering:wish_take", args=[_wish(w).pk]),
        # The resident and the hospital's liaison may open the wish; their "who" finds nobody: a
        # message. The member finds himself, and may not give a wish to anyone.
        only((*MANAGERS, "resident", "liaison"), 302),
        method="post",
        data=lambda w: {"who": "赵六"},
    ),
    Case(
        "volunteering:wish_take",
        "take 钱七's wish for the hospital (its liaison; the staff for any unit of the community)",
        lambda w: reverse("volunteering:wish_take", args=[_wish(w).pk]),
        only((*MANAGERS, "liaison"), 302),
        method="post",
        data=lambda w: {"unit": w.unit_a.pk},
    ),
    Case(
        "volunteering:wish_fulfil",
        "say 钱七's wish is fulfilled (its taker, or the staff)",
        lambda w: reverse("volunteering:wish_fulfil", args=[_taken_wish(w).pk]),
        only((*MANAGERS, "member"), 302),
        method="post",
        data=lambda w: {"note": "已送到"},
    ),
    Case(
        "volunteering:wish_confirm",
        "the resident's word on her wish (the staff record it with how she said it)",
        lambda w: reverse("volunteering:wish_confirm", args=[_fulfilled_wish(w).pk]),
        only((*MANAGERS, "resident"), 302),  # its taker may open it, never confirm it
        method="post",
        data=lambda w: {"fulfilled": "yes", "note": "电话回访"},
    ),
    Case(
        "volunteering:wish_cancel",
        "withdraw 钱七's wish (she, or the staff)",
        lambda w: reverse("volunteering:wish_cancel", args=[_wish(w).pk]),
        only((*MANAGERS, "resident"), 302),
        method="post",
        data=lambda w: {"reason": "已自行解决"},
    ),
    Case(
        "volunteering:records",
        "the service records of one's area",
        lambda w: reverse("volunteering:records"),
        only(TREES, 200),
    ),
    Case(
        "volunteering:records",
        "record 赵六's service in community A",
        lambda w: reverse("volunteering:records"),
        {**only(MANAGERS, 302), "outsider": 200, "branch": 404},
        method="post",
        data=lambda w: {
            "who": "赵六",
            "community": w.community_a.pk,
            "started_at": _moment(w, -1, 14),
            "ended_at": _moment(w, -1, 16),
            "description": "协助调解邻里纠纷",
        },
    ),
    Case(
        "volunteering:record_verify",
        "verify 赵六's own record",
        lambda w: reverse("volunteering:record_verify", args=[_record(w, verified=False).pk]),
        only(MANAGERS, 302),
        method="post",
        data=lambda w: {"verified": "1"},
    ),
    Case(
        "volunteering:record_reverse",
        "reverse a verified record of 赵六",
        lambda w: reverse("volunteering:record_reverse", args=[_record(w, verified=True).pk]),
        only(MANAGERS, 302),
        method="post",
        data=lambda w: {"reason": "重复登记"},
    ),
    Case(
        "volunteering:bank",
        "赵六's time bank (whoever may see him)",
        lambda w: reverse("volunteering:bank", args=[w.zhao.pk]),
        only((*MANAGERS, "branch", "member"), 200),
    ),
    Case(
        "volunteering:bank",
        "spend 赵六's hours",
        lambda w: reverse("volunteering:bank", args=[w.zhao.pk]),
        only(MANAGERS, 200),  # no balance: the form says so; who may only see him may not spend
        method="post",
        data=lambda w: {"action": "spend", "minutes": "30", "memo": "理发"},
    ),
    Case("volunteering:checks", "the checks of the hours", lambda w: reverse("volunteering:checks"), only(TREES, 200)),
    Case(
        "volunteering:nominations",
        "the nominations of one's area (and the form, for who may nominate)",
        lambda w: reverse("volunteering:nominations"),
        only(TREES, 200),
    ),
    Case(
        "volunteering:nominations",
        "nominate 赵六 in community A",
        lambda w: reverse("volunteering:nominations"),
        {**only(MANAGERS, 302), "outsider": 200},
        method="post",
        data=lambda w: {
            "who": "赵六",
            "community": w.community_a.pk,
            "title": "最美楼栋长",
            "reasons": "热心楼栋事务，组织邻里互助。",
            "year": w.today.year,
        },
    ),
    Case(
        "volunteering:nomination",
        "a nomination of community A (its staff, the street, the person)",
        lambda w: reverse("volunteering:nomination", args=[_nomination(w).pk]),
        only((*MANAGERS, "member"), 200),
    ),
    Case(
        "volunteering:nomination_review",
        "the street approves a nomination (the community may not)",
        lambda w: reverse("volunteering:nomination_review", args=[_nomination(w).pk]),
        only(("admin",), 302),
        method="post",
        data=lambda w: {"approve": "yes"},
    ),
    Case(
        "volunteering:nomination_consent",
        "the person agrees to be shown (or the staff record it with how)",
        lambda w: reverse("volunteering:nomination_consent", args=[_nomination(w, approved=True).pk]),
        only((*MANAGERS, "member"), 302),
        method="post",
        data=lambda w: {"consent": "yes", "note": "本人书面同意"},
    ),
    Case(
        "volunteering:nomination_withdraw",
        "the community withdraws a nomination",
        lambda w: reverse("volunteering:nomination_withdraw", args=[_nomination(w).pk]),
        only(MANAGERS, 302),
        method="post",
        data=lambda w: {"reason": "本人不愿参评"},
    ),
    Case(
        "volunteering:honours",
        "the public roll of honour",
        lambda w: reverse("volunteering:honours"),
        expect(200, anonymous=200),
    ),
    Case(
        "volunteering:reports",
        "reporting back: the communities of one's area",
        lambda w: reverse("volunteering:reports") + "?period=x",
        only(TREES, 200),
    ),
    Case(
        "volunteering:report_prepare",
        "open community A's report of the last period",
        lambda w: reverse("volunteering:report_prepare"),
        only(MANAGERS, 302),
        method="post",
        data=lambda w: {"community": w.community_a.pk},
    ),
    Case(
        "volunteering:report",
        "community A's report",
        lambda w: reverse("volunteering:report", args=[_report(w).pk]),
        only(MANAGERS, 200),
    ),
    Case(
        "volunteering:report_confirm",
        "confirm community A's report (it has no rows: confirmed all the same)",
        lambda w: reverse("volunteering:report_confirm", args=[_report(w).pk]),
        only(MANAGERS, 302),
        method="post",
    ),
    Case(
        "volunteering:report_file",
        "a workplace's sheet of community A's report (who may export; the staff may not)",
        lambda w: reverse("volunteering:report_file", args=[_report_with_sheet(w).pk, 0, "xlsx"]),
        only(("admin", "secretary"), 200),
    ),
    Case(
        "volunteering:report_file",
        "a workplace that the report does not have",
        lambda w: reverse("volunteering:report_file", args=[_report_with_sheet(w).pk, 3, "pdf"]),
        only((), 200),
    ),
    Case(
        "volunteering:report_street_export",
        "export the street's report (the street admin)",
        lambda w: reverse("volunteering:report_street_export"),
        only(("admin",), 302),
        method="post",
        data=lambda w: {"street": w.street.pk},
    ),
]


def _report(world):
    """Community A's report of the last period that is over (a draft)."""
    from dangjian.volunteering import reports
    from tests.factories import as_actor

    secretary = as_actor(world.users.secretary)
    start, _end = reports.parse_period(None, secretary.today)
    return reports.report_back_prepare(actor=secretary, community=world.community_a, period_start=start)


def _report_with_sheet(world):
    """Community A's report, confirmed, with 赵六 reporting to A from his workplace: one sheet."""
    from dangjian.membership.mobile.services import report_confirm, report_register
    from dangjian.membership.models import CommunityReport
    from dangjian.volunteering import reports
    from tests.factories import as_actor

    report = _report(world)
    if not CommunityReport.objects.filter(person=world.zhao).exists():
        row = report_register(
            actor=as_actor(world.users.member),
            community=world.community_a,
            workplace="市供电公司党委",
            categories=["safety"],
        )
        report_confirm(actor=as_actor(world.users.secretary), report=row)
        CommunityReport.objects.filter(pk=row.pk).update(
            registered_on=report.period_start, confirmed_on=report.period_start
        )
    if report.state == "draft":  # a sheet is downloaded once the report is confirmed
        report = reports.report_back_confirm(actor=as_actor(world.users.secretary), report=report)
    assert reports.report_groups(actor=as_actor(world.users.secretary), report=report)
    return report


def _nomination(world, approved: bool = False):
    """Community A nominates 赵六 as 优秀志愿者; approved by the street if asked."""
    from dangjian.volunteering import recognition
    from dangjian.volunteering.models import Nomination
    from tests.factories import as_actor

    found = Nomination.objects.filter(person=world.zhao).first()
    if found is None:
        found = recognition.nominate(
            actor=as_actor(world.users.secretary),
            community=world.community_a,
            person=world.zhao,
            title="优秀志愿者",
            reasons="常年参加法律援助志愿服务，帮助居民解决纠纷。",
        )
    if approved and found.state == "submitted":
        found = recognition.nomination_review(actor=as_actor(world.users.admin), nomination=found, approve=True)
    return found


def _specialty(world) -> int:
    from dangjian.servicedesk.models import ServiceCategory

    return ServiceCategory.objects.get(code="culture-sports").pk
