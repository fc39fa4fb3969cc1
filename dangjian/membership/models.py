"""Party membership over time: where a member belonged when (placements), changes of 党籍
status with their effective dates, and dues (党费).

``Member`` itself (the current state) lives in ``dangjian.people``; this app keeps the history
that makes counts answerable for any date and the records of the work done on members.
"""

import datetime as dt
from decimal import Decimal

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
    MERGED = "merged", _("Organisations merged")


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
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

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

    @property
    def rate_percent(self) -> "Decimal":
        return self.rate * 100


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
        "people.Member",
        verbose_name=_("paid by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_on = models.DateField(_("paid on"))
    # One receipt may cover several months (one row per month, the same number).
    receipt_number = models.CharField(_("receipt number"), max_length=32, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
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


class TransferKind(models.TextChoices):
    INTERNAL = "internal", _("Between organisations in the system")
    OUTGOING = "outgoing", _("To an organisation outside the system")
    INCOMING = "incoming", _("From an organisation outside the system")


class TransferState(models.TextChoices):
    APPLIED = "applied", _("Applied")
    REVIEWING = "reviewing", _("Under review")
    SENT = "sent", _("Sent out")
    RECEIVED = "received", _("Received")
    RETURNED = "returned", _("Returned")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_TRANSFER_STATES = (TransferState.APPLIED, TransferState.REVIEWING, TransferState.SENT)


def transfer_letter_path(instance: "Transfer", filename: str) -> str:
    return f"transfers/{instance.pk}/{filename[-60:]}"


class Transfer(TimeStampedModel):
    """A transfer of a member's organisational relationship (组织关系接转). The sending side stays
    responsible until the receiving side accepts; the member's organisation changes only then."""

    member = models.ForeignKey(
        "people.Member",
        verbose_name=_("party member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers",
    )
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="transfers"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=TransferKind.choices)
    state = models.CharField(_("state"), max_length=16, choices=TransferState.choices, default=TransferState.APPLIED)
    from_organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_out",
    )
    to_organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_in",
    )
    approving_organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_approved",
    )
    external_organization = models.CharField(_("organisation outside the system"), max_length=200, blank=True)
    external_contact = models.CharField(_("its address and telephone"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    serial_number = models.CharField(_("letter number"), max_length=32, blank=True)
    issued_on = models.DateField(_("letter issued on"), null=True, blank=True)
    dues_paid_until = models.DateField(_("dues paid until"), null=True, blank=True)
    valid_until = models.DateField(_("letter valid until"), null=True, blank=True)
    # The letter as issued, drawn once (transfers/services.py transfer_letter): with the ID number
    # masked, and with it in full (encrypted at rest, for those who may unmask it).
    letter = models.FileField(
        _("letter (ID number masked)"), upload_to=transfer_letter_path, blank=True, editable=False
    )
    letter_full = models.FileField(
        _("letter (full ID number, encrypted)"), upload_to=transfer_letter_path, blank=True, editable=False
    )
    # Incoming from outside: what the letter says about the membership.
    stage = models.CharField(_("stage"), max_length=16, blank=True)
    category = models.CharField(_("category"), max_length=16, blank=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    full_on = models.DateField(_("full membership on"), null=True, blank=True)
    effective_on = models.DateField(_("received on"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A member cannot be in two transfers at once.
            models.UniqueConstraint(
                fields=["person"], condition=Q(state__in=ACTIVE_TRANSFER_STATES), name="transfer_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.get_kind_display()} {self.get_state_display()}"

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_TRANSFER_STATES


class TransferStep(models.Model):
    """One decision on a transfer: who (and for which organisation) did what, when and why."""

    transfer = models.ForeignKey(Transfer, verbose_name=_("transfer"), on_delete=models.PROTECT, related_name="steps")
    action = models.CharField(_("action"), max_length=16)
    old_state = models.CharField(_("from"), max_length=16, choices=TransferState.choices)
    new_state = models.CharField(_("to"), max_length=16, choices=TransferState.choices)
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("for"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    decided_at = models.DateTimeField(_("time"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("transfer step")
        verbose_name_plural = _("transfer steps")
        ordering = ["transfer", "decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.old_state}→{self.new_state}"


class CandidateStatus(models.TextChoices):
    ACTIVE = "active", _("In progress")
    ADMITTED = "admitted", _("Full member")
    STOPPED = "stopped", _("Stopped")


class Candidate(TimeStampedModel):
    """A person on the way to membership (发展党员), from the application to full membership.
    The Member record is created when the higher committee approves the admission."""

    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="candidacies"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("party branch"), on_delete=models.PROTECT, related_name="candidates"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CandidateStatus.choices, default=CandidateStatus.ACTIVE
    )
    stage = models.PositiveSmallIntegerField(_("stage"), default=1)
    member = models.OneToOneField(
        "people.Member",
        verbose_name=_("party member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="candidacy",
    )
    stopped_reason = models.CharField(_("reason for stopping"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership candidate")
        verbose_name_plural = _("membership candidates")
        ordering = ["organization", "stage", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(status="active"), name="candidate_one_active_per_person"
            )
        ]
        indexes = [models.Index(fields=["organization", "status", "stage"], name="candidate_org_status_idx")]

    def __str__(self) -> str:
        return str(self.person)


def attachment_path(instance: "DevelopmentStep", filename: str) -> str:
    return f"development/{instance.candidate_id}/{instance.code}-{filename[-60:]}"


class DevelopmentStep(TimeStampedModel):
    """One of the 25 steps of a candidate, as it happened."""

    candidate = models.ForeignKey(
        Candidate, verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="steps"
    )
    code = models.CharField(_("step"), max_length=32)
    done_on = models.DateField(_("date"))
    responsible = models.CharField(_("responsible"), max_length=100, blank=True)
    opinion = models.TextField(_("opinion"), blank=True)
    publicity_from = models.DateField(_("public notice from"), null=True, blank=True)
    publicity_to = models.DateField(_("public notice until"), null=True, blank=True)
    hours = models.PositiveSmallIntegerField(_("training hours"), null=True, blank=True)
    people = models.ManyToManyField(
        "people.Person", verbose_name=_("contacts or introducers"), blank=True, related_name="+"
    )
    attachment = models.FileField(_("attachment"), upload_to=attachment_path, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("development step")
        verbose_name_plural = _("development steps")
        ordering = ["candidate", "done_on", "id"]
        constraints = [models.UniqueConstraint(fields=["candidate", "code"], name="development_step_once")]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.code} {self.done_on}"


class MobileDirection(models.TextChoices):
    OUT = "out", _("Away from here (流出)")
    IN = "in", _("Staying here from elsewhere (流入)")


class MobileRecord(TimeStampedModel):
    """A mobile member (流动党员): one of ours away for work or study, or a member from
    elsewhere staying in our area, with where, how to reach them and when they return."""

    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="mobile_records"
    )
    direction = models.CharField(_("direction of movement"), max_length=8, choices=MobileDirection.choices)
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("responsible organisation"),
        on_delete=models.PROTECT,
        related_name="mobile_records",
    )
    place = models.CharField(_("destination or origin"), max_length=200)
    other_organization = models.CharField(
        _("party organisation there"),
        max_length=200,
        blank=True,
        help_text=_("Where an outgoing member takes part in party life, or an incoming member's own organisation."),
    )
    contact_note = models.CharField(
        _("how to keep in touch"),
        max_length=200,
        blank=True,
        help_text=_("E.g. the WeChat group or the contact person there; the member's own mobile is on their record."),
    )
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    started_on = models.DateField(_("since"))
    expected_return_on = models.DateField(_("expected back"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_note = models.CharField(_("how it ended"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("mobile member record")
        verbose_name_plural = _("mobile member records")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(ended_on__isnull=True), name="mobile_one_open")
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.get_direction_display()} {self.place}"


class ServiceCategory(models.TextChoices):
    """Job categories of 双报到 (DESIGN.md §5)."""

    ORGANISATION = "organisation", _("Organisation building")
    LEGAL = "legal", _("Legal advice and aid")
    HARDSHIP = "hardship", _("Help for people in hardship, disabled people and job seekers")
    GOVERNANCE = "governance", _("Community governance")
    HEALTH = "health", _("Health and medical care")
    CULTURE = "culture", _("Culture and sports")
    SAFETY = "safety", _("Safety awareness and patrols")
    OTHER = "other", _("Other")


class ReportState(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    CONFIRMED = "confirmed", _("Confirmed by the community")
    REVOKED = "revoked", _("Revoked")


class CommunityReport(TimeStampedModel):
    """An in-service member reporting to the community where they live (在职党员双报到), with
    the kinds of service they offer; registered by the member, confirmed by the community."""

    person = models.ForeignKey(
        "people.Person", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="community_reports"
    )
    community = models.ForeignKey(
        "orgs.Region", verbose_name=_("community"), on_delete=models.PROTECT, related_name="member_reports"
    )
    workplace = models.CharField(_("workplace and its party organisation"), max_length=200)
    categories = models.JSONField(_("services offered"), default=list)
    state = models.CharField(_("state"), max_length=16, choices=ReportState.choices, default=ReportState.REGISTERED)
    registered_on = models.DateField(_("registered on"))
    confirmed_on = models.DateField(_("confirmed on"), null=True, blank=True)
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("community report")
        verbose_name_plural = _("community reports")
        ordering = ["-registered_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=~Q(state="revoked"), name="community_report_one_current"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.community}"


class Hardship(models.TextChoices):
    ILLNESS = "illness", _("Serious illness")
    INCOME = "income", _("Low income")
    DISABILITY = "disability", _("Disability")
    ELDERLY = "elderly", _("Old age, living alone")
    DISASTER = "disaster", _("Accident or disaster")
    OTHER = "other", _("Other")


class CareCase(TimeStampedModel):
    """A member in hardship (困难党员) on the register, from ``registered_on`` until ``ended_on``."""

    member = models.ForeignKey(
        "people.Member", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="care_cases"
    )
    hardship = models.CharField(_("hardship"), max_length=16, choices=Hardship.choices)
    description = models.TextField(_("situation"), blank=True)
    registered_on = models.DateField(_("registered on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("member in hardship")
        verbose_name_plural = _("members in hardship")
        ordering = ["-registered_on", "-id"]

    def __str__(self) -> str:
        return f"{self.member_id} {self.hardship}"


class CareVisit(TimeStampedModel):
    """A visit or support (走访慰问) to a member: who went, when, what was given."""

    member = models.ForeignKey(
        "people.Member", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="care_visits"
    )
    visited_on = models.DateField(_("visited on"))
    visitors = models.CharField(_("visited by"), max_length=200)
    occasion = models.CharField(
        _("occasion"), max_length=100, blank=True, help_text=_("E.g. 春节慰问, 七一走访, 住院探望.")
    )
    money = models.DecimalField(_("money given (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True)
    goods = models.CharField(_("goods given"), max_length=200, blank=True)
    note = models.TextField(_("what was said and needed"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("care visit")
        verbose_name_plural = _("care visits")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["member", "-visited_on"], name="care_visit_member_idx")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.visited_on}"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    QUALIFIED = "qualified", _("Qualified")
    BASIC = "basic", _("Basically qualified")
    UNQUALIFIED = "unqualified", _("Unqualified")


class Appraisal(TimeStampedModel):
    """A member's annual democratic appraisal (民主评议): self-assessment, the peers' votes and
    the branch's grade."""

    member = models.ForeignKey(
        "people.Member", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="appraisals"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("party branch"), on_delete=models.PROTECT, related_name="appraisals"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    self_assessment = models.TextField(_("self-assessment"), blank=True)
    votes_excellent = models.PositiveSmallIntegerField(_("peer votes: excellent"), default=0)
    votes_qualified = models.PositiveSmallIntegerField(_("peer votes: qualified"), default=0)
    votes_basic = models.PositiveSmallIntegerField(_("peer votes: basically qualified"), default=0)
    votes_unqualified = models.PositiveSmallIntegerField(_("peer votes: unqualified"), default=0)
    grade = models.CharField(_("branch grade"), max_length=16, choices=Grade.choices, blank=True)
    grade_note = models.CharField(_("note on the grade"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("democratic appraisal")
        verbose_name_plural = _("democratic appraisals")
        ordering = ["organization", "year", "member"]
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="appraisal_member_year")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year} {self.grade}"
