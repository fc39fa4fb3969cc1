"""Writes for accounts: role grants and two-factor settings, each recorded as an Event."""

from typing import Any

import pyotp
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.roles import GRANT
from dangjian.core import crypto
from dangjian.core.access import allowed
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event


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


def verify_totp(secret: str, code: str) -> bool:
    code = "".join((code or "").split())
    return bool(secret) and code.isdigit() and pyotp.TOTP(secret).verify(code, valid_window=1)


def two_factor_enable(*, actor: Actor, secret: str, code: str) -> None:
    """Turn on the actor's two-factor login once their authenticator has shown ``code``."""
    user = _own_account(actor)
    if not verify_totp(secret, code):
        raise ValidationError(
            {"code": [_("The code is not correct. Check the time on your phone and try the newest code.")]}
        )
    with transaction.atomic():
        user.totp_secret = crypto.encrypt(secret)
        user.totp_enabled_at = timezone.now()
        user.save(update_fields=["totp_secret", "totp_enabled_at"])
        record_event(
            actor=actor,
            action=EventAction.SECURITY,
            target=user,
            changes={"two_factor": [False, True]},
        )


def two_factor_disable(*, actor: Actor, password: str, code: str) -> None:
    user = _own_account(actor)
    if not user.check_password(password or ""):
        raise ValidationError({"password": [_("The password is not correct.")]})
    if not verify_totp(crypto.decrypt(user.totp_secret), code):
        raise ValidationError({"code": [_("The code is not correct.")]})
    if not user.two_factor_enabled:
        raise PermissionDenied
    with transaction.atomic():
        user.totp_secret = ""
        user.totp_enabled_at = None
        user.save(update_fields=["totp_secret", "totp_enabled_at"])
        record_event(
            actor=actor,
            action=EventAction.SECURITY,
            target=user,
            changes={"two_factor": [True, False]},
        )


def check_login_code(*, user: User, code: str) -> bool:
    return user.two_factor_enabled and verify_totp(crypto.decrypt(user.totp_secret), code)
