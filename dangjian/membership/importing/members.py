"""Importing a member roster (党员信息采集表) from .xlsx or .csv.

``plan_import`` reads and checks every row and reports each problem by row and column, in
Chinese, writing nothing (the dry run). ``apply_import`` writes the valid rows of a plan in one
transaction: every valid row is applied or none is. Rows are matched to people by ID number, so
importing the same file twice changes nothing the second time; an empty cell never erases what
is recorded. Writes are in bulk (a 10,000-row roster is a few dozen queries per thousand rows).
"""

import datetime as dt
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangjian.core import crypto
from dangjian.core.access import CREATE, restrict
from dangjian.core.actors import Actor
from dangjian.core.calendar import add_years
from dangjian.core.events import EventAction, build_event
from dangjian.core.importing import (
    LIST_SPLIT,
    Importer,
    ImportFailed,
    ImportPlan,
    ImportResult,
    Problem,
    Progress,
    TemplateColumn,
    Vocabulary,
    numbered,
    vocabulary_lines,
    word,
)
from dangjian.core.models import Event
from dangjian.core.tabular import Table, clean_text, parse_date_cell, parse_id_cell
from dangjian.core.validators import id_birth_date
from dangjian.membership.models import Placement, PlacementReason
from dangjian.membership.roster.services import member_date_errors
from dangjian.orgs.models import Organization, OrgKind, Region, RegionLevel
from dangjian.people.importing import EDUCATION, GENDERS, match_people, person_cells, update_person
from dangjian.people.models import Member, MemberCategory, MemberStage, Person, Tag, TagKind
from dangjian.people.services import ID_NUMBER_TAKEN, ID_PURPOSE, normalize_name, person_display, person_prepare

MAX_ROWS = 20_000
PROBATION_MAX_YEARS = 2  # one year of probation, extended by at most one (党章 第七条)
EXAMPLE_ID_NUMBER = "420107198005170012"  # the template's example row, skipped if left in


STAGES = Vocabulary(
    options=(("正式党员", MemberStage.FULL), ("预备党员", MemberStage.PROBATIONARY)),
    aliases=(("正式", MemberStage.FULL), ("预备", MemberStage.PROBATIONARY)),
    choices=MemberStage,
)
CATEGORIES = Vocabulary(
    options=(
        ("在职", MemberCategory.EMPLOYED),
        ("离退休", MemberCategory.RETIRED),
        ("学生", MemberCategory.STUDENT),
        ("农民", MemberCategory.FARMER),
        ("其他", MemberCategory.OTHER),
    ),
    aliases=(
        ("在职党员", MemberCategory.EMPLOYED),
        ("在岗", MemberCategory.EMPLOYED),
        ("退休", MemberCategory.RETIRED),
        ("离休", MemberCategory.RETIRED),
        ("在校学生", MemberCategory.STUDENT),
        ("农村", MemberCategory.FARMER),
        ("无业", MemberCategory.OTHER),
        ("失业", MemberCategory.OTHER),
        ("灵活就业", MemberCategory.OTHER),
    ),
    choices=MemberCategory,
)


