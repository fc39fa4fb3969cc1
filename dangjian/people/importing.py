"""Importing residents (居民信息采集表) from .xlsx or .csv, and what every import of people shares.

A resident row gives a name, ID number, and optionally gender, date of birth, ethnicity, mobile,
education, grid, address, household and resident tags. People are matched by ID number: a recorded
person in the actor's scope is updated from the filled-in cells (an empty cell never erases; tags
are only added), someone recorded outside it is refused with the same sentence as the person form
(and counts against the same hourly budget), a new one is registered. Rows with the same household
address in the same grid form one household (found again by grid and address on a re-import).

``person_cells`` (a row's personal cells, checked) and ``match_people`` (rows linked to recorded
people, with the out-of-sight refusals) are used by the member import too.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangjian.core import crypto
from dangjian.core.access import CHANGE, CREATE, restrict
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, build_event
from dangjian.core.importing import (
    LIST_SPLIT,
    Importer,
    ImportFailed,
    ImportPlan,
    ImportResult,
    Problem,
    Progress,
    RowChecker,
    TemplateColumn,
    Vocabulary,
    numbered,
    vocabulary_lines,
    word,
)
from dangjian.core.models import Event
from dangjian.core.tabular import clean_text, parse_date_cell, parse_id_cell
from dangjian.core.validators import id_birth_date, id_gender, validate_id_number, validate_mobile
from dangjian.orgs.models import Region, RegionLevel
from dangjian.orgs.selectors import open_regions
from dangjian.people.models import Education, Gender, Household, Person, Tag, TagKind
from dangjian.people.services import (
    DUPLICATE_ID_REFUSALS,
    ID_NUMBER_TAKEN,
    ID_PURPOSE,
    normalize_name,
    person_display,
    person_prepare,
)

GENDERS = Vocabulary(
    options=(("男", Gender.MALE), ("女", Gender.FEMALE)),
    aliases=(("男性", Gender.MALE), ("女性", Gender.FEMALE)),
    choices=Gender,
)
EDUCATION = Vocabulary(
    options=(
        ("小学及以下", Education.PRIMARY),
        ("初中", Education.JUNIOR),
        ("高中（中专）", Education.SENIOR),
        ("大专", Education.COLLEGE),
        ("本科", Education.BACHELOR),
        ("研究生", Education.POSTGRADUATE),
    ),
    aliases=(
        ("小学", Education.PRIMARY),
        ("文盲", Education.PRIMARY),
        ("高中", Education.SENIOR),
        ("中专", Education.SENIOR),
        ("职高", Education.SENIOR),
        ("技校", Education.SENIOR),
        ("中技", Education.SENIOR),
        ("专科", Education.COLLEGE),
        ("大学专科", Education.COLLEGE),
        ("大学本科", Education.BACHELOR),
        ("大学", Education.BACHELOR),
        ("硕士", Education.POSTGRADUATE),
        ("博士", Education.POSTGRADUATE),
        ("硕士研究生", Education.POSTGRADUATE),
        ("博士研究生", Education.POSTGRADUATE),
        ("研究生及以上", Education.POSTGRADUATE),
    ),
    choices=Education,
)
PERSON_FIELDS = [  # what an import may change on a recorded person
    "name",
    "name_pinyin",
    "name_initials",
    "name_given",
    "gender",
    "ethnicity",
    "birth_date",
    "education",
    "address",
    "phone_encrypted",
    "phone_hash",
    "phone_masked",
    "phone_tail",
]


def person_cells(
    values: dict[str, Any], problem: Callable[[str, str], None], *, today: dt.date, missing_name: str, missing_id: str
) -> tuple[dict[str, Any], str]:
    """A row's personal cells checked: the data for ``person_prepare`` (only the cells that were
    filled in) and the ID number ("" when missing or wrong; each problem reported by column)."""
    name = normalize_name(clean_text(values.get("name")))
    if not name:
        problem("name", missing_name)
    elif len(name) > 50:
        problem("name", _("The name is longer than 50 characters."))
    raw_id, id_error = parse_id_cell(values.get("id_number"))
    id_number = ""
    if id_error:
        problem("id_number", id_error)
    elif not raw_id:
        problem("id_number", missing_id)
    else:
        try:
            id_number = validate_id_number(raw_id, today=today)
        except ValidationError as exc:
            problem("id_number", " ".join(exc.messages))
    person: dict[str, Any] = {"name": name}
    if id_number:
        person["id_number"] = id_number
    phone = clean_text(values.get("phone"))
    if phone:
        try:
            person["phone"] = validate_mobile(phone)
        except ValidationError as exc:
            problem("phone", " ".join(exc.messages))
    birth_date, error = parse_date_cell(values.get("birth_date"))
    if error:
        problem("birth_date", error)
    gender = GENDERS.code(values.get("gender"))
    if gender is None:
        problem("gender", _("Write 男 or 女."))
    if id_number:
        born, sex = id_birth_date(id_number), id_gender(id_number)
        if birth_date and birth_date != born:
            problem(
                "birth_date",
                _("The date of birth does not match the ID number (which says %(date)s).")
                % {"date": born.isoformat() if born else ""},
            )
        if gender and gender != sex:
            problem(
                "gender",
                _("The gender does not match the ID number (which says %(gender)s).") % {"gender": Gender(sex).label},
            )
    elif birth_date:
        person["birth_date"] = birth_date
    if gender:
        person["gender"] = gender
    education = EDUCATION.code(values.get("education"))
    if education is None:
        problem("education", _("Unknown education level; write one of: %(options)s.") % {"options": EDUCATION.listed()})
    elif education:
        person["education"] = education
    for key in ("ethnicity", "address"):
        text = clean_text(values.get(key))
        if text:
            person[key] = text[:200]
    return person, id_number


@dataclass
class Recorded:
    """A person recorded with a file's ID number."""

    pk: int
    name: str
    member_id: int | None
    organization_id: int | None
    full_on: dt.date | None


