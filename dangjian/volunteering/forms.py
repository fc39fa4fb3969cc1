"""Forms of the volunteering pages; the rules live in volunteering.services.

A form that names a person (a team member, a volunteer whose time is recorded, a donor) has a
search box (``who``: a name, pinyin, the mobile's last four digits) and, once the search has found
several, a choice among them (``person``): ``PersonPicking``."""

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.activities.models import Activity, ActivityStatus
from dangjian.core.access import CREATE, VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.forms import NodeChoiceField, SiteForm, choosing
from dangjian.membership.models import ServiceCategory as JobCategory
from dangjian.orgs.models import Organization, Region, RegionLevel
from dangjian.people.models import Person
from dangjian.people.selectors import find_people
from dangjian.servicedesk.models import Family, ServiceCategory, ServiceRequest, parse_request_number
from dangjian.volunteering.models import Team


def _moment_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})


class PersonPicking(SiteForm):
    """A form with a person found by a search box. ``clean`` sets ``cleaned_data["person"]`` to the
    one person the search (or the choice among several) names, or says why it cannot."""

    who = forms.CharField(
        label=_("Find the person"),
        max_length=50,
        help_text=_("A name, its pinyin initials or the last four digits of the mobile."),
    )
    person = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.candidates: list[Person] = []

    def search(self, query: str) -> list[Person]:
        return find_people(actor=self.actor, query=query)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = data.get("person")
        query = data.get("who") or ""
        if not query:
            return data
        self.candidates = self.search(query)
        match = [p for p in self.candidates if p.pk == chosen] if chosen else []
        if not match and len(self.candidates) == 1:
            match = self.candidates
        if match:
            data["person"] = match[0]
        elif not self.candidates:
            self.add_error("who", _("Nobody you may see matches “%(query)s”.") % {"query": query})
        else:
            self.add_error("who", _("Several people match; choose one below."))
        return data


class VolunteerPicking(PersonPicking):
    """Finds also the members reporting to the actor's communities who live elsewhere (双报到)."""

    def search(self, query: str) -> list[Person]:
        from dangjian.volunteering.selectors import find_volunteers

        return find_volunteers(actor=self.actor, query=query)


