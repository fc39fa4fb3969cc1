"""Party membership over time: where a member belonged when (placements), changes of 党籍
status with their effective dates, and dues (党费).

``Member`` itself (the current state) lives in ``dangjian.people``; this app keeps the history
that makes counts answerable for any date and the records of the work done on members.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import RestrictedQuerySet
from dangjian.core.models import TimeStampedModel


class PlacementReason(models.TextChoices):
    JOINED = "joined", _("Joined the party")
    TRANSFERRED = "transferred", _("Transferred in")
    IMPORTED = "imported", _("Imported")
    RESTORED = "restored", _("Membership restored")
    RECORDED = "recorded", _("Recorded from earlier records")


class Placement(models.Model):
    """A member belonged to ``organization`` from ``started_on`` until the day before
    ``ended_on`` (open when ``ended_on`` is empty). A member has at most one open placement;
    "members of X on date D" are the placements under X that are open on D."""

    member = models.ForeignKey(
        "people.Member", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="placements"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("party organisation"), on_delete=models.PROTECT, related_name="placements"
    )
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=PlacementReason.choices)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership placement")
        verbose_name_plural = _("membership placements")
        ordering = ["member", "started_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["member"], condition=Q(ended_on__isnull=True), name="placement_one_open"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="placement_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["organization", "started_on"], name="placement_org_start_idx")]

    def __str__(self) -> str:
        return f"{self.member_id}@{self.organization_id} {self.started_on}–{self.ended_on or ''}"

    def open_on(self, day: dt.date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day < self.ended_on)


class StatusChange(models.Model):
    """A change of 党籍 status (停止党籍, 出党, 死亡, 恢复) with the date it took effect."""

    member = models.ForeignKey(
        "people.Member", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="status_changes"
    )
    old_status = models.CharField(_("from"), max_length=16)
    new_status = models.CharField(_("to"), max_length=16)
    effective_on = models.DateField(_("effective on"))
    reason = models.TextField(_("reason"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership status change")
        verbose_name_plural = _("membership status changes")
        ordering = ["member", "effective_on", "id"]

    def __str__(self) -> str:
        return f"{self.member_id} {self.old_status}→{self.new_status} {self.effective_on}"


class DuesKind(models.TextChoices):
    """How the monthly amount is found (DESIGN.md §5)."""

    WAGE = "wage", _("Salary (after tax)")
    PENSION = "pension", _("Pension")
    FIXED = "fixed", _("Fixed amount (farmers, students, unemployed, 低保)")


class DuesAssessment(TimeStampedModel):
    """A member's monthly dues for a year: the base and the amount the brackets give, confirmed
    by the branch; a reduction needs a reason and the approval of the higher committee."""

    member = models.ForeignKey(
        "people.Member", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="dues_assessments"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("basis"), max_length=16, choices=DuesKind.choices)
    base = models.DecimalField(_("monthly base (yuan)"), max_digits=10, decimal_places=2, default=0)
    rate = models.DecimalField(_("rate"), max_digits=5, decimal_places=4, default=0)
    standard = models.DecimalField(_("standard monthly dues (yuan)"), max_digits=8, decimal_places=2)
    monthly = models.DecimalField(_("monthly dues (yuan)"), max_digits=8, decimal_places=2)
    reduction_reason = models.CharField(_("reason for the reduction"), max_length=200, blank=True)
    reduction_approved_by = models.CharField(_("reduction approved by"), max_length=100, blank=True)
    confirmed_on = models.DateField(_("confirmed by the branch on"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("dues assessment")
        verbose_name_plural = _("dues assessments")
        ordering = ["member", "-year"]
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="dues_assessment_member_year")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year}: {self.monthly}"


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    TRANSFER = "transfer", _("Bank or mobile transfer")
    PROXY = "proxy", _("Paid by another member (代缴)")


class DuesPayment(TimeStampedModel):
    """One month of dues paid by (or for) a member. A month is paid once; a mistaken payment is
    voided with a reason (and stays on record), never edited or deleted."""

    member = models.ForeignKey(
        "people.Member", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="dues_payments"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("collected by"), on_delete=models.PROTECT, related_name="dues_payments"
    )
    month = models.DateField(_("month"), help_text=_("first day of the month paid for"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=8, decimal_places=2)
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    paid_by = models.ForeignKey(
        "people.Member", verbose_name=_("paid by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    paid_on = models.DateField(_("paid on"))
    # One receipt may cover several months (one row per month, the same number).
    receipt_number = models.CharField(_("receipt number"), max_length=32, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=200, blank=True)
    voided_on = models.DateField(_("voided on"), null=True, blank=True)
    void_reason = models.CharField(_("reason for voiding"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("dues payment")
        verbose_name_plural = _("dues payments")
        ordering = ["member", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "month"], condition=Q(voided_on__isnull=True), name="dues_payment_member_month"
            )
        ]
        indexes = [models.Index(fields=["organization", "month"], name="dues_payment_org_month_idx")]

    def __str__(self) -> str:
        return f"{self.receipt_number} {self.member_id} {self.month:%Y-%m} {self.amount}"
