from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from dangjian.accounts.models import User
from dangjian.core.forms import SiteForm


class LoginForm(SiteForm, AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.error_messages["invalid_login"] = _(
            "The username or password is not correct. After %(limit)s failed attempts the account is locked for a while."
        )

    def get_invalid_login_error(self) -> forms.ValidationError:
        from django.conf import settings

        return forms.ValidationError(
            self.error_messages["invalid_login"], code="invalid_login", params={"limit": settings.AXES_FAILURE_LIMIT}
        )


class ChangePasswordForm(SiteForm, PasswordChangeForm):
    """Django's form, with the old password checked by ``check_password`` (the service, which
    limits wrong guesses per account and raises ValidationError)."""

    def __init__(self, user: User, *args: Any, check_password: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.check_password = check_password

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data["old_password"]
        self.check_password(old_password)
        return old_password


class CodeForm(SiteForm):
    code = forms.CharField(
        label=_("6-digit code"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class DisableTwoFactorForm(CodeForm):
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