def match_people(
    hashes: Iterable[str], actor: Actor, column: str
) -> tuple[dict[str, Recorded], set[str], Problem | None]:
    """The people recorded with these ID numbers, the numbers recorded outside what the actor may
    change (to be refused with ID_NUMBER_TAKEN, saying no more than the person form), and a
    problem with the whole file when it names too many people recorded out of sight: each such
    number counts once an hour against the person form's DUPLICATE_ID_REFUSALS."""
    hashes = list(hashes)
    subject = actor.user_id or "system"

    def too_many(attempt: Any) -> Problem:
        return Problem(
            0,
            column,
            _(
                "Too many of the ID numbers in this file are already registered outside your area; nothing "
                "was checked. Ask the street office to move those people, or try again after %(time)s."
            )
            % {"time": attempt.retry_time},
        )

    # As the person form does: once the budget is used up, nothing is looked up at all (whether a
    # file is refused must not depend on the numbers it holds).
    probe = DUPLICATE_ID_REFUSALS.spend(subject, now=actor.now)
    DUPLICATE_ID_REFUSALS.refund(probe)
    if probe.count > probe.limit:
        return {}, set(), too_many(probe)
    existing: dict[str, Recorded] = {}
    for start in range(0, len(hashes), 2000):
        for pk, id_hash, name, member_pk, org_pk, full_on in Person.objects.filter(
            id_number_hash__in=hashes[start : start + 2000]
        ).values_list("pk", "id_number_hash", "name", "member__pk", "member__organization_id", "member__full_on"):
            existing[id_hash] = Recorded(pk, name, member_pk, org_pk, full_on)
    changeable: set[int] = set()
    if existing and not actor.scope.superuser:
        ids = [each.pk for each in existing.values()]
        for start in range(0, len(ids), 2000):
            chunk = Person.objects.filter(pk__in=ids[start : start + 2000])
            changeable.update(restrict(chunk, actor, CHANGE).values_list("pk", flat=True))
    out_of_sight = {
        id_hash for id_hash, recorded in existing.items() if not actor.scope.superuser and recorded.pk not in changeable
    }
    for id_hash in out_of_sight:
        if not cache.add(f"import-out-of-sight:{subject}:{id_hash}", 1, DUPLICATE_ID_REFUSALS.seconds):
            continue  # the check and the import of the same file read it twice: it counts once
        attempt = DUPLICATE_ID_REFUSALS.spend(subject, now=actor.now)
        if attempt.over_limit:
            return existing, out_of_sight, too_many(attempt)
    return existing, out_of_sight, None


