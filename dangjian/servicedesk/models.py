"""The service catalogue (党群服务事项): what residents may ask for, with the targets the
service desk is held to. Requests, their steps, attachments, ratings and callbacks."""

import re
import unicodedata
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import RestrictedQuerySet
from dangjian.core.models import TimeStampedModel
from dangjian.core.validators import parse_id
from dangjian.core.vocabulary import shown

# The key of ``ServiceRequest.phone_hash`` (a mobile number left with a request), apart from the
# people register's: one leaked digest does not find the other.
REQUEST_PHONE_PURPOSE = "request-phone"


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
        "people.Tag",
        verbose_name=_("skills needed"),
        blank=True,
        related_name="service_categories",
        limit_choices_to={"kind": "skill"},
    )
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
        return self.label

    @property
    def label(self) -> str:
        """The name as the reader's language shows it (core/vocabulary.py)."""
        return shown(self.name)


class RequestState(models.TextChoices):
    """DESIGN.md §5. The transitions between them live in one place: servicedesk/lifecycle.py."""

    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    SUSPENDED = "suspended", _("On hold")
    ESCALATED = "escalated", _("Escalated to the street")
    RETURNED = "returned", _("Returned")
    HANDLED = "handled", _("Handled")
    VISITED = "visited", _("Confirmed")
    CLOSED = "closed", _("Closed")


OPEN_STATES = (
    RequestState.SUBMITTED,
    RequestState.ACCEPTED,
    RequestState.DISPATCHED,
    RequestState.IN_PROGRESS,
    RequestState.SUSPENDED,
    RequestState.ESCALATED,
    RequestState.RETURNED,
)
# States in which the resolution clock has stopped: the handler says the work is done.
DONE_STATES = (RequestState.HANDLED, RequestState.VISITED, RequestState.CLOSED)


class Channel(models.TextChoices):
    DESK = "desk", _("Walk-in at the desk")
    PHONE = "phone", _("Telephone")
    WEB = "web", _("Resident pages")
    API = "api", _("API (Open311)")
    RECEPTION = "reception", _("Party representative reception")


class AssigneeKind(models.TextChoices):
    GRID = "grid", _("Grid")
    STAFF = "staff", _("Staff member")
    BRANCH = "branch", _("Party branch")
    VOLUNTEER = "volunteer", _("Volunteer party member")


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    UNRESOLVED = "unresolved", _("Not resolved")


class OutcomeSource(models.TextChoices):
    RESIDENT = "resident", _("The resident")
    CALLBACK = "callback", _("Callback")


class UnresolvedSource(models.TextChoices):
    """Who found a request not resolved (``ServiceRequest.unresolved_at``, which is never cleared)."""

    RESIDENT = "resident", _("The resident said it is not resolved")
    CALLBACK = "callback", _("The callback found it not resolved")
    REOPENED = "reopened", _("Reopened: the problem came back")


class Classification(models.TextChoices):
    """DESIGN.md §5: requests a reviewer classifies so are left out of the rates, but only once a
    second person has signed the classification off (docs/servicedesk.md)."""

    UNREASONABLE = "unreasonable", _("Unreasonable demand")
    UNTRUE = "untrue", _("Not true")
    NOT_OUR_REMIT = "not_our_remit", _("Not within this level's remit")
    # Set by a merge (lifecycle.request_merge), never chosen from the classification list: a
    # merged request leaves the rates only once a second person signs the merge off.
    DUPLICATE = "duplicate", _("Duplicate (merged into another request)")


# What a reviewer may choose when classifying (a duplicate is made by merging).
REVIEW_CLASSIFICATIONS = [
    (value, label) for value, label in Classification.choices if value != Classification.DUPLICATE
]


class CloseReason(models.TextChoices):
    CONFIRMED = "confirmed", _("Outcome confirmed")
    NO_ANSWER = "no_answer", _("No confirmation from the requester")
    DUPLICATE = "duplicate", _("Merged as a duplicate")
    WITHDRAWN = "withdrawn", _("Withdrawn by the requester")
    CLASSIFIED = "classified", _("Classified")


# A closed request may still be called back if it was closed after its handling (not withdrawn,
# merged or classified): lifecycle.may_call_back and the callbacks' list.
CALLBACK_CLOSE_REASONS = (CloseReason.CONFIRMED, CloseReason.NO_ANSWER)