TEMPLATE_COLUMNS: tuple[TemplateColumn, ...] = (
    TemplateColumn("name", "姓名", ("党员姓名", "名字"), required=True, width=10, example="张三"),
    TemplateColumn("gender", "性别", width=6, example="男", vocabulary=GENDERS),
    TemplateColumn("ethnicity", "民族", width=8, example="汉族"),
    TemplateColumn("birth_date", "出生日期", ("出生年月日", "生日"), width=12, example=dt.date(1980, 5, 17)),
    TemplateColumn(
        "id_number",
        "公民身份号码",
        ("身份证号", "身份证号码", "身份证"),
        required=True,
        width=22,
        example=EXAMPLE_ID_NUMBER,
        text=True,
    ),
    TemplateColumn(
        "phone", "手机号码", ("手机号", "手机", "联系电话", "电话"), width=14, example="13812345678", text=True
    ),
    TemplateColumn("education", "学历", ("文化程度", "最高学历"), width=12, example="本科", vocabulary=EDUCATION),
    TemplateColumn(
        "organization",
        "所在党组织",
        ("所在党支部", "党支部", "党组织", "支部名称"),
        width=24,
        example="红钢城社区第一党支部",
    ),
    TemplateColumn(
        "stage",
        "正式/预备",
        ("党员类别", "党员类型", "正式或预备", "预备/正式"),
        width=10,
        example="正式党员",
        vocabulary=STAGES,
    ),
    TemplateColumn("category", "人员类别", ("在职情况", "工作状态"), width=10, example="在职", vocabulary=CATEGORIES),
    TemplateColumn("applied_on", "申请入党日期", ("申请入党时间",), width=13, example=dt.date(2001, 3, 1)),
    TemplateColumn(
        "joined_on", "入党日期", ("入党时间", "加入党组织日期"), required=True, width=12, example=dt.date(2003, 7, 1)
    ),
    TemplateColumn("full_on", "转正日期", ("转正时间",), width=12, example=dt.date(2004, 7, 1)),
    TemplateColumn("grid", "所在网格", ("网格", "居住网格"), width=12, example="第一网格"),
    TemplateColumn(
        "address", "现居住地址", ("居住地址", "家庭住址", "住址", "地址"), width=28, example="钢花新村3栋2单元501"
    ),
    TemplateColumn("specialties", "特长", ("专长", "特长爱好"), width=16, example="法律咨询、心理疏导"),
)
LABELS = {column.key: column.label for column in TEMPLATE_COLUMNS}


@dataclass
class PlannedRow:
    number: int
    id_hash: str
    person: dict[str, Any]  # data for person_prepare (only the cells that were filled in)
    member: dict[str, Any]
    organization: Organization
    region: Region | None
    specialties: list[int]
    person_id: int | None = None
    member_id: int | None = None


class _Lookups:
    """Organisations, grids and specialties the rows may name, loaded once."""

    def __init__(self, root: Organization, actor: Actor) -> None:
        orgs = Organization.objects.filter(path__startswith=root.path, closed_on__isnull=True).select_related("region")
        self.root = root
        self.orgs: list[Organization] = list(restrict(orgs, actor, CREATE))
        self.by_name = {word(o.name): o for o in self.orgs} | {word(o.code): o for o in self.orgs}
        regions = Region.objects.filter(path__startswith=_served_region(root).path, closed_on__isnull=True)
        regions = regions.select_related("parent")
        self.regions: list[Region] = list(restrict(regions, actor, CREATE))
        self.specialties = {word(t.name): t.pk for t in Tag.objects.filter(kind__in=(TagKind.SKILL, TagKind.INTEREST))}

    def organization(self, text: str) -> tuple[Organization | None, str | None]:
        if not text:
            return self.root if self.root in self.orgs else None, None if self.root in self.orgs else _(
                "Enter the party organisation."
            )
        found = self.by_name.get(word(text))
        if found is not None:
            return found, None
        close = difflib.get_close_matches(text, [o.name for o in self.orgs], n=1, cutoff=0.5)
        if close:
            return None, _("There is no party organisation “%(name)s” under %(root)s. Did you mean “%(close)s”?") % {
                "name": text,
                "root": self.root.name,
                "close": close[0],
            }
        return None, _("There is no party organisation “%(name)s” under %(root)s.") % {
            "name": text,
            "root": self.root.name,
        }

    def region(self, text: str, organization: Organization) -> tuple[Region | None, str | None]:
        served = _served_region(organization)
        inside = [r for r in self.regions if r.path.startswith(served.path)]
        if not text:
            if served.level in (RegionLevel.COMMUNITY, RegionLevel.GRID) and served in inside:
                return served, None
            return None, _("Enter the grid where the member lives.")
        key = word(text)
        matches = [
            r
            for r in inside
            if r.level in (RegionLevel.GRID, RegionLevel.COMMUNITY)
            and key in (word(r.name), word(f"{r.parent.name}{r.name}") if r.parent is not None else "")
        ]
        if len(matches) == 1:
            return matches[0], None
        if len(matches) > 1:
            first = matches[0]
            return None, _("Several grids are called “%(name)s”; write the community too, e.g. “%(example)s”.") % {
                "name": text,
                "example": f"{first.parent.name}{first.name}" if first.parent is not None else first.name,
            }
        close = difflib.get_close_matches(text, [r.name for r in inside], n=1, cutoff=0.5)
        if close:
            return None, _("There is no grid “%(name)s” in %(region)s. Did you mean “%(close)s”?") % {
                "name": text,
                "region": served.name,
                "close": close[0],
            }
        return None, _("There is no grid “%(name)s” in %(region)s.") % {"name": text, "region": served.name}


