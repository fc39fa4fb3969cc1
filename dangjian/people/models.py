"""Person: one row per human. Member: the party membership of a Person.

ID and phone numbers are never stored in clear: ``*_encrypted`` holds a Fernet token,
``*_hash`` a keyed hash for exact lookup, ``*_masked`` the display form. Rows are never
deleted; ``status`` changes instead, and every change is an Event.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import RestrictedQuerySet
from dangjian.core.models import TimeStampedModel
from dangjian.core.vocabulary import shown

ETHNIC_GROUPS = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
]


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    UNKNOWN = "unknown", _("Not stated")


class Education(models.TextChoices):
    PRIMARY = "primary", _("Primary school or below")
    JUNIOR = "junior", _("Junior secondary")
    SENIOR = "senior", _("Senior secondary / vocational")
    COLLEGE = "college", _("Junior college")
    BACHELOR = "bachelor", _("Bachelor")
    POSTGRADUATE = "postgraduate", _("Postgraduate")


class TagKind(models.TextChoices):
    PERSON = "person", _("Resident tag")
    SKILL = "skill", _("Skill or specialty")
    INTEREST = "interest", _("Interest")


class Tag(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=TagKind.choices)
    name = models.CharField(_("name"), max_length=32)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["kind", "sort_order", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="tag_kind_name_unique")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name as the reader's language shows it (core/vocabulary.py)."""
        return shown(self.name)


class Household(TimeStampedModel):
    region = models.ForeignKey("orgs.Region", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("address"), max_length=200)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        # A household is found by its grid and address (the person form, the residents' import).
        indexes = [models.Index(fields=["region", "address"], name="household_region_address_idx")]

    def __str__(self) -> str:
        return self.address


class PersonStatus(models.TextChoices):
    ACTIVE = "active", _("Living here")
    MOVED_OUT = "moved_out", _("Moved out")
    DECEASED = "deceased", _("Deceased")