class TeamForm(SiteForm):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("e.g. the legal aid volunteer team of the community")
    )
    region = NodeChoiceField(label=_("Community or street"), queryset=None)
    specialty: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Specialty"),
        queryset=None,
        help_text=_("The service of the catalogue it offers: requests of this service suggest the team."),
    )
    organization = NodeChoiceField(label=_("Party organisation"), queryset=None, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    shows_totals = forms.BooleanField(label=_("Show the team's totals to its members"), required=False, initial=True)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = restrict(Region.objects.filter(closed_on=None), actor, CREATE).filter(
            level__in=(RegionLevel.COMMUNITY, RegionLevel.STREET)
        )
        choosing(self, "region").queryset = regions.select_related("parent").order_by("path")
        only = list(regions.values_list("pk", flat=True)[:2])
        if len(only) == 1:
            self.fields["region"].initial = only[0]
        choosing(self, "specialty").queryset = ServiceCategory.objects.filter(is_active=True).order_by(
            # the 便民服务 family first: the specialties of volunteer teams
            models_family_first(),
            "sort_order",
            "name",
        )
        choosing(self, "organization").queryset = (
            restrict(Organization.objects.filter(closed_on=None), actor, VIEW).select_related("parent").order_by("path")
        )


def models_family_first() -> Any:
    return Case(When(family=Family.CONVENIENCE, then=Value(0)), default=Value(1), output_field=IntegerField())


class MemberForm(VolunteerPicking):
    pass


class PostForm(SiteForm):
    title = forms.CharField(
        label=_("Title"), max_length=120, help_text=_("e.g. weekend stairwell cleaning, legal advice desk")
    )
    region = NodeChoiceField(label=_("Community"), queryset=None)
    category = forms.ChoiceField(label=_("Job category"), choices=JobCategory.choices)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    place = forms.CharField(label=_("Place"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=_moment_widget())
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=_moment_widget())
    places = forms.IntegerField(label=_("People needed"), min_value=1, max_value=1000, initial=2)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = restrict(Region.objects.filter(closed_on=None, level=RegionLevel.COMMUNITY), actor, CREATE)
        choosing(self, "region").queryset = regions.select_related("parent").order_by("path")
        only = list(regions.values_list("pk", flat=True)[:2])
        if len(only) == 1:
            self.fields["region"].initial = only[0]
        choosing(self, "team").queryset = restrict(Team.objects.filter(dissolved_on=None), actor, VIEW).order_by("name")


class ReasonForm(SiteForm):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class DecideForm(SiteForm):
    confirm = forms.BooleanField(required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class UnitClaimForm(SiteForm):
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class WishForm(SiteForm):
    title = forms.CharField(
        label=_("The wish"),
        max_length=120,
        help_text=_("e.g. a radio; someone to go with me to a check-up at the hospital"),
    )
    description = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    shown_to_members = forms.BooleanField(
        label=_("The party members of the community may see this wish (without my name) and offer to fulfil it."),
        required=False,
    )


class StaffWishForm(PersonPicking, WishForm):
    """The staff record a wish on a resident's behalf."""

    field_order = ["who", "person", "title", "description", "shown_to_members"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["who"].label = _("Resident")
        self.fields["shown_to_members"].label = _(
            "The resident agrees that the party members of the community see this wish (without the name)."
        )


class AssignWishForm(VolunteerPicking):
    """The staff assign an open wish to a member who offered to fulfil it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["who"].label = _("Who will fulfil it")


class FulfilForm(SiteForm):
    note = forms.CharField(label=_("What was done"), max_length=300)
    started_at = forms.DateTimeField(label=_("Start time"), required=False, widget=_moment_widget())
    ended_at = forms.DateTimeField(
        label=_("End time"),
        required=False,
        widget=_moment_widget(),
        help_text=_("The time it took counts once the resident confirms."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("started_at")) != bool(data.get("ended_at")):
            self.add_error("ended_at", _("Give both the start and the end, or neither."))
        return data


class ConfirmWishForm(SiteForm):
    fulfilled = forms.TypedChoiceField(
        label=_("Was your wish fulfilled?"),
        coerce=lambda value: value == "yes",
        choices=[("yes", _("Yes, it was fulfilled")), ("no", _("No, not fulfilled yet"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("How the resident answered"), max_length=200, required=False)


class ActivityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{timezone.localtime(obj.starts_at):%Y-%m-%d} {obj.title} · {obj.region.name}"


class RecordForm(VolunteerPicking):
    """The organiser records someone's verified service."""

    community = NodeChoiceField(label=_("Community served"), queryset=None)
    started_at = forms.DateTimeField(label=_("Start time"), widget=_moment_widget())
    ended_at = forms.DateTimeField(label=_("End time"), widget=_moment_widget())
    minutes = forms.IntegerField(
        label=_("Minutes served"),
        required=False,
        min_value=1,
        max_value=24 * 60,
        help_text=_("Empty: the whole time from start to end."),
    )
    description = forms.CharField(label=_("What was done"), max_length=300)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    activity = ActivityChoiceField(
        label=_("Activity (if it was help at one)"), queryset=Activity.objects.none(), required=False
    )
    request_number = forms.CharField(
        label=_("Request number (if it was a request)"),
        max_length=30,
        required=False,
        help_text=_("A request dispatched to this volunteer, e.g. 2026-0001234: its hours count once."),
    )

    def clean_request_number(self) -> ServiceRequest | None:
        text = self.cleaned_data.get("request_number") or ""
        if not text.strip():
            return None
        parsed = parse_request_number(text)
        found = (
            restrict(ServiceRequest.objects.all(), self.actor, VIEW).filter(pk=parsed[1]).first() if parsed else None
        )
        if found is None or (parsed and parsed[0] and found.submitted_at.year != parsed[0]):
            raise forms.ValidationError(_("No request of yours has this number."))
        return found

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        from dangjian.volunteering.selectors import community_choices

        communities = community_choices(actor=actor)
        choosing(self, "community").queryset = communities.select_related("parent")
        only = list(communities.values_list("pk", flat=True)[:2])
        if len(only) == 1:
            self.fields["community"].initial = only[0]
        choosing(self, "team").queryset = restrict(Team.objects.filter(dissolved_on=None), actor, VIEW).order_by("name")
        # The activities of the last three months in the communities one records for, the latest first.
        since = actor.now - dt.timedelta(days=92)
        choosing(self, "activity").queryset = (
            restrict(
                Activity.objects.filter(region__in=communities, starts_at__gte=since, starts_at__lte=actor.now).exclude(
                    status=ActivityStatus.CANCELLED
                ),
                actor,
                VIEW,
            )
            .select_related("region")
            .order_by("-starts_at")
        )


class SubmitRecordForm(SiteForm):
    """A member records their own service, for the community to verify."""

    community = forms.ModelChoiceField(label=_("Community served"), queryset=Region.objects.none())
    started_at = forms.DateTimeField(label=_("Start time"), widget=_moment_widget())
    ended_at = forms.DateTimeField(label=_("End time"), widget=_moment_widget())
    description = forms.CharField(label=_("What you did"), max_length=300)

    def __init__(self, *args: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choosing(self, "community").queryset = communities
        only = list(communities.values_list("pk", flat=True)[:2])
        if len(only) == 1:
            self.fields["community"].initial = only[0]


class SpendForm(SiteForm):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=100_000)
    memo = forms.CharField(label=_("For which service"), max_length=200)


class DonateForm(PersonPicking):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=100_000)
    memo = forms.CharField(label=_("Memo"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["who"].label = _("Give to")


class NominationForm(VolunteerPicking):
    """A community nominates someone (评先树优)."""

    community = NodeChoiceField(label=_("Community"), queryset=None)
    title = forms.CharField(
        label=_("Nominated as"), max_length=120, help_text=_("e.g. outstanding volunteer, best building head")
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "The deeds, in a few sentences. The platform adds the evidence it holds (hours, requests, activities)."
        ),
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        communities = restrict(Region.objects.filter(closed_on=None, level=RegionLevel.COMMUNITY), actor, CREATE)
        choosing(self, "community").queryset = communities.select_related("parent").order_by("path")
        only = list(communities.values_list("pk", flat=True)[:2])
        if len(only) == 1:
            self.fields["community"].initial = only[0]
        self.fields["year"].initial = actor.today.year
        self.fields["who"].label = _("Person")


class ReviewForm(SiteForm):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=lambda value: value == "yes",
        choices=[("yes", _("Approve")), ("no", _("Do not approve"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note to the community"), max_length=300, required=False)


class ConsentForm(SiteForm):
    consent = forms.TypedChoiceField(
        label=_("Shown on the public pages"),
        coerce=lambda value: value == "yes",
        choices=[("yes", _("I agree to be shown")), ("no", _("Do not show me"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("How the person agreed"), max_length=200, required=False)
