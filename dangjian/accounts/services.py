"""Writes for accounts: role grants and two-factor settings, each recorded as an Event; and the
checks of a signed-in user's password and two-factor codes, which are limited per account."""

import datetime as dt
import hmac
import re
from typing import Any

import pyotp
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.roles import GRANT
from dangjian.core import crypto
from dangjian.core.access import allowed
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event
from dangjian.core.ratelimit import Attempt, Budget


def grant_role(*, actor: Actor, user: User, role: str, node: Any = None) -> RoleGrant:
    """Give ``user`` a role at ``node`` (a Region, Organization or ResidentUnit, or None for
    own-records roles). ``actor`` must hold GRANT over the node (the system may grant anywhere:
    seeding, management commands)."""
    from dangjian.orgs.models import Organization, Region, ResidentUnit

    grant = RoleGrant(user=user, role=role, granted_by=actor.user)
    if isinstance(node, Region):
        grant.region = node
    elif isinstance(node, Organization):
        grant.organization = node
    elif isinstance(node, ResidentUnit):
        grant.unit = node
    grant.clean()
    if node is not None and not allowed(actor, GRANT, node):
        raise PermissionDenied
    with transaction.atomic():
        grant.save()
        record_event(
            actor=actor,
            action=EventAction.GRANTED,
            target=user,
            changes={"role": [None, role], "node": [None, str(node) if node else ""]},
        )
    return grant


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(*, user: User, secret: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=issuer)


def _own_account(actor: Actor) -> User:
    """Security settings are one's own: the actor's account (nobody else's, not the system's)."""
    if actor.user is None:
        raise PermissionDenied
    return actor.user


def _account_budget(name: str) -> Budget:
    """Wrong codes and wrong passwords are limited like failed sign-ins (AXES_FAILURE_LIMIT per
    AXES_COOLOFF_TIME: 5 per quarter of an hour), but per account, whatever the session or address."""
    seconds = int(dt.timedelta(hours=float(settings.AXES_COOLOFF_TIME)).total_seconds())
    return Budget(name, limit=int(settings.AXES_FAILURE_LIMIT), seconds=seconds)


def _refusal(attempt: Attempt, message: str, code: str, *, too_many: str) -> ValidationError:
    """A wrong attempt's ``message``, or, once the budget is used up, ``too_many`` with the time
    when the user may try again."""
    if attempt.used_up:
        return ValidationError(too_many % {"time": attempt.retry_time}, code=code)
    return ValidationError(message, code=code)


def _too_many_passwords() -> str:
    return _("Too many wrong passwords. Try again after %(time)s.")


def _too_many_codes() -> str:
    return _("Too many wrong codes. Try again after %(time)s.")


def check_own_password(*, actor: Actor, password: str) -> None:
    """Pass if ``password`` is the actor's own; otherwise raise ValidationError (code "wrong", or
    "throttled" when the account has had too many wrong passwords lately and nothing was checked).
    Wrong passwords are counted per account across sessions; a right one counts nothing and
    gives back nothing else, so that the owner's use does not renew a guesser's tries."""
    user = _own_account(actor)
    budget = _account_budget("password")
    attempt = budget.spend(user.pk, now=actor.now)
    if attempt.over_limit:
        raise ValidationError(_too_many_passwords() % {"time": attempt.retry_time}, code="throttled")
    if not user.check_password(password or ""):
        raise _refusal(attempt, _("The password is not correct."), "wrong", too_many=_too_many_passwords())
    budget.refund(attempt)


_CODE = re.compile(r"[0-9]{6}")


def totp_step(secret: str, code: str, *, at: dt.datetime) -> int | None:
    """The time step (30-second counter) for which ``code`` is ``secret``'s code, allowing one step
    of clock drift either way around ``at``; None if it is none of them."""
    code = "".join((code or "").split())
    if not secret or not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(at)
    return max(
        (step for step in (now - 1, now, now + 1) if hmac.compare_digest(totp.generate_otp(step), code)), default=None
    )


def _accept_code(*, actor: Actor, user: User, secret: str, code: str, claim: bool = True) -> int:
    """The time step of ``code`` if it is right; otherwise raise ValidationError (code "wrong",
    "used", or "throttled" when nothing was checked). Wrong and used codes are counted per account,
    across sessions and addresses, wherever a code is asked for. With ``claim``, the step becomes
    the account's last, atomically: of two sessions sending the same code, one is refused."""
    budget = _account_budget("code")
    attempt = budget.spend(user.pk, now=actor.now)
    if attempt.over_limit:
        raise ValidationError(_too_many_codes() % {"time": attempt.retry_time}, code="throttled")
    step = totp_step(secret, code, at=actor.now)
    if step is None:
        wrong = _("The code is not correct. Check the time on your phone and try the newest code.")
        raise _refusal(attempt, wrong, "wrong", too_many=_too_many_codes())
    if claim:
        later = Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step)
        if not User.objects.filter(later, pk=user.pk).update(totp_last_step=step):
            used = _("This code has already been used. Wait for the next code from your authenticator.")
            raise _refusal(attempt, used, "used", too_many=_too_many_codes())
        user.totp_last_step = step
    budget.refund(attempt)
    return step


def two_factor_enable(*, actor: Actor, secret: str, code: str) -> None:
    """Turn on the actor's two-factor login once their authenticator has shown ``code`` (which
    cannot then be used to sign in)."""
    user = _own_account(actor)
    try:
        step = _accept_code(actor=actor, user=user, secret=secret, code=code, claim=False)
    except ValidationError as exc:
        raise ValidationError({"code": exc.error_list}) from None
    with transaction.atomic():
        user.totp_secret = crypto.encrypt(secret)
        user.totp_enabled_at = timezone.now()
        user.totp_last_step = step  # a new secret: its steps start here
        user.save(update_fields=["totp_secret", "totp_enabled_at", "totp_last_step"])
        record_event(
            actor=actor,
            action=EventAction.SECURITY,
            target=user,
            changes={"two_factor": [False, True]},
        )


def two_factor_disable(*, actor: Actor, password: str, code: str) -> None:
    """Turn off the actor's two-factor login, given their password and a code not used before
    (both limited per account, see ``check_own_password`` and ``check_login_code``)."""
    user = _own_account(actor)
    if not user.two_factor_enabled:
        raise PermissionDenied
    try:
        check_own_password(actor=actor, password=password)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from None
    try:
        _accept_code(actor=actor, user=user, secret=crypto.decrypt(user.totp_secret), code=code)
    except ValidationError as exc:
        raise ValidationError({"code": exc.error_list}) from None
    with transaction.atomic():
        user.totp_secret = ""
        user.totp_enabled_at = None
        user.totp_last_step = None
        user.save(update_fields=["totp_secret", "totp_enabled_at", "totp_last_step"])
        record_event(
            actor=actor,
            action=EventAction.SECURITY,
            target=user,
            changes={"two_factor": [True, False]},
        )


def check_login_code(*, actor: Actor, user: User, code: str) -> None:
    """Pass if ``code`` is ``user``'s two-factor code, not used before; otherwise raise
    ValidationError with code "wrong" or "used" (counted towards the account's limit) or
    "throttled" (too many wrong codes lately: nothing was checked; the message says until when).
    ``actor`` is the anonymous visitor who gave the password."""
    if not user.two_factor_enabled:
        raise PermissionDenied
    _accept_code(actor=actor, user=user, secret=crypto.decrypt(user.totp_secret), code=code)