def _served_region(organization: Organization) -> Region:
    return organization.region


def plan_import(
    content: bytes,
    filename: str,
    *,
    root: Organization,
    actor: Actor,
    progress: Callable[[int, int], None] | None = None,
) -> ImportPlan:
    """Read and check every row; write nothing. ``actor`` may be the system (command line)."""
    today = actor.today
    plan = ImportPlan()
    table = IMPORTER.read(content, filename, plan)
    if table is None:
        return plan
    lookups = _Lookups(root, actor)
    candidates: list[tuple[PlannedRow | None, str, list[Problem]]] = []
    first_row_of: dict[str, int] = {}
    for index, row in enumerate(table.rows, start=1):
        if parse_id_cell(row.values.get("id_number"))[0] == EXAMPLE_ID_NUMBER:
            plan.total -= 1
            plan.warnings.append(
                Problem(row.number, table.columns.get("id_number", ""), _("The template's example row was skipped."))
            )
            continue
        planned, problems = _check_row(row.number, row.values, table, lookups, today)
        if planned is not None and planned.id_hash in first_row_of:
            problems.append(
                Problem(
                    row.number,
                    table.columns.get("id_number", LABELS["id_number"]),
                    _("The same ID number is already on row %(row)d of this file; this row was skipped.")
                    % {"row": first_row_of[planned.id_hash]},
                )
            )
        elif planned is not None:
            first_row_of[planned.id_hash] = row.number
        candidates.append((planned, normalize_name(clean_text(row.values.get("name"))), problems))
        if progress is not None and index % 500 == 0:
            progress(index, plan.total)
    stop = _match_existing(candidates, actor, {key: table.columns.get(key, label) for key, label in LABELS.items()})
    if stop is not None:
        plan.errors.append(stop)
        return plan
    for planned, _name, problems in candidates:
        if problems:
            plan.errors.extend(problems)
        elif planned is not None:
            plan.rows.append(planned)
    plan.errors.sort(key=lambda p: p.row)
    if progress is not None:
        progress(plan.total, plan.total)
    return plan


def _check_row(
    number: int, values: dict[str, Any], table: Table, lookups: _Lookups, today: dt.date
) -> tuple[PlannedRow | None, list[Problem]]:
    problems: list[Problem] = []

    def problem(key: str, message: str) -> None:
        problems.append(Problem(number, table.columns.get(key, LABELS[key]), message))

    person, id_number = person_cells(
        values,
        problem,
        today=today,
        missing_name=_("Enter the member's name."),
        missing_id=_("Enter the ID number (members are matched by it)."),
    )
    dates: dict[str, dt.date | None] = {}
    for key in ("birth_date", "applied_on", "joined_on", "full_on"):
        value, error = parse_date_cell(values.get(key))
        if error and key != "birth_date":  # person_cells reported the date of birth
            problem(key, error)
        dates[key] = value
    if id_number:
        dates["birth_date"] = id_birth_date(id_number)
    stage = STAGES.code(values.get("stage"))
    if stage is None:
        problem("stage", _("Write 正式党员 or 预备党员."))
    category = CATEGORIES.code(values.get("category"))
    if category is None:
        problem("category", _("Unknown category; write one of: %(options)s.") % {"options": CATEGORIES.listed()})
    # An empty stage cell says nothing: a new member's stage follows from the full-membership
    # date, a recorded member's stays as recorded.
    stage = stage or ""
    for key, messages in member_date_errors(
        birth_date=dates["birth_date"],
        stage=stage,
        applied_on=dates["applied_on"],
        joined_on=dates["joined_on"],
        full_on=dates["full_on"],
        today=today,
    ).items():
        if not any(p.column == table.columns.get(key, LABELS[key]) for p in problems):
            problem(key, " ".join(messages))
    organization, org_error = lookups.organization(clean_text(values.get("organization")))
    if org_error:
        problem("organization", org_error)
    region = None
    if organization is not None:
        region, region_error = lookups.region(clean_text(values.get("grid")), organization)
        if region_error:
            problem("grid", region_error)
    specialties: list[int] = []
    for each in filter(None, LIST_SPLIT.split(clean_text(values.get("specialties")))):
        tag = lookups.specialties.get(word(each))
        if tag is None:
            problem("specialties", _("“%(word)s” is not a recorded specialty.") % {"word": each})
        else:
            specialties.append(tag)
    if not id_number or organization is None:
        return None, problems
    member = {
        "stage": stage,
        "category": category or "",
        "applied_on": dates["applied_on"],
        "joined_on": dates["joined_on"],
        "full_on": dates["full_on"],
    }
    planned = PlannedRow(
        number=number,
        id_hash=crypto.search_hash(id_number, purpose=ID_PURPOSE),
        person=person,
        member=member,
        organization=organization,
        region=region,
        specialties=specialties,
    )
    return planned, problems


