"""Login, lockout, password rules, two-factor login and the scope a grant gives."""

import datetime as dt

import pyotp
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.accounts.services import grant_role
from dangjian.core import crypto
from dangjian.core.access import CHANGE, EXPORT, UNMASK, VIEW
from dangjian.core.models import Event, EventAction
from tests.factories import PASSWORD, as_actor

pytestmark = pytest.mark.django_db


def sign_in(client, username, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_login_and_logout(world, client):
    response = sign_in(client, "secretary_a")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:workbench")
    assert client.get(reverse("accounts:security")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:security")).status_code == 302


def test_wrong_password_shows_a_clear_message(world, client):
    response = sign_in(client, "secretary_a", "wrong-password-1")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_lockout_after_repeated_failures(world, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "staff_a", "not-the-password-9")
    locked = sign_in(client, "staff_a")  # even the right password is refused while locked
    assert locked.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in locked.templates]
    assert client.get(reverse("accounts:security")).status_code == 302


def test_behind_a_proxy_the_lockout_is_per_client_address_not_for_everyone(world, settings):
    """Behind nginx every request comes from 127.0.0.1: failures counted against that address
    locked the user out for all. The address nginx adds to X-Forwarded-For counts (PROXY_COUNT)."""
    from django.test import Client

    from dangjian.core.conf import override

    settings.DANGJIAN = override(PROXY_COUNT=1)
    attacker = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(attacker, "staff_a", "not-the-password-9")
    assert sign_in(attacker, "staff_a").status_code == 429
    # What the attacker writes into the header is not trusted: nginx appends the real address.
    forged = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.7")
    assert sign_in(forged, "staff_a").status_code == 429
    colleague = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert sign_in(colleague, "staff_a").status_code == 302


def test_password_rules(world, client):
    client.force_login(world.users.staff)
    response = client.post(
        reverse("accounts:security"),
        {
            "action": "password",
            "old_password": PASSWORD,
            "new_password1": "abcdefghijkl",
            "new_password2": "abcdefghijkl",
        },
    )
    assert response.status_code == 200
    assert response.context["password_form"].errors["new_password2"]  # letters only
    response = client.post(
        reverse("accounts:security"),
        {
            "action": "password",
            "old_password": PASSWORD,
            "new_password1": "Sq7-kite-river",
            "new_password2": "Sq7-kite-river",
        },
    )
    assert response.status_code == 302
    world.users.staff.refresh_from_db()
    assert world.users.staff.check_password("Sq7-kite-river")


def test_two_factor_setup_and_login(world, client):
    user = world.users.admin
    client.force_login(user)
    client.post(reverse("accounts:security"), {"action": "2fa_start"})
    secret = client.session["totp_setup_secret"]
    page = client.get(reverse("accounts:security"))
    assert "<svg" in page.content.decode()  # the QR code, rendered locally
    bad = client.post(reverse("accounts:security"), {"action": "2fa_confirm", "code": "000000"})
    assert bad.context["code_form"].errors
    client.post(reverse("accounts:security"), {"action": "2fa_confirm", "code": pyotp.TOTP(secret).now()})
    user.refresh_from_db()
    assert user.two_factor_enabled
    assert crypto.decrypt(user.totp_secret) == secret
    assert secret not in user.totp_secret
    assert Event.objects.filter(target_id=user.pk, action=EventAction.SECURITY).exists()

    client.logout()
    response = sign_in(client, user.username)
    assert response["Location"] == reverse("accounts:login_code")
    assert client.get(reverse("accounts:security")).status_code == 302  # not logged in yet
    wrong = client.post(reverse("accounts:login_code"), {"code": "123456"})
    assert wrong.context["form"].errors
    # The code that turned it on was used: the next one signs in (test_throttles.py has the rules).
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=30)):
        ok = client.post(reverse("accounts:login_code"), {"code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 302
    assert client.get(reverse("accounts:security")).status_code == 200


def test_too_many_wrong_codes_end_the_attempt(world, client):
    user = world.users.admin
    secret = pyotp.random_base32()
    user.totp_secret = crypto.encrypt(secret)
    user.totp_enabled_at = timezone.now()
    user.save()
    sign_in(client, user.username)
    for _ in range(5):
        client.post(reverse("accounts:login_code"), {"code": "000000"})
    response = client.post(reverse("accounts:login_code"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert client.get(reverse("accounts:security")).status_code == 302


def test_scope_follows_grants(world):
    secretary = as_actor(world.users.secretary).scope
    assert secretary.nodes(VIEW).region_paths == (world.community_a.path,)
    assert secretary.can(UNMASK) and secretary.can(EXPORT)
    staff = as_actor(world.users.staff).scope
    assert staff.can(UNMASK) and not staff.can(EXPORT)
    branch = as_actor(world.users.branch).scope
    assert branch.nodes(VIEW).org_paths == (world.branch_a1.path,)
    assert branch.can(CHANGE) and not branch.can(UNMASK)
    member = as_actor(world.users.member).scope
    assert not member.grants and member.person_id == world.zhao.pk
    liaison = as_actor(world.users.liaison).scope
    assert liaison.nodes(VIEW).unit_ids == (world.unit_a.pk,)


def test_a_grant_must_sit_at_the_right_kind_of_node(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        grant_role(actor=as_actor(None), user=world.users.staff, role=Role.BRANCH_SECRETARY, node=world.community_a)
    with pytest.raises(ValidationError):
        grant_role(actor=as_actor(None), user=world.users.staff, role=Role.MEMBER, node=world.community_a)


def test_granting_outside_ones_scope_is_refused(world):
    from django.core.exceptions import ValidationError

    before = RoleGrant.objects.count()
    with pytest.raises(ValidationError):
        grant_role(
            actor=as_actor(world.users.secretary),
            user=world.users.staff,
            role=Role.COMMUNITY_STAFF,
            node=world.community_b,
        )
    grant_role(
        actor=as_actor(world.users.secretary), user=world.users.staff, role=Role.COMMUNITY_STAFF, node=world.grid_a1
    )
    assert RoleGrant.objects.count() == before + 1


def test_passwords_need_twelve_characters_and_are_not_common():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("Abcdefg-123", "password1234", "123456789012"):  # 11 characters, common, numeric
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Hongg-cheng-2026")
