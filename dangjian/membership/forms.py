"""Forms parse input; the rules (dates, scope, transitions) live in services."""

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import CREATE, VIEW, restrict
from dangjian.membership.selectors import MEMBER_AGE_BANDS, PARTY_AGE_BANDS, MemberFilters, specialty_tags
from dangjian.orgs.models import Organization, OrgKind
from dangjian.people.models import Education, Gender, MemberCategory, MembershipStatus, MemberStage
from dangjian.people.selectors import person_tags

DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
# A district has over a thousand branches and groups: a wide scope picks among committees.
WIDE_ORG_KINDS = (OrgKind.WORKING_COMMITTEE, OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH)


def _all(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


class MemberFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, max_length=50,
        widget=forms.TextInput(attrs={
            "type": "search", "autocomplete": "off",
            "placeholder": _("Name, pinyin initials, last 4 digits of mobile or ID number"),
        }),
    )  # fmt: skip
    org = forms.ModelChoiceField(label=_("Organisation"), required=False, queryset=None, empty_label=_("All"))
    stage = forms.ChoiceField(label=_("Stage"), required=False, choices=_all(list(MemberStage.choices)))
    category = forms.ChoiceField(label=_("Category"), required=False, choices=_all(list(MemberCategory.choices)))
    gender = forms.ChoiceField(label=_("Gender"), required=False, choices=_all(list(Gender.choices[:2])))
    age = forms.ChoiceField(
        label=_("Age"), required=False, choices=_all([(k, v[0]) for k, v in MEMBER_AGE_BANDS.items()])
    )
    party_age = forms.ChoiceField(
        label=_("Years as a full member"), required=False, choices=_all([(k, v[0]) for k, v in PARTY_AGE_BANDS.items()])
    )
    education = forms.ChoiceField(
        label=_("Education"), required=False, choices=_all([*Education.choices, ("none", _("Not recorded"))])
    )
    tag = forms.ModelChoiceField(label=_("Tag"), required=False, queryset=None, empty_label=_("All"))
    specialty = forms.ModelChoiceField(label=_("Specialty"), required=False, queryset=None, empty_label=_("All"))
    status = forms.ChoiceField(
        label=_("Membership status"), required=False, choices=_all(list(MembershipStatus.choices)),
        initial=MembershipStatus.NORMAL,
    )  # fmt: skip
    on = forms.DateField(
        label=_("Members on date"), required=False, widget=DATE_WIDGET,
        help_text=_("Who belonged to the organisation on that day (transfers taken into account)."),
    )  # fmt: skip

    def __init__(self, *args: Any, user: Any, wide: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        orgs = restrict(Organization.objects.all(), user, VIEW).order_by("path")
        self.fields["org"].queryset = orgs
        if wide:
            shown = list(orgs.filter(kind__in=WIDE_ORG_KINDS))
            chosen = self.data.get("org")
            if chosen and str(chosen).isdigit() and all(str(o.pk) != str(chosen) for o in shown):
                shown += list(orgs.filter(pk=chosen))
            self.fields["org"].widget.choices = [("", _("All")), *((o.pk, o.name) for o in shown)]
        self.fields["tag"].queryset = person_tags()
        self.fields["specialty"].queryset = specialty_tags()
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "input")


def member_filters(
    params: QueryDict, *, user: Any, wide: bool = False
) -> tuple[MemberFilterForm, MemberFilters, QueryDict]:
    """The roster's query string as a bound form, the filters it means and the query string with
    its defaults (members in good standing unless a status is chosen) — shared by the roster,
    the composition charts and the export, so each shows exactly the same members."""
    params = params.copy()
    if "status" not in params:
        params["status"] = MembershipStatus.NORMAL
    form = MemberFilterForm(params, user=user, wide=wide)
    filters = MemberFilters(**form.cleaned_data) if form.is_valid() else MemberFilters()
    return form, filters, params


class MemberForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=MemberStage.choices)
    category = forms.ChoiceField(label=_("Category"), choices=MemberCategory.choices)
    applied_on = forms.DateField(label=_("Applied on"), required=False, widget=DATE_WIDGET)
    joined_on = forms.DateField(
        label=_("Joined on"), widget=DATE_WIDGET, help_text=_("Date of the branch meeting that admitted the member.")
    )
    full_on = forms.DateField(
        label=_("Full membership on"), required=False, widget=DATE_WIDGET,
        help_text=_("Empty for a probationary member."),
    )  # fmt: skip
    specialties = forms.ModelMultipleChoiceField(
        label=_("Specialties and interests"), required=False, queryset=None, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(
        label=_("Reason for the change"), required=False, max_length=200,
        help_text=_("Optional; shown in the member's history."),
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["specialties"].queryset = specialty_tags()
        for field in self.fields.values():
            if not isinstance(field.widget, forms.CheckboxSelectMultiple | forms.HiddenInput):
                field.widget.attrs.setdefault("class", "input")


class MemberStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=MembershipStatus.choices)
    effective_on = forms.DateField(label=_("Effective on"), widget=DATE_WIDGET)
    reason = forms.CharField(
        label=_("Reason and decision"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. the branch meeting's resolution and the higher committee's approval."),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "input")


class ImportForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Import into"), queryset=None, empty_label=None,
        help_text=_("Rows name their own branch in the “所在党组织” column; it must be this organisation or one under it."),
    )  # fmt: skip
    file = forms.FileField(
        label=_("Roster file (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = restrict(
            Organization.objects.exclude(kind=OrgKind.GROUP), user, CREATE
        ).order_by("path")
        self.fields["organization"].widget.attrs["class"] = "input"
