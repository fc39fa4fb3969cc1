"""Account administration: the role matrix, dated grants, accounts with one-time sign-in links,
deactivation, and the pages an admin uses for them."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from dangjian.accounts import selectors, services
from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.roles import APPOINTED_ROLES, GRANT, GRANTABLE, ROLE_ACTIONS, STAFF_ROLES, Role, granters_of
from dangjian.accounts.scopes import build_scope
from dangjian.core.access import VIEW
from dangjian.core.models import Event, EventAction
from tests.factories import PASSWORD, as_actor, make_user

pytestmark = pytest.mark.django_db


# -- The matrix -------------------------------------------------------------------------------


def test_the_roles_that_may_give_roles_are_those_with_the_grant_right():
    assert {role for role, given in GRANTABLE.items() if given} == {
        role for role, actions in ROLE_ACTIONS.items() if GRANT in actions
    }


def test_nobody_gives_a_member_or_resident_role_by_hand_and_every_staff_role_has_a_giver():
    assert Role.MEMBER not in APPOINTED_ROLES and Role.RESIDENT not in APPOINTED_ROLES
    assert STAFF_ROLES | {Role.PARTNER_LIAISON} == APPOINTED_ROLES
    assert granters_of(Role.COMMUNITY_SECRETARY) == {Role.DISTRICT_ADMIN}
    assert granters_of(Role.COMMUNITY_STAFF) == {Role.DISTRICT_ADMIN, Role.COMMUNITY_SECRETARY}


@pytest.mark.parametrize(
    ("giver", "role", "node", "expected"),
    [
        ("admin", Role.COMMUNITY_SECRETARY, "community_a", True),
        ("admin", Role.DISTRICT_ADMIN, "street", True),  # a peer at their own level: a successor
        ("admin", Role.DISTRICT_ADMIN, "district", False),  # above their own scope
        ("admin", Role.BRANCH_SECRETARY, "branch_b1", True),
        ("secretary", Role.COMMUNITY_STAFF, "grid_a1", True),
        ("secretary", Role.BRANCH_SECRETARY, "branch_a1", True),  # an organisation of the community
        ("secretary", Role.PARTNER_LIAISON, "unit_a", True),
        ("secretary", Role.COMMUNITY_SECRETARY, "community_a", False),  # not a role a secretary gives
        ("secretary", Role.DISTRICT_ADMIN, "community_a", False),
        ("secretary", Role.COMMUNITY_STAFF, "community_b", False),  # another community
        ("secretary", Role.BRANCH_SECRETARY, "branch_b1", False),
        ("staff", Role.COMMUNITY_STAFF, "grid_a1", False),  # staff give nothing
        ("branch", Role.BRANCH_SECRETARY, "branch_a1", False),
        ("member", Role.COMMUNITY_STAFF, "grid_a1", False),
    ],
)
def test_who_may_give_which_role_where(world, giver, role, node, expected):
    assert (
        services.may_give(actor=as_actor(getattr(world.users, giver)), role=role, node=getattr(world, node)) is expected
    )


def test_a_refused_grant_says_why_in_chinese_and_writes_nothing(world):
    before = (RoleGrant.objects.count(), Event.objects.count())
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        services.grant_role(
            actor=as_actor(world.users.secretary),
            user=world.users.staff,
            role=Role.COMMUNITY_STAFF,
            node=world.community_b,
            reason="试一试",
        )
    assert "无权" in refused.value.messages[0] and world.community_b.name in refused.value.messages[0]
    assert (RoleGrant.objects.count(), Event.objects.count()) == before


# -- Dates ------------------------------------------------------------------------------------


def test_a_grant_gives_rights_from_its_start_until_the_day_before_its_end(world, time_machine):
    today = timezone.localdate()
    user = make_user("temp_staff")
    grant = services.grant_role(
        actor=as_actor(world.users.secretary),
        user=user,
        role=Role.COMMUNITY_STAFF,
        node=world.grid_a1,
        starts_on=today + dt.timedelta(days=2),
        ends_on=today + dt.timedelta(days=5),
        reason="临时顶岗",
    )
    seen = []
    for offset in range(7):
        day = today + dt.timedelta(days=offset)
        time_machine.move_to(timezone.make_aware(dt.datetime.combine(day, dt.time(9))))
        seen.append(bool(build_scope(user).nodes(VIEW)))
        assert grant.state_on(day) == ("in_force" if seen[-1] else "future" if offset < 2 else "ended")
    assert seen == [False, False, True, True, True, False, False]


def test_the_end_date_must_come_after_the_start(world):
    with pytest.raises(ValidationError):
        services.grant_role(
            actor=as_actor(world.users.secretary),
            user=make_user("x1"),
            role=Role.COMMUNITY_STAFF,
            node=world.grid_a1,
            starts_on=dt.date(2026, 5, 1),
            ends_on=dt.date(2026, 5, 1),
        )


def test_ending_a_role_takes_the_rights_away_on_that_day_and_is_an_event(world):
    staff = world.users.staff
    grant = staff.grants.get()
    actor = as_actor(world.users.secretary)
    with pytest.raises(ValidationError):  # a reason is required
        services.end_grant(actor=actor, grant=grant, reason=" ")
    with pytest.raises(ValidationError):  # not in the past
        services.end_grant(actor=actor, grant=grant, ends_on=actor.today - dt.timedelta(days=1), reason="调离")
    assert build_scope(staff).can(VIEW)
    services.end_grant(actor=actor, grant=grant, reason="调离街道")
    assert not build_scope(staff).can(VIEW)
    event = Event.objects.filter(action=EventAction.REVOKED, target_id=staff.pk).get()
    assert event.actor == world.users.secretary and event.reason == "调离街道"
    assert event.changes["ends_on"] == ["", actor.today.isoformat()]
    with pytest.raises(ValidationError):  # already ended
        services.end_grant(actor=actor, grant=grant, reason="again")


def test_nobody_ends_their_own_role_nor_one_they_could_not_give(world):
    with pytest.raises(ValidationError):
        services.end_grant(
            actor=as_actor(world.users.secretary), grant=world.users.secretary.grants.get(), reason="辞职"
        )
    with pytest.raises(ValidationError):  # the street admin's grant, by a community secretary
        services.end_grant(actor=as_actor(world.users.secretary), grant=world.users.admin.grants.get(), reason="x")
    assert world.users.admin.grants.get().ends_on is None


# -- Accounts and sign-in links ---------------------------------------------------------------


def _create(world, actor_user, **overrides):
    data = {
        "username": "zhouba",
        "display_name": "周八",
        "role": Role.COMMUNITY_STAFF,
        "node": world.grid_a1,
        "reason": "社区招聘",
    }
    return services.create_account(actor=as_actor(actor_user), **{**data, **overrides})


def test_a_new_account_has_its_role_no_password_and_a_link_that_works_once(world, client):
    user, token = _create(world, world.users.secretary)
    assert not user.has_usable_password()
    assert list(user.grants.values_list("role", "region_id")) == [(Role.COMMUNITY_STAFF, world.grid_a1.pk)]
    actions = set(Event.objects.filter(target_id=user.pk).values_list("action", flat=True))
    assert actions == {EventAction.CREATED, EventAction.GRANTED, EventAction.SECURITY}
    url = reverse("accounts:welcome", args=[urlsafe_base64_encode(force_bytes(user.pk)), token])
    assert client.get(url).status_code == 200
    mismatch = client.post(url, {"new_password1": "Dangjian-2026!", "new_password2": "Dangjian-2027!"})
    assert mismatch.status_code == 200 and not User.objects.get(pk=user.pk).has_usable_password()
    done = client.post(url, {"new_password1": "Dangjian-2026!", "new_password2": "Dangjian-2026!"})
    assert done.status_code == 302 and done.url == reverse("accounts:login")
    assert client.get(url).status_code == 410  # spent
    signed_in = client.post(reverse("accounts:login"), {"username": "zhouba", "password": "Dangjian-2026!"})
    assert signed_in.status_code == 302
    assert client.get(reverse("people:list")).status_code == 200


def test_a_login_name_is_taken_whatever_its_case_and_a_refused_role_leaves_no_account(world):
    with pytest.raises(ValidationError) as taken:
        _create(world, world.users.secretary, username="Staff_A")
    assert "username" in taken.value.message_dict
    with pytest.raises(ValidationError):
        _create(world, world.users.secretary, role=Role.COMMUNITY_SECRETARY, node=world.community_a)
    with pytest.raises(ValidationError):
        _create(world, world.users.secretary, username="中文名")
    assert not User.objects.filter(username="zhouba").exists()


def test_a_new_link_voids_the_old_password_and_the_old_link(world, client):
    staff = world.users.staff
    old_token = services.sign_in_links.make_token(staff)
    token = services.reissue_sign_in_link(actor=as_actor(world.users.secretary), user=staff)
    staff.refresh_from_db()
    assert not staff.check_password(PASSWORD)
    uid = urlsafe_base64_encode(force_bytes(staff.pk))
    assert client.get(reverse("accounts:welcome", args=[uid, old_token])).status_code == 410
    assert client.get(reverse("accounts:welcome", args=[uid, token])).status_code == 200


def test_deactivation_ends_open_sessions_and_voids_links_but_keeps_the_records(world, client):
    staff = world.users.staff
    token = services.sign_in_links.make_token(staff)
    client.force_login(staff)
    assert client.get(reverse("people:list")).status_code == 200
    with pytest.raises(ValidationError):
        services.set_account_active(actor=as_actor(world.users.secretary), user=staff, active=False, reason="")
    services.set_account_active(actor=as_actor(world.users.secretary), user=staff, active=False, reason="离职")
    assert client.get(reverse("people:list")).status_code == 302  # signed out
    uid = urlsafe_base64_encode(force_bytes(staff.pk))
    assert client.get(reverse("accounts:welcome", args=[uid, token])).status_code == 410
    assert User.objects.filter(pk=staff.pk, is_active=False).exists() and staff.grants.exists()
    with pytest.raises(ValidationError):
        services.reissue_sign_in_link(actor=as_actor(world.users.secretary), user=staff)


def test_a_secretary_cannot_deactivate_their_own_admin_nor_themself(world):
    with pytest.raises(PermissionDenied):
        services.set_account_active(
            actor=as_actor(world.users.secretary), user=world.users.admin, active=False, reason="x"
        )
    with pytest.raises(PermissionDenied):
        services.set_account_active(
            actor=as_actor(world.users.secretary), user=world.users.secretary, active=False, reason="x"
        )
    both = make_user("both", Role.COMMUNITY_STAFF, world.community_a)
    services.grant_role(actor=as_actor(None), user=both, role=Role.COMMUNITY_SECRETARY, node=world.community_b)
    assert not services.may_manage(actor=as_actor(world.users.secretary), user=both)  # also B's secretary
    assert services.may_manage(actor=as_actor(world.users.admin), user=both)


# -- The pages --------------------------------------------------------------------------------


def test_the_list_shows_the_accounts_of_ones_area_only(world, client):
    client.force_login(world.users.secretary)
    page = client.get(reverse("accounts:users")).content.decode()
    for inside in ("staff_a", "branch_a1", "liaison_a"):
        assert inside in page
    for outside in ("admin_street", "secretary_b", "member_a"):
        assert outside not in page
    with translation.override("zh-hans"):
        assert f"{Role.BRANCH_SECRETARY.label} · {world.branch_a1.name}" in page  # the roles in force
    only_staff = client.get(reverse("accounts:users"), {"role": Role.BRANCH_SECRETARY}).content.decode()
    assert "branch_a1" in only_staff and "staff_a" not in only_staff


def test_the_list_costs_the_same_queries_for_more_accounts(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.users.admin)
    client.get(reverse("accounts:users"))  # the first request of a session reads what later ones keep
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:users"))
    for n in range(12):
        make_user(f"extra{n}", Role.COMMUNITY_STAFF, world.grid_a1)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("accounts:users"))
    assert "extra11" in response.content.decode()
    assert len(many) == len(few)
    with translation.override("zh-hans"):
        label = str(Role.COMMUNITY_STAFF.label)
    assert response.content.decode().count(f"{label} · {world.grid_a1.name}") == 12  # the roles in force


def test_creating_an_account_in_the_browser_shows_the_link_once(world, client):
    client.force_login(world.users.secretary)
    response = client.post(
        reverse("accounts:user_new"),
        {
            "display_name": "周八",
            "username": "zhouba",
            "role": Role.COMMUNITY_STAFF,
            "node": f"region:{world.grid_a1.pk}",
            "starts_on": timezone.localdate().isoformat(),
            "reason": "社区招聘",
        },
    )
    user = User.objects.get(username="zhouba")
    assert response.url == reverse("accounts:user_detail", args=[user.pk])
    first = client.get(response.url).content.decode()
    assert "/accounts/welcome/" in first
    assert "/accounts/welcome/" not in client.get(response.url).content.decode()  # shown once


def test_the_form_offers_only_the_roles_and_places_one_may_give(world, client):
    client.force_login(world.users.secretary)
    with translation.override("zh-hans"):
        page = client.get(reverse("accounts:user_new"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f'value="region:{world.community_a.pk}"' in page and f'value="region:{world.community_b.pk}"' not in page
    assert f'value="organization:{world.branch_a1.pk}"' in page and f'value="unit:{world.unit_a.pk}"' in page
    assert 'value="community_staff"' in page and 'value="community_secretary"' not in page
    forged = client.post(
        reverse("accounts:user_new"),
        {
            "display_name": "周八",
            "username": "zhouba",
            "role": Role.COMMUNITY_STAFF,
            "node": f"region:{world.community_b.pk}",
            "starts_on": "2026-01-01",
            "reason": "x",
        },
    )
    assert forged.status_code == 200 and not User.objects.filter(username="zhouba").exists()


def test_ending_a_role_from_the_page(world, client):
    grant = world.users.staff.grants.get()
    client.force_login(world.users.secretary)
    url = reverse("accounts:user_detail", args=[world.users.staff.pk])
    missing = client.post(
        url, {"action": "end", "grant": grant.pk, f"end{grant.pk}-ends_on": "", f"end{grant.pk}-reason": ""}
    )
    assert missing.status_code == 200
    grant.refresh_from_db()
    assert grant.ends_on is None
    ok = client.post(
        url,
        {
            "action": "end",
            "grant": grant.pk,
            f"end{grant.pk}-ends_on": timezone.localdate().isoformat(),
            f"end{grant.pk}-reason": "调离",
        },
    )
    assert ok.status_code == 302
    grant.refresh_from_db()
    assert grant.ends_on == timezone.localdate() and grant.ended_by == world.users.secretary
    assert client.post(url, {"action": "end", "grant": "abc"}).status_code == 404
    other = world.users.outsider.grants.get()
    assert client.post(url, {"action": "end", "grant": other.pk}).status_code == 404


def test_hostile_list_queries_do_not_break_the_page(world, client):
    client.force_login(world.users.admin)
    for query in ({"page": "-1"}, {"page": "x"}, {"role": "superuser"}, {"status": "deleted"}, {"q": "%_'\"<x>"}):
        assert client.get(reverse("accounts:users"), query).status_code == 200


def test_managed_users_of_a_district_admin_reach_every_street(world):
    district = make_user("district_admin", Role.DISTRICT_ADMIN, world.district)
    names = set(selectors.managed_users(actor=as_actor(district)).values_list("username", flat=True))
    assert {"admin_street", "secretary_a", "secretary_b", "staff_a", "branch_a1", "liaison_a"} <= names


# -- Two-factor login required of admins -------------------------------------------------------


def test_an_admin_without_two_factor_login_is_sent_to_set_it_up_first(world, client, settings):
    from dangjian.core.conf import override

    settings.DANGJIAN = override(TWO_FACTOR_ROLES=("district_admin",))
    client.force_login(world.users.admin)
    response = client.get(reverse("people:list"))
    assert response.status_code == 302 and response.url == reverse("accounts:security")
    with translation.override("zh-hans"):
        page = client.get(reverse("accounts:security"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and 'role="alert"' in page.content.decode()
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    User.objects.filter(pk=world.users.admin.pk).update(totp_enabled_at=timezone.now(), totp_secret="x")
    assert client.get(reverse("people:list")).status_code == 200
    # Other roles are not asked, until they are given a role that is.
    client.force_login(world.users.secretary)
    assert client.get(reverse("people:list")).status_code == 200
    services.grant_role(
        actor=as_actor(None), user=world.users.secretary, role=Role.DISTRICT_ADMIN, node=world.community_a
    )
    assert client.get(reverse("people:list")).url == reverse("accounts:security")
    assert client.post(reverse("accounts:logout")).status_code == 302


def test_without_roles_configured_nobody_is_required_to(world, client):
    client.force_login(world.users.admin)  # the tests' settings: TWO_FACTOR_ROLES = ()
    assert client.get(reverse("people:list")).status_code == 200


def test_production_requires_two_factor_login_of_district_and_street_admins():
    from dangjian.core.conf import Config

    assert Config().two_factor_roles == (Role.DISTRICT_ADMIN,)


# -- Review findings --------------------------------------------------------------------------


def test_reactivating_does_not_bring_back_old_links_or_the_password(world, client):
    staff = world.users.staff
    token = services.sign_in_links.make_token(staff)
    secretary = as_actor(world.users.secretary)
    services.set_account_active(actor=secretary, user=staff, active=False, reason="离职")
    services.set_account_active(actor=secretary, user=staff, active=True, reason="返聘")
    staff.refresh_from_db()
    assert not staff.check_password(PASSWORD)
    uid = urlsafe_base64_encode(force_bytes(staff.pk))
    assert client.get(reverse("accounts:welcome", args=[uid, token])).status_code == 410


def test_staff_who_are_also_members_can_be_managed(world):
    services.grant_role(actor=as_actor(None), user=world.users.staff, role=Role.MEMBER)
    assert services.may_manage(actor=as_actor(world.users.secretary), user=world.users.staff)


def test_ending_a_role_cannot_push_its_end_later(world):
    today = timezone.localdate()
    grant = services.grant_role(
        actor=as_actor(world.users.secretary),
        user=make_user("temp"),
        role=Role.COMMUNITY_STAFF,
        node=world.grid_a1,
        ends_on=today + dt.timedelta(days=10),
        reason="临时",
    )
    with pytest.raises(ValidationError):
        services.end_grant(
            actor=as_actor(world.users.secretary), grant=grant, ends_on=today + dt.timedelta(days=500), reason="延长"
        )
    services.end_grant(
        actor=as_actor(world.users.secretary), grant=grant, ends_on=today + dt.timedelta(days=3), reason="提前"
    )
    grant.refresh_from_db()
    assert grant.ends_on == today + dt.timedelta(days=3)
