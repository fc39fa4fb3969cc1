"""评先树优: a community nominates with reasons and the platform's evidence, the street (never the
community itself) reviews, and the public roll shows only the approved who agreed — and stops
showing them the moment they take it back."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import Notification
from dangjian.volunteering import recognition, services
from dangjian.volunteering.models import NominationState
from tests.factories import as_actor, make_person, make_user

pytestmark = pytest.mark.django_db

REASONS = "常年参加法律援助志愿服务，帮助二十余户居民化解纠纷。"


def _nominate(world, **kwargs):
    data = {"title": "优秀志愿者", "reasons": REASONS, **kwargs}
    return recognition.nominate(
        actor=as_actor(world.users.secretary), community=world.community_a, person=world.zhao, **data
    )


def test_a_nomination_keeps_the_evidence_the_platform_holds(world):
    staff = as_actor(world.users.staff, today=as_actor(world.users.staff).today)  # at noon today
    start = timezone.make_aware(dt.datetime.combine(staff.today, dt.time(9)))
    services.record_service(
        actor=staff,
        person=world.zhao,
        community=world.community_a,
        started_at=start,
        ended_at=start + dt.timedelta(minutes=90),
        description="法律咨询",
    )
    nomination = _nominate(world)
    assert nomination.evidence == {
        "year": staff.today.year,
        "records": 1,
        "minutes": 90,
        "requests": 0,
        "activities": 0,
        "wishes": 0,
    }
    with pytest.raises(ValidationError) as twice:
        _nominate(world)
    assert "已被推荐" in " ".join(twice.value.messages)
    with pytest.raises(ValidationError) as short:
        _nominate(world, title="最美楼栋长", reasons="好")
    assert "推荐理由" in " ".join(short.value.messages)
    with pytest.raises(PermissionDenied):
        recognition.nominate(
            actor=as_actor(world.users.outsider),
            community=world.community_a,
            person=world.zhao,
            title="优秀志愿者",
            reasons=REASONS,
        )


def test_the_street_reviews_and_the_roll_shows_only_those_who_agreed(world, client):
    nomination = _nominate(world)
    with pytest.raises(PermissionDenied):  # the community does not approve its own nominations
        recognition.nomination_review(actor=as_actor(world.users.secretary), nomination=nomination, approve=True)
    with pytest.raises(ValidationError):
        recognition.nomination_review(actor=as_actor(world.users.admin), nomination=nomination, approve=False)
    recognition.nomination_review(actor=as_actor(world.users.admin), nomination=nomination, approve=True)
    assert nomination.state == NominationState.APPROVED
    assert Notification.objects.filter(recipient=world.users.member, kind="nomination_approved").exists()
    assert recognition.honours() == []
    assert "赵六" not in client.get(reverse("volunteering:honours")).text
    # Whoever has an account answers themselves: the staff never answer over them.
    with pytest.raises(ValidationError) as over:
        recognition.nomination_consent(
            actor=as_actor(world.users.staff), nomination=nomination, consent=True, note="口头同意"
        )
    assert "本人在平台上" in " ".join(over.value.messages)
    recognition.nomination_consent(actor=as_actor(world.users.member), nomination=nomination, consent=True)
    page = client.get(reverse("volunteering:honours"))  # anonymous
    assert page.status_code == 200 and "赵六" in page.text and "优秀志愿者" in page.text
    recognition.nomination_consent(actor=as_actor(world.users.member), nomination=nomination, consent=False)
    assert "赵六" not in client.get(reverse("volunteering:honours")).text


def test_what_users_type_is_escaped_on_the_public_roll(world, client):
    nomination = _nominate(world, reasons="<script>alert(1)</script> 热心公益，常年服务居民。")
    recognition.nomination_review(actor=as_actor(world.users.admin), nomination=nomination, approve=True)
    recognition.nomination_consent(actor=as_actor(world.users.member), nomination=nomination, consent=True)
    text = client.get(reverse("volunteering:honours")).text
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_nobody_reviews_their_own_nomination_and_the_staff_record_consent_given_in_writing(world):
    nomination = recognition.nominate(
        actor=as_actor(world.users.admin),
        community=world.community_a,
        person=world.zhang,
        title="最美楼栋长",
        reasons=REASONS,
    )
    with pytest.raises(PermissionDenied):  # the street admin nominated it: someone else reviews
        recognition.nomination_review(actor=as_actor(world.users.admin), nomination=nomination, approve=True)
    other = make_user("admin_street_2", "district_admin", world.street)
    recognition.nomination_review(actor=as_actor(other), nomination=nomination, approve=True)
    # 张三 has no account: the community records the consent he gave in writing, saying so.
    with pytest.raises(ValidationError):
        recognition.nomination_consent(actor=as_actor(world.users.staff), nomination=nomination, consent=True)
    recognition.nomination_consent(
        actor=as_actor(world.users.staff), nomination=nomination, consent=True, note="本人签署同意书"
    )
    assert recognition.honours() == [nomination]


def test_a_withdrawn_nomination_leaves_the_roll(world):
    nomination = _nominate(world)
    recognition.nomination_review(actor=as_actor(world.users.admin), nomination=nomination, approve=True)
    recognition.nomination_consent(actor=as_actor(world.users.member), nomination=nomination, consent=True)
    assert recognition.honours() == [nomination]
    with pytest.raises(ValidationError):
        recognition.nomination_withdraw(actor=as_actor(world.users.secretary), nomination=nomination, reason=" ")
    recognition.nomination_withdraw(actor=as_actor(world.users.secretary), nomination=nomination, reason="本人要求")
    assert recognition.honours() == []


def test_the_public_page_shows_each_communitys_totals_and_nobodys_own_hours(world, client):
    staff = as_actor(world.users.staff, today=as_actor(world.users.staff).today)  # at noon today
    for person, minutes in ((world.zhao, 90), (world.qian, 45)):
        start = timezone.make_aware(dt.datetime.combine(staff.today, dt.time(9)))
        services.record_service(
            actor=staff,
            person=person,
            community=world.community_a,
            started_at=start,
            ended_at=start + dt.timedelta(minutes=minutes),
            description="社区值班",
        )
    text = client.get(reverse("volunteering:honours")).text
    assert "红钢城社区" not in text  # two people served: their totals would be nearly their own
    for n in range(3):
        person = make_person(world.users.admin, world.grid_a2, f"志愿者{n}")
        start = timezone.make_aware(dt.datetime.combine(staff.today, dt.time(10)))
        services.record_service(
            actor=staff,
            person=person,
            community=world.community_a,
            started_at=start,
            ended_at=start + dt.timedelta(minutes=60),
            description="社区值班",
        )
    text = client.get(reverse("volunteering:honours")).text
    assert "红钢城社区" in text and ">5.25<" in text  # 315 minutes, five people, no names
    assert "赵六" not in text and "钱七" not in text and ">1.5<" not in text


def test_the_nominations_and_the_roll_run_the_same_queries_with_one_or_five(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(user, url):
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        client.get(url)  # the first page of a session writes what later ones do not
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url)
        assert page.status_code == 200
        return len(queries)

    def grow(lo, hi):
        for i in range(lo, hi):
            person = make_person(world.users.admin, world.grid_a1, f"吴{'一二三四五'[i]}")
            nomination = recognition.nominate(
                actor=as_actor(world.users.secretary),
                community=world.community_a,
                person=person,
                title="优秀志愿者",
                reasons=REASONS,
            )
            recognition.nomination_review(actor=as_actor(world.users.admin), nomination=nomination, approve=True)
            recognition.nomination_consent(
                actor=as_actor(world.users.staff), nomination=nomination, consent=True, note="本人书面同意"
            )

    pages = [
        (world.users.secretary, reverse("volunteering:nominations")),
        (world.users.admin, reverse("volunteering:nominations")),
        (None, reverse("volunteering:honours")),
    ]
    grow(0, 1)
    one = [count(user, url) for user, url in pages]
    grow(1, 5)
    five = [count(user, url) for user, url in pages]
    assert five == one and max(five) <= 25, (one, five)
    assert client.get(reverse("volunteering:honours")).text.count("优秀志愿者") >= 5
