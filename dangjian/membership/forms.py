"""Forms parse input; the rules (dates, scope, transitions) live in services."""

from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.forms import DATE_WIDGET, EMPTY_CHOICE, SiteForm, choosing
from dangjian.core.validators import parse_id, validate_id_number
from dangjian.membership.dues import rules as dues
from dangjian.membership.models import DuesKind, Grade, Hardship, MobileDirection, PaymentMethod, ServiceCategory
from dangjian.membership.roster.selectors import MEMBER_AGE_BANDS, PARTY_AGE_BANDS, MemberFilters, specialty_tags
from dangjian.orgs.models import Organization, OrgKind
from dangjian.people.models import Education, Gender, Member, MemberCategory, MembershipStatus, MemberStage, Person
from dangjian.people.selectors import person_tags

# A district has over a thousand branches and groups: a wide scope picks among committees.
WIDE_ORG_KINDS = (OrgKind.WORKING_COMMITTEE, OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH)


def _all(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


class PersonByIdNumberForm(SiteForm):
    """A form that finds the person (in the user's scope) by the ``id_number`` field."""

    actor: Actor

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["person"] = _person_by_id_number(self, data.get("id_number", ""))
        return data


class MemberFilterForm(SiteForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("Name, pinyin initials, last 4 digits of mobile or ID number"),
            }
        ),
    )
    org: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Organisation"), required=False, queryset=None, empty_label=_("All")
    )
    stage = forms.ChoiceField(label=_("Stage"), required=False, choices=_all(list(MemberStage.choices)))
    category = forms.ChoiceField(label=_("Category"), required=False, choices=_all(list(MemberCategory.choices)))
    gender = forms.ChoiceField(label=_("Gender"), required=False, choices=_all(list(Gender.choices)))
    age = forms.ChoiceField(
        label=_("Age"), required=False, choices=_all([(k, v[0]) for k, v in MEMBER_AGE_BANDS.items()])
    )
    party_age = forms.ChoiceField(
        label=_("Years as a full member"), required=False, choices=_all([(k, v[0]) for k, v in PARTY_AGE_BANDS.items()])
    )
    education = forms.ChoiceField(
        label=_("Education"), required=False, choices=_all([*Education.choices, ("none", _("Not recorded"))])
    )
    tag: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Tag"), required=False, queryset=None, empty_label=_("All")
    )
    specialty: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Specialty"), required=False, queryset=None, empty_label=_("All")
    )
    status = forms.ChoiceField(
        label=_("Membership status"),
        required=False,
        choices=_all(list(MembershipStatus.choices)),
        initial=MembershipStatus.NORMAL,
    )
    on = forms.DateField(
        label=_("Members on date"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Who belonged to the organisation on that day (transfers taken into account)."),
    )

    def __init__(self, *args: Any, actor: Actor, wide: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        orgs = restrict(Organization.objects.all(), actor, VIEW).order_by("path")
        choosing(self, "org").queryset = orgs
        if wide:
            shown = list(orgs.filter(kind__in=WIDE_ORG_KINDS))
            chosen = parse_id(self.data.get("org"))
            if chosen is not None and all(o.pk != chosen for o in shown):
                shown += list(orgs.filter(pk=chosen))
            self.fields["org"].widget.choices = [("", _("All")), *((o.pk, o.name) for o in shown)]
        choosing(self, "tag").queryset = person_tags()
        choosing(self, "specialty").queryset = specialty_tags()


def member_filters(
    params: QueryDict, *, actor: Actor, wide: bool = False
) -> tuple[MemberFilterForm, MemberFilters, QueryDict]:
    """The roster's query string as a bound form, the filters it means and the query string with
    its defaults (members in good standing unless a status is chosen) — shared by the roster,
    the composition charts and the export, so each shows exactly the same members."""
    params = params.copy()
    if "status" not in params:
        params["status"] = MembershipStatus.NORMAL
    form = MemberFilterForm(params, actor=actor, wide=wide)
    filters = MemberFilters(**form.cleaned_data) if form.is_valid() else MemberFilters()
    return form, filters, params


class MemberForm(SiteForm):
    stage = forms.ChoiceField(label=_("Stage"), choices=MemberStage.choices)
    category = forms.ChoiceField(label=_("Category"), choices=MemberCategory.choices)
    applied_on = forms.DateField(label=_("Applied on"), required=False, widget=DATE_WIDGET)
    joined_on = forms.DateField(
        label=_("Joined on"), widget=DATE_WIDGET, help_text=_("Date of the branch meeting that admitted the member.")
    )
    full_on = forms.DateField(
        label=_("Full membership on"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Empty for a probationary member."),
    )
    specialties: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Specialties and interests"), required=False, queryset=None, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=200,
        help_text=_("Optional; shown in the member's history."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choosing(self, "specialties").queryset = specialty_tags()


class MemberStatusForm(SiteForm):
    # A transfer out of the system is recorded through the transfer, not here.
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[c for c in MembershipStatus.choices if c[0] != MembershipStatus.TRANSFERRED_OUT],
    )
    effective_on = forms.DateField(label=_("Effective on"), widget=DATE_WIDGET)
    reason = forms.CharField(
        label=_("Reason and decision"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. the branch meeting's resolution and the higher committee's approval."),
    )


def month_choices(today: Any, back: int = 24, ahead: int = 0) -> list[tuple[str, str]]:
    current = dues.month_start(today)
    months = [dues.add_months(current, offset) for offset in range(ahead, -back - 1, -1)]
    return [(f"{m:%Y-%m}", date_format(m, "YEAR_MONTH_FORMAT")) for m in months]


class MonthField(forms.CharField):
    """A month as YYYY-MM (the first day of the month as a date)."""

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if not value:
            return None
        month = dues.parse_month(value)
        if month is None:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-11."))
        return month


class DuesBillForm(SiteForm):
    org: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Organisation"), required=False, queryset=None, empty_label=None
    )
    month = MonthField(label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month"}))

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choosing(self, "org").queryset = restrict(
            Organization.objects.exclude(kind=OrgKind.GROUP), actor, VIEW
        ).order_by("path")


class DuesAssessForm(SiteForm):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label=_("Basis"), choices=DuesKind.choices)
    base = forms.DecimalField(
        label=_("Monthly salary or pension after tax (yuan)"),
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=10,
    )
    monthly = forms.DecimalField(
        label=_("Monthly dues (yuan)"),
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=8,
        help_text=_("Leave empty to use the rules; a lower amount is a reduction and needs the approval below."),
    )
    reduction_reason = forms.CharField(label=_("Reason for the reduction"), required=False, max_length=200)
    reduction_approved_by = forms.CharField(
        label=_("Reduction approved by"),
        required=False,
        max_length=100,
        help_text=_("E.g. 红钢城社区党委 (meeting of 2026-03-05)."),
    )


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.person.name)


class DuesPaymentForm(SiteForm):
    months = forms.MultipleChoiceField(label=_("Months paid"), choices=(), widget=forms.CheckboxSelectMultiple)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices, initial=PaymentMethod.CASH)
    paid_by = MemberChoiceField(
        label=_("Paid by (代缴)"), required=False, queryset=None, help_text=_("Only when another member paid.")
    )
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE_WIDGET)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args: Any, member: Any, unpaid: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["months"]).choices = unpaid
        choosing(self, "paid_by").queryset = (
            Member.objects.filter(organization_id=member.organization_id, status=MembershipStatus.NORMAL)
            .exclude(pk=member.pk)
            .select_related("person")
            .order_by("person__name_pinyin")
        )

    def clean_months(self) -> list[Any]:
        return [dues.parse_month(value) for value in self.cleaned_data["months"]]


