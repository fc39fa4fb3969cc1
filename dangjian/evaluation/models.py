"""Evaluation plans, their runs and the results (issue #13, DESIGN.md §6, docs/evaluation.md).

A ``Plan`` says how a street's (or the district's) communities are judged over one period: the
tree (``PlanGroup``, ``PlanLeaf`` with weight, floor, target and minimum sample), how the data's
own weights are mixed in (α, entropy or CRITIC), the tier cut-offs, and the experts' AHP
judgements behind the weights (``Judgement``). It is published to the evaluated units before the
period starts and is frozen from then on: a change is a new revision with its reason, the old one
kept. A ``Run`` computes every community's result for a plan revision as a background job and
keeps its inputs and their fingerprint, so that a recomputation says whether anything changed."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import RestrictedQuerySet
from dangjian.core.models import TimeStampedModel


class PeriodKind(models.TextChoices):
    QUARTER = "quarter", _("Quarter")
    HALF = "half", _("Half-year")
    YEAR = "year", _("Year")


class PlanState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Replaced by a later revision")


class Objective(models.TextChoices):
    ENTROPY = "entropy", _("Entropy")
    CRITIC = "critic", _("CRITIC")
    NONE = "none", _("None (experts' weights only)")


class Plan(TimeStampedModel):
    region = models.ForeignKey(
        "orgs.Region", verbose_name=_("street or district"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    start = models.DateField(_("period starts"))
    end = models.DateField(_("period ends (exclusive)"))
    revision = models.PositiveIntegerField(_("revision"), default=1)
    previous = models.OneToOneField(
        "self",
        verbose_name=_("revision replaced"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next",
    )
    reason = models.TextField(_("reason for this revision"), blank=True)
    state = models.CharField(_("state"), max_length=12, choices=PlanState.choices, default=PlanState.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    alpha = models.FloatField(_("share of the experts' weights (α)"), default=0.6)
    objective = models.CharField(
        _("weights from the data"), max_length=10, choices=Objective.choices, default=Objective.ENTROPY
    )
    ri_table = models.CharField(_("random index table"), max_length=20, default="saaty1980")
    ahp_method = models.CharField(_("AHP priorities"), max_length=10, default="eigen")
    cutoffs = models.JSONField(_("tier cut-offs"), default=list)  # [["A", 85], ["B", 70], ["C", 55]]

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation plan")
        verbose_name_plural = _("evaluation plans")
        ordering = ["-start", "region__path", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["region", "start", "end", "revision"], name="evaluation_plan_revision"),
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="evaluation_plan_period"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.start:%Y-%m-%d}–{self.last_day:%Y-%m-%d} v{self.revision}"

    @property
    def last_day(self) -> dt.date:
        """The period's last day (``end`` is the day after it)."""
        return self.end - dt.timedelta(days=1)


class PlanGroup(models.Model):
    """A first-level group of the tree (A–E) and its weight among the groups."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="groups")
    code = models.CharField(_("group"), max_length=4)
    weight = models.FloatField(_("weight"))
    order = models.PositiveSmallIntegerField(default=0)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="evaluation_group_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.weight:.4f}"


class PlanLeaf(models.Model):
    """An indicator in the plan: its group, its weight within the group (the experts'), and the
    floor (scores 0), target (scores 100) and minimum sample published with the plan."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="leaves")
    group = models.CharField(_("group"), max_length=4)
    code = models.CharField(_("indicator"), max_length=60)
    weight = models.FloatField(_("weight within the group"))
    floor = models.FloatField(_("floor (scores 0)"))
    target = models.FloatField(_("target (scores 100)"))
    min_sample = models.PositiveIntegerField(_("minimum sample"), default=30)
    order = models.PositiveSmallIntegerField(default=0)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "group", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="evaluation_leaf_code"),
            models.CheckConstraint(condition=~models.Q(floor=models.F("target")), name="evaluation_leaf_range"),
        ]

    def __str__(self) -> str:
        return self.code


class Judgement(TimeStampedModel):
    """One expert's pairwise comparisons (Saaty's 1–9 scale) of a level of the tree: the groups
    (``level`` "") or the leaves of one group (``level`` its code), in ``items`` order."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="judgements")
    level = models.CharField(_("level"), max_length=4, blank=True)
    expert = models.CharField(_("expert"), max_length=60)
    items = models.JSONField(_("compared"), default=list)
    matrix = models.JSONField(_("comparisons"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "level", "expert"]
        constraints = [models.UniqueConstraint(fields=["plan", "level", "expert"], name="evaluation_judgement_expert")]


class Run(models.Model):
    """One computation of a plan revision: every unit's result, the inputs it read (per unit and
    leaf) and their fingerprint, and every intermediate number of the weighting (``weights``)."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="runs")
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    fingerprint = models.CharField(_("fingerprint of the inputs"), max_length=64, blank=True)
    inputs = models.JSONField(default=dict)  # {unit id: {code: [value, sample, numerator, denominator]}}
    weights = models.JSONField(default=dict)  # the weighting's numbers, group by group
    changes = models.JSONField(default=list)  # what differs from the run before of the same plan

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.plan} @ {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def done(self) -> bool:
        return self.finished_at is not None


class Result(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="results")
    unit = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, related_name="+")
    total = models.FloatField(null=True)
    low = models.FloatField(null=True)
    high = models.FloatField(null=True)
    tier = models.CharField(max_length=8, blank=True)
    stable = models.BooleanField(default=True)  # the tier holds under the sensitivity checks
    groups = models.JSONField(default=dict)
    group_weights = models.JSONField(default=dict)
    leaves = models.JSONField(default=list)
    weak = models.JSONField(default=list)
    sensitivity = models.JSONField(default=dict)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["run", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["run", "unit"], name="evaluation_result_unit")]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.total}"


class FlagState(models.TextChoices):
    OPEN = "open", _("To be looked at")
    CONFIRMED = "confirmed", _("A problem, confirmed")
    EXPLAINED = "explained", _("Explained")


class Flag(models.Model):
    """What a registered check (core.indicators.Check) found in a community in a run's period: the
    records behind it, and what a reviewer made of it. A flag never changes a score."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="flags")
    unit = models.ForeignKey("orgs.Region", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("check"), max_length=60)
    count = models.PositiveIntegerField(_("records found"))
    base = models.PositiveIntegerField(_("records looked at"))
    detail = models.JSONField(default=dict)
    evidence = models.JSONField(default=list)  # ids of the records (at most 500)
    state = models.CharField(_("state"), max_length=12, choices=FlagState.choices, default=FlagState.OPEN)
    note = models.CharField(_("what was found"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["run", "unit__path", "code"]
        constraints = [models.UniqueConstraint(fields=["run", "unit", "code"], name="evaluation_flag_unit_code")]

    def __str__(self) -> str:
        return f"{self.code} @ {self.unit_id}: {self.count}/{self.base}"
