"""What every form of the site shares: the ``input`` class, keyboards and autofill hints that fit
the field (WCAG 1.3.5), a drop-down's empty choice that reads as a prompt, and a message for an
empty required field that names the field ("Enter full name.", "Choose grid.")."""

from typing import Any, ClassVar, cast

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from django.forms.forms import DeclarativeFieldsMetaclass
from django.forms.utils import pretty_name
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangjian.core.validators import parse_id

EMPTY_CHOICE = _("Please choose…")
# How Django and hand-written choices say "nothing chosen"; each is shown as EMPTY_CHOICE.
BARE_EMPTY_LABELS = frozenset({"---------", "—"})
NOT_STYLED = (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.HiddenInput, forms.RadioSelect)
# Fields that ask for a mobile number: a telephone keypad on phones.
PHONE_FIELDS = frozenset({"phone", "mobile", "contact_phone"})
# On forms a person fills in about themself, the browser may fill these in (autocomplete tokens);
# on staff forms about someone else it must not offer the worker's own details.
ABOUT_SELF = {"phone": "tel", "mobile": "tel", "contact_name": "name", "address": "street-address"}
DJANGO_REQUIRED = forms.Field.default_error_messages["required"]  # "This field is required."


# A date picker that shows and reads ISO dates (what <input type="date"> sends).
DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def offered(form: forms.BaseForm, name: str) -> QuerySet:
    """The records ``form``'s field ``name`` offers (set by the form once the user is known)."""
    queryset = choosing(form, name).queryset
    if queryset is None:
        raise ImproperlyConfigured(f"the field {name} was given no records to offer")
    return queryset


class NodeChoiceField(forms.ModelChoiceField):
    """A node of a tree shown with its place: "和平街道党工委 › 红钢城社区党委" (load the parents:
    ``select_related("parent")``)."""

    def label_from_instance(self, obj: Any) -> str:
        parent = getattr(obj, "parent", None)
        return f"{parent.name} › {obj.name}" if parent is not None else obj.name


def choosing(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """``form``'s field ``name``, a choice of records (to set its queryset once the user is known)."""
    return cast(forms.ModelChoiceField, form.fields[name])


def in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: "Full name" → "full name"; an abbreviation keeps its
    capitals ("ID number"); Chinese is left as it is."""
    if label[:2].isupper():
        return label
    return label[:1].lower() + label[1:]


def _required_message(field: forms.Field, name: str) -> str:
    choose = isinstance(field, forms.ChoiceField | forms.FileField)

    def message() -> str:  # read when shown: in the language of the request, with the final label
        label = in_sentence(str(field.label or pretty_name(name)))
        return (gettext("Choose %(field)s.") if choose else gettext("Enter %(field)s.")) % {"field": label}

    return _read_when_shown(message)


# One lazy wrapper for every required message: lazy() builds a class on each call (0.2 ms, seven
# times per filter form), calling the wrapper only makes its proxy.
_read_when_shown = lazy(lambda message: message(), str)


class _IdsChecked:
    """Mixed into a form's fields of records: an id that cannot be one (too large for the database,
    not ASCII digits) is an invalid choice, never a query — SQLite raised OverflowError (a 500)
    for an id beyond 2⁶³. Ids are read by core.validators.parse_id, as everywhere."""

    def to_python(self, value: Any) -> Any:
        field = cast(forms.ModelChoiceField, self)
        if (
            not isinstance(field, forms.ModelMultipleChoiceField)
            and field.to_field_name is None
            and value not in field.empty_values
            and not isinstance(value, Model)
            and parse_id(value) is None
        ):
            raise forms.ValidationError(field.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)  # type: ignore[misc]

    def _check_values(self, value: Any) -> Any:
        field = cast(forms.ModelMultipleChoiceField, self)
        if field.to_field_name is None:
            for pk in value:
                if parse_id(pk) is None:
                    raise forms.ValidationError(
                        field.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                    )
        return super()._check_values(value)  # type: ignore[misc]


_CHECKED: dict[type, type] = {}


def _check_ids(field: forms.ModelChoiceField) -> None:
    kind = type(field)
    if issubclass(kind, _IdsChecked):
        return
    if kind not in _CHECKED:
        _CHECKED[kind] = type(kind.__name__, (_IdsChecked, kind), {"__module__": kind.__module__})
    field.__class__ = _CHECKED[kind]


def style_fields(form: forms.BaseForm, *, about_self: bool = False) -> None:
    """Give ``form``'s inputs the site's class, the keypad and autofill hints their names call
    for, a prompt as the empty choice of its drop-downs, and required messages that name the
    field (unless the form gave its own). Call it after the fields are final (``SiteForm`` does)."""
    for name, field in form.fields.items():
        widget = field.widget
        if field.error_messages.get("required") is DJANGO_REQUIRED and not isinstance(
            widget, forms.HiddenInput | forms.CheckboxInput
        ):
            field.error_messages["required"] = _required_message(field, name)
        if isinstance(field, forms.ModelChoiceField):
            _check_ids(field)
        if isinstance(field, forms.ModelChoiceField) and field.empty_label in BARE_EMPTY_LABELS:
            field.empty_label = EMPTY_CHOICE
        elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            choices: Any = field.choices
            field.choices = [
                (value, EMPTY_CHOICE if value == "" and label in BARE_EMPTY_LABELS else label)
                for value, label in choices
            ]
        if isinstance(widget, NOT_STYLED):
            continue
        widget.attrs.setdefault("class", "input")
        if name in PHONE_FIELDS:
            widget.attrs.setdefault("inputmode", "tel")
        if about_self and name in ABOUT_SELF:
            widget.attrs.setdefault("autocomplete", ABOUT_SELF[name])


class SiteFormMetaclass(DeclarativeFieldsMetaclass):
    """Runs ``style_fields`` on each new form once its own ``__init__`` (which may add, remove
    or adjust fields) has finished, so that no form of the site can forget it."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        form = super().__call__(*args, **kwargs)
        style_fields(form, about_self=form.about_self)
        return form


class SiteForm(forms.Form, metaclass=SiteFormMetaclass):
    """The base of the site's forms (see ``style_fields``). ``about_self``: a form a person fills
    in about themself, where the browser may offer their own name, mobile and address."""

    about_self: ClassVar[bool] = False
