"""Login (with optional two-factor step), logout, the account security page, and the
administration of staff accounts and their roles (with one-time sign-in links)."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import configuration, exports, selectors, services
from dangjian.accounts.forms import (
    AccountForm,
    ActiveForm,
    ChangePasswordForm,
    CodeForm,
    DisableTwoFactorForm,
    EndGrantForm,
    GrantForm,
    LinkPasswordForm,
    LoginForm,
    SettingsForm,
    UserFilterForm,
    audit_filters,
)
from dangjian.accounts.models import User
from dangjian.accounts.roles import GRANT
from dangjian.core.access import EXPORT
from dangjian.core.actors import ActorRequest
from dangjian.core.views import perform, start_list_export, submit

PENDING_USER = "pending_2fa_user"
PENDING_BACKEND = "pending_2fa_backend"
PENDING_NEXT = "pending_2fa_next"
SETUP_SECRET = "totp_setup_secret"  # noqa: S105 - a session key name


class SignInView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if user.two_factor_enabled:
            self.request.session.cycle_key()
            self.request.session[PENDING_USER] = user.pk
            self.request.session[PENDING_BACKEND] = user.backend
            self.request.session[PENDING_NEXT] = self.get_success_url()
            return redirect("accounts:login_code")
        return super().form_valid(form)


sign_in = login_not_required(SignInView.as_view())
sign_out = LogoutView.as_view()


@login_not_required
@require_http_methods(["GET", "POST"])
def login_code(request: ActorRequest) -> HttpResponse:
    """Second step of login for users with two-factor enabled. Wrong codes are limited per account
    (services.check_login_code), not per sign-in, and count towards the sign-in lockout too."""
    user_id = request.session.get(PENDING_USER)
    user = User.objects.filter(pk=user_id, is_active=True, totp_enabled_at__isnull=False).first() if user_id else None
    if user is None:
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    # Not through perform: a refusal may end the sign-in, and a wrong code is a failed login.
    if request.method == "POST" and form.is_valid():
        try:
            services.check_login_code(actor=request.actor, user=user, code=form.cleaned_data["code"])
        except ValidationError as refused:
            if refused.code == "throttled":  # nothing was checked: this sign-in ends here
                request.session.flush()
                messages.error(request, refused.messages[0])
                return redirect("accounts:login")
            # Counted by axes like a wrong password, for this username and address: once locked,
            # its middleware answers with the locked-out page instead of this one.
            user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
            form.add_error("code", refused)
        else:
            backend = request.session.get(PENDING_BACKEND, settings.AUTHENTICATION_BACKENDS[-1])
            next_url = request.session.get(PENDING_NEXT) or settings.LOGIN_REDIRECT_URL
            for key in (PENDING_USER, PENDING_BACKEND, PENDING_NEXT):
                request.session.pop(key, None)
            login(request, user, backend=backend)
            return redirect(next_url)
    return render(request, "accounts/login_code.html", {"form": form})


def _qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")


@require_http_methods(["GET", "POST"])
def security(request: ActorRequest) -> HttpResponse:
    """Password change and two-factor login for the signed-in user. The old password and the
    codes asked for here are limited per account (services.check_own_password, two_factor_*)."""
    user: User = request.user  # type: ignore[assignment]

    def check_password(password: str) -> None:
        services.check_own_password(actor=request.actor, password=password)

    password_form = ChangePasswordForm(user, check_password=check_password)
    code_form = CodeForm()
    disable_form = DisableTwoFactorForm()
    action = request.POST.get("action")
    if request.method == "POST" and action == "password":
        password_form = ChangePasswordForm(user, request.POST, check_password=check_password)
        if password_form.is_valid():
            password_form.save()
            update_session_auth_hash(request, password_form.user)
            messages.success(request, _("Your password has been changed."))
            return redirect("accounts:security")
    elif request.method == "POST" and action == "2fa_start" and not user.two_factor_enabled:
        request.session[SETUP_SECRET] = services.new_totp_secret()
        return redirect("accounts:security")
    elif request.method == "POST" and action == "2fa_confirm" and request.session.get(SETUP_SECRET):
        code_form = CodeForm(request.POST)
        if submit(
            request,
            code_form,
            lambda data: services.two_factor_enable(
                actor=request.actor, secret=request.session[SETUP_SECRET], code=data["code"]
            ),
            success=_("Two-factor login is on. You will be asked for a code when you sign in."),
        ):
            request.session.pop(SETUP_SECRET, None)
            return redirect("accounts:security")
    elif request.method == "POST" and action == "2fa_disable" and user.two_factor_enabled:
        disable_form = DisableTwoFactorForm(request.POST)
        if submit(
            request,
            disable_form,
            lambda data: services.two_factor_disable(actor=request.actor, password=data["password"], code=data["code"]),
            success=_("Two-factor login is off."),
        ):
            return redirect("accounts:security")
    setup_secret = request.session.get(SETUP_SECRET) if not user.two_factor_enabled else None
    context = {
        "two_factor_required": selectors.two_factor_required(actor=request.actor),
        "password_form": password_form,
        "code_form": code_form,
        "disable_form": disable_form,
        "setup_secret": setup_secret,
        "setup_qr": _qr_svg(services.totp_uri(user=user, secret=setup_secret, issuer=str(settings.UI_BRAND)))
        if setup_secret
        else "",
    }
    return render(request, "accounts/security.html", context)


# Account administration (who may: roles.GRANTABLE; which accounts: selectors.managed_users).

NEW_LINK = "accounts_new_link"  # the sign-in link just issued, shown once on the account's page


def _may_administer(request: ActorRequest) -> None:
    if not request.actor.scope.can(GRANT):
        raise Http404


def _remember_link(request: ActorRequest, user: User, token: str) -> None:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    url = request.build_absolute_uri(reverse("accounts:welcome", args=[uid, token]))
    request.session[NEW_LINK] = {"user": user.pk, "url": url}


def user_list(request: ActorRequest) -> HttpResponse:
    _may_administer(request)
    form = UserFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.UserFilters(
        q=data.get("q", ""), role=data.get("role", ""), status=data.get("status", "active") if data else "active"
    )
    page = selectors.users_page(actor=request.actor, filters=filters, number=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "accounts/user_list.html", {"form": form, "page": page, "query": query.urlencode()})


@require_http_methods(["GET", "POST"])
def user_new(request: ActorRequest) -> HttpResponse:
    _may_administer(request)
    form = AccountForm(request.POST or None, actor=request.actor)
    created = submit(
        request,
        form,
        lambda data: services.create_account(
            actor=request.actor,
            username=data["username"],
            display_name=data["display_name"],
            role=data["role"],
            node=data["node"],
            starts_on=data["starts_on"],
            ends_on=data.get("ends_on"),
            reason=data["reason"],
        ),
    )
    if created.value is not None:
        user, token = created.value
        _remember_link(request, user, token)
        messages.success(request, _("The account of %(name)s has been created.") % {"name": user})
        return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def user_detail(request: ActorRequest, pk: int) -> HttpResponse:
    """One account: its roles (in force, to come, ended), and what an admin may do with it."""
    _may_administer(request)
    account = selectors.managed_user(actor=request.actor, pk=pk)
    actor = request.actor
    action = request.POST.get("action") if request.method == "POST" else None
    grant_form = GrantForm(request.POST if action == "grant" else None, actor=actor, prefix="grant")
    active_form = ActiveForm(request.POST if action in ("deactivate", "reactivate") else None, prefix="active")
    end_forms: dict[int, EndGrantForm] = {}
    done = False
    if action == "grant":
        done = bool(
            submit(
                request,
                grant_form,
                lambda data: services.grant_role(
                    actor=actor,
                    user=account,
                    role=data["role"],
                    node=data["node"],
                    starts_on=data["starts_on"],
                    ends_on=data.get("ends_on"),
                    reason=data["reason"],
                ),
                success=_("The role has been given."),
            )
        )
    elif action == "end":
        grant = selectors.managed_grant(actor=actor, user=account, pk=_int(request.POST.get("grant")))
        form = end_forms[grant.pk] = EndGrantForm(request.POST, actor=actor, prefix=f"end{grant.pk}")
        done = bool(
            submit(
                request,
                form,
                lambda data: services.end_grant(
                    actor=actor, grant=grant, ends_on=data["ends_on"], reason=data["reason"]
                ),
                success=_("The role ends on the date given."),
            )
        )
    elif action in ("deactivate", "reactivate"):
        done = bool(
            submit(
                request,
                active_form,
                lambda data: services.set_account_active(
                    actor=actor, user=account, active=action == "reactivate", reason=data["reason"]
                ),
                success=_("The account has been deactivated.")
                if action == "deactivate"
                else _("The account has been reactivated."),
            )
        )
    elif action == "link":
        issued = perform(request, lambda: services.reissue_sign_in_link(actor=actor, user=account))
        if issued.value:
            _remember_link(request, account, issued.value)
            done = True
    if done:
        return redirect("accounts:user_detail", pk=account.pk)
    grants = selectors.account_grants(actor=actor, user=account)
    for grant in grants:
        grant.end_form = end_forms.get(grant.pk) or EndGrantForm(actor=actor, prefix=f"end{grant.pk}")  # type: ignore[attr-defined]
    link = request.session.pop(NEW_LINK, None)
    context = {
        "account": account,
        "grants": grants,
        "grant_form": grant_form,
        "active_form": active_form,
        "may_manage": services.may_manage(actor=actor, user=account),
        "new_link": link["url"] if link and link.get("user") == account.pk else "",
        "link_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        "events": selectors.account_events(actor=actor, user=account),
    }
    return render(request, "accounts/user_detail.html", context)


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Http404 from None


@login_not_required
@require_http_methods(["GET", "POST"])
def welcome(request: ActorRequest, uid: str, token: str) -> HttpResponse:
    """A one-time sign-in link: the new (or reset) user chooses a password, then signs in."""
    user = services.user_from_link(uid, token)
    if user is None:
        return render(request, "accounts/welcome.html", {"spent": True}, status=410)
    form = LinkPasswordForm(user, request.POST or None)
    if submit(
        request,
        form,
        lambda data: services.set_password_from_link(
            actor=request.actor, user=user, token=token, password=data["new_password1"]
        ),
        success=_("Your password is set. Sign in with your login name and the new password."),
    ):
        return redirect("accounts:login")
    return render(request, "accounts/welcome.html", {"form": form, "account": user})


def audit(request: ActorRequest) -> HttpResponse:
    """What the accounts an admin manages did: every change, every full number viewed, every export
    and download — filtered, paged, exportable."""
    _may_administer(request)
    form, filters = audit_filters(request.GET)
    page = selectors.audit_page(actor=request.actor, filters=filters, number=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "sees_all": selectors.sees_all_events(actor=request.actor),
        "can_export": request.actor.scope.can(EXPORT),
    }
    return render(request, "accounts/audit.html", context)


@require_POST
def audit_export(request: ActorRequest) -> HttpResponse:
    """Start an .xlsx export of the audit page as filtered; the job page shows its progress."""
    _may_administer(request)
    return start_list_export(request, exports.audit_export_start)


@require_http_methods(["GET", "POST"])
def settings_page(request: ActorRequest) -> HttpResponse:
    """The numbers a locality changes (core.conf.EDITABLE), for the platform admin: each value in
    force, where it comes from, who changed it last; a change needs a reason and is an event."""
    if not configuration.may_configure_platform(actor=request.actor):
        raise Http404
    rows = configuration.setting_rows(actor=request.actor)
    form = SettingsForm(request.POST or None, rows=rows)
    done = submit(
        request,
        form,
        lambda data: configuration.change_settings(actor=request.actor, values=form.values(), reason=data["reason"]),
    )
    if done.ok:
        if done.value:
            messages.success(request, _("Saved: %(n)s settings changed.") % {"n": len(done.value)})
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect("accounts:settings")
    pairs = [(row, form[row.key.lower()]) for row in rows]
    return render(request, "accounts/settings.html", {"form": form, "pairs": pairs})