def _match_existing(
    candidates: list[tuple[PlannedRow | None, str, list[Problem]]], actor: Actor, headers: dict[str, str]
) -> Problem | None:
    """Link rows to the people and members already recorded (by ID number), and refuse rows that
    would touch someone outside the actor's scope (saying no more than the person form does) or
    contradict the record. A problem with the whole file when it names too many people recorded
    out of sight."""
    rows = [(planned, name, problems) for planned, name, problems in candidates if planned is not None]
    existing, out_of_sight, stop = match_people([row.id_hash for row, _name, _p in rows], actor, headers["id_number"])
    if stop is not None:
        return stop
    for planned, name, problems in rows:
        found = existing.get(planned.id_hash)
        if planned.id_hash in out_of_sight:
            problems.append(Problem(planned.number, headers["id_number"], str(ID_NUMBER_TAKEN)))
            continue
        if found is None or found.member_id is None:
            _stage_of_new_member(planned, problems, headers, today=actor.today)
        if found is None:
            if planned.region is None and not problems:
                problems.append(Problem(planned.number, headers["grid"], _("Enter the grid where the member lives.")))
            continue
        pk, recorded_name, member_id, org_id, recorded_full_on = (
            found.pk,
            found.name,
            found.member_id,
            found.organization_id,
            found.full_on,
        )
        if planned.member["stage"] == MemberStage.PROBATIONARY and recorded_full_on and not planned.member["full_on"]:
            problems.append(
                Problem(
                    planned.number,
                    headers["stage"],
                    _(
                        "The member is recorded as a full member since %(date)s; "
                        "if that is wrong, correct it in the member's record."
                    )
                    % {"date": recorded_full_on.isoformat()},
                )
            )
            continue
        if recorded_name != name:
            problems.append(
                Problem(
                    planned.number,
                    headers["name"],
                    _("The ID number is recorded for “%(recorded)s”, not “%(name)s”; check the row.")
                    % {"recorded": recorded_name, "name": name},
                )
            )
            continue
        if member_id is not None and org_id != planned.organization.pk:
            problems.append(
                Problem(
                    planned.number,
                    headers["organization"],
                    _("This member belongs to another organisation; move them with a transfer, not an import."),
                )
            )
            continue
        planned.person_id, planned.member_id = pk, member_id
    return None


def _stage_of_new_member(
    planned: PlannedRow, problems: list[Problem], headers: dict[str, str], *, today: dt.date
) -> None:
    """A new member's stage follows from the dates when the stage cell is empty: full with a date
    of full membership, otherwise probationary — which cannot last more than two years (one
    year, extended by at most one), so an older member without the date is a missing date."""
    member = planned.member
    if member["stage"]:
        return
    if member["full_on"] is not None:
        member["stage"] = MemberStage.FULL
        return
    joined = member["joined_on"]
    if joined is not None and joined < add_years(today, -PROBATION_MAX_YEARS):
        problems.append(
            Problem(
                planned.number,
                headers["full_on"],
                _("Joined on %(date)s, more than two years ago, but there is no date of full membership: enter it.")
                % {"date": joined.isoformat()},
            )
        )
        return
    member["stage"] = MemberStage.PROBATIONARY


