"""Writes for accounts: role grants and two-factor settings, each recorded as an Event; and the
checks of a signed-in user's password and two-factor codes, which are limited per account."""

import datetime as dt
import hmac
import re
from typing import Any

import pyotp
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _

from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.roles import GRANT, Role, granters_of
from dangjian.core import crypto
from dangjian.core.access import NodeSet, Scope, minimal_paths, q_for
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event
from dangjian.core.ratelimit import Attempt, Budget


def node_fields(node: Any) -> dict[str, Any]:
    from dangjian.orgs.models import Organization, Region, ResidentUnit

    if isinstance(node, Region):
        return {"region": node}
    if isinstance(node, Organization):
        return {"organization": node}
    if isinstance(node, ResidentUnit):
        return {"unit": node}
    if node is None:
        return {}
    raise TypeError(f"a role is granted at a Region, Organization or ResidentUnit, not {type(node).__name__}")


def may_give(*, actor: Actor, role: str, node: Any) -> bool:
    """Whether ``actor`` may give (or end) ``role`` at ``node``: the role matrix (roles.GRANTABLE)
    says which of the actor's roles may give it, and the node must lie in the subtree of one of
    the actor's grants of such a role, in force today — never above the actor's own scope. The
    system and superusers may give any role anywhere. One query, two for a node outside a tree."""
    if actor.system or actor.scope.superuser:
        return True
    givers = granters_of(role)
    if actor.user is None or node is None or not givers:
        return False
    rows = (
        RoleGrant.objects.active(actor.today)
        .filter(user=actor.user, role__in=givers)
        .values_list("region__path", "organization__path", "unit_id")
    )
    regions, orgs, units = set(), set(), set()
    for region_path, org_path, unit_id in rows:
        if region_path:
            regions.add(region_path)
        elif org_path:
            orgs.add(org_path)
        elif unit_id:
            units.add(unit_id)
    nodes = NodeSet(region_paths=minimal_paths(regions), org_paths=minimal_paths(orgs), unit_ids=tuple(units))
    if not nodes:
        return False
    model = type(node)
    q = q_for(model, Scope(user_id=actor.user.pk, grants={GRANT: nodes}), GRANT)
    return q is None or model._default_manager.filter(q, pk=node.pk).exists()


def refusal_to_give(role: str, node: Any) -> ValidationError:
    return ValidationError(
        _(
            "You may not give the role %(role)s at %(node)s: only roles your own role may give, "
            "and only within your own area."
        )
        % {"role": Role(role).label, "node": node or "—"},
        code="not_yours",
    )


def grant_role(
    *,
    actor: Actor,
    user: User,
    role: str,
    node: Any = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    reason: str = "",
) -> RoleGrant:
    """Give ``user`` a role at ``node`` (a Region, Organization or ResidentUnit, or None for
    own-records roles) from ``starts_on`` (today by default) until ``ends_on`` (no rights from that
    day; None: until ended). The actor must be allowed by the role matrix (``may_give``);
    otherwise a ValidationError says so. Recorded as an event on the user, with the reason."""
    starts_on = starts_on or timezone.localdate()
    grant = RoleGrant(
        user=user,
        role=role,
        granted_by=actor.user,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip()[:200],
        **node_fields(node),
    )
    grant.clean()
    if getattr(node, "closed_on", None) is not None:
        raise ValidationError(_("%(node)s has been closed; no role can be given there.") % {"node": node})
    if ends_on is not None and ends_on <= starts_on:
        raise ValidationError({"ends_on": _("The end date must be after the start date.")})
    if not may_give(actor=actor, role=role, node=node):
        raise refusal_to_give(role, node)
    with transaction.atomic():
        grant.save()
        record_event(
            actor=actor,
            action=EventAction.GRANTED,
            target=user,
            changes={
                "role": [None, role],
                "node": [None, str(node) if node else ""],
                "starts_on": [None, starts_on.isoformat()],
                **({"ends_on": [None, ends_on.isoformat()]} if ends_on else {}),
            },
            reason=grant.reason,
        )
    return grant


