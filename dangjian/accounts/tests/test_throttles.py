"""Issue #10 (security review): wrong two-factor codes and wrong old passwords are limited per
account, whatever the session or address; a code signs in once; code failures count towards the
sign-in lockout."""

import datetime as dt

import pyotp
import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dangjian.core import crypto
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.clock("2026-03-02T10:07:00+08:00", tick=False)]

LATER = dt.datetime.fromisoformat("2026-03-02T10:15:01+08:00")  # the next quarter of an hour


def with_two_factor(user) -> pyotp.TOTP:
    secret = pyotp.random_base32()
    user.totp_secret = crypto.encrypt(secret)
    user.totp_enabled_at = timezone.now()
    user.save()
    return pyotp.TOTP(secret)


def wrong_code(totp: pyotp.TOTP) -> str:
    right = {totp.at(timezone.now() + dt.timedelta(seconds=30 * step)) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in right)


def signed_in_at_code_step(user, address: str) -> Client:
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response["Location"] == reverse("accounts:login_code")
    return client


def is_signed_in(client: Client) -> bool:
    return client.get(reverse("accounts:security")).status_code == 200  # a page for signed-in users only


def page_text(response) -> str:
    return (
        response.content.decode() + " ".join(str(m) for m in response.context["messages"]) if response.context else ""
    )


def test_wrong_codes_are_limited_per_account_not_per_session(world):
    """Five wrong codes from any sessions and addresses pause two-factor sign-in for the account
    until the window ends (re-entering the password used to give five more tries, indefinitely)."""
    user = world.users.admin
    totp = with_two_factor(user)
    first = signed_in_at_code_step(user, "198.51.100.1")
    for _ in range(3):
        first.post(reverse("accounts:login_code"), {"code": wrong_code(totp)})
    second = signed_in_at_code_step(user, "198.51.100.2")  # a new session from another address
    for _ in range(2):
        second.post(reverse("accounts:login_code"), {"code": wrong_code(totp)})
    third = signed_in_at_code_step(user, "198.51.100.3")
    refused = third.post(reverse("accounts:login_code"), {"code": totp.now()}, follow=True)
    assert not is_signed_in(third)
    assert "10:15" in page_text(refused)  # says when to try again
    with time_machine.travel(LATER, tick=False):
        fourth = signed_in_at_code_step(user, "198.51.100.4")
        assert fourth.post(reverse("accounts:login_code"), {"code": totp.now()}).status_code == 302
        assert is_signed_in(fourth)


def test_wrong_codes_count_towards_the_sign_in_lockout(world, settings):
    user = world.users.admin
    totp = with_two_factor(user)
    client = signed_in_at_code_step(user, "198.51.100.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login_code"), {"code": wrong_code(totp)})
    again = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert again.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in again.templates]


def test_a_code_signs_in_once(world):
    """A code seen over someone's shoulder (or replayed from a proxy) is refused within its
    30-second window, and so is an earlier code still inside the allowed drift."""
    user = world.users.admin
    totp = with_two_factor(user)
    code = totp.now()
    first = signed_in_at_code_step(user, "198.51.100.1")
    assert first.post(reverse("accounts:login_code"), {"code": code}).status_code == 302
    second = signed_in_at_code_step(user, "198.51.100.2")
    replayed = second.post(reverse("accounts:login_code"), {"code": code})
    assert replayed.status_code == 200
    assert replayed.context["form"].has_error("code", "used")
    earlier = second.post(reverse("accounts:login_code"), {"code": totp.at(timezone.now() - dt.timedelta(seconds=30))})
    assert earlier.context["form"].errors
    assert not is_signed_in(second)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=30), tick=False):
        assert second.post(reverse("accounts:login_code"), {"code": totp.now()}).status_code == 302
    user.refresh_from_db()
    assert user.totp_last_step == totp.timecode(timezone.now()) + 1