class VoidForm(SiteForm):
    reason = forms.CharField(label=_("Reason for voiding"), max_length=200)


class TransferForm(SiteForm):
    to_organization: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Receiving organisation in the system"),
        required=False,
        queryset=None,
        help_text=_("Leave empty for an organisation outside the system and name it below."),
    )
    external_organization = forms.CharField(label=_("Organisation outside the system"), required=False, max_length=200)
    external_contact = forms.CharField(label=_("Its address and telephone"), required=False, max_length=200)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any branch in the system may receive (only its name is shown).
        choosing(self, "to_organization").queryset = Organization.objects.exclude(kind=OrgKind.GROUP).order_by("path")


class IncomingTransferForm(PersonByIdNumberForm):
    id_number = forms.CharField(
        label=_("ID number of the member"),
        max_length=40,
        help_text=_("Register the person first (People → Register a person) if they are not recorded yet."),
    )
    to_organization: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Receiving organisation"), queryset=None)
    external_organization = forms.CharField(label=_("Letter from (organisation)"), max_length=200)
    serial_number = forms.CharField(label=_("Letter number"), required=False, max_length=32)
    stage = forms.ChoiceField(label=_("Stage"), choices=MemberStage.choices)
    category = forms.ChoiceField(label=_("Category"), choices=MemberCategory.choices)
    joined_on = forms.DateField(label=_("Joined on"), widget=DATE_WIDGET)
    full_on = forms.DateField(label=_("Full membership on"), required=False, widget=DATE_WIDGET)
    dues_paid_until = MonthField(
        label=_("Dues paid until"), required=False, widget=forms.TextInput(attrs={"type": "month"})
    )
    valid_until = forms.DateField(label=_("Letter valid until"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        choosing(self, "to_organization").queryset = restrict(
            Organization.objects.exclude(kind=OrgKind.GROUP), actor, "change"
        ).order_by("path")


class TransferActionForm(SiteForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    effective_on = forms.DateField(label=_("Received on"), required=False, widget=DATE_WIDGET)


class CandidateStartForm(PersonByIdNumberForm):
    id_number = forms.CharField(
        label=_("ID number of the applicant"),
        max_length=40,
        help_text=_("Register the person first (People → Register a person) if they are not recorded yet."),
    )
    organization: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Party branch"), queryset=None)
    applied_on = forms.DateField(label=_("Application submitted on"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        choosing(self, "organization").queryset = restrict(
            Organization.objects.filter(kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)), actor, "change"
        ).order_by("path")


def _person_by_id_number(form: forms.Form, raw: str) -> Any:
    """The person in the user's scope with this ID number, or a form error on ``id_number``."""
    from dangjian.people.selectors import search_filter

    if not raw:
        return None
    try:
        number = validate_id_number(raw)
    except forms.ValidationError as exc:
        form.add_error("id_number", exc)
        return None
    found = restrict(Person.objects.filter(search_filter(number)), form.actor, "view").first()  # type: ignore[attr-defined]
    if found is None:
        form.add_error(
            "id_number", _("No person with this ID number is recorded in your area; register the person first.")
        )
    return found


class StepForm(SiteForm):
    done_on = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    responsible = forms.CharField(label=_("Responsible"), required=False, max_length=100)
    opinion = forms.CharField(label=_("Opinion"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    publicity_from = forms.DateField(label=_("Public notice from"), required=False, widget=DATE_WIDGET)
    publicity_to = forms.DateField(label=_("Public notice until"), required=False, widget=DATE_WIDGET)
    hours = forms.IntegerField(label=_("Training hours"), required=False, min_value=0, max_value=1000)
    people: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Members"),
        required=False,
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Full members of the branch."),
    )
    attachment = forms.FileField(
        label=_("Attachment (PDF, JPG or PNG, at most 10 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args: Any, step: Any, organization: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not step.publicity:
            del self.fields["publicity_from"], self.fields["publicity_to"]
        if not step.hours:
            del self.fields["hours"]
        if step.people:
            choosing(self, "people").queryset = Person.objects.filter(
                member__organization__path__startswith=organization.path,
                member__stage=MemberStage.FULL,
                member__status=MembershipStatus.NORMAL,
            ).order_by("name_pinyin")
            self.fields["people"].label = _("Contact members") if step.people == "contacts" else _("Introducers")
        else:
            del self.fields["people"]


class MobileForm(PersonByIdNumberForm):
    id_number = forms.CharField(label=_("ID number of the member"), max_length=40)
    direction = forms.ChoiceField(label=_("Direction of movement"), choices=MobileDirection.choices)
    organization: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Responsible organisation"), queryset=None)
    place = forms.CharField(label=_("Destination or origin"), max_length=200)
    other_organization = forms.CharField(label=_("Party organisation there"), required=False, max_length=200)
    contact_note = forms.CharField(label=_("How to keep in touch"), required=False, max_length=200)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=100)
    started_on = forms.DateField(label=_("Since"), widget=DATE_WIDGET)
    expected_return_on = forms.DateField(label=_("Expected back"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        choosing(self, "organization").queryset = restrict(
            Organization.objects.exclude(kind=OrgKind.GROUP), actor, "change"
        ).order_by("path")


class ReportForm(SiteForm):
    community: forms.ModelChoiceField = forms.ModelChoiceField(label=_("The community where you live"), queryset=None)
    workplace = forms.CharField(label=_("Your workplace and its party organisation"), max_length=200)
    categories = forms.MultipleChoiceField(
        label=_("Services you can offer"), choices=ServiceCategory.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from dangjian.orgs.models import Region, RegionLevel

        choosing(self, "community").queryset = Region.objects.filter(level=RegionLevel.COMMUNITY).order_by("path")


class CareCaseForm(SiteForm):
    hardship = forms.ChoiceField(label=_("Hardship"), choices=Hardship.choices)
    description = forms.CharField(label=_("Situation"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    registered_on = forms.DateField(label=_("Registered on"), widget=DATE_WIDGET)


class CareVisitForm(SiteForm):
    visited_on = forms.DateField(label=_("Visited on"), widget=DATE_WIDGET)
    visitors = forms.CharField(label=_("Visited by"), max_length=200)
    occasion = forms.CharField(label=_("Occasion"), required=False, max_length=100)
    money = forms.DecimalField(label=_("Money given (yuan)"), required=False, min_value=0, decimal_places=2)
    goods = forms.CharField(label=_("Goods given"), required=False, max_length=200)
    note = forms.CharField(
        label=_("What was said and needed"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AppraisalForm(SiteForm):
    self_assessment = forms.CharField(
        label=_("Self-assessment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    votes_excellent = forms.IntegerField(label=_("Excellent"), min_value=0, initial=0)
    votes_qualified = forms.IntegerField(label=_("Qualified"), min_value=0, initial=0)
    votes_basic = forms.IntegerField(label=_("Basically qualified"), min_value=0, initial=0)
    votes_unqualified = forms.IntegerField(label=_("Unqualified"), min_value=0, initial=0)
    grade = forms.ChoiceField(label=_("Branch grade"), required=False, choices=[("", EMPTY_CHOICE), *Grade.choices])
    grade_note = forms.CharField(label=_("Note on the grade"), required=False, max_length=200)
    confirm_excess = forms.BooleanField(
        label=_("The branch decided on more than a third excellent (say why in the note)"), required=False
    )


class MemberCreateForm(PersonByIdNumberForm):
    """Record the membership of a person already registered (e.g. from the paper files)."""

    id_number = forms.CharField(
        label=_("ID number"),
        max_length=40,
        help_text=_("Register the person first (People → Register a person) if they are not recorded yet."),
    )
    organization: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Party organisation"), queryset=None)
    stage = forms.ChoiceField(label=_("Stage"), choices=MemberStage.choices)
    category = forms.ChoiceField(label=_("Category"), choices=MemberCategory.choices)
    applied_on = forms.DateField(label=_("Applied on"), required=False, widget=DATE_WIDGET)
    joined_on = forms.DateField(
        label=_("Joined on"), widget=DATE_WIDGET, help_text=_("Date of the branch meeting that admitted the member.")
    )
    full_on = forms.DateField(label=_("Full membership on"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        choosing(self, "organization").queryset = restrict(
            Organization.objects.exclude(kind=OrgKind.GROUP), actor, "create"
        ).order_by("path")
