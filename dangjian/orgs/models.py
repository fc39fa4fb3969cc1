"""The two trees everything hangs on, and the places where work happens.

Region: 区 → 街道 → 社区 → 网格 (administrative divisions, with their codes).
Organization: 街道党工委 → 社区党委 → 党总支 → 党支部 → 党小组 (the party organisation tree).
ServiceSite (党群服务中心/站) with its rooms, and ResidentUnit (驻区单位).
"""

from typing import cast

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import RestrictedQuerySet
from dangjian.core.models import TimeStampedModel, TreeNode


class RegionLevel(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")


REGION_LEVEL_ORDER = [RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.COMMUNITY, RegionLevel.GRID]


class Region(TreeNode):
    level = models.CharField(_("level"), max_length=16, choices=RegionLevel.choices)

    class Meta(TreeNode.Meta):
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        indexes = [models.Index(fields=["level", "path"], name="region_level_path_idx")]

    def community(self) -> "Region | None":
        """The community this region lies in: itself for a community, a grid's parent; None above."""
        if self.level == RegionLevel.COMMUNITY:
            return self
        if self.level == RegionLevel.GRID:
            return cast("Region | None", self.parent)  # TreeNode.parent is "self": a Region's is a Region
        return None


class OrgKind(models.TextChoices):
    WORKING_COMMITTEE = "working_committee", _("Street party working committee")
    COMMITTEE = "committee", _("Community party committee")
    GENERAL_BRANCH = "general_branch", _("General party branch")
    BRANCH = "branch", _("Party branch")
    GROUP = "group", _("Party group")


class Organization(TreeNode):
    kind = models.CharField(_("kind"), max_length=24, choices=OrgKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region served"), on_delete=models.PROTECT, related_name="organizations"
    )
    is_joint = models.BooleanField(
        _("joint organisation"), default=False, help_text=_("one branch shared by several small units")
    )
    is_temporary = models.BooleanField(_("temporary organisation"), default=False)
    is_functional = models.BooleanField(
        _("functional organisation"), default=False, help_text=_("e.g. a branch of members with a shared specialty")
    )
    term_started_on = models.DateField(_("term started on"), null=True, blank=True)
    term_ends_on = models.DateField(_("term ends on"), null=True, blank=True)

    class Meta(TreeNode.Meta):
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")


class ServiceSite(TimeStampedModel):
    """A 党群服务中心 or 服务站 and what it offers."""

    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="sites")
    organization = models.ForeignKey(
        Organization, verbose_name=_("run by"), null=True, blank=True, on_delete=models.PROTECT, related_name="sites"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("service phone"), max_length=32, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("service site")
        verbose_name_plural = _("service sites")
        ordering = ["region__path", "name"]

    def __str__(self) -> str:
        return self.name


class Room(TimeStampedModel):
    site = models.ForeignKey(
        ServiceSite, verbose_name=_("service site"), on_delete=models.PROTECT, related_name="rooms"
    )
    name = models.CharField(_("name"), max_length=100)
    capacity = models.PositiveIntegerField(_("capacity"), default=0)
    equipment = models.CharField(_("equipment"), max_length=300, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    is_bookable = models.BooleanField(_("bookable"), default=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["site", "name"]

    def __str__(self) -> str:
        return self.name


class RoomBooking(TimeStampedModel):
    """A room of a service site taken from ``starts_at`` to ``ends_at`` (an activity, a meeting).
    Made and cancelled only through ``orgs.services.book_room`` / ``cancel_booking``, which refuse
    a second booking of the same room at the same time. Never deleted: a cancelled booking keeps
    its times and frees the room."""

    room = models.ForeignKey(Room, verbose_name=_("room"), on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    purpose = models.CharField(_("purpose"), max_length=200)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("room booking")
        verbose_name_plural = _("room bookings")
        ordering = ["room", "starts_at"]
        indexes = [models.Index(fields=["room", "starts_at"], name="booking_room_start_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="booking_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.room} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class ResidentUnit(TimeStampedModel):
    """驻区单位: an employer, school, hospital… located in a community (共驻共建 partner)."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government body")
        PUBLIC_INSTITUTION = "institution", _("Public institution")
        STATE_ENTERPRISE = "state_enterprise", _("State-owned enterprise")
        PRIVATE_ENTERPRISE = "private_enterprise", _("Private enterprise")
        SOCIAL_ORGANIZATION = "social_organization", _("Social organisation")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, default=Kind.OTHER)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="units")
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)  # left the area; its history stays

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident unit")
        verbose_name_plural = _("resident units")
        ordering = ["region__path", "name"]

    def __str__(self) -> str:
        return self.name


class PathHistory(models.Model):
    """Where a node sat in its tree before it was moved: ``path`` from ``valid_from`` (None: since
    the node was made) until the day before ``valid_until``. A node's path on a day is the row
    covering that day, else its current path (orgs/selectors.py ``subtree_on``). Written by
    orgs.services.move_node only; never changed."""

    path = models.CharField(_("tree path"), max_length=64, db_index=True)
    valid_from = models.DateField(_("from"), null=True, blank=True)
    valid_until = models.DateField(_("until"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.path} (until {self.valid_until})"


class RegionPath(PathHistory):
    node = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="past_paths")

    class Meta:
        verbose_name = _("former place of a region")
        verbose_name_plural = _("former places of regions")

    def __str__(self) -> str:
        return super().__str__()


class OrganizationPath(PathHistory):
    node = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="past_paths")

    class Meta:
        verbose_name = _("former place of a party organisation")
        verbose_name_plural = _("former places of party organisations")

    def __str__(self) -> str:
        return super().__str__()
