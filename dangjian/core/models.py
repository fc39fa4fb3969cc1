"""Base models shared by every app: timestamps, tree nodes and the event log."""

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import RestrictedQuerySet
from dangjian.core.conf import config

PATH_STEP = 4  # characters per level of a materialised path
PATH_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Optimistic locking: a form carries the version it was loaded with, and a save with an
    # older version is refused instead of silently overwriting someone else's edit.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


def path_segment(index: int) -> str:
    """The fixed-width base-36 segment for the ``index``-th child (1-based)."""
    digits = []
    for _i in range(PATH_STEP):
        index, rem = divmod(index, 36)
        digits.append(PATH_ALPHABET[rem])
    if index:
        raise ValueError("too many children for one tree node")
    return "".join(reversed(digits))


def segment_index(segment: str) -> int:
    return int(segment, 36)


class TreeNode(TimeStampedModel):
    """A node of a tree stored as a materialised path.

    Every level adds PATH_STEP characters, so a subtree is ``path__startswith`` (one indexed
    range scan) and all children of a node have paths of the same length, which lets subtree
    counts for every child be computed in one GROUP BY.
    """

    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("tree path"), max_length=64, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32, unique=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    # Retired (a region) or dissolved (an organisation) from this day: kept, with its history, and
    # no longer offered for new records (orgs.services.close_node).
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def ancestor_paths(self) -> list[str]:
        return [self.path[:end] for end in range(PATH_STEP, len(self.path), PATH_STEP)]


class EventAction(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    STATUS_CHANGED = "status_changed", _("Status changed")
    UNMASKED = "unmasked", _("Viewed unmasked")
    EXPORTED = "exported", _("Exported")
    DOWNLOADED = "downloaded", _("Downloaded")
    IMPORTED = "imported", _("Imported")
    GRANTED = "granted", _("Role granted")
    REVOKED = "revoked", _("Role revoked")
    SECURITY = "security", _("Security setting changed")


class UnmaskPurpose(models.TextChoices):
    """Why a full ID or mobile number is viewed (个人信息保护法: a stated purpose for each use).
    Kept in the unmasking event and shown to the person whose number it is."""

    CONTACT = "contact", _("To contact them")
    VERIFY = "verify", _("To verify their identity")
    PAPERWORK = "paperwork", _("For paperwork they asked for")
    CORRECT = "correct", _("To check or correct the record")


class Event(models.Model):
    """One change or sensitive read: who, when, what, which fields, why. Never updated or deleted."""

    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=32, choices=EventAction.choices)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target_label = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-occurred_at"], name="event_target_idx"),
            # The audit log: one account's (or a few accounts') events, newest first.
            models.Index(fields=["actor", "-occurred_at"], name="event_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.target_label}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """A piece of long work (export, import, recomputation) run by a background worker, with
    progress a page can poll. The task itself is a django-tasks task; this row is what users see."""

    kind = models.CharField(_("kind"), max_length=40)
    label = models.CharField(_("job"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(_("rows done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    file = models.FileField(upload_to="jobs/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The last sign of life of a queued or running job (each progress write): the sweep fails a
    # job silent for JOB_STALL_MINUTES (core/jobs.py).
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)

    @property
    def file_retention_hours(self) -> int:
        return config().export_retention_hours

    def file_expired_by(self, now: dt.datetime) -> bool:
        """The job made a file that has been kept for EXPORT_RETENTION_HOURS by ``now`` (its
        content is deleted by the sweep, if it has not been yet)."""
        if self.status != JobStatus.SUCCEEDED or not self.file_name:
            return False
        kept = dt.timedelta(hours=self.file_retention_hours)
        return not self.file or self.finished_at is None or self.finished_at + kept <= now

    @property
    def file_expired(self) -> bool:
        return self.file_expired_by(timezone.now())

    @property
    def interrupted(self) -> bool:
        """Failed by the sweep: it stopped giving signs of life (its user should run it again)."""
        return self.status == JobStatus.FAILED and bool(self.result.get("interrupted"))


# Events are read through the record they are about (events_for, after an access check on
# that record); listing them directly is for superusers until an audit page adds a rule.
from dangjian.core.access import Rule, register  # noqa: E402

register(Event, Rule())
# A job (and the file it produced) belongs to the user who started it.
register(Job, Rule(user="created_by_id"))


class CalendarDay(models.Model):
    """An admin's correction of the business calendar for one day (a holiday or a 调休 working
    day the package does not know yet, e.g. a future year's State Council notice)."""

    day = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'workday' if self.is_workday else 'holiday'}"


register(CalendarDay, Rule())


class Notification(models.Model):
    """A message to one user in the platform (there is no SMS or e-mail here): a deadline coming
    or passed, a request escalated to the street. ``kind`` and ``params`` are rendered in the
    reader's language; ``key`` makes each notice arrive once per recipient."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=32)
    key = models.CharField(max_length=80)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once")]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


register(Notification, Rule(user="recipient_id", self_actions=frozenset({"view", "change"})))


class Setting(models.Model):
    """A configuration value set in the browser by the platform admin (core.conf.EDITABLE keys);
    it takes precedence over settings.DANGJIAN. Each change is also an event."""

    key = models.CharField(_("setting"), max_length=64, unique=True)
    value = models.JSONField(_("value"))
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("setting")
        verbose_name_plural = _("settings")

    def __str__(self) -> str:
        return self.key
