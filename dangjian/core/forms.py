"""What every form of the site shares: the ``input`` class, keyboards and autofill hints that fit
the field (WCAG 1.3.5), and a drop-down's empty choice that reads as a prompt."""

from typing import Any, cast

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

EMPTY_CHOICE = _("Please choose…")
NOT_STYLED = (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.HiddenInput, forms.RadioSelect)
# Fields that ask for a mobile number: a telephone keypad on phones.
PHONE_FIELDS = frozenset({"phone", "mobile", "contact_phone"})
# On forms a person fills in about themself, the browser may fill these in (autocomplete tokens);
# on staff forms about someone else it must not offer the worker's own details.
ABOUT_SELF = {"phone": "tel", "mobile": "tel", "contact_name": "name", "address": "street-address"}


def offered(form: forms.BaseForm, name: str) -> QuerySet:
    """The records ``form``'s field ``name`` offers (set by the form once the user is known)."""
    queryset = choosing(form, name).queryset
    if queryset is None:
        raise ImproperlyConfigured(f"the field {name} was given no records to offer")
    return queryset


def choosing(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """``form``'s field ``name``, a choice of records (to set its queryset once the user is known)."""
    return cast(forms.ModelChoiceField, form.fields[name])


def style_fields(form: forms.BaseForm, *, about_self: bool = False) -> None:
    """Give ``form``'s inputs the site's class, the keypad and autofill hints their names call
    for, and a prompt as the empty choice of its drop-downs. Call it after the fields are final."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, NOT_STYLED):
            continue
        widget.attrs.setdefault("class", "input")
        if name in PHONE_FIELDS:
            widget.attrs.setdefault("inputmode", "tel")
        if about_self and name in ABOUT_SELF:
            widget.attrs.setdefault("autocomplete", ABOUT_SELF[name])
        if isinstance(field, forms.ModelChoiceField) and field.empty_label == "---------":
            field.empty_label = EMPTY_CHOICE
        elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            choices: Any = field.choices
            field.choices = [(value, EMPTY_CHOICE if label == "---------" else label) for value, label in choices]
