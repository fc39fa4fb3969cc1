"""Login (with optional two-factor step), logout and the account security page."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dangjian.accounts import services
from dangjian.accounts.forms import ChangePasswordForm, CodeForm, DisableTwoFactorForm, LoginForm
from dangjian.accounts.models import User
from dangjian.core.actors import ActorRequest
from dangjian.core.views import submit

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
        "password_form": password_form,
        "code_form": code_form,
        "disable_form": disable_form,
        "setup_secret": setup_secret,
        "setup_qr": _qr_svg(services.totp_uri(user=user, secret=setup_secret, issuer=str(settings.UI_BRAND)))
        if setup_secret
        else "",
    }
    return render(request, "accounts/security.html", context)
