from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dangjian.accounts.models import User
from dangjian.accounts.roles import APPOINTED_ROLES, GRANT, GRANTABLE
from dangjian.accounts.selectors import AuditFilters, audited_types, staff_role_choices
from dangjian.core.actors import Actor
from dangjian.core.forms import DATE_WIDGET, EMPTY_CHOICE, SiteForm
from dangjian.core.models import EventAction
from dangjian.orgs.models import Organization, Region, ResidentUnit


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


class UserFilterForm(SiteForm):
    q = forms.CharField(label=_("Name or login name"), required=False, max_length=50)
    role = forms.ChoiceField(label=_("Role"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("active", _("Active")), ("inactive", _("Deactivated")), ("", _("All"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = [("", _("All roles")), *staff_role_choices()]


def node_choices(*, actor: Actor) -> list[tuple[str, Any]]:
    """The nodes where ``actor`` may give roles, grouped by tree: "region:<id>",
    "organization:<id>", "unit:<id>"; each indented by its depth below the actor's top."""
    groups: list[tuple[str, Any]] = []
    for key, label, queryset in (
        (
            "region",
            _("Communities and grids"),
            Region.objects.restrict(actor, GRANT).filter(closed_on=None).order_by("path"),
        ),
        (
            "organization",
            _("Party organisations"),
            Organization.objects.restrict(actor, GRANT).filter(closed_on=None).order_by("path"),
        ),
        (
            "unit",
            _("Resident units"),
            ResidentUnit.objects.restrict(actor, GRANT).filter(closed_on=None).order_by("name"),
        ),
    ):
        rows = list(queryset.values_list("pk", "name", *(("depth",) if key != "unit" else ())))
        if not rows:
            continue
        top = min((row[2] for row in rows), default=0) if key != "unit" else 0
        options = [(f"{key}:{row[0]}", "\u3000" * ((row[2] - top) if key != "unit" else 0) + row[1]) for row in rows]
        groups.append((str(label), options))
    return groups


def chosen_node(value: str) -> Any:
    """The node a ``node_choices`` value names (already checked to be one of the choices)."""
    kind, _sep, pk = value.partition(":")
    model = {"region": Region, "organization": Organization, "unit": ResidentUnit}[kind]
    return model._default_manager.get(pk=int(pk))


class GrantForm(SiteForm):
    role = forms.ChoiceField(label=_("Role"))
    node = forms.ChoiceField(
        label=pgettext_lazy("role grant", "Where"),
        help_text=_(
            "Admins and community roles are given at a community or grid; branch secretaries at their "
            "party organisation; liaisons at their resident unit."
        ),
    )
    starts_on = forms.DateField(label=pgettext_lazy("role grant", "From"), widget=DATE_WIDGET)
    ends_on = forms.DateField(
        label=_("Ends on"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("No rights from this day on. Leave empty for a post without an end date."),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=200, help_text=_("e.g. appointed at the community meeting of 3 December")
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("starts_on", actor.today)
        super().__init__(*args, **kwargs)
        mine = set().union(*(GRANTABLE.get(role, frozenset()) for role in actor.scope.roles))
        if actor.system or actor.scope.superuser:
            mine = set(APPOINTED_ROLES)
        cast(forms.ChoiceField, self.fields["role"]).choices = [
            ("", EMPTY_CHOICE),
            *((v, lab) for v, lab in staff_role_choices() if v in mine),
        ]
        cast(forms.ChoiceField, self.fields["node"]).choices = [("", EMPTY_CHOICE), *node_choices(actor=actor)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on <= starts_on:
            self.add_error("ends_on", _("The end date must be after the start date."))
        if data.get("node"):
            data["node"] = chosen_node(data["node"])
        return data


class AccountForm(GrantForm):
    username = forms.CharField(
        label=_("Login name"),
        max_length=40,
        help_text=_("3 to 40 letters, digits or . _ - (e.g. the pinyin of the name: zhangsan)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )
    display_name = forms.CharField(label=_("Full name"), max_length=50)

    field_order = ["display_name", "username", "role", "node", "starts_on", "ends_on", "reason"]


class EndGrantForm(SiteForm):
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE_WIDGET, help_text=_("Today: the rights end at once."))
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("e.g. left the post"))

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("ends_on", actor.today)
        super().__init__(*args, **kwargs)


class ActiveForm(SiteForm):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class LinkPasswordForm(SiteForm, SetPasswordForm):
    """The password a new (or reset) user chooses on their one-time link."""

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        for name in ("new_password1", "new_password2"):
            self.fields[name].widget.attrs["autocomplete"] = "new-password"


class AuditFilterForm(SiteForm):
    who = forms.CharField(label=_("Who (name or login name)"), required=False, max_length=50)
    action = forms.ChoiceField(label=_("Action"), required=False)
    target_type = forms.TypedChoiceField(label=_("Kind of record"), required=False, coerce=int, empty_value=None)
    target = forms.CharField(label=_("Record (name, number…)"), required=False, max_length=100)
    since = forms.DateField(label=_("From date"), required=False, widget=DATE_WIDGET)
    until = forms.DateField(label=_("To date"), required=False, widget=DATE_WIDGET)
    sensitive = forms.BooleanField(label=_("Only full numbers viewed, exports and downloads"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["action"]).choices = [("", _("All")), *EventAction.choices]
        cast(forms.ChoiceField, self.fields["target_type"]).choices = [
            ("", _("All")),
            *audited_types(),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("The end date cannot be before the start date."))
        return data


def audit_filters(params: QueryDict) -> tuple[AuditFilterForm, AuditFilters]:
    """The audit page's query string as a bound form and the filters it means (shared by the page
    and its export, so that the file holds exactly what the page listed)."""
    form = AuditFilterForm(params)
    if not form.is_valid():
        return form, AuditFilters()
    data = {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
    return form, AuditFilters(**data)


class SettingsForm(SiteForm):
    """One field per key the platform admin may change (accounts.configuration), and the reason."""

    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=200,
        required=False,
        help_text=_("Kept with each change in the audit log, e.g. the office's decision."),
    )

    def __init__(self, *args: Any, rows: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields.pop("reason")
        for row in rows:
            field_class = forms.FloatField if row.kind is float else forms.IntegerField
            self.fields[row.key.lower()] = field_class(
                label=row.label,
                required=False,
                min_value=row.low,
                max_value=row.high,
                initial=row.changed.value if row.changed is not None else None,
                help_text=_("%(help)s Empty: %(value)s (the deployment's value).")
                % {"help": row.help, "value": row.deployment},
            )
        self.fields["reason"] = reason
        self.rows = rows

    def values(self) -> dict[str, Any]:
        return {row.key: self.cleaned_data.get(row.key.lower()) for row in self.rows}