def test_the_code_that_turned_two_factor_on_cannot_be_used_again(world, client):
    user = world.users.admin
    client.force_login(user)
    client.post(reverse("accounts:security"), {"action": "2fa_start"})
    totp = pyotp.TOTP(client.session["totp_setup_secret"])
    client.post(reverse("accounts:security"), {"action": "2fa_confirm", "code": totp.now()})
    user.refresh_from_db()
    assert user.two_factor_enabled
    other = signed_in_at_code_step(user, "198.51.100.9")
    assert other.post(reverse("accounts:login_code"), {"code": totp.now()}).status_code == 200
    assert not is_signed_in(other)


def test_turning_two_factor_off_follows_the_same_rules(world, client):
    """A used code is refused, and wrong codes there spend the same budget as at sign-in."""
    user = world.users.admin
    totp = with_two_factor(user)
    signed_in = signed_in_at_code_step(user, "198.51.100.1")
    code = totp.now()
    signed_in.post(reverse("accounts:login_code"), {"code": code})
    disable = {"action": "2fa_disable", "password": PASSWORD}
    used = signed_in.post(reverse("accounts:security"), {**disable, "code": code})
    assert used.context["disable_form"].errors["code"]
    for _ in range(4):
        signed_in.post(reverse("accounts:security"), {**disable, "code": wrong_code(totp)})
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=30), tick=False):
        refused = signed_in.post(reverse("accounts:security"), {**disable, "code": totp.now()})
        assert "10:15" in " ".join(refused.context["disable_form"].errors["code"])
    user.refresh_from_db()
    assert user.two_factor_enabled


def test_turning_two_factor_on_is_limited_too(world, client):
    user = world.users.admin
    client.force_login(user)
    client.post(reverse("accounts:security"), {"action": "2fa_start"})
    totp = pyotp.TOTP(client.session["totp_setup_secret"])
    for _ in range(5):
        client.post(reverse("accounts:security"), {"action": "2fa_confirm", "code": wrong_code(totp)})
    refused = client.post(reverse("accounts:security"), {"action": "2fa_confirm", "code": totp.now()})
    assert "10:15" in " ".join(refused.context["code_form"].errors["code"])
    user.refresh_from_db()
    assert not user.two_factor_enabled


def change_password(client: Client, old: str, new: str = "Sq7-kite-river"):
    return client.post(
        reverse("accounts:security"),
        {"action": "password", "old_password": old, "new_password1": new, "new_password2": new},
    )


def test_wrong_old_passwords_are_limited_per_account(world):
    """Someone at a signed-in computer cannot guess the password on the security page: five
    wrong old passwords per quarter of an hour, counted across sessions; the owner's own
    successful check in between gives the guesser nothing back."""
    user = world.users.staff
    guesser, owner = Client(), Client()
    guesser.force_login(user)
    owner.force_login(user)
    for attempt in range(4):
        assert change_password(guesser, f"guess-{attempt}-wrong").context["password_form"].errors["old_password"]
    # The owner's right password (with a new one that is too weak: nothing changes, both stay signed in).
    checked = change_password(owner, PASSWORD, "abcdefghijkl")
    assert "old_password" not in checked.context["password_form"].errors
    change_password(guesser, "guess-5-wrong")
    refused = change_password(guesser, PASSWORD)
    assert refused.status_code == 200
    assert "10:15" in " ".join(refused.context["password_form"].errors["old_password"])
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    with time_machine.travel(LATER, tick=False):
        assert change_password(owner, PASSWORD).status_code == 302


def test_wrong_passwords_when_turning_two_factor_off_count_too(world):
    user = world.users.admin
    totp = with_two_factor(user)
    client = Client()
    client.force_login(user)
    for attempt in range(5):
        client.post(
            reverse("accounts:security"),
            {"action": "2fa_disable", "password": f"guess-{attempt}-wrong", "code": wrong_code(totp)},
        )
    refused = change_password(client, PASSWORD)
    assert refused.context["password_form"].errors["old_password"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.two_factor_enabled
