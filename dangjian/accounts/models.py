import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dangjian.accounts.roles import ROLE_NODE, NodeKind, Role
from dangjian.core.access import RestrictedQuerySet

if TYPE_CHECKING:
    from dangjian.core.models import TreeNode
    from dangjian.orgs.models import ResidentUnit


class User(AbstractUser):
    """A login. The human behind it is a people.Person (Person.user); staff and residents alike."""

    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    totp_secret = models.TextField(_("two-factor secret (encrypted)"), blank=True, editable=False)
    totp_enabled_at = models.DateTimeField(_("two-factor enabled at"), null=True, blank=True, editable=False)
    # The 30-second time step of the last code accepted: a code is accepted once, and only for a
    # later step (a code seen or intercepted cannot sign in again within its validity).
    totp_last_step = models.BigIntegerField(_("last two-factor time step used"), null=True, blank=True, editable=False)

    objects = UserManager()  # type: ignore[misc]  # django-stubs: the base declares it a ClassVar

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None


class RoleGrantQuerySet(RestrictedQuerySet):
    def active(self, on: dt.date | None = None) -> "RoleGrantQuerySet":
        """Grants in force on ``on`` (today by default): started, not yet at their end date, not
        revoked. A grant ending on a day gives no rights from that day on."""
        day = on or timezone.localdate()
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gt=day), revoked_at__isnull=True, starts_on__lte=day)


class RoleGrant(models.Model):
    """A role given to a user at one node; covers the node's subtree. Revoked, never deleted."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    region = models.ForeignKey(
        "orgs.Region", verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("party organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        "orgs.ResidentUnit",
        verbose_name=_("resident unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # The post's dates (DESIGN.md §2): rights from ``starts_on``; none from ``ends_on`` on.
    starts_on = models.DateField(pgettext_lazy("role grant", "From"), default=timezone.localdate)
    ends_on = models.DateField(
        _("ends on"), null=True, blank=True, help_text=_("no rights from this day on; empty: until ended")
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = RoleGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.CheckConstraint(
                name="rolegrant_one_node",
                condition=(
                    Q(region__isnull=False, organization__isnull=True, unit__isnull=True)
                    | Q(region__isnull=True, organization__isnull=False, unit__isnull=True)
                    | Q(region__isnull=True, organization__isnull=True, unit__isnull=False)
                    | Q(region__isnull=True, organization__isnull=True, unit__isnull=True)
                ),
            ),
            models.CheckConstraint(
                name="rolegrant_ends_after_start",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.node or '—'}"

    def state_on(self, day: dt.date) -> str:
        """ "future", "in_force" or "ended" on ``day`` (the same rule as RoleGrantQuerySet.active)."""
        if self.revoked_at is not None or (self.ends_on is not None and self.ends_on <= day):
            return "ended"
        return "future" if self.starts_on > day else "in_force"

    @property
    def node(self) -> "TreeNode | ResidentUnit | None":
        return self.region or self.organization or self.unit

    def clean(self) -> None:
        kind = ROLE_NODE[self.role]
        given = {
            NodeKind.REGION: self.region_id,
            NodeKind.ORGANIZATION: self.organization_id,
            NodeKind.UNIT: self.unit_id,
        }
        if kind == NodeKind.NONE:
            if any(given.values()):
                raise ValidationError(
                    _("This role acts on the person's own records only; do not choose a region, organisation or unit.")
                )
        elif not given[NodeKind(kind)] or sum(1 for value in given.values() if value) != 1:
            raise ValidationError(_("This role must be granted at one %(kind)s.") % {"kind": NodeKind(kind).label})
