"""Forms of the activity pages; the rules (times, places, rooms) live in activities.services."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.activities.models import Audience, Series
from dangjian.activities.selectors import series_choices
from dangjian.core.access import CREATE, VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.forms import NodeChoiceField, SiteForm, choosing
from dangjian.orgs.models import Organization, Region, RegionLevel, Room


def _moment_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})


class RoomChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.site.name} · {obj.name}"


class ActivityForm(SiteForm):
    title = forms.CharField(label=_("Title"), max_length=120)
    series = forms.ModelChoiceField(label=_("Series"), queryset=Series.objects.none(), required=False)
    region = NodeChoiceField(label=_("Community"), queryset=None)
    organization = NodeChoiceField(label=_("Organised by"), queryset=None, required=False)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=_moment_widget())
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=_moment_widget())
    room = RoomChoiceField(
        label=_("Room"),
        queryset=None,
        required=False,
        help_text=_("Booked for the activity's time; a room already booked then is refused."),
    )
    place = forms.CharField(
        label=_("Or a place"), max_length=200, required=False, help_text=_("e.g. the square of the housing estate")
    )
    capacity = forms.IntegerField(label=_("Places"), min_value=0, max_value=100_000, help_text=_("0: no limit"))
    audience = forms.ChoiceField(label=_("Who may sign up"), choices=Audience.choices, initial=Audience.EVERYONE)
    sign_up_closes_at = forms.DateTimeField(
        label=_("Sign-up closes"), required=False, widget=_moment_widget(), help_text=_("Empty: at the start.")
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = restrict(Region.objects.filter(closed_on=None), actor, CREATE).filter(
            level__in=(RegionLevel.COMMUNITY, RegionLevel.STREET)
        )
        choosing(self, "region").queryset = regions.select_related("parent").order_by("path")
        only = list(regions.values_list("pk", flat=True)[:2])
        if len(only) == 1:  # a community's staff: their community
            self.fields["region"].initial = only[0]
        choosing(self, "organization").queryset = (
            restrict(Organization.objects.filter(closed_on=None), actor, VIEW).select_related("parent").order_by("path")
        )
        choosing(self, "series").queryset = series_choices(actor=actor)
        choosing(self, "room").queryset = (
            restrict(Room.objects.filter(is_bookable=True, site__region__closed_on=None), actor, CREATE)
            .select_related("site")
            .order_by("site__name", "name")
        )


class CancelForm(SiteForm):
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("The people signed up are told."))


class FeedbackForm(SiteForm):
    score = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
        help_text=_("5: very good … 1: poor. The organiser sees the average and the comments, never who gave them."),
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class OutcomeForm(SiteForm):
    outcome = forms.CharField(
        label=_("What came of it"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What came of it: e.g. needs heard, problems taken up as requests, volunteers found."),
    )
