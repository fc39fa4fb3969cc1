"""Members in action (DESIGN.md §4 volunteering, §5 双报到): volunteer teams (志愿服务队) by specialty,
posts (岗位) a community publishes and 在职党员 or resident units claim, 微心愿 that a resident's own
word closes, verified service records, and the time bank: an append-only ledger of hours.

Time is kept in whole minutes (``minutes``), never in floating hours, so that the ledger and the
service records add up exactly."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import RestrictedQuerySet
from dangjian.core.models import TimeStampedModel
from dangjian.membership.models import ServiceCategory as JobCategory


class Team(TimeStampedModel):
    """A volunteer team of a community (or a street), by specialty: one service of the catalogue's
    便民服务 family (文体娱乐, 法律援助…), which is how requests find it."""

    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        "orgs.Region", verbose_name=_("community or street"), on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("party organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    specialty = models.ForeignKey(
        "servicedesk.ServiceCategory", verbose_name=_("specialty"), on_delete=models.PROTECT, related_name="+"
    )
    leader = models.ForeignKey(
        "people.Person", verbose_name=_("leader"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("description"), blank=True)
    shows_totals = models.BooleanField(
        _("show the team's totals"), default=True, help_text=_("Totals only; never a ranking of people.")
    )
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("volunteer team")
        verbose_name_plural = _("volunteer teams")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="team_region_name_unique")]

    def __str__(self) -> str:
        return self.name


class TeamMember(TimeStampedModel):
    """A person in a team from ``joined_on``; leaving sets ``left_on`` (the row stays)."""

    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="members")
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="team_memberships"
    )
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team", "joined_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "person"], condition=Q(left_on__isnull=True), name="team_member_one_current"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.team_id}"


class PostStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class Post(TimeStampedModel):
    """A post (岗位) a community publishes in a 双报到 job category, for a time and a number of
    people; members who report to the community and its resident units claim it."""

    title = models.CharField(_("title"), max_length=120)
    region = models.ForeignKey("orgs.Region", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="posts"
    )
    category = models.CharField(_("job category"), max_length=16, choices=JobCategory.choices)
    description = models.TextField(_("description"), blank=True)
    place = models.CharField(_("place"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    places = models.PositiveIntegerField(_("people needed"))
    status = models.CharField(_("status"), max_length=16, choices=PostStatus.choices, default=PostStatus.PUBLISHED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["region", "starts_at"], name="post_region_start_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="post_ends_after_start"),
            models.CheckConstraint(condition=Q(places__gt=0), name="post_places_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class ClaimState(models.TextChoices):
    PENDING = "pending", _("Waiting for the community")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


LIVE_CLAIMS = (ClaimState.PENDING, ClaimState.CONFIRMED)


class Claim(TimeStampedModel):
    """A member (or a resident unit) taking a post; the community confirms or declines it. The
    claimant checks in and out within the post's time (or the organiser records the hours)."""

    post = models.ForeignKey(Post, verbose_name=_("post"), on_delete=models.PROTECT, related_name="claims")
    person = models.ForeignKey(
        "people.Person", verbose_name=_("member"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "orgs.ResidentUnit",
        verbose_name=_("resident unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=16, choices=ClaimState.choices, default=ClaimState.PENDING)
    note = models.CharField(_("note"), max_length=200, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("claimed by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["post", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, unit__isnull=True) | Q(person__isnull=True, unit__isnull=False),
                name="claim_person_or_unit",
            ),
            models.UniqueConstraint(
                fields=["post", "person"], condition=Q(state__in=["pending", "confirmed"]), name="claim_one_live_person"
            ),
            models.UniqueConstraint(
                fields=["post", "unit"], condition=Q(state__in=["pending", "confirmed"]), name="claim_one_live_unit"
            ),
        ]
        indexes = [models.Index(fields=["person", "state"], name="claim_person_state_idx")]

    def __str__(self) -> str:
        return f"{self.post_id}: {self.person_id or self.unit_id} {self.state}"


class WishState(models.TextChoices):
    OPEN = "open", _("Waiting for someone to take it")
    CLAIMED = "claimed", _("Taken")
    FULFILLED = "fulfilled", _("Done, waiting for the resident's word")
    CONFIRMED = "confirmed", _("Fulfilled: confirmed by the resident")
    CANCELLED = "cancelled", _("Withdrawn")


class ConfirmedVia(models.TextChoices):
    RESIDENT = "resident", _("By the resident on the platform")
    STAFF = "staff", _("By the resident, recorded by staff")


class Wish(TimeStampedModel):
    """A resident's small wish (微心愿). Private to the community's staff, the resident and whoever
    takes it, unless the resident agrees to show it to the members of the community. Fulfilled is
    the resident's word: the one who took it says it is done, the resident confirms."""

    title = models.CharField(_("wish"), max_length=120)
    description = models.TextField(_("details"), blank=True)
    resident = models.ForeignKey(
        "people.Person", verbose_name=_("resident"), on_delete=models.PROTECT, related_name="wishes"
    )
    region = models.ForeignKey(
        "orgs.Region", verbose_name=_("grid or community"), on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "orgs.Region", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    shown_to_members = models.BooleanField(
        _("the resident agrees to show it to the community's members"), default=False
    )
    state = models.CharField(_("state"), max_length=16, choices=WishState.choices, default=WishState.OPEN)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    claimer = models.ForeignKey(
        "people.Person", verbose_name=_("taken by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimer_unit = models.ForeignKey(
        "orgs.ResidentUnit",
        verbose_name=_("taken by the unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    claimed_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("done at"), null=True, blank=True)
    fulfilment_note = models.CharField(_("what was done"), max_length=300, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_via = models.CharField(_("confirmed"), max_length=16, choices=ConfirmedVia.choices, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("small wish")
        verbose_name_plural = _("small wishes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "state"], name="wish_community_state_idx")]

    def __str__(self) -> str:
        return self.title


class RecordState(models.TextChoices):
    PENDING = "pending", _("Waiting for verification")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Not verified")
    REVERSED = "reversed", _("Reversed")


LIVE_RECORDS = (RecordState.PENDING, RecordState.VERIFIED)


class RecordMethod(models.TextChoices):
    ORGANISER = "organiser", _("Verified by the organiser")
    CHECK_IN = "check_in", _("Checked in and out within the post's time")
    RESIDENT = "resident", _("Confirmed by the resident")


class ServiceRecord(TimeStampedModel):
    """Who served, when, where and for what (a post, a wish, a request or an activity), and for
    how long. Only verified records count and earn time-bank hours; one piece of work counts once
    (one live record per person and post, wish, request or activity) and a person's verified time
    never overlaps itself. No photo is ever asked for."""

    person = models.ForeignKey(
        "people.Person", verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="service_records"
    )
    community = models.ForeignKey(
        "orgs.Region", verbose_name=_("community served"), on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    claim = models.ForeignKey(
        Claim, verbose_name=_("post"), null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    wish = models.ForeignKey(
        Wish, verbose_name=_("small wish"), null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    request = models.ForeignKey(
        "servicedesk.ServiceRequest",
        verbose_name=_("request"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("activity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("what was done"), max_length=300)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"))
    minutes = models.PositiveIntegerField(_("minutes"))
    state = models.CharField(_("state"), max_length=16, choices=RecordState.choices, default=RecordState.PENDING)
    method = models.CharField(_("verified"), max_length=16, choices=RecordMethod.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("verified by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["community", "started_at"], name="record_community_start_idx"),
            models.Index(fields=["person", "started_at"], name="record_person_start_idx"),
            # A district's records page (newest first) and what waits for verification.
            models.Index(fields=["started_at", "id"], name="record_start_id_idx"),
            models.Index(fields=["started_at", "id"], condition=Q(state="pending"), name="record_pending_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__gt=models.F("started_at")), name="record_ends_after_start"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="record_minutes_positive"),
            *[
                models.UniqueConstraint(
                    fields=["person", source],
                    condition=Q(state__in=["pending", "verified"]),
                    name=f"record_once_per_{source}",
                )
                for source in ("claim", "wish", "request", "activity")
            ],
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.minutes}′ {self.state}"


class LedgerKind(models.TextChoices):
    EARNED = "earned", _("Earned by verified service")
    REVERSAL = "reversal", _("Reversal")
    SPENT = "spent", _("Spent on a service")
    DONATED = "donated", _("Donated")
    RECEIVED = "received", _("Received as a gift")


class LedgerQuerySet(RestrictedQuerySet):
    def update(self, **kwargs: object) -> int:
        raise ValidationError("the time-bank ledger is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValidationError("the time-bank ledger is append-only")


class LedgerEntry(models.Model):
    """One line of a person's time bank, in minutes (positive in, negative out). Append-only: a
    mistake is undone by a reversal line, never by changing or deleting one. Earned lines come
    from verified service records, one each; the sum of a person's earned and reversal lines equals
    their verified service time (selectors.ledger_reconciliation)."""

    person = models.ForeignKey("people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=LedgerKind.choices)
    minutes = models.IntegerField(_("minutes"))
    record = models.ForeignKey(
        ServiceRecord,
        verbose_name=_("service record"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger",
    )
    reverses = models.OneToOneField(
        "self", verbose_name=_("reverses"), null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    counterpart = models.ForeignKey(
        "people.Person", verbose_name=_("from or to"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "orgs.Region", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("time-bank entry")
        verbose_name_plural = _("time-bank entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "created_at"], name="ledger_person_at_idx")]
        # The default manager (append-only) serves related lookups and the base manager too.
        base_manager_name = "objects"
        constraints = [
            models.CheckConstraint(condition=~Q(minutes=0), name="ledger_minutes_not_zero"),
            models.UniqueConstraint(fields=["record"], condition=Q(kind="earned"), name="ledger_earned_once"),
            # Earned and reversal lines belong to a service record, and earn (or give back) its time
            # with the right sign; spent and donated lines are outgoing, received lines incoming.
            models.CheckConstraint(
                condition=Q(kind="earned", record__isnull=False, minutes__gt=0)
                | Q(kind="reversal", record__isnull=False, reverses__isnull=False, minutes__lt=0)
                | Q(kind__in=["spent", "donated"], record__isnull=True, minutes__lt=0)
                | Q(kind="received", record__isnull=True, counterpart__isnull=False, minutes__gt=0),
                name="ledger_line_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.minutes}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValidationError("the time-bank ledger is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValidationError("the time-bank ledger is append-only")


class ReportBackState(models.TextChoices):
    DRAFT = "draft", _("Draft: to be checked by the community")
    CONFIRMED = "confirmed", _("Confirmed and sent")


class ReportBack(TimeStampedModel):
    """双报到 reporting back: the service of a community's in-service members over a period (half a
    year by default), for their own workplace organisations. Nothing is typed: the figures are
    read from the verified records; when the community confirms, they are kept as they were sent
    (``snapshot``), and later corrections do not change what was sent."""

    community = models.ForeignKey(
        "orgs.Region", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"))
    state = models.CharField(_("state"), max_length=16, choices=ReportBackState.choices, default=ReportBackState.DRAFT)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    snapshot = models.JSONField(_("as sent"), default=dict, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("report back to workplaces")
        verbose_name_plural = _("reports back to workplaces")
        ordering = ["-period_start", "community"]
        constraints = [
            models.UniqueConstraint(fields=["community", "period_start"], name="report_back_once_per_period"),
            models.CheckConstraint(condition=Q(period_end__gt=models.F("period_start")), name="report_back_period"),
        ]

    def __str__(self) -> str:
        return f"{self.community_id} {self.period_start}–{self.period_end}"


class NominationState(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for the street's review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Nomination(TimeStampedModel):
    """评先树优: a community nominates an exemplary person (or a deed of one) with its reasons and
    the evidence on the platform (hours served, requests handled, activities); the street reviews
    it. Shown on the public pages only once approved *and* the person has agreed."""

    community = models.ForeignKey(
        "orgs.Region", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey("people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=120, help_text=_("e.g. outstanding volunteer, best building head"))
    reasons = models.TextField(_("reasons"))
    evidence = models.JSONField(_("evidence on the platform"), default=dict, blank=True)
    year = models.PositiveSmallIntegerField(_("year"))
    state = models.CharField(
        _("state"), max_length=16, choices=NominationState.choices, default=NominationState.SUBMITTED
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("nominated by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=300, blank=True)
    consent_at = models.DateTimeField(_("agreed to be shown at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        ordering = ["-year", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "title", "year"],
                condition=Q(state__in=["submitted", "approved"]),
                name="nomination_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title}: {self.person_id}"
