"""Forms of the tree administration pages (dashboard/views.py org_manage, region_manage)."""

from typing import Any, cast

from django import forms
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import CONFIGURE, restrict
from dangjian.core.actors import Actor
from dangjian.core.forms import DATE_WIDGET, NodeChoiceField, SiteForm, choosing
from dangjian.orgs.models import REGION_LEVEL_ORDER, Organization, OrgKind, Region, RegionLevel, ResidentUnit
from dangjian.orgs.services import ORG_KIND_ORDER


class CloseForm(SiteForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=200, help_text=_("e.g. merged into another community by the decision of …")
    )


class RenameForm(SiteForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class OrganizationForm(RenameForm):
    is_joint = forms.BooleanField(label=_("joint organisation"), required=False)
    is_temporary = forms.BooleanField(label=_("temporary organisation"), required=False)
    is_functional = forms.BooleanField(label=_("functional organisation"), required=False)
    term_started_on = forms.DateField(label=_("term started on"), required=False, widget=DATE_WIDGET)
    term_ends_on = forms.DateField(
        label=_("term ends on"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("To correct the dates only; an election has its own form on this page."),
    )

    field_order = ["name", "is_joint", "is_temporary", "is_functional", "term_started_on", "term_ends_on", "reason"]


def _configurable(model: type[Model], actor: Actor) -> QuerySet:
    """The nodes the actor configures that are open (a closed node takes nothing new)."""
    return restrict(model._default_manager.filter(closed_on=None), actor, CONFIGURE).select_related("parent")


class NewRegionForm(SiteForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(label=_("Code"), max_length=32, help_text=_("The official division code; it never changes."))


class NewOrganizationForm(SiteForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(
        label=_("Code"), max_length=32, help_text=_("Unique and stable, e.g. the organisation code.")
    )
    kind = forms.ChoiceField(label=_("Kind"))
    region = NodeChoiceField(label=_("Region served"), queryset=None)
    is_joint = forms.BooleanField(label=_("joint organisation"), required=False)
    is_temporary = forms.BooleanField(label=_("temporary organisation"), required=False)
    is_functional = forms.BooleanField(label=_("functional organisation"), required=False)

    def __init__(self, *args: Any, actor: Actor, parent: Organization, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("region", parent.region_id)
        super().__init__(*args, **kwargs)
        below = ORG_KIND_ORDER[ORG_KIND_ORDER.index(OrgKind(parent.kind)) + 1 :]
        cast(forms.ChoiceField, self.fields["kind"]).choices = [(kind.value, kind.label) for kind in below]
        choosing(self, "region").queryset = _configurable(Region, actor).exclude(level=RegionLevel.DISTRICT)


class MoveForm(SiteForm):
    new_parent = NodeChoiceField(label=_("Move under"), queryset=None)
    reason = forms.CharField(
        label=_("Reason"), max_length=200, help_text=_("e.g. the decision of the street committee of 3 December")
    )

    def __init__(self, *args: Any, actor: Actor, node: Region | Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model = type(node)
        choices = _configurable(model, actor).exclude(path__startswith=node.path)
        if node.parent_id:
            choices = choices.exclude(pk=node.parent_id)
        if isinstance(node, Region):
            levels = [str(each) for each in REGION_LEVEL_ORDER]
            above = levels[levels.index(node.level) - 1] if levels.index(node.level) else None
            choices = choices.filter(level=above) if above else choices.none()
        else:
            higher = ORG_KIND_ORDER[: ORG_KIND_ORDER.index(OrgKind(node.kind))]
            choices = choices.filter(kind__in=higher)
        choosing(self, "new_parent").queryset = choices.order_by("path")


class MergeForm(SiteForm):
    target = NodeChoiceField(label=_("Merge into"), queryset=None)
    reason = forms.CharField(
        label=_("Reason"), max_length=200, help_text=_("e.g. the decision of the street working committee of …")
    )

    def __init__(self, *args: Any, actor: Actor, node: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _configurable(Organization, actor).filter(kind=node.kind).exclude(path__startswith=node.path)
        choosing(self, "target").queryset = choices.order_by("path")


class ServiceSiteForm(SiteForm):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("e.g. the party–masses service centre of the community")
    )
    organization = NodeChoiceField(label=_("Run by"), queryset=None, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    phone = forms.CharField(label=_("Service phone"), max_length=32, required=False)
    opening_hours = forms.CharField(
        label=_("Opening hours"), max_length=200, required=False, help_text=_("e.g. Monday to Friday 8:30–17:30")
    )

    def __init__(self, *args: Any, actor: Actor, region: Region, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choosing(self, "organization").queryset = _configurable(Organization, actor).filter(region=region)


class RoomForm(SiteForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=0, max_value=10_000)
    equipment = forms.CharField(label=_("Equipment"), max_length=300, required=False)
    opening_hours = forms.CharField(label=_("Opening hours"), max_length=200, required=False)
    is_bookable = forms.BooleanField(label=_("bookable"), required=False, initial=True)


class ResidentUnitForm(SiteForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=ResidentUnit.Kind.choices)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    contact_phone = forms.CharField(label=_("contact phone"), max_length=32, required=False)
