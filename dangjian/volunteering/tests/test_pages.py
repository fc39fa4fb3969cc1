"""The volunteering pages through the test client, as people use them: each page shows its role
what it should and runs the same number of queries with one row or five; a member claims a post,
the staff confirm it, the member checks in and out and sees the hours; a resident's wish goes from
her own words to her own confirmation; wishes not shown to members and other people's hours stay
private; hostile inputs never answer 500; the English pages carry no Chinese but the data."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.roles import Role
from dangjian.core.models import Notification
from dangjian.core.notifications import unread_count
from dangjian.volunteering import services
from dangjian.volunteering.models import (
    Claim,
    ClaimState,
    LedgerEntry,
    RecordState,
    ServiceRecord,
    TeamMember,
    Wish,
    WishState,
)
from dangjian.volunteering.tests.helpers import make_post, make_team, make_wish
from tests.factories import as_actor, make_member, make_person, make_user

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’…—·]")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
NUMBERS = "一二三四五六七八九"


def _page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def _post(client, url: str, data: dict | None = None) -> str:
    """POST as a form does, follow the redirect, and give the page it lands on."""
    response = client.post(url, data or {}, follow=True)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _messages(html: str) -> str:
    found = re.search(r'<div class="messages"[^>]*>(.*?)</div>', html, re.S)
    return found.group(1) if found else ""


def _section(html: str, heading_id: str) -> str:
    """The card whose heading has ``heading_id``."""
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def _member(world, name: str, username: str, grid=None, branch=None):
    """Another party member of community A with an account."""
    person = make_person(world.users.admin, grid or world.grid_a2, name)
    make_member(person, branch or world.branch_a2)
    return person, make_user(username, Role.MEMBER, person=person)


def _login(client, user):
    client.force_login(user)
    return client


def _moment(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _record(world, person, *, start: dt.datetime, minutes: int = 60, team=None, description="入户走访独居老人"):
    """A verified record by the staff (it writes an earned ledger line)."""
    return services.record_service(
        actor=as_actor(world.users.staff),
        person=person,
        community=world.community_a,
        started_at=start,
        ended_at=start + dt.timedelta(minutes=minutes),
        minutes=minutes,
        description=description,
        team=team,
    )


def _days_ago(days: int, hour: int = 9) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


# -- Queries: constant with one row or five ---------------------------------------------------------


def _count(client, url: str) -> tuple[int, str]:
    cache.clear()  # the uncached page...
    user = get_user(client)
    if user.is_authenticated:  # ...but the header's unread count, kept for minutes, as in use
        unread_count(actor=as_actor(user))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries), response.content.decode()


def _grow(world, lo: int, hi: int) -> None:
    """Rows of every kind the hub, one's own page, the lists, the checks and a time bank show, for
    the numbers ``lo`` to ``hi``: 赵六 claims a post and takes a wish, another wish stays open and
    shown, he leads a team, has a verified hour (an earned ledger line) and a record waiting, and a
    record of three whole hours for a one-hour post was written around the platform (a flag)."""
    member = as_actor(world.users.member)
    for i in range(lo, hi):
        post = make_post(world, hour=7 + 2 * i, hours=1, title=f"岗位{NUMBERS[i]}")
        claim = services.claim_post(actor=member, post=post)
        make_wish(world, title=f"公开心愿{NUMBERS[i]}")
        taken = make_wish(world, title=f"已认领心愿{NUMBERS[i]}")
        services.wish_claim(actor=member, wish=taken)
        make_team(world, name=f"志愿服务队{NUMBERS[i]}")
        _record(world, world.zhao, start=_days_ago(i + 1, 9), description=f"走访{NUMBERS[i]}")
        start = _days_ago(i + 1, 14)
        services.record_submit(
            actor=member,
            community=world.community_a,
            started_at=start,
            ended_at=start + dt.timedelta(hours=1),
            description=f"修水管{NUMBERS[i]}",
        )
        start = _days_ago(i + 1, 17)
        ServiceRecord.objects.create(
            person=world.zhao,
            community=world.community_a,
            claim=claim,
            description=f"登记{NUMBERS[i]}",
            started_at=start,
            ended_at=start + dt.timedelta(hours=3),
            minutes=180,
            state=RecordState.VERIFIED,
        )


LIST_PAGES = [
    ("hub, the member", "member", lambda w: reverse("volunteering:index")),
    ("hub, the staff", "staff", lambda w: reverse("volunteering:index")),
    ("mine, the member", "member", lambda w: reverse("volunteering:mine")),
    ("teams, the staff", "staff", lambda w: reverse("volunteering:teams")),
    ("teams, the member", "member", lambda w: reverse("volunteering:teams")),
    ("posts, the staff", "staff", lambda w: reverse("volunteering:posts")),
    ("wishes, the staff", "staff", lambda w: reverse("volunteering:wishes")),
    ("records, the staff", "staff", lambda w: reverse("volunteering:records")),
    ("checks, the secretary", "secretary", lambda w: reverse("volunteering:checks")),
    ("time bank of 赵六, the staff", "staff", lambda w: reverse("volunteering:bank", args=[w.zhao.pk])),
]

# The count must not grow with the rows; beyond that, a ceiling against a page that comes to need
# many more (the member's hub and own page read his person, communities and home twice: posts, then
# wishes). Measured on SQLite when written: the member's hub 18, the staff's 6, mine 18-19, teams
# 7 and 6, posts 8, wishes 8, records 13, checks 15, a time bank 11.
CEILING = 25


def _measure(client, world, pages) -> dict[str, tuple[int, str]]:
    found = {}
    for name, role, url in pages:
        client.force_login(getattr(world.users, role))
        found[name] = _count(client, url(world))
    return found


@pytest.mark.clock("2026-06-17T10:00:00+08:00")  # the five days before lie in the year the checks read
def test_list_pages_run_the_same_queries_with_one_row_or_five(world, client, settings):
    from dangjian.core.conf import override

    _measure(client, world, LIST_PAGES)  # warm the process-wide caches (content types), as in production
    _grow(world, 0, 1)
    settings.DANGJIAN = override(SERVICE_DAILY_CAP_HOURS=3)  # the flagged days pass the cap
    one = _measure(client, world, LIST_PAGES)
    settings.DANGJIAN = override()
    _grow(world, 1, 5)
    settings.DANGJIAN = override(SERVICE_DAILY_CAP_HOURS=3)
    five = _measure(client, world, LIST_PAGES)
    assert {name: count for name, (count, _html) in five.items()} == {
        name: count for name, (count, _html) in one.items()
    }
    for name, (count, _html) in five.items():
        assert count <= CEILING, f"{name}: {count} queries"
    # ...and the five rows are there, for the role.
    hub = five["hub, the member"][1]
    assert all(f"岗位{n}" in hub and f"公开心愿{n}" in hub and f"志愿服务队{n}" in hub for n in NUMBERS[:5])
    assert "已认领心愿" not in _section(hub, "wishes-h")  # taken: no longer offered
    assert "修水管" not in hub  # the staff's list of records waiting is not the member's
    staff_hub = five["hub, the staff"][1]
    assert all(f"修水管{n}" in _section(staff_hub, "pending-h") for n in NUMBERS[:5])
    assert "posts-h" not in staff_hub  # no posts to claim for a worker without a person
    mine = five["mine, the member"][1]
    assert all(f"走访{n}" in mine and f"修水管{n}" in mine and f"已认领心愿{n}" in mine for n in NUMBERS[:5])
    assert "公开心愿" not in mine
    assert _section(mine, "ledger-h").count("经核实的服务存入") == 5
    teams = five["teams, the staff"][1]
    assert all(f"志愿服务队{n}" in teams for n in NUMBERS[:5])
    assert all(f"志愿服务队{n}" in _section(five["teams, the member"][1], "mine-h") for n in NUMBERS[:5])
    assert all(f"岗位{n}" in five["posts, the staff"][1] for n in NUMBERS[:5])
    wishes = five["wishes, the staff"][1]
    assert all(f"公开心愿{n}" in wishes and f"已认领心愿{n}" in wishes for n in NUMBERS[:5])
    records = five["records, the staff"][1]
    assert all(f"走访{n}" in records and f"修水管{n}" in _section(records, "pending-h") for n in NUMBERS[:5])
    checks = five["checks, the secretary"][1]
    assert _section(checks, "cap-h").count("赵六") == 5
    assert "赵六" in _section(checks, "rec-h")  # the records written around the platform have no ledger line
    bank = five["time bank of 赵六, the staff"][1]
    assert bank.count("经核实的服务存入") == 5


def test_a_team_page_runs_the_same_queries_with_one_member_and_post_or_five(world, client):
    team = make_team(world)
    people = [make_person(world.users.admin, world.grid_a1, f"吴{NUMBERS[i]}") for i in range(5)]
    url = reverse("volunteering:team", args=[team.pk])
    staff, member = world.users.staff, world.users.member

    def grow(lo, hi):
        for i in range(lo, hi):
            services.team_add_member(actor=as_actor(staff), team=team, person=people[i])
            make_post(world, hour=7 + 2 * i, hours=1, title=f"队岗{NUMBERS[i]}", team=team)
            _record(world, people[i], start=_days_ago(i + 1), minutes=30 + i, team=team)

    _count(_login(client, staff), url)
    grow(0, 1)
    one = {user.username: _count(_login(client, user), url)[0] for user in (staff, member)}
    grow(1, 5)
    five = {user.username: _count(_login(client, user), url) for user in (staff, member)}
    assert {name: count for name, (count, _html) in five.items()} == one
    assert max(one.values()) <= CEILING, one  # measured: the staff 12, the member 11
    for _queries, html in five.values():
        assert all(f"吴{n}" in _section(html, "members-h") and f"队岗{n}" in html for n in NUMBERS[:5])
    # The totals: 30+31+32+33+34 minutes = 2.67 hours, five records, five people.
    totals = _section(five[member.username][1], "totals-h")
    assert "2.67" in totals and "<dd>5</dd>" in totals
    assert "添加队员" in five[staff.username][1] and 'name="who"' in five[staff.username][1]
    assert 'name="who"' not in five[member.username][1]  # the member adds nobody


def _claimers(world, count: int):
    return [_member(world, f"吴{NUMBERS[i]}", f"member_wu{i}", grid=world.grid_a1) for i in range(count)]


def test_a_post_page_runs_the_same_queries_with_one_claim_or_five(world, client):
    post = make_post(world, hour=9, hours=2, places=10)
    people = _claimers(world, 5)
    url = reverse("volunteering:post", args=[post.pk])
    staff = world.users.staff
    services.claim_post(actor=as_actor(world.users.member), post=post)  # 赵六's own claim, waiting

    def grow(lo, hi):
        with time_machine.travel(post.starts_at - dt.timedelta(hours=1), tick=False):
            claims = [
                services.claim_decide(
                    actor=as_actor(staff), claim=services.claim_post(actor=as_actor(user), post=post), confirm=True
                )
                for _person, user in people[lo:hi]
            ]
        with time_machine.travel(post.ends_at + dt.timedelta(hours=1), tick=False):
            for claim in claims:
                services.record_service(
                    actor=as_actor(staff),
                    person=claim.person,
                    community=world.community_a,
                    started_at=post.starts_at,
                    ended_at=post.ends_at,
                    minutes=100,
                    description=post.title,
                    claim=claim,
                )

    def measure():
        with time_machine.travel(post.ends_at + dt.timedelta(hours=1), tick=False):
            return {user.username: _count(_login(client, user), url) for user in (staff, world.users.member)}

    measure()
    grow(0, 1)
    one = {name: count for name, (count, _html) in measure().items()}
    grow(1, 5)
    five = measure()
    assert {name: count for name, (count, _html) in five.items()} == one
    staff_html, member_html = five[staff.username][1], five[world.users.member.username][1]
    assert max(one.values()) <= CEILING, one  # measured: 11 for the staff and the member
    claims = _section(staff_html, "claims-h")
    assert all(f"吴{n}" in claims for n in NUMBERS[:5]) and claims.count("1.67 小时") == 5
    assert "已确认 5 / 10 人" in staff_html and "1 个认领待确认" in staff_html  # 赵六's, waiting
    # The member sees his own claim, never the others'.
    assert "待社区确认" in _section(member_html, "me-h")
    assert "claims-h" not in member_html and "吴一" not in member_html


def test_a_wish_page_runs_the_same_queries_with_one_record_or_five(world, client):
    wish = make_wish(world, title="想要一台收音机")
    member = world.users.member
    services.wish_claim(actor=as_actor(member), wish=wish)
    url = reverse("volunteering:wish", args=[wish.pk])

    def grow(lo, hi):  # each round: done (with its time), and the resident says not yet
        for i in range(lo, hi):
            start = _days_ago(i + 1, 10)
            services.wish_fulfil(
                actor=as_actor(member),
                wish=wish,
                note="送去了",
                started_at=start,
                ended_at=start + dt.timedelta(minutes=40),
            )
            services.wish_confirm(actor=as_actor(world.users.resident), wish=wish, fulfilled=False)

    users = (world.users.staff, member, world.users.resident)
    _count(_login(client, world.users.staff), url)
    grow(0, 1)
    one = {user.username: _count(_login(client, user), url)[0] for user in users}
    grow(1, 5)
    five = {user.username: _count(_login(client, user), url) for user in users}
    assert {name: count for name, (count, _html) in five.items()} == one
    assert max(one.values()) <= CEILING, one  # measured: the staff 9, the taker 8, the resident 7
    staff_html = five[world.users.staff.username][1]
    records = _section(staff_html, "records-h")
    assert records.count("0.67 小时 · 未核实") == 5 and records.count("赵六") == 5
    assert "指定认领人" not in staff_html and "反馈心愿已实现" in staff_html  # taken: nobody else to give it to
    assert "反馈心愿已实现" in five[member.username][1]
    resident_html = five[world.users.resident.username][1]
    assert "records-h" not in resident_html and "反馈心愿已实现" not in resident_html


# -- A post, from the claim to the hours ----------------------------------------------------------


def test_a_member_claims_the_staff_confirm_he_checks_in_and_out_and_sees_his_hours(world, client):
    post = make_post(world, hour=9, hours=2, title="周末楼道清洁")
    staff, member = world.users.staff, world.users.member
    url = reverse("volunteering:post", args=[post.pk])
    _login(client, member)
    hub = _page(client, reverse("volunteering:index"))
    assert "可认领的岗位" in hub and "周末楼道清洁" in hub and "临江苑3栋" in hub
    assert "认领这个岗位" in _page(client, url)
    page = _post(client, reverse("volunteering:post_claim", args=[post.pk]), {"note": "带扫帚"})
    assert "已认领，社区确认后会通知您。" in _messages(page)
    assert "待社区确认" in _section(page, "me-h") and "认领这个岗位" not in page
    assert "待社区确认" in _section(_page(client, reverse("volunteering:index")), "claims-h")
    claim = Claim.objects.get(post=post, person=world.zhao)
    assert (claim.state, claim.note) == (ClaimState.PENDING, "带扫帚")

    # The staff see the claim on the post's page and confirm it with its form.
    _login(client, staff)
    page = _page(client, url)
    claims = _section(page, "claims-h")
    assert "赵六" in claims and "带扫帚" in claims and "待社区确认" in claims
    assert reverse("volunteering:claim_decide", args=[claim.pk]) in claims
    page = _post(client, reverse("volunteering:claim_decide", args=[claim.pk]), {"confirm": "on"})
    assert "已确认，已通知认领人。" in _messages(page)
    assert "已确认" in _section(page, "claims-h") and "已确认 1 / 2 人" in page
    notice = Notification.objects.get(kind="claim_confirmed")
    assert notice.recipient == member and notice.params["title"] == "周末楼道清洁"
    _login(client, member)
    notices = _page(client, reverse("dashboard:notifications"))
    assert "您认领的岗位“周末楼道清洁”" in notices and "已确认" in notices

    # Ten minutes before the start he checks in; an hour and a half after it, he checks out.
    with time_machine.travel(post.starts_at - dt.timedelta(minutes=10), tick=False):
        _login(client, member)
        page = _page(client, url)
        assert reverse("volunteering:claim_check_in", args=[claim.pk]) in page
        page = _post(client, reverse("volunteering:claim_check_in", args=[claim.pk]))
        assert "已签到。离开时请签退，时长自动计入。" in _messages(page)
        assert "已于 08:50 签到。" in page and reverse("volunteering:claim_check_out", args=[claim.pk]) in page
    with time_machine.travel(post.starts_at + dt.timedelta(minutes=90), tick=False):
        _login(client, member)
        page = _post(client, reverse("volunteering:claim_check_out", args=[claim.pk]))
        assert "已签退：1.5 小时已登记并存入您的时间银行。谢谢您！" in _messages(page)
        assert "08:50 签到，10:30 签退。" in page and "岗位时间内的 1.5 小时已登记" in page
        mine = _page(client, reverse("volunteering:mine"))
        hours = _section(mine, "sum-h")
        assert re.search(r"累计已核实</dt><dd>1.5 小时", hours), hours
        assert re.search(r"时间银行余额</dt><dd><strong>1.5</strong>", hours), hours
        records = _section(mine, "records-h")
        assert "周末楼道清洁" in records and "已核实" in records
        assert "+1.5" in _section(mine, "ledger-h") and "经核实的服务存入" in _section(mine, "ledger-h")
        # The ledger line is on 赵六's time bank for the staff, and the post's page shows the time.
        _login(client, staff)
        bank = _page(client, reverse("volunteering:bank", args=[world.zhao.pk]))
        assert "赵六 的时间银行" in bank and "经核实的服务存入" in bank and "+1.5" in bank
        assert "1.5 小时 · 已核实" in _section(_page(client, url), "claims-h")
    line = LedgerEntry.objects.get(person=world.zhao)
    assert (line.kind, line.minutes, line.record.minutes) == ("earned", 90, 90)


# -- A wish, from the resident's words to her own confirmation -------------------------------------


def test_a_wish_goes_from_the_resident_to_zhao_and_back_to_her_word(world, client):
    staff, member, resident = world.users.staff, world.users.member, world.users.resident
    _login(client, resident)
    assert "微心愿" in _page(client, reverse("volunteering:wish_new"))
    page = _post(
        client,
        reverse("volunteering:wish_new"),
        {"title": "想请人陪我去医院复查", "description": "腿脚不便，下周三上午"},
    )
    wish = Wish.objects.get(title="想请人陪我去医院复查")
    assert (wish.resident, wish.shown_to_members, wish.state) == (world.qian, False, WishState.OPEN)
    assert "心愿已登记，社区会安排人帮助实现。" in _messages(page)
    assert "待认领" in _section(page, "about-h") and "腿脚不便" in page
    url = reverse("volunteering:wish", args=[wish.pk])

    # Not shown to members: 赵六 neither sees it on his hub nor opens it.
    _login(client, member)
    assert "想请人陪我去医院复查" not in _page(client, reverse("volunteering:index"))
    _page(client, url, status=404)

    # The staff find it on their list and give it to 赵六 with the "who" box.
    _login(client, staff)
    listed = _page(client, reverse("volunteering:wishes"))
    assert "想请人陪我去医院复查" in listed and "钱七" in listed
    page = _page(client, url)
    assert "指定认领人" in page and "钱七" in page
    page = _post(client, reverse("volunteering:wish_take", args=[wish.pk]), {"who": "赵六"})
    assert "心愿已交由 赵六 认领。" in _messages(page)
    assert "已认领" in _section(page, "about-h") and "赵六" in _section(page, "about-h")
    assert "指定认领人" not in page

    # 赵六 opens it now, and says it is done, with the time it took.
    _login(client, member)
    mine = _page(client, reverse("volunteering:mine"))
    assert "想请人陪我去医院复查" in _section(mine, "wishes-h")
    page = _page(client, url)
    assert "反馈心愿已实现" in page and "钱七" in page  # whoever takes a wish sees whose it is
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=3)
    page = _post(
        client,
        reverse("volunteering:wish_fulfil", args=[wish.pk]),
        {
            "note": "陪同去医院复查，已平安到家",
            "started_at": _moment(start),
            "ended_at": _moment(start + dt.timedelta(hours=2)),
        },
    )
    assert "谢谢您。已请居民确认心愿是否实现。" in _messages(page)
    assert "已完成，待居民确认" in _section(page, "about-h") and "陪同去医院复查" in page
    assert "您的心愿实现了吗？" not in page  # only her word closes it
    assert Notification.objects.filter(kind="wish_fulfilled").get().recipient == resident
    assert not Notification.objects.filter(kind="wish_confirmed").exists()

    # 钱七 is told, and confirms.
    _login(client, resident)
    notices = _page(client, reverse("dashboard:notifications"))
    assert "您的微心愿“想请人陪我去医院复查”已反馈完成，请确认。" in notices
    page = _page(client, url)
    assert "您的心愿实现了吗？" in page and "是的，已经实现" in page
    page = _post(client, reverse("volunteering:wish_confirm", args=[wish.pk]), {"fulfilled": "yes"})
    assert "感谢您的确认，心愿已完成。" in _messages(page)
    assert "已实现（居民已确认）" in _section(page, "about-h")
    assert "您的心愿实现了吗？" not in page

    # 赵六 is thanked, and his two hours count.
    notice = Notification.objects.get(kind="wish_confirmed")
    assert notice.recipient == member and notice.params["title"] == "想请人陪我去医院复查"
    _login(client, member)
    assert "居民已确认微心愿“想请人陪我去医院复查”已实现。谢谢您！" in _page(client, reverse("dashboard:notifications"))
    assert re.search(r"累计已核实</dt><dd>2 小时", _page(client, reverse("volunteering:mine")))
    # Nobody else was told anything.
    assert set(Notification.objects.values_list("recipient__username", "kind")) == {
        (member.username, "wish_assigned"),
        (resident.username, "wish_fulfilled"),
        (member.username, "wish_confirmed"),
    }


# -- Privacy ----------------------------------------------------------------------------------------


def test_a_wish_not_shown_to_members_stays_with_the_staff_the_resident_and_its_taker(world, client):
    _zhou, zhou_user = _member(world, "周青", "member_zhou")
    hidden = make_wish(world, shown=False, title="想找人修一下漏水的水龙头")
    shown = make_wish(world, shown=True, title="想要一台收音机")
    for user in (world.users.member, zhou_user):
        _login(client, user)
        hub = _page(client, reverse("volunteering:index"))
        assert "想要一台收音机" in hub and "想找人修一下漏水的水龙头" not in hub
        _page(client, reverse("volunteering:wish", args=[hidden.pk]), status=404)
        page = _page(client, reverse("volunteering:wish", args=[shown.pk]))
        assert "钱七" not in page  # shown without the resident's name
    # The hidden one given to 赵六: he opens it, 周青 still does not; the shown one, once 赵六
    # takes it, is no longer offered to 周青 nor open to him.
    services.wish_claim(actor=as_actor(world.users.staff), wish=hidden, claimer=world.zhao)
    _login(client, world.users.member)
    assert "想找人修一下漏水的水龙头" in _page(client, reverse("volunteering:wish", args=[hidden.pk]))
    _post(client, reverse("volunteering:wish_take", args=[shown.pk]))
    assert Wish.objects.get(pk=shown.pk).claimer == world.zhao
    _login(client, zhou_user)
    hub = _page(client, reverse("volunteering:index"))
    assert "想要一台收音机" not in hub and "想找人修一下漏水的水龙头" not in hub
    _page(client, reverse("volunteering:wish", args=[hidden.pk]), status=404)
    _page(client, reverse("volunteering:wish", args=[shown.pk]), status=404)
    for name in ("wish_take", "wish_fulfil", "wish_cancel"):  # nor acts on them
        assert client.post(reverse(f"volunteering:{name}", args=[hidden.pk]), {"note": "x"}).status_code == 404
    assert "想找人修一下漏水的水龙头" not in _page(client, reverse("volunteering:mine"))
    # Nor does community B's secretary see either.
    _login(client, world.users.outsider)
    assert "想找人修一下漏水的水龙头" not in _page(client, reverse("volunteering:wishes"))
    _page(client, reverse("volunteering:wish", args=[hidden.pk]), status=404)


def test_no_page_shows_one_members_hours_to_another(world, client):
    zhou, zhou_user = _member(world, "周青", "member_zhou")
    team = make_team(world)  # 赵六 leads it
    _login(client, world.users.staff)
    page = _post(client, reverse("volunteering:team", args=[team.pk]), {"who": "周青"})
    assert "已加入服务队。" in _messages(page)
    assert TeamMember.objects.filter(team=team, person=zhou, left_on=None).exists()
    _record(world, zhou, start=_days_ago(2), minutes=97, team=team)  # 1.62 hours
    _record(world, world.zhao, start=_days_ago(3), minutes=30, team=team)  # 0.5 hours
    _login(client, world.users.member)
    page = _page(client, reverse("volunteering:team", args=[team.pk]))
    assert "2.12" in _section(page, "totals-h")  # the team's total: 127 minutes
    assert "只显示服务队合计" in page
    # (the forms' CSRF tokens are random letters and digits: "97" turned up in one once)
    members = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", _section(page, "members-h"))
    assert "周青" in members and "赵六" in members
    assert "1.62" not in page and "97" not in members and "0.5" not in members and "小时" not in members
    assert reverse("volunteering:bank", args=[zhou.pk]) not in page
    # His own page has his own half hour only; 周青's time bank and the records are not his to open.
    mine = _page(client, reverse("volunteering:mine"))
    assert "0.5" in _section(mine, "sum-h") and "1.62" not in mine and "周青" not in mine
    _page(client, reverse("volunteering:bank", args=[zhou.pk]), status=404)
    for name in ("records", "checks"):
        _page(client, reverse(f"volunteering:{name}"), status=404)
    for name in ("posts", "wishes"):  # the staff's lists send a member to the hub
        assert client.get(reverse(f"volunteering:{name}")).status_code == 302
    teams = _page(client, reverse("volunteering:teams"))
    assert "1.62" not in teams and "0.5" not in teams
    # The same the other way round.
    _login(client, zhou_user)
    assert "0.5" not in _page(client, reverse("volunteering:team", args=[team.pk]))
    _page(client, reverse("volunteering:bank", args=[world.zhao.pk]), status=404)


# -- Hostile inputs ---------------------------------------------------------------------------------

HOSTILE_GETS = [
    ("volunteering:posts", "?page=abc"),
    ("volunteering:posts", "?page=-1"),
    ("volunteering:posts", "?page=0"),
    ("volunteering:posts", "?page=99999999999999999999999999"),
    ("volunteering:posts", "?page=1e9"),
    ("volunteering:posts", "?when=%00"),
    ("volunteering:posts", "?when=past&page=%C2%B2"),
    ("volunteering:wishes", "?state=<script>alert(1)</script>"),
    ("volunteering:wishes", "?state=%00&page=abc"),
    ("volunteering:wishes", "?page=-1"),
    ("volunteering:wishes", "?page=99999999999999999999999999"),
    ("volunteering:records", "?page=abc"),
    ("volunteering:records", "?page=-1"),
    ("volunteering:records", "?page=99999999999999999999999999"),
    ("volunteering:records", "?page=%00"),
    ("volunteering:index", "?page=abc&state=%00&when=%00"),
    ("volunteering:teams", "?page=-1"),
    ("volunteering:checks", "?page=abc&year=%00"),
]


@pytest.mark.parametrize(("name", "query"), HOSTILE_GETS)
def test_hostile_query_values_never_answer_500(world, client, name, query):
    make_post(world)
    make_wish(world)
    _login(client, world.users.staff)
    response = client.get(reverse(name) + query)
    # A NUL anywhere in a query answers 400 (core.middleware); anything else, the page.
    assert response.status_code == (400 if "%00" in query else 200), response.status_code
    assert b"<script>alert(1)</script>" not in response.content


def test_hostile_form_values_never_answer_500(world, client):
    post = make_post(world)
    claim = services.claim_post(actor=as_actor(world.users.member), post=post)
    services.claim_decide(actor=as_actor(world.users.staff), claim=claim, confirm=True)
    team = make_team(world)
    wish = make_wish(world)
    _login(client, world.users.staff)
    record = reverse("volunteering:claim_record", args=[claim.pk])
    for minutes in ("abc", "-5", "0", "1.5", "99999999999999999999", "1e3", "%00", "<b>"):
        page = _post(client, record, {"minutes": minutes})
        assert "请以整数填写服务分钟数。" in _messages(page), minutes
    assert not ServiceRecord.objects.exists()
    # A person id that is not a number in the team's member form: the form says so.
    url = reverse("volunteering:team", args=[team.pk])
    for data in ({"who": "钱七", "person": "abc"}, {"who": "钱七", "person": "1e9"}, {"who": "", "person": "-1"}):
        response = client.post(url, data)
        assert response.status_code == 200, data
        assert 'class="form-errors' in response.content.decode(), data
    assert not TeamMember.objects.filter(team=team, person=world.qian).exists()
    page = client.post(url, {"who": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # The same in the wish's "who" box, the decide and confirm forms and the time bank.
    page = _post(client, reverse("volunteering:wish_take", args=[wish.pk]), {"who": "赵六", "person": "abc"})
    assert Wish.objects.get(pk=wish.pk).state == WishState.OPEN
    _post(client, reverse("volunteering:claim_decide", args=[claim.pk]), {"confirm": "%00", "reason": "x" * 500})
    response = client.post(
        reverse("volunteering:bank", args=[world.zhao.pk]), {"action": "spend", "minutes": "abc", "memo": "x"}
    )
    assert response.status_code == 200
    response = client.post(
        reverse("volunteering:bank", args=[world.zhao.pk]),
        {"action": "donate", "who": "张三", "person": "abc", "minutes": "1"},
    )
    assert response.status_code == 200
    response = client.post(reverse("volunteering:post_new"), {"title": "x", "starts_at": "%00", "places": "-1"})
    assert response.status_code == 200


def test_a_superscript_digit_in_the_minutes_is_refused_with_a_message(world, client):
    post = make_post(world)
    claim = services.claim_post(actor=as_actor(world.users.member), post=post)
    services.claim_decide(actor=as_actor(world.users.staff), claim=claim, confirm=True)
    _login(client, world.users.staff)
    client.raise_request_exception = False
    response = client.post(reverse("volunteering:claim_record", args=[claim.pk]), {"minutes": "²"})
    assert response.status_code == 302


def test_a_script_in_a_wish_title_is_shown_as_text(world, client):
    _login(client, world.users.resident)
    _post(client, reverse("volunteering:wish_new"), {"title": "<script>alert(1)</script>", "shown_to_members": "on"})
    wish = Wish.objects.get()
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    pages = [
        (world.users.staff, reverse("volunteering:wishes")),
        (world.users.staff, reverse("volunteering:wish", args=[wish.pk])),
    ]
    pages += [(world.users.member, reverse("volunteering:index")), (world.users.resident, reverse("volunteering:mine"))]
    for user, url in pages:
        _login(client, user)
        html = _page(client, url)
        assert escaped in html, url
        assert "<script>alert(1)</script>" not in html, url


# -- The English pages ------------------------------------------------------------------------------


def _data_of(world) -> list[str]:
    """What the database holds in Chinese (names and titles people typed), longest first."""
    from dangjian.orgs.models import Organization, Region, ResidentUnit
    from dangjian.people.models import Person
    from dangjian.volunteering.models import Post, Team

    values = [
        *Region.objects.values_list("name", flat=True),
        *Organization.objects.values_list("name", flat=True),
        *ResidentUnit.objects.values_list("name", flat=True),
        *Person.objects.values_list("name", flat=True),
        *Post.objects.values_list("title", flat=True),
        *Post.objects.values_list("place", flat=True),
        *Post.objects.values_list("description", flat=True),
        *Team.objects.values_list("name", flat=True),
        *Wish.objects.values_list("title", flat=True),
        *Claim.objects.values_list("note", flat=True),
    ]
    return sorted({v for v in values if v}, key=len, reverse=True)


def _chinese_left(html: str, data: list[str]) -> list[str]:
    """The Chinese that is not data: the page's text with the data taken out (and neither the
    language switch's own name of the language, ``lang="zh-hans"``, nor the brand's mark)."""
    html = re.sub(r'<[^>]*\blang="zh[^"]*"[^>]*>[^<]*<', "<", html)  # "中文" in its own language
    html = re.sub(r'<[^>]*\baria-hidden="true"[^>]*>[^<]*<', "<", html)  # the brand's mark 党, an image
    for value in data:
        html = html.replace(value, "")
    return sorted({match.group(0) for match in re.finditer(r"[^<>\s]*[\u3400-\u9fff][^<>\s]*", html)})


def test_the_english_hub_and_post_page_have_no_chinese_but_the_data(world, client):
    post = make_post(world, title="周末楼道清洁")
    make_wish(world, title="想要一台收音机")
    claim = services.claim_post(actor=as_actor(world.users.member), post=post, note="带扫帚")
    team = make_team(world)
    make_post(world, hour=14, hours=1, title="法律咨询值班", team=team)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # The team's specialty is the shipped vocabulary, which the English pages show in English; the
    # hub's "My teams" does not yet (the test below): taken out here as if it were data.
    data = [*_data_of(world), team.specialty.name]
    found = {}
    for user, url in (
        (world.users.member, reverse("volunteering:index")),
        (world.users.member, reverse("volunteering:post", args=[post.pk])),
        (world.users.staff, reverse("volunteering:index")),
        (world.users.staff, reverse("volunteering:post", args=[post.pk])),
    ):
        _login(client, user)
        html = _page(client, url)
        assert '<html lang="en"' in html
        found[(user.username, url)] = _chinese_left(html, data)
    assert found == {key: [] for key in found}, found
    _login(client, world.users.member)
    assert "Posts you can claim" in _page(client, reverse("volunteering:index"))
    assert "Waiting for the community" in _page(client, reverse("volunteering:post", args=[post.pk]))
    assert claim.state == ClaimState.PENDING


def test_the_english_hub_shows_the_teams_specialty_in_english(world, client):
    from dangjian.core.vocabulary import ENGLISH

    team = make_team(world)  # 赵六 leads it: the hub's "My teams"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _login(client, world.users.member)
    teams = _section(_page(client, reverse("volunteering:index")), "teams-h")
    assert team.name in teams
    assert f"· {team.specialty.name}" not in teams and f"· {ENGLISH[team.specialty.name]}" in teams


def test_the_staff_record_help_at_an_activity_once(world, client):
    """Hours of help at an activity are recorded from the records page with the activity chosen;
    the same person's second record of it is refused, and another community's activity is not
    offered (nor taken if sent)."""
    from dangjian.activities import services as activity_services
    from dangjian.activities.models import Audience
    from dangjian.volunteering.models import ServiceRecord

    earlier = as_actor(world.users.staff).now - dt.timedelta(days=3)
    starts = earlier.replace(hour=9, minute=0, second=0, microsecond=0) + dt.timedelta(hours=24)

    def activity(region, actor):
        return activity_services.activity_create(
            actor=as_actor(actor, now=earlier),
            region=region,
            title="邻居节·百家宴",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            capacity=20,
            audience=Audience.EVERYONE,
            room=None,
            place="社区广场",
        )

    mine = activity(world.community_a, world.users.staff)
    theirs = activity(world.community_b, world.users.admin)
    _login(client, world.users.staff)
    page = _page(client, reverse("volunteering:records"))
    assert f'value="{mine.pk}"' in page and f'value="{theirs.pk}"' not in page
    data = {
        "who": "赵六",
        "person": world.zhao.pk,
        "community": world.community_a.pk,
        "started_at": _moment(starts),
        "ended_at": _moment(starts + dt.timedelta(hours=2)),
        "description": "百家宴帮厨",
        "activity": mine.pk,
    }
    response = client.post(reverse("volunteering:records"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    record = ServiceRecord.objects.get(person=world.zhao, activity=mine)
    assert record.minutes == 120
    again = client.post(
        reverse("volunteering:records"),
        {
            **data,
            "started_at": _moment(starts + dt.timedelta(hours=3)),
            "ended_at": _moment(starts + dt.timedelta(hours=4)),
        },
    )
    assert again.status_code == 200 and ServiceRecord.objects.filter(person=world.zhao, activity=mine).count() == 1
    assert "只计一次" in again.content.decode()
    foreign = client.post(reverse("volunteering:records"), {**data, "activity": theirs.pk})
    assert foreign.status_code == 200 and not ServiceRecord.objects.filter(activity=theirs).exists()