def _apply(plan: ImportPlan, actor: Actor, result: ImportResult, progress: Progress) -> None:
    events: list[Event] = []
    total = len(plan.rows)
    people = Person.objects.in_bulk([r.person_id for r in plan.rows if r.person_id])
    members = Member.objects.in_bulk([r.member_id for r in plan.rows if r.member_id])
    specialties = _current_specialties([r.member_id for r in plan.rows if r.member_id])
    new_people: list[tuple[PlannedRow, Person]] = []
    for done, row in enumerate(plan.rows, start=1):
        if row.person_id is None:
            person, errors = person_prepare({**row.person, "region": row.region})
            if errors:  # checked in the plan already; a mismatch here is a bug, not bad input
                raise ImportFailed(f"row {row.number}: {errors}")
            new_people.append((row, person))
        else:
            changed = update_person(people[row.person_id], row.person, row.number, actor, events)
            member_changed = _update_member(members.get(row.member_id), row, specialties, actor, events)
            if row.member_id is None:
                pass  # becomes a member below: counted as created
            elif changed or member_changed:
                result.updated += 1
            else:
                result.unchanged += 1
                result.unchanged_rows.append(row.number)
        if progress is not None and done % 500 == 0:
            progress(done, total)
    Person.objects.bulk_create([p for _row, p in new_people], batch_size=1000)
    person_of = {id(row): person for row, person in new_people}
    for row, person in new_people:
        row.person_id = person.pk
        events.append(
            build_event(
                actor=actor,
                action=EventAction.CREATED,
                target=person,
                changes={k: [None, v] for k, v in person_display(person).items() if v},
                reason=_("Imported"),
            )
        )
    new_members = [
        (
            row,
            Member(
                person=person_of.get(id(row)) or people[row.person_id],
                organization=row.organization,
                stage=row.member["stage"],
                category=row.member["category"] or MemberCategory.OTHER,
                applied_on=row.member["applied_on"],
                joined_on=row.member["joined_on"],
                full_on=row.member["full_on"],
            ),
        )
        for row in plan.rows
        if row.member_id is None
    ]
    Member.objects.bulk_create([m for _row, m in new_members], batch_size=1000)
    Placement.objects.bulk_create(
        [
            Placement(member=m, organization=row.organization, started_on=m.joined_on, reason=PlacementReason.IMPORTED)
            for row, m in new_members
        ],
        batch_size=1000,
    )
    links = [
        Member.specialties.through(member_id=m.pk, tag_id=tag) for row, m in new_members for tag in row.specialties
    ]
    Member.specialties.through.objects.bulk_create(links, batch_size=2000)
    for row, member in new_members:
        events.append(
            build_event(
                actor=actor,
                action=EventAction.CREATED,
                target=member,
                reason=_("Imported"),
                changes={
                    "organization": [None, row.organization.name],
                    "stage": [None, member.stage],
                    "joined_on": [None, member.joined_on.isoformat()],
                },
            )
        )
    result.created += len(new_members)
    Event.objects.bulk_create(events, batch_size=2000)
    if progress is not None:
        progress(total, total)