def end_grant(*, actor: Actor, grant: RoleGrant, ends_on: dt.date | None = None, reason: str) -> RoleGrant:
    """End ``grant``: its holder has no rights from ``ends_on`` (today by default: at once) on. Who
    may give the role may end it; nobody ends their own grants (another admin does). A reason is
    required. The grant is kept, with its dates, for the record."""
    ends_on = ends_on or actor.today
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the role ends (e.g. left the post).")})
    if grant.user_id == actor.user_id and not actor.system:
        raise ValidationError(_("You cannot end your own role; ask another administrator."), code="own")
    if not may_give(actor=actor, role=grant.role, node=grant.node):
        raise refusal_to_give(grant.role, grant.node)
    if grant.revoked_at is not None or (grant.ends_on is not None and grant.ends_on <= actor.today):
        raise ValidationError(_("This role has already ended."), code="ended")
    if ends_on < actor.today:
        raise ValidationError({"ends_on": _("The end date cannot be in the past.")})
    if ends_on < grant.starts_on:
        raise ValidationError({"ends_on": _("The end date cannot be before the role starts.")})
    if grant.ends_on is not None and ends_on > grant.ends_on:
        raise ValidationError({"ends_on": _("A role can end earlier, not later: give a new role instead.")})
    with transaction.atomic():
        old = grant.ends_on
        if not RoleGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True, ends_on=old).update(
            ends_on=ends_on, ended_by=actor.user
        ):
            raise ValidationError(_("Someone else changed this role meanwhile; reload the page."), code="stale")
        grant.ends_on, grant.ended_by = ends_on, actor.user
        record_event(
            actor=actor,
            action=EventAction.REVOKED,
            target=grant.user,
            changes={
                "role": [grant.role, grant.role],
                "node": [str(grant.node or ""), str(grant.node or "")],
                "ends_on": [old.isoformat() if old else "", ends_on.isoformat()],
            },
            reason=reason.strip(),
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


class _SignInLinks(PasswordResetTokenGenerator):
    """One-time sign-in links: valid for PASSWORD_RESET_TIMEOUT, and spent as soon as the password
    is set (the hash includes it), the account signs in, or it is deactivated."""

    key_salt = "dangjian.accounts.sign_in_link"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        return super()._make_hash_value(user, timestamp) + str(user.is_active)


sign_in_links = _SignInLinks()

USERNAME = re.compile(r"[A-Za-z0-9_.\-]{3,40}")


def may_manage(*, actor: Actor, user: User) -> bool:
    """Whether ``actor`` may act on ``user``'s account (new sign-in link, deactivation): never
    on one's own or a superuser's; otherwise the actor must be able to give every role the user
    holds or will hold (else a secretary could lock out their own street admin)."""
    if actor.system:
        return True
    if user.pk == actor.user_id or user.is_superuser:
        return False
    # Roles at a node (the member and resident "roles" follow from the records: nobody gives them).
    grants = RoleGrant.objects.filter(user=user).exclude(region=None, organization=None, unit=None)
    grants = grants.select_related("region", "organization", "unit")
    not_ended = grants.filter(Q(ends_on__isnull=True) | Q(ends_on__gt=actor.today), revoked_at__isnull=True)
    held = list(not_ended) or list(grants.order_by("-starts_on", "-pk")[:1])
    return bool(held) and all(may_give(actor=actor, role=grant.role, node=grant.node) for grant in held)


def _issue_link(*, actor: Actor, user: User, first: bool) -> str:
    """The token of a new sign-in link for ``user``. A reset also makes the old password unusable."""
    if not first:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    record_event(
        actor=actor,
        action=EventAction.SECURITY,
        target=user,
        changes={"sign_in_link": [None, "issued"]},
        reason="" if first else _("new sign-in link; the old password no longer works"),
    )
    return sign_in_links.make_token(user)


def create_account(
    *,
    actor: Actor,
    username: str,
    display_name: str,
    role: str,
    node: Any,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    reason: str = "",
) -> tuple[User, str]:
    """A staff account with its first role, and the token of its one-time sign-in link (the new
    user chooses their password there). All or nothing: a refused grant leaves no account."""
    username = (username or "").strip()
    if not USERNAME.fullmatch(username):
        raise ValidationError(
            {"username": _("3 to 40 letters, digits or . _ - (e.g. the pinyin of the name: zhangsan).")}
        )
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This login name is taken; choose another.")})
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationError({"display_name": _("Enter the person's name as colleagues know it.")})
    with transaction.atomic():
        user = User(username=username, display_name=display_name[:50])
        user.set_unusable_password()
        user.save()
        grant_role(actor=actor, user=user, role=role, node=node, starts_on=starts_on, ends_on=ends_on, reason=reason)
        record_event(actor=actor, action=EventAction.CREATED, target=user, changes={"username": [None, username]})
        token = _issue_link(actor=actor, user=user, first=True)
    return user, token


def reissue_sign_in_link(*, actor: Actor, user: User) -> str:
    """A new one-time link for a user who forgot their password or never used the first: the old
    password stops working at once."""
    if not may_manage(actor=actor, user=user):
        raise PermissionDenied
    if not user.is_active:
        raise ValidationError(_("The account is deactivated; reactivate it first."), code="inactive")
    with transaction.atomic():
        return _issue_link(actor=actor, user=user, first=False)


def set_account_active(*, actor: Actor, user: User, active: bool, reason: str) -> None:
    """Deactivate (never delete) or reactivate an account, with a reason. A deactivated account
    loses its password (a reactivated one signs in again with a new sign-in link), cannot sign in, its open sessions end at their next request (the authentication backend
    refuses inactive users) and its sign-in links are void; its records and grants stay."""
    if not may_manage(actor=actor, user=user):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Say why (e.g. left the community office).")})
    if user.is_active == active:
        return
    with transaction.atomic():
        if not active:  # its password and every sign-in link stop working for good
            user.set_unusable_password()
        User.objects.filter(pk=user.pk).update(is_active=active, password=user.password)
        user.is_active = active
        record_event(
            actor=actor,
            action=EventAction.STATUS_CHANGED,
            target=user,
            changes={"is_active": [not active, active]},
            reason=reason.strip(),
        )


def user_from_link(uid: str, token: str) -> User | None:
    """The active user a sign-in link is for, if the link is still good."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not sign_in_links.check_token(user, token):
        return None
    return user


def set_password_from_link(*, actor: Actor, user: User, token: str, password: str) -> None:
    """The user of a good link chooses their password (which spends the link)."""
    if not sign_in_links.check_token(user, token):
        raise ValidationError(_("This link has been used or has expired. Ask your administrator for a new one."))
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        record_event(
            actor=actor, action=EventAction.SECURITY, target=user, changes={"sign_in_link": ["issued", "used"]}
        )
