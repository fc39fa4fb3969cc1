from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.people.models import Tag, TagKind
from dangjian.servicedesk.models import Family, HandlingLevel, TimeUnit


class CategoryForm(forms.Form):
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
    skills = forms.ModelMultipleChoiceField(
        label=_("Skills needed"), required=False, queryset=Tag.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("Offered"), required=False, initial=True)
    sort_order = forms.IntegerField(label=_("Sort order"), min_value=0, initial=0)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skills"].queryset = Tag.objects.filter(kind=TagKind.SKILL)
        if editing:
            del self.fields["code"]
        for field in self.fields.values():
            if not isinstance(field.widget, forms.CheckboxSelectMultiple | forms.CheckboxInput | forms.HiddenInput):
                field.widget.attrs.setdefault("class", "input")


class CalendarDayForm(forms.Form):
    day = forms.DateField(
        label=_("Date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "input"})
    )
    is_workday = forms.TypedChoiceField(
        label=_("The day is"), coerce=lambda v: v == "1",
        choices=[("0", _("a holiday (no business hours)")), ("1", _("a working day (调休 make-up day)"))],
        widget=forms.Select(attrs={"class": "input"}),
    )  # fmt: skip
    note = forms.CharField(
        label=_("Note"), required=False, max_length=100, widget=forms.TextInput(attrs={"class": "input"}),
        help_text=_("E.g. 2027年春节 (国务院办公厅通知)."),
    )  # fmt: skip