# A request number as residents quote it: "2026-0001234", "2026－1234", "1234" (ServiceRequest.number).
REQUEST_NUMBER = re.compile(r"^\s*(?:(\d{4})\s*[-－—]\s*)?0*(\d{1,10})\s*$")


def parse_request_number(text: str) -> tuple[int | None, int] | None:
    """(year or None, id) of a request number as residents quote it, or None if it is not one.
    Full-width digits (a Chinese input method's) read as digits."""
    match = REQUEST_NUMBER.match(unicodedata.normalize("NFKC", text or ""))
    if match is None:
        return None
    year, digits = match.groups()
    pk = parse_id(digits)
    return None if pk is None else (int(year) if year else None, pk)


class ServiceRequest(TimeStampedModel):
    """A resident's request (诉求), taken in once from any channel and tracked until the
    resident (or an independent callback) confirms the outcome. Never deleted: it is closed,
    merged as a duplicate or classified. Its Open311 ``service_request_id`` is the primary key."""

    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("service"), on_delete=models.PROTECT, related_name="requests"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    description = models.TextField(_("description"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    # Where it sits: a grid when known, else the community. ``community`` is kept beside it so
    # that the rates group by community without walking the tree.
    region = models.ForeignKey(
        "orgs.Region", verbose_name=_("grid or community"), on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "orgs.Region", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("handling level"), max_length=16, choices=HandlingLevel.choices)
    requester = models.ForeignKey(
        "people.Person",
        verbose_name=_("requester"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    # Contact of a requester without a record (anonymous submissions): name and phone only.
    contact_name = models.CharField(_("contact name"), max_length=50, blank=True)
    phone_encrypted = models.TextField(editable=False, blank=True)
    phone_hash = models.CharField(max_length=64, editable=False, blank=True, db_index=True)
    phone_masked = models.CharField(_("contact phone"), max_length=11, editable=False, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    token = models.CharField(max_length=32, unique=True, editable=False)
    state = models.CharField(_("state"), max_length=16, choices=RequestState.choices, default=RequestState.SUBMITTED)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    # Assignment (派单): one kind at a time; the user who acts on it, where there is one.
    assignee_kind = models.CharField(_("assigned to"), max_length=16, choices=AssigneeKind.choices, blank=True)
    assignee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_requests",
    )
    assignee_person = models.ForeignKey(
        "people.Person",
        verbose_name=_("volunteer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_requests",
    )
    assignee_organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_requests",
    )
    assignee_region = models.ForeignKey(
        "orgs.Region", verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The clock (servicedesk/sla.py): due moments move later by the time spent on hold.
    response_due_at = models.DateTimeField(_("first response due"))
    resolution_due_at = models.DateTimeField(_("resolution due"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Business seconds from submission to 办结, the pauses left out (for P50/P90 ÷ target).
    handle_seconds = models.PositiveIntegerField(_("business time to handle"), null=True, blank=True)
    paused_since = models.DateTimeField(_("on hold since"), null=True, blank=True)
    # A breach stays a breach: set once, never cleared.
    response_breached = models.BooleanField(_("response late"), default=False)
    resolution_breached = models.BooleanField(_("resolution late"), default=False)
    result = models.TextField(_("reply to the requester"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    outcome_source = models.CharField(_("confirmed by"), max_length=16, choices=OutcomeSource.choices, blank=True)
    outcome_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # The 解决率's verdict "not resolved" stays once given (docs/rates.md): the requester said so
    # (even if it is handled again and then confirmed), a callback found so, or it was reopened.
    # Set once, never cleared, like the breach flags.
    unresolved_at = models.DateTimeField(_("found not resolved at"), null=True, blank=True)
    unresolved_source = models.CharField(
        _("found not resolved by"), max_length=16, choices=UnresolvedSource.choices, blank=True
    )
    close_reason = models.CharField(_("closed because"), max_length=16, choices=CloseReason.choices, blank=True)
    is_public = models.BooleanField(_("shown on the public board"), default=False)
    public_summary = models.CharField(_("public summary"), max_length=300, blank=True)
    reopened_from = models.ForeignKey(
        "self", verbose_name=_("reopens"), null=True, blank=True, on_delete=models.PROTECT, related_name="reopenings"
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    classification = models.CharField(_("classification"), max_length=16, choices=Classification.choices, blank=True)
    classification_note = models.CharField(_("grounds"), max_length=500, blank=True)
    classified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("classified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed off by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    callback_sampled = models.BooleanField(_("sampled for a callback"), default=False)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["region", "state", "resolution_due_at"], name="request_region_state_idx"),
            models.Index(fields=["community", "submitted_at"], name="request_community_time_idx"),
            models.Index(fields=["state", "resolution_due_at"], name="request_state_due_idx"),
            models.Index(fields=["assignee_user", "state"], name="request_assignee_idx"),
            models.Index(fields=["requester", "submitted_at"], name="request_requester_idx"),
            models.Index(
                fields=["community", "outcome_at"], condition=models.Q(is_public=True), name="request_public_board_idx"
            ),
            # Classifications and merges waiting for a sign-off (the workbench's to-do, the audit
            # page): few among a million requests.
            models.Index(
                fields=["community", "submitted_at"],
                condition=models.Q(signed_off_at__isnull=True) & ~models.Q(classification=""),
                name="request_sign_off_waiting_idx",
            ),
            # The queue of open work by deadline: only the open (and awaiting-confirmation) requests.
            models.Index(
                fields=["resolution_due_at", "id"],
                name="request_open_due_idx",
                condition=models.Q(
                    state__in=[
                        "submitted",
                        "accepted",
                        "dispatched",
                        "in_progress",
                        "suspended",
                        "escalated",
                        "returned",
                        "handled",
                    ]
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.category.label if self.category_id else ''}".strip()

    @property
    def number(self) -> str:
        """The number residents quote: year of submission and the id (also the Open311 id)."""
        return f"{self.submitted_at:%Y}-{self.pk or 0:07d}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def excluded(self) -> bool:
        """Left out of the rates: classified (or merged as a duplicate) and signed off by a second
        person."""
        return bool(self.classification and self.signed_off_at)

    @property
    def is_merged(self) -> bool:
        return self.close_reason == CloseReason.DUPLICATE


class RequestStep(models.Model):
    """One transition of a request, as it happened: the history the SLA pauses are rebuilt from
    and the record of who did what, when and why."""

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="steps"
    )
    action = models.CharField(_("action"), max_length=24)
    old_state = models.CharField(_("from"), max_length=16, blank=True)
    new_state = models.CharField(_("to"), max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    # For the requester's page: steps that are internal (assignments, notes among staff) are not shown.
    is_public = models.BooleanField(default=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("request step")
        verbose_name_plural = _("request steps")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["request", "at"], name="request_step_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.old_state}→{self.new_state}"


def request_attachment_path(instance: "RequestAttachment", filename: str) -> str:
    return f"requests/{instance.request_id}/{uuid.uuid4().hex[:8]}-{filename[-60:]}"


class RequestAttachment(models.Model):
    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=request_attachment_path)
    name = models.CharField(_("name"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class Rating(models.Model):
    """The requester's satisfaction, 1–5. Kept apart from the request and without the rater, so
    a handler never sees who rated their work how: handlers see only aggregates."""

    request = models.OneToOneField(
        ServiceRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="rating"
    )
    score = models.PositiveSmallIntegerField(_("rating"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    source = models.CharField(_("given through"), max_length=16, choices=OutcomeSource.choices)
    rated_at = models.DateTimeField(_("rated at"), default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="rating_1_to_5")]

    def __str__(self) -> str:
        return str(self.score)


class Callback(models.Model):
    """A callback (回访) to the requester of a sampled request, made by someone outside the
    handling unit: whether they were reached, whether it was resolved, how satisfied."""

    request = models.OneToOneField(
        ServiceRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="callback"
    )
    sampled_at = models.DateTimeField(_("sampled at"), default=timezone.now)
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("called by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    done_at = models.DateTimeField(_("called at"), null=True, blank=True)
    answered = models.BooleanField(_("reached the requester"), null=True)
    resolved = models.BooleanField(_("resolved, says the requester"), null=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Tries that did not reach the requester, one a day at most; at CALLBACK_ATTEMPTS the case is
    # given up and counts as not reached (the 回访接通率 shows how many a unit's callers give up).
    attempts = models.PositiveSmallIntegerField(_("tries not reached"), default=0)
    given_up_at = models.DateTimeField(_("given up at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        indexes = [models.Index(fields=["done_at", "sampled_at"], name="callback_queue_idx")]

    def __str__(self) -> str:
        return f"{self.request_id}"


class ReceptionSession(TimeStampedModel):
    """A party representative's reception (党代表接访): a time and place where residents who
    booked a slot raise what concerns them; what they raise becomes requests."""

    community = models.ForeignKey(
        "orgs.Region", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    representative = models.ForeignKey(
        "people.Person", verbose_name=_("party representative"), on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=100)
    slots = models.PositiveSmallIntegerField(_("places to book"), default=10)
    note = models.CharField(_("topics welcome"), max_length=300, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("reception session")
        verbose_name_plural = _("reception sessions")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="reception_ends_after")
        ]

    def __str__(self) -> str:
        return f"{self.representative} {self.starts_at:%Y-%m-%d %H:%M}"


class ReceptionBooking(models.Model):
    """A resident's booked slot at a reception, with what they want to raise. Raising it at the
    reception makes it a request (channel: reception) linked here."""

    session = models.ForeignKey(
        ReceptionSession, verbose_name=_("reception"), on_delete=models.PROTECT, related_name="bookings"
    )
    person = models.ForeignKey(
        "people.Person", verbose_name=_("resident"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact_name = models.CharField(_("name"), max_length=50, blank=True)
    phone_encrypted = models.TextField(editable=False, blank=True)
    phone_masked = models.CharField(_("mobile"), max_length=11, editable=False, blank=True)
    topic = models.CharField(_("what you want to raise"), max_length=500)
    booked_at = models.DateTimeField(_("booked at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    request = models.OneToOneField(
        ServiceRequest,
        verbose_name=_("request"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="booking",
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["booked_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person"],
                condition=models.Q(cancelled_at__isnull=True, person__isnull=False),
                name="booking_one_per_person",
            )
        ]

    def __str__(self) -> str:
        return self.topic[:30]


class RequestDay(models.Model):
    """The requests submitted on one local day in one grid (or taken at the community), counted
    once for the rates (三率 and more) so that a page does not scan a quarter of requests.

    Only what no longer depends on the moment of looking is kept: a request that is open and past
    its deadline counts as late "now", which the rates add from the open requests when they read
    (rates/selectors.py). The merged duplicates and the classifications signed off are left out,
    as in every rate. Kept by the state machine (rates/rollups.py: every transition recounts the
    days it touched) and checked against the requests every night (``servicedesk_rollups``).
    Figures only: the requests behind any of them are listed from the requests themselves."""

    day = models.DateField(_("day"))
    region = models.ForeignKey("orgs.Region", on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("orgs.Region", on_delete=models.CASCADE, related_name="+")
    total = models.PositiveIntegerField(default=0)
    response_den = models.PositiveIntegerField(default=0)
    response_num = models.PositiveIntegerField(default=0)
    resolution_den = models.PositiveIntegerField(default=0)
    resolution_num = models.PositiveIntegerField(default=0)
    callback_den = models.PositiveIntegerField(default=0)
    callback_num = models.PositiveIntegerField(default=0)
    reach_den = models.PositiveIntegerField(default=0)
    reach_num = models.PositiveIntegerField(default=0)
    score_1 = models.PositiveIntegerField(default=0)
    score_2 = models.PositiveIntegerField(default=0)
    score_3 = models.PositiveIntegerField(default=0)
    score_4 = models.PositiveIntegerField(default=0)
    score_5 = models.PositiveIntegerField(default=0)
    on_time_den = models.PositiveIntegerField(default=0)
    on_time_num = models.PositiveIntegerField(default=0)
    repeat_den = models.PositiveIntegerField(default=0)
    repeat_num = models.PositiveIntegerField(default=0)
    handled = models.PositiveIntegerField(default=0)

    objects = RestrictedQuerySet.as_manager()

    # The counted figures, in the order of the columns.
    FIGURES = (
        "total",
        "response_den",
        "response_num",
        "resolution_den",
        "resolution_num",
        "callback_den",
        "callback_num",
        "reach_den",
        "reach_num",
        "score_1",
        "score_2",
        "score_3",
        "score_4",
        "score_5",
        "on_time_den",
        "on_time_num",
        "repeat_den",
        "repeat_num",
        "handled",
    )

    class Meta:
        verbose_name = _("requests of a day")
        verbose_name_plural = _("requests by day")
        constraints = [models.UniqueConstraint(fields=["region", "day"], name="request_day_unique")]
        indexes = [models.Index(fields=["community", "day"], name="request_day_community_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.region_id}"
