"""The service catalogue (党群服务事项): what residents may ask for, with the targets the
service desk is held to. Requests, dispatch and SLA come with the rest of issue #4."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import TimeStampedModel


class Family(models.TextChoices):
    PARTY = "party", _("Party-building services")
    CONVENIENCE = "convenience", _("Convenience services")
    UNITS = "units", _("Services of resident units")


class TimeUnit(models.TextChoices):
    HOURS = "hours", _("business hours")
    DAYS = "days", _("business days")


class HandlingLevel(models.TextChoices):
    GRID = "grid", _("Grid")
    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street")


class ServiceCategory(TimeStampedModel):
    """One kind of request. ``code`` is the Open311 service_code and never changes; a category
    that is no longer offered is deactivated, not deleted (requests refer to it)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    family = models.CharField(_("family"), max_length=16, choices=Family.choices)
    name = models.CharField(_("name"), max_length=50)
    description = models.CharField(_("description"), max_length=300, blank=True)
    response_target = models.PositiveSmallIntegerField(_("first response within"))
    response_unit = models.CharField(_("unit"), max_length=8, choices=TimeUnit.choices, default=TimeUnit.HOURS)
    resolution_target = models.PositiveSmallIntegerField(_("resolution within"))
    resolution_unit = models.CharField(_("unit"), max_length=8, choices=TimeUnit.choices, default=TimeUnit.DAYS)
    default_level = models.CharField(
        _("handled by default at"), max_length=16, choices=HandlingLevel.choices, default=HandlingLevel.COMMUNITY
    )
    skills = models.ManyToManyField(
        "people.Tag", verbose_name=_("skills needed"), blank=True, related_name="service_categories",
        limit_choices_to={"kind": "skill"},
    )  # fmt: skip
    is_active = models.BooleanField(_("offered"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        ordering = ["family", "sort_order", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(response_target__gt=0), name="category_response_positive"),
            models.CheckConstraint(condition=models.Q(resolution_target__gt=0), name="category_resolution_positive"),
        ]

    def __str__(self) -> str:
        return self.name