class Person(TimeStampedModel):
    name = models.CharField(_("full name"), max_length=50)  # indexed below, for search
    name_pinyin = models.CharField(_("name in pinyin"), max_length=200, editable=False, db_index=True)
    name_initials = models.CharField(_("pinyin initials"), max_length=50, editable=False, db_index=True)
    name_given = models.CharField(_("given name"), max_length=50, editable=False, blank=True)  # indexed below
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, default=Gender.UNKNOWN)
    ethnicity = models.CharField(_("ethnicity"), max_length=16, blank=True, default="汉族")
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    education = models.CharField(_("education"), max_length=16, choices=Education.choices, blank=True)

    id_number_encrypted = models.TextField(editable=False, blank=True)
    id_number_hash = models.CharField(max_length=64, editable=False, blank=True, db_index=True)
    id_number_masked = models.CharField(_("ID number"), max_length=18, editable=False, blank=True)
    phone_encrypted = models.TextField(editable=False, blank=True)
    phone_hash = models.CharField(max_length=64, editable=False, blank=True, db_index=True)
    phone_masked = models.CharField(_("mobile"), max_length=11, editable=False, blank=True)
    phone_tail = models.CharField(max_length=4, editable=False, blank=True, db_index=True)

    region = models.ForeignKey("orgs.Region", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="people")
    address = models.CharField(_("address"), max_length=200, blank=True)
    household = models.ForeignKey(
        Household, verbose_name=_("household"), null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="people")
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=PersonStatus.choices, default=PersonStatus.ACTIVE)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="person",
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name_pinyin", "id"]
        constraints = [
            # One row per human: an ID number can belong to one person only.
            models.UniqueConstraint(
                fields=["id_number_hash"], condition=~Q(id_number_hash=""), name="person_id_number_unique"
            )
        ]
        indexes = [
            models.Index(fields=["region", "name_pinyin"], name="person_region_pinyin_idx"),
            # Narrow: counts of a district's residents and joins from members or tags to the
            # people in scope read this index only, not the wide table (index-only scans).
            models.Index(fields=["status", "region", "id"], name="person_status_region_idx"),
            # Covering (PostgreSQL): the roster's filters and composition counts join 60,000
            # members to their person for birth date, gender and education; this narrow index
            # answers them without reading the wide person rows (index-only scans).
            models.Index(fields=["id"], include=["birth_date", "gender", "education"], name="person_member_facts_idx"),
            # Covering (PostgreSQL): a name search reads the start of the name and of the given
            # name as two index-only scans (people.selectors.search_branches): 王 in a district is
            # 56,000 matches, whose table pages an ordinary index would make it read.
            *(
                models.Index(
                    fields=[field],
                    opclasses=["varchar_pattern_ops"],
                    include=["status", "region", "name_pinyin", "id"],
                    name=f"person_{field}_search_idx",
                )
                for field in ("name", "name_given")
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MemberStage(models.TextChoices):
    PROBATIONARY = "probationary", _("Probationary member")
    FULL = "full", _("Full member")


class MemberCategory(models.TextChoices):
    EMPLOYED = "employed", _("In employment")
    RETIRED = "retired", _("Retired")
    STUDENT = "student", _("Student")
    FARMER = "farmer", _("Farmer")
    OTHER = "other", _("Other")


class MembershipStatus(models.TextChoices):
    NORMAL = "normal", _("In good standing")
    SUSPENDED = "suspended", _("Membership suspended")
    LEFT = "left", _("Left the party")
    DECEASED = "deceased", _("Deceased")
    TRANSFERRED_OUT = "transferred_out", _("Transferred to an organisation outside the system")


def probationary_on(day: dt.date, prefix: str = "") -> Q:
    """The one definition of a probationary member on ``day``: not yet a full member then (no
    date of full membership, or one after ``day``). Figures, filters and lists all count with it;
    the stored ``stage`` agrees with it for today (a check constraint ties it to ``full_on``, and
    the services refuse a date of full membership in the future)."""
    return Q(**{f"{prefix}full_on__isnull": True}) | Q(**{f"{prefix}full_on__gt": day})


class Member(TimeStampedModel):
    person = models.OneToOneField(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="member")
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("party organisation"), on_delete=models.PROTECT, related_name="members"
    )
    stage = models.CharField(_("stage"), max_length=16, choices=MemberStage.choices, default=MemberStage.FULL)
    category = models.CharField(_("category"), max_length=16, choices=MemberCategory.choices)
    status = models.CharField(
        _("membership status"), max_length=16, choices=MembershipStatus.choices, default=MembershipStatus.NORMAL
    )
    applied_on = models.DateField(_("applied on"), null=True, blank=True)
    joined_on = models.DateField(_("joined on"), help_text=_("date of the branch meeting that admitted the member"))
    full_on = models.DateField(_("full membership on"), null=True, blank=True)
    specialties = models.ManyToManyField(
        Tag, verbose_name=_("specialties and interests"), blank=True, related_name="members"
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        indexes = [models.Index(fields=["organization", "stage"], name="member_org_stage_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage="full", full_on__isnull=False) | Q(stage="probationary", full_on__isnull=True),
                name="member_stage_follows_full_on",
                violation_error_message=_("A full member has a date of full membership; a probationary member none."),
            )
        ]

    def __str__(self) -> str:
        return self.person.name

    def stage_on(self, day: dt.date) -> str:
        """The member's stage on ``day`` (see ``probationary_on``)."""
        return MemberStage.FULL if self.full_on is not None and self.full_on <= day else MemberStage.PROBATIONARY


class CommitteeSeat(TimeStampedModel):
    """A seat on an organisation's committee (书记, 副书记, 委员) for a term."""

    class Title(models.TextChoices):
        SECRETARY = "secretary", _("Secretary")
        DEPUTY = "deputy", _("Deputy secretary")
        MEMBER = "member", _("Committee member")

    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("party organisation"), on_delete=models.PROTECT, related_name="seats"
    )
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="seats")
    title = models.CharField(_("title"), max_length=16, choices=Title.choices)
    started_on = models.DateField(_("in office since"))
    ended_on = models.DateField(_("in office until"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("committee seat")
        verbose_name_plural = _("committee seats")
        ordering = ["organization", "title", "started_on"]

    def __str__(self) -> str:
        return f"{self.organization} {self.get_title_display()} {self.person}"
