from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dangjian.core.forms import SiteForm, choosing
from dangjian.core.validators import validate_mobile
from dangjian.people.models import Tag, TagKind
from dangjian.servicedesk.models import Family, HandlingLevel, TimeUnit, parse_request_number


class CategoryForm(SiteForm):
    code = forms.SlugField(
        label=_("Code"), max_length=40, help_text=_("Letters, digits and hyphens; used by the API and never changed.")
    )
    name = forms.CharField(label=_("Name"), max_length=50)
    family = forms.ChoiceField(label=_("Family"), choices=Family.choices)
    description = forms.CharField(label=_("Description"), required=False, max_length=300)
    response_target = forms.IntegerField(label=_("First response within"), min_value=1)
    response_unit = forms.ChoiceField(label=_("Unit"), choices=TimeUnit.choices)
    resolution_target = forms.IntegerField(label=_("Resolution within"), min_value=1)
    resolution_unit = forms.ChoiceField(label=_("Unit"), choices=TimeUnit.choices)
    default_level = forms.ChoiceField(label=_("Handled by default at"), choices=HandlingLevel.choices)
    skills: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Skills needed"), required=False, queryset=Tag.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("Offered"), required=False, initial=True)
    sort_order = forms.IntegerField(label=_("Sort order"), min_value=0, initial=0)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choosing(self, "skills").queryset = Tag.objects.filter(kind=TagKind.SKILL)
        if editing:
            del self.fields["code"]


class CalendarDayForm(SiteForm):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    is_workday = forms.TypedChoiceField(
        label=_("The day is"),
        coerce=lambda v: v == "1",
        choices=[("0", _("a holiday (no business hours)")), ("1", _("a working day (调休 make-up day)"))],
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=100,
        help_text=_("E.g. 2027年春节 (国务院办公厅通知)."),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several optional files (the service checks their number, types and sizes)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [f for f in data if f]
        return [data] if data else []


def _categories() -> Any:
    from dangjian.servicedesk.models import ServiceCategory

    return ServiceCategory.objects.filter(is_active=True).order_by("family", "sort_order", "name")


class DeskForm(SiteForm):
    """The desk: a walk-in or a call recorded in under 30 seconds (five inputs at most)."""

    person = forms.IntegerField(required=False, widget=forms.HiddenInput)
    new_name = forms.CharField(label=_("Name (new person)"), required=False, max_length=50)
    phone = forms.CharField(label=_("Mobile"), required=False, max_length=20)
    address = forms.CharField(
        label=_("Address (new person)"),
        required=False,
        max_length=200,
        help_text=_("Kept on the person's record (and the household); asked once."),
    )
    category: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Service"), queryset=None)
    description = forms.CharField(label=_("What is needed"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=(("desk", _("Walk-in")), ("phone", _("Telephone"))),
        initial="desk",
        widget=forms.RadioSelect,
    )
    region: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Grid"),
        queryset=None,
        required=False,
        help_text=_(
            "Leave empty: the requester's own grid; for a new person, the grid of the same building, "
            "else the grid you work in."
        ),
    )

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choosing(self, "category").queryset = _categories()
        choosing(self, "region").queryset = regions
        for name in ("new_name", "phone", "address"):  # the requester's, not the worker's: never autofilled
            self.fields[name].widget.attrs["autocomplete"] = "off"


class CommunityGridField(forms.ModelChoiceField):
    """A grid shown with its community: "钢花村 · 第一网格"."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else str(obj.name)


class PersonNameField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ResidentRequestForm(SiteForm):
    """The resident's form (mobile-first). Without an account a mobile number is required."""

    about_self = True
    # The labels are questions: the messages for an empty field are the service's own.
    category: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("What do you need help with?"),
        queryset=None,
        error_messages={"required": _("Choose the service you need.")},
    )
    description = forms.CharField(
        label=_("Describe it"),
        max_length=2000,
        error_messages={"required": _("Describe what you need in a few words.")},
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": _("What happened, where, since when")}),
    )
    region = CommunityGridField(label=_("Your community"), queryset=None, required=False)
    address = forms.CharField(label=_("Address (optional)"), required=False, max_length=200)
    contact_name = forms.CharField(label=_("How should we address you? (optional)"), required=False, max_length=50)
    phone = forms.CharField(
        label=_("Mobile"),
        required=False,
        max_length=20,
        error_messages={"required": _("Leave a mobile number so that we can reach you.")},
    )
    attachments = MultipleFileField(label=_("Photos or files (optional, at most 5, JPG/PNG/PDF up to 5 MB)"))
    is_public = forms.BooleanField(
        label=_("Once it is resolved, the community may show it on the public board without my name or address."),
        required=False,
    )
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def __init__(self, *args: Any, regions: Any, anonymous: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choosing(self, "category").queryset = _categories()
        choosing(self, "region").queryset = regions
        if anonymous:
            self.fields["region"].required = True
            self.fields["phone"].required = True
            self.fields["phone"].help_text = _("Only staff handling your request see it.")
        else:
            self.fields["region"].help_text = _("Leave empty for the community where you live.")
            self.fields["phone"].help_text = _("Optional: a number to reach you if it is not the one we have.")


class FindRequestForm(SiteForm):
    """A resident finds their request again by its number and the mobile number left with it."""

    about_self = True

    number = forms.CharField(
        label=_("Request number"), max_length=30, help_text=_("As on the confirmation, e.g. 2026-0001234.")
    )
    phone = forms.CharField(label=_("Mobile"), max_length=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["number"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean_number(self) -> tuple[int | None, int]:
        found = parse_request_number(self.cleaned_data["number"])
        if found is None:
            raise forms.ValidationError(_("A request number looks like 2026-0001234."), code="invalid")
        return found

    def clean_phone(self) -> str:
        try:
            return validate_mobile(self.cleaned_data["phone"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages[0], code="invalid") from exc


class ReceptionForm(SiteForm):
    community: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Community"), queryset=None)
    representative = PersonNameField(
        label=_("Party representative"), queryset=None, help_text=_("A full party member living in the community.")
    )
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    place = forms.CharField(label=_("Place"), max_length=100)
    slots = forms.IntegerField(label=_("Places to book"), min_value=1, max_value=200, initial=10)
    note = forms.CharField(label=_("Topics welcome (optional)"), required=False, max_length=300)

    def __init__(self, *args: Any, communities: Any, representatives: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choosing(self, "community").queryset = communities
        choosing(self, "representative").queryset = representatives


class BookingForm(SiteForm):
    about_self = True
    topic = forms.CharField(
        label=_("What do you want to raise?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say in a few words what you want to raise.")},
    )
    contact_name = forms.CharField(label=_("How should we address you? (optional)"), required=False, max_length=50)
    phone = forms.CharField(
        label=_("Mobile"),
        required=False,
        max_length=20,
        error_messages={"required": _("Leave a mobile number so that we can reach you.")},
    )

    def __init__(self, *args: Any, anonymous: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not anonymous:
            del self.fields["contact_name"]
            del self.fields["phone"]
        else:
            self.fields["phone"].required = True