def update_person(person: Person, data: dict[str, Any], number: int, actor: Actor, events: list[Event]) -> bool:
    """Apply a row's filled-in cells (and its grid and household, when given) to a recorded person;
    empty cells erase nothing. Adds the event; returns whether anything changed."""
    before = person_display(person)
    region_before = person.region_id
    data = {k: v for k, v in data.items() if k != "id_number"}
    household = data.pop("household", None)
    if "phone" in data and crypto.search_hash(data["phone"], purpose="phone") == person.phone_hash:
        del data["phone"]  # unchanged: keep the stored token (encryption is not deterministic)
    person, errors = person_prepare(data, person)
    if errors:
        raise ImportFailed(f"row {number}: {errors}")
    after = person_display(person)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if "phone" in data:
        changes["phone"] = [before["phone"], after["phone"]]
    if "region" in data and person.region_id != region_before:  # two grids may share a name
        changes["region"] = [before["region"], f"{after['region']} ({person.region.code})"]
    fields = [*PERSON_FIELDS, *(["region"] if "region" in data else [])]
    if household is not None and household.pk != person.household_id:
        old = person.household.address if person.household_id is not None and person.household else ""
        changes["household"] = [old, household.address]
        person.household = household
        fields.append("household")
    if not changes:
        return False
    Person.objects.filter(pk=person.pk).update(
        version=F("version") + 1, updated_at=timezone.now(), **{f: getattr(person, f) for f in fields}
    )
    events.append(
        build_event(actor=actor, action=EventAction.UPDATED, target=person, changes=changes, reason=_("Imported"))
    )
    return True


# ---------------------------------------------------------------------------------------------
# Residents


EXAMPLE_ID_NUMBER = "420107199001010038"  # the template's example row, skipped if left in
COLUMNS: tuple[TemplateColumn, ...] = (
    TemplateColumn("name", "姓名", ("居民姓名", "名字"), required=True, width=10, example="王小明"),
    TemplateColumn("gender", "性别", width=6, example="男", vocabulary=GENDERS),
    TemplateColumn("ethnicity", "民族", width=8, example="汉族"),
    TemplateColumn("birth_date", "出生日期", ("出生年月日", "生日"), width=12, example=dt.date(1990, 1, 1)),
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
        "phone", "手机号码", ("手机号", "手机", "联系电话", "电话"), width=14, example="13912345678", text=True
    ),
    TemplateColumn("education", "学历", ("文化程度", "最高学历"), width=12, example="大专", vocabulary=EDUCATION),
    TemplateColumn("grid", "所在网格", ("网格", "居住网格", "所在社区"), width=16, example="红钢城社区第一网格"),
    TemplateColumn("address", "现居住地址", ("居住地址", "住址", "地址"), width=28, example="钢花新村3栋2单元501"),
    TemplateColumn(
        "household", "家庭户地址", ("家庭户", "户地址", "同户地址"), width=28, example="钢花新村3栋2单元501"
    ),
    TemplateColumn("tags", "居民标签", ("标签", "人员类别", "重点人群"), width=16, example=""),
)
LABELS = {column.key: column.label for column in COLUMNS}
MAX_ROWS = 20_000


@dataclass
class PlannedResident:
    number: int
    id_hash: str
    person: dict[str, Any]
    region: Region | None
    household: str  # the household's address ("" for none)
    tags: list[int] = field(default_factory=list)
    grid_given: bool = False  # a recorded person moves only to a grid the row names
    person_id: int | None = None


