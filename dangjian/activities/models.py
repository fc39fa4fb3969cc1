"""Community activities (邻居节, 主题党日 open days, lectures…): who may come, where and when, who
signed up — confirmed or on the waitlist — and who came (DESIGN.md §4 activities)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import RestrictedQuerySet
from dangjian.core.models import TimeStampedModel


class Series(TimeStampedModel):
    """A brand series of activities (e.g. 邻居节, 主题党日开放日) of a community or street."""

    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        "orgs.Region", verbose_name=_("community or street"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("description"), blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity series")
        verbose_name_plural = _("activity series")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="series_region_name_unique")]

    def __str__(self) -> str:
        return self.name


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Residents and party members")
    MEMBERS = "members", _("Party members only")


class ActivityStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class Activity(TimeStampedModel):
    title = models.CharField(_("title"), max_length=120)
    series = models.ForeignKey(
        Series, verbose_name=_("series"), null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )
    region = models.ForeignKey(
        "orgs.Region", verbose_name=_("community"), on_delete=models.PROTECT, related_name="activities"
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("organised by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    description = models.TextField(_("description"), blank=True)
    booking = models.OneToOneField(
        "orgs.RoomBooking",
        verbose_name=_("room"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activity",
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("places"), help_text=_("0: no limit"))
    audience = models.CharField(
        _("who may sign up"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE
    )
    sign_up_opens_at = models.DateTimeField(_("sign-up opens"))
    sign_up_closes_at = models.DateTimeField(_("sign-up closes"))
    status = models.CharField(
        _("status"), max_length=16, choices=ActivityStatus.choices, default=ActivityStatus.PUBLISHED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("organiser"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.TextField(_("what came of it"), blank=True)  # recorded by the organiser

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["region", "starts_at"], name="activity_region_start_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start"),
            models.CheckConstraint(
                condition=Q(sign_up_closes_at__gt=models.F("sign_up_opens_at")), name="activity_sign_up_window"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class SignUpState(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waitlist")
    CANCELLED = "cancelled", _("Cancelled")


LIVE_STATES = (SignUpState.CONFIRMED, SignUpState.WAITLISTED)


class SignUp(TimeStampedModel):
    """One person's place at an activity: confirmed, or on the waitlist in the order of signing up
    (the earliest waitlisted is confirmed when a place frees); cancelled is a state, never a
    deletion. ``checked_in_at``: they came (by the organiser's QR code or marked from the list)."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="sign_ups"
    )
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="sign_ups"
    )
    state = models.CharField(_("state"), max_length=16, choices=SignUpState.choices)
    signed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signed up by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked in by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["activity", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "person"],
                condition=Q(state__in=["confirmed", "waitlisted"]),
                name="sign_up_one_live",
            )
        ]
        indexes = [models.Index(fields=["activity", "state", "created_at"], name="sign_up_activity_state_idx")]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.activity_id} {self.state}"


class Feedback(models.Model):
    """A participant's rating (1–5) and comment after an activity. Tied to their sign-up so that each
    gives one, but never shown with a name: the organiser reads the average and the comments only."""

    sign_up = models.OneToOneField(SignUp, verbose_name=_("sign-up"), on_delete=models.PROTECT, related_name="feedback")
    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="feedback"
    )
    score = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("given at"))

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="feedback_score_1_to_5")]

    def __str__(self) -> str:
        return f"{self.activity_id}: {self.score}"