def _current_specialties(member_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    links = Member.specialties.through.objects.filter(member_id__in=member_ids).values_list("member_id", "tag_id")
    for member_id, tag_id in links:
        found.setdefault(member_id, set()).add(tag_id)
    return found


def _update_member(
    member: Member | None, row: PlannedRow, specialties: dict[int, set[int]], actor: Actor, events: list[Event]
) -> bool:
    if member is None:
        return False
    changes: dict[str, Any] = {}
    updates: dict[str, Any] = {}
    for key, value in row.member.items():
        if value in (None, "") or getattr(member, key) == value:
            continue
        old = getattr(member, key)
        changes[key] = [
            old.isoformat() if isinstance(old, dt.date) else old,
            value.isoformat() if isinstance(value, dt.date) else value,
        ]
        updates[key] = value
    if updates.get("full_on") and not row.member["stage"] and member.stage == MemberStage.PROBATIONARY:
        changes["stage"], updates["stage"] = [member.stage, MemberStage.FULL], MemberStage.FULL  # follows the date
    new_tags = set(row.specialties) - specialties.get(member.pk, set())
    if new_tags:
        Member.specialties.through.objects.bulk_create(
            [Member.specialties.through(member_id=member.pk, tag_id=tag) for tag in new_tags]
        )
        changes["specialties"] = ["", "、".join(Tag.objects.filter(pk__in=new_tags).values_list("name", flat=True))]
    if updates:
        Member.objects.filter(pk=member.pk).update(version=F("version") + 1, updated_at=timezone.now(), **updates)
        if "joined_on" in updates:  # the placement history starts when the member joined
            first = member.placements.order_by("started_on", "pk").first()
            if first is not None and (first.ended_on is None or first.ended_on >= updates["joined_on"]):
                Placement.objects.filter(pk=first.pk).update(started_on=updates["joined_on"])
    if changes:
        events.append(
            build_event(actor=actor, action=EventAction.UPDATED, target=member, changes=changes, reason=_("Imported"))
        )
    return bool(changes)


def template_instructions() -> list[str]:
    """The template's 填写说明, its fixed values listed from the vocabularies the importer reads."""
    return numbered(
        [
            "带 * 的列必须填写；第 2 行是示例，导入前请删除或覆盖。",
            "公民身份号码请以文本格式填写完整的 18 位（末位 X 大小写均可），系统按身份证号识别同一人，重复导入不会重复登记。",
            "日期可写作 2019-07-01、2019/7/1、2019.07.01 或 2019年7月1日。",
            f"正式/预备：填“{STAGES.words()[0]}”或“{STAGES.words()[1]}”；预备党员不填转正日期。"
            "不填时按转正日期判断：有转正日期为正式党员，没有为预备党员。",
            *vocabulary_lines(TEMPLATE_COLUMNS, skip=("stage",)),
            "所在党组织、所在网格须与系统中的名称一致；所在网格不填时登记在党组织所在社区。",
            "特长可填多项，用顿号分隔，须为系统已有的特长名称。",
        ]
    )


class MemberImporter(Importer):
    """The member roster (党员信息采集表), imported into an organisation and those under it."""

    key = "members"
    kind = "roster"
    order = 30
    title = gettext_lazy("Import members from Excel")
    description = gettext_lazy(
        "Party members with their organisation, stage and dates; people are matched by ID number."
    )
    template_label = gettext_lazy("Member information form (.xlsx)")
    template_filename = "党员信息采集表.xlsx"
    sheet_title = "党员信息采集表"
    columns = TEMPLATE_COLUMNS
    target_label = gettext_lazy("Import into")
    target_help = gettext_lazy(
        "Rows name their own branch in the “所在党组织” column; it must be this organisation or one under it."
    )
    file_label = gettext_lazy("Roster file (.xlsx or .csv)")
    back_url = "membership:list"
    back_label = gettext_lazy("Party members")
    target_model = Organization
    target_action = CREATE
    max_rows = MAX_ROWS
    result_text = gettext_lazy(
        "Imported. Members added: %(created)s; updated: %(updated)s; already up to date: %(unchanged)s."
    )
    preview_text = gettext_lazy(
        "Of the rows that can be imported: new members: %(created)s; records to change: %(updated)s; "
        "already imported as they are: %(unchanged)s."
    )

    def targets(self, *, actor: Actor) -> QuerySet[Organization]:
        """Where the actor may record members (party groups are inside branches, not targets)."""
        return (
            restrict(Organization.objects.exclude(kind=OrgKind.GROUP).filter(closed_on__isnull=True), actor, CREATE)
            .select_related("parent")
            .order_by("path")
        )

    def instructions(self) -> list[str]:
        return template_instructions()

    def plan(
        self, content: bytes, filename: str, *, target: Any, actor: Actor, progress: Progress = None
    ) -> ImportPlan:
        return plan_import(content, filename, root=target, actor=actor, progress=progress)

    def write(self, plan: ImportPlan, *, actor: Actor, result: ImportResult, progress: Progress) -> None:
        _apply(plan, actor, result, progress)

    def forget(self, plan: ImportPlan) -> Any:
        linked = [(row, row.person_id) for row in plan.rows]

        def restore() -> None:  # the rolled-back people must not stay linked
            for row, person_id in linked:
                row.person_id = person_id

        return restore


IMPORTER = MemberImporter()


def apply_import(plan: ImportPlan, *, actor: Actor, progress: Progress = None) -> ImportResult:
    """Write every valid row of ``plan`` in one transaction, or nothing."""
    return IMPORTER.apply(plan, actor=actor, progress=progress)


def preview_import(plan: ImportPlan, *, actor: Actor) -> ImportResult:
    return IMPORTER.preview(plan, actor=actor)


def template_xlsx() -> bytes:
    """The blank 党员信息采集表 (the ID and phone columns formatted as text, so that Excel keeps
    all 18 characters)."""
    return IMPORTER.template_xlsx()