class _Places:
    """The grids (and communities) the rows may name, inside the target and the actor's scope."""

    def __init__(self, target: Region, actor: Actor) -> None:
        regions = Region.objects.filter(path__startswith=target.path, closed_on__isnull=True).select_related("parent")
        self.target = target
        self.regions = list(restrict(regions, actor, CREATE))
        self.by_code = {r.code: r for r in self.regions}

    def grid(self, text: str) -> tuple[Region | None, str | None]:
        if not text:
            if self.target.level == RegionLevel.GRID and self.target in self.regions:
                return self.target, None
            return None, _("Enter the grid where the resident lives.")
        if text in self.by_code:
            return self.by_code[text], None
        key = word(text)
        matches = [
            r
            for r in self.regions
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
        return None, _("There is no grid “%(name)s” in %(region)s.") % {"name": text, "region": self.target.name}


class ResidentImporter(Importer):
    key = "residents"
    kind = "residents"
    order = 20
    title = gettext_lazy("Import residents")
    description = gettext_lazy(
        "Residents with their grid, household and tags; matched by ID number, never registered twice."
    )
    template_label = gettext_lazy("Resident information form (.xlsx)")
    template_filename = "居民信息采集表.xlsx"
    sheet_title = "居民信息采集表"
    columns = COLUMNS
    target_label = gettext_lazy("Import into")
    target_help = gettext_lazy("Rows name their grid in the “所在网格” column; it must be in this area.")
    file_label = gettext_lazy("Resident file (.xlsx or .csv)")
    back_url = "people:list"
    back_label = gettext_lazy("People")
    target_model = Region
    target_action = CREATE
    max_rows = MAX_ROWS
    result_text = gettext_lazy(
        "Imported. Residents added: %(created)s; updated: %(updated)s; already up to date: %(unchanged)s."
    )
    preview_text = gettext_lazy(
        "Of the rows that can be imported: new residents: %(created)s; records to change: %(updated)s; "
        "already imported as they are: %(unchanged)s."
    )

    def targets(self, *, actor: Actor) -> QuerySet[Region]:
        return open_regions(
            actor=actor, action=CREATE, levels=(RegionLevel.STREET, RegionLevel.COMMUNITY, RegionLevel.GRID)
        )

    def instructions(self) -> list[str]:
        return numbered(
            [
                "带 * 的列必须填写；第 2 行是示例，导入前请删除或覆盖。",
                "公民身份号码请以文本格式填写完整的 18 位，系统按身份证号识别同一人：已登记的居民只更新填写了的列，"
                "空白的列不会清除已有信息，不会重复登记。",
                "所在网格：填写网格名称（重名时连同社区名，如“红钢城社区第一网格”）或网格编码。",
                "家庭户地址：同一户的居民填写相同的户地址，系统按网格和户地址建立或找到家庭户；不填则不登记家庭户。",
                "居民标签：可填多项，用顿号分隔，须为系统已有的居民标签（如 独居老人、低保户）。导入只增加标签，不删除。",
                "日期可写作 1990-01-01、1990/1/1 或 1990年1月1日；出生日期和性别以身份证号为准。",
                *vocabulary_lines(COLUMNS),
            ]
        )

    def plan(
        self, content: bytes, filename: str, *, target: Any, actor: Actor, progress: Progress = None
    ) -> ImportPlan:
        plan = ImportPlan()
        table = self.read(content, filename, plan)
        if table is None:
            return plan
        places = _Places(target, actor)
        tags = {word(t.name): t.pk for t in Tag.objects.filter(kind=TagKind.PERSON)}
        checked: list[tuple[PlannedResident | None, RowChecker, str]] = []
        first_row_of: dict[str, int] = {}
        for index, row in enumerate(table.rows, start=1):
            if parse_id_cell(row.values.get("id_number"))[0] == EXAMPLE_ID_NUMBER:
                plan.total -= 1
                plan.warnings.append(
                    Problem(
                        row.number, table.columns.get("id_number", ""), _("The template's example row was skipped.")
                    )
                )
                continue
            check = RowChecker(row.number, table, LABELS)
            person, id_number = person_cells(
                row.values,
                check,
                today=actor.today,
                missing_name=_("Enter the resident's name."),
                missing_id=_("Enter the ID number (residents are matched by it)."),
            )
            grid_text = clean_text(row.values.get("grid"))
            region, error = places.grid(grid_text)
            if error and grid_text:
                check("grid", error)
            household = clean_text(row.values.get("household"))[:200]
            if household and region is None and not check.has("grid"):
                check("grid", _("Enter the grid of the household."))
            found: list[int] = []
            for each in filter(None, LIST_SPLIT.split(clean_text(row.values.get("tags")))):
                tag = tags.get(word(each))
                if tag is None:
                    check("tags", _("“%(word)s” is not a recorded resident tag.") % {"word": each})
                else:
                    found.append(tag)
            planned = None
            if id_number:
                id_hash = crypto.search_hash(id_number, purpose=ID_PURPOSE)
                if id_hash in first_row_of:
                    check(
                        "id_number",
                        _("The same ID number is already on row %(row)d of this file; this row was skipped.")
                        % {"row": first_row_of[id_hash]},
                    )
                else:
                    first_row_of[id_hash] = row.number
                    planned = PlannedResident(row.number, id_hash, person, region, household, found, bool(grid_text))
            checked.append((planned, check, error or ""))
            if progress is not None and index % 500 == 0:
                progress(index, plan.total)
        existing, out_of_sight, stop = match_people(
            [p.id_hash for p, _c, _e in checked if p is not None],
            actor,
            table.columns.get("id_number", LABELS["id_number"]),
        )
        if stop is not None:
            plan.errors.append(stop)
            return plan
        for planned, check, grid_error in checked:
            if planned is not None and planned.id_hash in out_of_sight:
                check("id_number", str(ID_NUMBER_TAKEN))
            elif planned is not None and planned.id_hash in existing:
                recorded = existing[planned.id_hash]
                if recorded.name != planned.person["name"] and planned.person["name"]:
                    check(
                        "id_number",
                        _("The ID number is recorded for “%(recorded)s”, not “%(name)s”; check the row.")
                        % {"recorded": recorded.name, "name": planned.person["name"]},
                    )
                planned.person_id = recorded.pk
                if planned.household and not planned.grid_given and not check.has("grid"):
                    check("grid", _("Enter the grid of the household."))  # the person's own grid is not read here
            elif planned is not None and planned.region is None and not check.has("grid"):
                check("grid", grid_error or _("Enter the grid where the resident lives."))
            if check.problems:
                plan.errors.extend(check.problems)
            elif planned is not None:
                plan.rows.append(planned)
        plan.errors.sort(key=lambda p: p.row)
        if progress is not None:
            progress(plan.total, plan.total)
        return plan

    def forget(self, plan: ImportPlan) -> Any:
        linked = [(row, row.person_id) for row in plan.rows]

        def restore() -> None:
            for row, person_id in linked:
                row.person_id = person_id

        return restore

    def write(self, plan: ImportPlan, *, actor: Actor, result: ImportResult, progress: Progress) -> None:
        events: list[Event] = []
        rows: list[PlannedResident] = plan.rows
        households = self._households(rows)
        people = Person.objects.select_related("household", "region").in_bulk(
            [r.person_id for r in rows if r.person_id]
        )
        tagged: dict[int, set[int]] = {}
        for person_id, tag_id in Person.tags.through.objects.filter(person_id__in=list(people)).values_list(
            "person_id", "tag_id"
        ):
            tagged.setdefault(person_id, set()).add(tag_id)
        new: list[tuple[PlannedResident, Person]] = []
        links: list[Any] = []
        for done, row in enumerate(rows, start=1):
            data = dict(row.person)
            if row.household:
                data["household"] = households[(row.region.pk if row.region else 0, row.household)]
                if row.person_id is None:  # a new resident lives at the household's address
                    data.setdefault("address", row.household)
            if row.person_id is None:
                person, errors = person_prepare({**data, "region": row.region})
                if errors:  # checked in the plan already; a mismatch here is a bug, not bad input
                    raise ImportFailed(f"row {row.number}: {errors}")
                person.household = data.get("household")
                new.append((row, person))
                continue
            if row.grid_given and row.region is not None:
                data["region"] = row.region
            changed = update_person(people[row.person_id], data, row.number, actor, events)
            added = set(row.tags) - tagged.get(row.person_id, set())
            links += [Person.tags.through(person_id=row.person_id, tag_id=tag) for tag in added]
            if added and not changed:
                events.append(
                    build_event(
                        actor=actor,
                        action=EventAction.UPDATED,
                        target=people[row.person_id],
                        changes={
                            "tags": ["", "、".join(Tag.objects.filter(pk__in=added).values_list("name", flat=True))]
                        },
                        reason=_("Imported"),
                    )
                )
            if changed or added:
                result.updated += 1
            else:
                result.unchanged += 1
                result.unchanged_rows.append(row.number)
            if progress is not None and done % 500 == 0:
                progress(done, len(rows))
        Person.objects.bulk_create([p for _row, p in new], batch_size=1000)
        for row, person in new:
            row.person_id = person.pk
            links += [Person.tags.through(person_id=person.pk, tag_id=tag) for tag in row.tags]
            events.append(
                build_event(
                    actor=actor,
                    action=EventAction.CREATED,
                    target=person,
                    changes={k: [None, v] for k, v in person_display(person).items() if v},
                    reason=_("Imported"),
                )
            )
        Person.tags.through.objects.bulk_create(links, batch_size=2000)
        Event.objects.bulk_create(events, batch_size=2000)
        result.created += len(new)
        if progress is not None:
            progress(len(rows), len(rows))

    def _households(self, rows: list[PlannedResident]) -> dict[tuple[int, str], Household]:
        """The households the rows name, found by grid and address or made."""
        wanted = {(row.region.pk, row.household): row.region for row in rows if row.household and row.region}
        found: dict[tuple[int, str], Household] = {}
        regions = {pk for pk, _address in wanted}
        for household in Household.objects.filter(region_id__in=regions, address__in={a for _r, a in wanted}):
            found.setdefault((household.region_id, household.address), household)
        missing = [
            Household(region=region, address=address)
            for (pk, address), region in wanted.items()
            if (pk, address) not in found
        ]
        Household.objects.bulk_create(missing, batch_size=1000)
        for household in missing:
            found[(household.region.pk, household.address)] = household
        return found


IMPORTER = ResidentImporter()
