"""Forms parse input; the domain rules (ID checks, scope, uniqueness) live in services."""

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.forms import DATE_WIDGET, EMPTY_CHOICE, SiteForm, choosing
from dangjian.core.validators import validate_id_number, validate_mobile
from dangjian.orgs.models import Organization
from dangjian.people.models import ETHNIC_GROUPS, Education, Gender, PersonStatus
from dangjian.people.selectors import (
    AGE_BANDS,
    HouseholdFilters,
    PeopleFilters,
    grid_choices,
    person_tags,
    region_choices,
)
from dangjian.people.services import eligible_for_committee


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id and obj.level == "grid" else obj.name


class PersonForm(SiteForm):
    name = forms.CharField(label=_("Full name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"),
        required=False,
        max_length=40,
        help_text=_("Optional. The date of birth and gender are read from it."),
    )
    phone = forms.CharField(label=_("Mobile"), required=False, max_length=20)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, initial=Gender.UNKNOWN, required=False)
    birth_date = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    ethnicity = forms.ChoiceField(
        label=_("Ethnicity"),
        required=False,
        choices=[("", EMPTY_CHOICE)] + [(e, e) for e in ETHNIC_GROUPS],
        initial="汉族",
    )
    education = forms.ChoiceField(
        label=_("Education"), required=False, choices=[("", EMPTY_CHOICE), *Education.choices]
    )
    region = RegionChoiceField(label=_("Grid"), queryset=None, empty_label=_("Choose a grid"))
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    household_address = forms.CharField(
        label=_("Household"),
        required=False,
        max_length=200,
        help_text=_(
            "The household's address: people of the same grid with the same household address form one "
            "household. Empty: in no household."
        ),
    )
    tags: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Tags"), required=False, queryset=None, widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=200,
        help_text=_("Optional; shown in the person's history."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, actor: Actor, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choosing(self, "region").queryset = grid_choices(actor=actor, action="create")
        choosing(self, "tags").queryset = person_tags()
        if not editing:
            del self.fields["reason"]
            del self.fields["version"]
        for name in ("id_number", "phone"):  # someone else's numbers: never autofilled
            self.fields[name].widget.attrs["autocomplete"] = "off"

    # Format checks run here too, so that every error shows at once; the service checks again.
    def clean_id_number(self) -> str:
        value = self.cleaned_data.get("id_number", "")
        return validate_id_number(value) if value.strip() else ""

    def clean_phone(self) -> str:
        value = self.cleaned_data.get("phone", "")
        return validate_mobile(value) if value.strip() else ""

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("reason", "version")}
        if data.get("gender") == "":
            data["gender"] = Gender.UNKNOWN
        return data


class StatusForm(SiteForm):
    status = forms.ChoiceField(label=_("New status"), choices=PersonStatus.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class PeopleFilterForm(SiteForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("Name, pinyin initials (zs), last 4 digits of mobile or ID number"),
                "type": "search",
                "autocomplete": "off",
            }
        ),
    )
    region = RegionChoiceField(label=_("Community / grid"), required=False, queryset=None, empty_label=_("All"))
    org: forms.ModelChoiceField = forms.ModelChoiceField(required=False, queryset=None, widget=forms.HiddenInput)
    tag: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Tag"), required=False, queryset=None, empty_label=_("All")
    )
    gender = forms.ChoiceField(label=_("Gender"), required=False, choices=[("", _("All")), *Gender.choices[:2]])
    age = forms.ChoiceField(
        label=_("Age"), required=False, choices=[("", _("All"))] + [(k, v[0]) for k, v in AGE_BANDS.items()]
    )
    member = forms.ChoiceField(
        label=_("Party member"),
        required=False,
        choices=[
            ("", _("All")),
            ("yes", _("Members only")),
            ("probationary", _("Probationary members")),
            ("no", _("Non-members only")),
        ],
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *PersonStatus.choices], initial=PersonStatus.ACTIVE
    )

    def __init__(self, *args: Any, actor: Actor, wide: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A street or district has hundreds of grids: offer its communities only.
        levels = ("community",) if wide else ("community", "grid")
        choosing(self, "region").queryset = region_choices(actor=actor, levels=levels)
        choosing(self, "tag").queryset = person_tags()
        choosing(self, "org").queryset = restrict(Organization.objects.all(), actor, VIEW)


def people_filters(
    params: QueryDict, *, actor: Actor, wide: bool = False
) -> tuple[PeopleFilterForm, PeopleFilters, QueryDict]:
    """The list's query string as a bound form, the filters it means, and the query string with
    its defaults (people living here unless a status is chosen) — shared by the list page and
    the export job so that an export contains exactly what the list showed."""
    params = params.copy()
    if "status" not in params:
        params["status"] = PersonStatus.ACTIVE
    form = PeopleFilterForm(params, actor=actor, wide=wide)
    filters = PeopleFilters(**form.cleaned_data) if form.is_valid() else PeopleFilters()
    return form, filters, params


class HouseholdFilterForm(SiteForm):
    q = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "autocomplete": "off", "placeholder": _("Part of the address")}
        ),
    )
    region = RegionChoiceField(label=_("Community / grid"), required=False, queryset=None, empty_label=_("All"))

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choosing(self, "region").queryset = region_choices(actor=actor, levels=("community", "grid"))

    def filters(self) -> HouseholdFilters:
        return HouseholdFilters(**self.cleaned_data) if self.is_valid() else HouseholdFilters()


def _member_label(person: Any) -> str:
    return gettext("%(name)s (%(organization)s)") % {
        "name": person.name,
        "organization": person.member.organization.name,
    }


class CommitteeMemberField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _member_label(obj)


class CommitteeMembersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _member_label(obj)


class TermForm(SiteForm):
    """A 换届 (people.services.record_term): the new term and the committee elected."""

    started_on = forms.DateField(label=_("Elected on"), widget=DATE_WIDGET)
    ends_on = forms.DateField(
        label=_("Term ends on"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Leave empty for the term of the rules: five years for a committee, three for a branch."),
    )
    secretary = CommitteeMemberField(label=_("Secretary"), queryset=None, empty_label=_("Choose the secretary"))
    deputies = CommitteeMembersField(
        label=_("Deputy secretaries"), required=False, queryset=None, widget=forms.CheckboxSelectMultiple
    )
    members = CommitteeMembersField(
        label=_("Committee members"), required=False, queryset=None, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=200, help_text=_("e.g. elected at the members' assembly")
    )

    def __init__(self, *args: Any, actor: Actor, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = (
            restrict(eligible_for_committee(organization), actor, VIEW)
            .select_related("member__organization")
            .order_by("name_pinyin", "pk")
        )
        for name in ("secretary", "deputies", "members"):
            choosing(self, name).queryset = people
