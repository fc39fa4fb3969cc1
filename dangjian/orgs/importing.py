"""Importing the region tree (社区, 网格) and the organisation tree (社区党委 … 党小组) from one
spreadsheet (组织架构导入表): one row per node, with its code, name, type, parent (code or name;
empty: the street, or the street's working committee), for organisations the region served and
the 联合/临时/功能型 flags and term dates. Rows come in any order: a row's parent may be a later row.

Nodes are matched by code: a recorded node is renamed and its flags and term updated from the
filled-in cells (empty cells erase nothing); its type and place in the tree are not changed by an
import (a move keeps history and is made on the node's page). Each node is added or changed
through ``orgs.services`` (rights, the trees' rules and an event each).
"""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangjian.core.access import CONFIGURE, restrict
from dangjian.core.actors import Actor
from dangjian.core.importing import (
    YES_NO,
    Importer,
    ImportFailed,
    ImportPlan,
    ImportResult,
    Progress,
    RowChecker,
    TemplateColumn,
    Vocabulary,
    numbered,
    vocabulary_lines,
    word,
)
from dangjian.core.tabular import clean_text, parse_date_cell
from dangjian.orgs import services as trees
from dangjian.orgs.models import (
    REGION_LEVEL_ORDER,
    Organization,
    OrgKind,
    Region,
    RegionLevel,
)
from dangjian.orgs.selectors import open_regions

REGION, ORG = "region", "org"
TYPES = Vocabulary(
    options=(
        ("社区", f"{REGION}:{RegionLevel.COMMUNITY}"),
        ("网格", f"{REGION}:{RegionLevel.GRID}"),
        ("社区党委", f"{ORG}:{OrgKind.COMMITTEE}"),
        ("党总支", f"{ORG}:{OrgKind.GENERAL_BRANCH}"),
        ("党支部", f"{ORG}:{OrgKind.BRANCH}"),
        ("党小组", f"{ORG}:{OrgKind.GROUP}"),
    ),
    aliases=(
        ("社区居委会", f"{REGION}:{RegionLevel.COMMUNITY}"),
        ("居委会", f"{REGION}:{RegionLevel.COMMUNITY}"),
        ("党委", f"{ORG}:{OrgKind.COMMITTEE}"),
        ("总支", f"{ORG}:{OrgKind.GENERAL_BRANCH}"),
        ("党总支部", f"{ORG}:{OrgKind.GENERAL_BRANCH}"),
        ("支部", f"{ORG}:{OrgKind.BRANCH}"),
        ("联合党支部", f"{ORG}:{OrgKind.BRANCH}"),
        ("小组", f"{ORG}:{OrgKind.GROUP}"),
    ),
)
FLAGS = ("is_joint", "is_temporary", "is_functional")
TERM = ("term_started_on", "term_ends_on")

COLUMNS: tuple[TemplateColumn, ...] = (
    TemplateColumn(
        "code",
        "编码",
        ("代码", "组织编码", "区划代码", "节点编码"),
        required=True,
        width=16,
        example="420107001001",
        text=True,
    ),
    TemplateColumn(
        "name", "名称", ("组织名称", "社区名称", "网格名称", "名字"), required=True, width=24, example="红钢城社区"
    ),
    TemplateColumn(
        "type", "类型", ("层级", "组织类型", "节点类型"), required=True, width=10, example="社区", vocabulary=TYPES
    ),
    TemplateColumn(
        "parent", "上级", ("上级编码", "上级名称", "上级组织", "上级党组织", "所属"), width=20, example="", text=True
    ),
    TemplateColumn("region", "所在社区或网格", ("所在社区", "服务区域", "所在区域"), width=16, example="", text=True),
    TemplateColumn("is_joint", "联合党组织", ("联合", "联合支部"), width=10, vocabulary=YES_NO),
    TemplateColumn("is_temporary", "临时党组织", ("临时",), width=10, vocabulary=YES_NO),
    TemplateColumn("is_functional", "功能型党组织", ("功能型",), width=12, vocabulary=YES_NO),
    TemplateColumn("term_started_on", "本届开始日期", ("换届日期", "届期开始", "本届起始日期"), width=13),
    TemplateColumn("term_ends_on", "本届届满日期", ("届满日期", "届期结束"), width=13),
)
LABELS = {column.key: column.label for column in COLUMNS}


@dataclass
class PlannedNode:
    number: int
    tree: str  # REGION or ORG
    code: str
    name: str
    kind: str  # the region's level or the organisation's kind
    parent: str = ""  # the parent's code (a recorded node's or another row's)
    region: str = ""  # an organisation's region served (code), "" for the parent's
    data: dict[str, Any] = field(default_factory=dict)  # flags and term dates that were filled in
    existing: Any = None  # the recorded node with this code


def _label(tree: str, kind: str) -> str:
    return str(RegionLevel(kind).label if tree == REGION else OrgKind(kind).label)


class _Known:
    """The recorded nodes the file may name (within the actor's CONFIGURE scope under the
    target), and the codes recorded anywhere (codes are unique in each tree)."""

    def __init__(self, target: Region, actor: Actor, codes: set[str]) -> None:
        self.target = target
        regions = Region.objects.filter(path__startswith=target.path, closed_on__isnull=True).select_related("parent")
        self.regions = list(restrict(regions, actor, CONFIGURE).order_by("path"))
        self.root = (
            restrict(Organization.objects.filter(region=target, closed_on__isnull=True), actor, CONFIGURE)
            .order_by("depth", "path")
            .first()
        )
        orgs = Organization.objects.filter(closed_on__isnull=True).select_related("parent", "region")
        self.orgs = list(restrict(orgs.filter(path__startswith=self.root.path), actor, CONFIGURE)) if self.root else []
        self.by_code = {REGION: {n.code: n for n in self.regions}, ORG: {n.code: n for n in self.orgs}}
        self.taken = {  # codes recorded anywhere, in each tree
            REGION: set(Region.objects.filter(code__in=codes).values_list("code", flat=True)),
            ORG: set(Organization.objects.filter(code__in=codes).values_list("code", flat=True)),
        }

    def nodes(self, tree: str) -> list[Any]:
        return self.regions if tree == REGION else self.orgs


class TreeImporter(Importer):
    key = "trees"
    kind = "trees"
    order = 10
    title = gettext_lazy("Import the region and organisation trees")
    description = gettext_lazy(
        "Communities and grids, party committees, branches and groups: one row per node with its parent."
    )
    template_label = gettext_lazy("Organisation structure form (.xlsx)")
    template_filename = "组织架构导入表.xlsx"
    sheet_title = "组织架构导入表"
    columns = COLUMNS
    target_label = gettext_lazy("Import into")
    target_help = gettext_lazy(
        "Rows without a parent go under this region (communities) or its party working committee (committees)."
    )
    file_label = gettext_lazy("Structure file (.xlsx or .csv)")
    back_url = "dashboard:region_tree"
    back_label = gettext_lazy("Communities and grids")
    target_model = Region
    target_action = CONFIGURE
    max_rows = 5_000
    result_text = gettext_lazy(
        "Imported. Nodes added: %(created)s; changed: %(updated)s; already up to date: %(unchanged)s."
    )
    preview_text = gettext_lazy(
        "Of the rows that can be imported: new nodes: %(created)s; nodes to change: %(updated)s; "
        "already imported as they are: %(unchanged)s."
    )

    def targets(self, *, actor: Actor) -> QuerySet[Region]:
        return open_regions(actor=actor, action=CONFIGURE, levels=(RegionLevel.STREET, RegionLevel.COMMUNITY))

    def instructions(self) -> list[str]:
        return numbered(
            [
                "带 * 的列必须填写；第 2 行是示例，导入前请删除或覆盖。每行一个节点：社区、网格或党组织。",
                "编码在各自的树中唯一，导入后不再改变；再次导入同一编码的行只更新名称、标识和届期，不会重复新建。",
                "类型："
                + TYPES.listed()
                + "。社区在街道下，网格在社区下；社区党委在街道党工委下，党总支、党支部、党小组依次在其下。",
                "上级：填上级的编码或名称（可以是本表中的另一行，行的先后不限）；不填时，社区挂在导入到的街道下，"
                "社区党委挂在街道党工委下。名称重复时请填编码。",
                "所在社区或网格：党组织服务的社区或网格（编码或名称）；不填时与上级党组织相同。社区和网格不填此列。",
                *vocabulary_lines(COLUMNS, skip=("type",)),
                "本届开始日期、本届届满日期：党组织的届期，可写作 2024-07-01、2024/7/1 或 2024年7月1日。",
                "已登记节点的类型和上级不能通过导入更改：移动节点请在组织树的节点页面操作，系统会保留历史。",
            ]
        )

    # Checking ----------------------------------------------------------------------------------

    def plan(
        self, content: bytes, filename: str, *, target: Any, actor: Actor, progress: Progress = None
    ) -> ImportPlan:
        plan = ImportPlan()
        table = self.read(content, filename, plan)
        if table is None:
            return plan
        codes = {clean_text(row.values.get("code")) for row in table.rows}
        known = _Known(target, actor, codes)
        rows: dict[str, PlannedNode] = {}  # by code
        checkers: dict[str, RowChecker] = {}
        for row in table.rows:
            check = RowChecker(row.number, table, LABELS)
            node = self._read_row(row.values, check, known, rows)
            if node is not None and not check.problems:
                rows[node.code] = node
                checkers[node.code] = check
            else:
                plan.errors.extend(check.problems)
        self._resolve(rows, checkers, known)
        self._check_kinds(rows, checkers, known)
        order = self._order(rows, checkers)
        for code in list(rows):
            if checkers[code].problems:
                plan.errors.extend(checkers[code].problems)
        plan.rows = [rows[code] for code in order if not checkers[code].problems]
        plan.errors.sort(key=lambda p: p.row)
        if progress is not None:
            progress(plan.total, plan.total)
        return plan

    def _read_row(
        self, values: dict[str, Any], check: RowChecker, known: _Known, rows: dict[str, PlannedNode]
    ) -> PlannedNode | None:
        code, name = clean_text(values.get("code")), clean_text(values.get("name"))
        if not code:
            check("code", _("Enter the node's code (nodes are matched by it)."))
        elif len(code) > trees.CODE_MAX:
            check("code", _("The code is longer than %(n)s characters.") % {"n": trees.CODE_MAX})
        elif code in rows:
            check("code", _("The code %(code)s is already on row %(row)s.") % {"code": code, "row": rows[code].number})
        if not name:
            check("name", _("Enter the name."))
        elif len(name) > 100:
            check("name", _("The name is longer than 100 characters."))
        kind = TYPES.code(values.get("type"))
        if not kind:
            check("type", _("Write one of: %(options)s.") % {"options": TYPES.listed()})
        data: dict[str, Any] = {}
        for key in FLAGS:
            flag = YES_NO.code(values.get(key))
            if flag is None:
                check(key, _("Write 是 or 否."))
            elif flag:
                data[key] = flag == "yes"
        for key in TERM:
            day, error = parse_date_cell(values.get(key))
            if error:
                check(key, error)
            elif day is not None:
                data[key] = day
        if "term_started_on" in data and "term_ends_on" in data and data["term_ends_on"] <= data["term_started_on"]:
            check("term_ends_on", _("The term must end after it starts."))
        if check.problems or not kind:
            return None
        tree, kind = kind.split(":")
        if tree == REGION and (data or clean_text(values.get("region"))):
            for key in ("region", *FLAGS, *TERM):
                if clean_text(values.get(key)):
                    check(key, _("Only party organisations have this; leave it empty for a community or grid."))
            return None
        node = PlannedNode(check.number, tree, code, name, kind, data=data)
        node.parent = clean_text(values.get("parent"))  # a code or a name, resolved once all rows are read
        node.region = clean_text(values.get("region"))
        recorded = known.by_code[tree].get(code)
        if code in known.taken[tree] and recorded is None:
            check("code", _("The code %(code)s is already used elsewhere; choose another.") % {"code": code})
            return None
        if recorded is not None:
            kind_now = recorded.level if tree == REGION else recorded.kind
            if kind_now != kind:
                check(
                    "type",
                    _("%(name)s (%(code)s) is recorded as a %(kind)s; an import does not change a node's type.")
                    % {"name": recorded.name, "code": code, "kind": _label(tree, kind_now)},
                )
                return None
            if tree == ORG:
                started = data.get("term_started_on", recorded.term_started_on)
                ends = data.get("term_ends_on", recorded.term_ends_on)
                if started and ends and ends <= started:
                    check(
                        "term_ends_on" if "term_ends_on" in data else "term_started_on",
                        _("The term must end after it starts.")
                        + " "
                        + _("Recorded: %(start)s to %(end)s.")
                        % {"start": recorded.term_started_on or "—", "end": recorded.term_ends_on or "—"},
                    )
                    return None
            node.existing = recorded
        return node

    def _find(self, text: str, tree: str, rows: dict[str, PlannedNode], known: _Known) -> tuple[str, str | None]:
        """The code a parent or region cell names (a row's or a recorded node's), or a message."""
        if text in rows and rows[text].tree == tree:
            return text, None
        if text in known.by_code[tree]:
            return text, None
        recorded = known.nodes(tree)
        key = word(text)
        named = {r.code for r in rows.values() if r.tree == tree and word(r.name) == key}
        named |= {n.code for n in recorded if word(n.name) == key}
        if len(named) == 1:
            return named.pop(), None
        if named:
            return "", _("Several nodes are called “%(name)s”; write the code instead.") % {"name": text}
        return "", _("There is no %(what)s with the code or name “%(name)s” here.") % {
            "what": _("region") if tree == REGION else _("party organisation"),
            "name": text,
        }

    def _resolve(self, rows: dict[str, PlannedNode], checkers: dict[str, RowChecker], known: _Known) -> None:
        for code, node in rows.items():
            check = checkers[code]
            if node.parent:
                parent, error = self._find(node.parent, node.tree, rows, known)
                if error:
                    check("parent", error)
                node.parent = parent
            elif node.existing is None:
                default = known.target if node.tree == REGION else known.root
                if default is None:
                    check(
                        "parent",
                        _("Enter the parent: %(region)s has no party organisation to put it under.")
                        % {"region": known.target.name},
                    )
                else:
                    node.parent = default.code
            else:
                node.parent = node.existing.parent.code if node.existing.parent else ""
            if node.tree == ORG and node.region:
                region, error = self._find(node.region, REGION, rows, known)
                if error:
                    check("region", error)
                node.region = region
            changes_region = node.tree == ORG and node.region and node.existing is not None
            if changes_region and not check.problems and node.region != node.existing.region.code:
                check(
                    "region",
                    _("%(name)s serves %(region)s; an import does not change that (change it on its page).")
                    % {"name": node.existing.name, "region": node.existing.region.name},
                )
            if node.existing is not None and not check.problems:
                now = node.existing.parent.code if node.existing.parent else ""
                if node.parent != now:
                    check(
                        "parent",
                        _(
                            "%(name)s is recorded under %(parent)s; an import does not move nodes (move it on its "
                            "page in the tree, which keeps the history)."
                        )
                        % {"name": node.existing.name, "parent": node.existing.parent},
                    )

    def _check_kinds(self, rows: dict[str, PlannedNode], checkers: dict[str, RowChecker], known: _Known) -> None:
        """Each new node's type fits under its parent's (street → community → grid; committee →
        general branch → branch → group)."""
        for code, node in rows.items():
            check = checkers[code]
            if check.problems or node.existing is not None:
                continue
            parent_row = rows.get(node.parent) if node.parent in rows and rows[node.parent].tree == node.tree else None
            parent: Any = parent_row or known.by_code[node.tree].get(node.parent)
            if parent is None:
                continue
            above = (
                parent.kind
                if isinstance(parent, PlannedNode)
                else (parent.level if node.tree == REGION else parent.kind)
            )
            if node.tree == REGION:
                levels = [str(each) for each in REGION_LEVEL_ORDER]
                fits = levels.index(above) + 1 == levels.index(node.kind)
            else:
                fits = trees.ORG_KIND_ORDER.index(OrgKind(node.kind)) > trees.ORG_KIND_ORDER.index(OrgKind(above))
            if not fits:
                check(
                    "type",
                    _("A %(kind)s cannot sit under a %(parent)s.")
                    % {"kind": _label(node.tree, node.kind), "parent": _label(node.tree, above)},
                )

    def _order(self, rows: dict[str, PlannedNode], checkers: dict[str, RowChecker]) -> list[str]:
        """The rows parents first; a row whose parent row has a problem, or in a cycle, has one."""
        order: list[str] = []
        state: dict[str, str] = {}  # code → "visiting" | "done"

        def visit(code: str, trail: list[str]) -> None:
            if state.get(code) == "done":
                return
            if state.get(code) == "visiting":
                cycle = trail[trail.index(code) :]
                for each in cycle:
                    checkers[each](
                        "parent",
                        _("The parents go round in a circle: %(cycle)s.") % {"cycle": " → ".join([*cycle, code])},
                    )
                return
            state[code] = "visiting"
            node = rows[code]
            parent = rows.get(node.parent) if node.parent in rows and rows[node.parent].tree == node.tree else None
            if parent is not None:
                visit(parent.code, [*trail, code])
                if checkers[parent.code].problems and not checkers[code].problems:
                    checkers[code]("parent", _("The parent's row (%(row)s) has a problem.") % {"row": parent.number})
            served = rows.get(node.region) if node.tree == ORG and node.region in rows else None
            if served is not None and served.tree == REGION:
                visit(served.code, [])  # regions never depend on organisations: no cycle here
                if checkers[served.code].problems and not checkers[code].problems:
                    checkers[code]("region", _("The region's row (%(row)s) has a problem.") % {"row": served.number})
            state[code] = "done"
            order.append(code)

        for code in rows:
            visit(code, [])
        return order

    # Writing -----------------------------------------------------------------------------------

    def write(self, plan: ImportPlan, *, actor: Actor, result: ImportResult, progress: Progress) -> None:
        made: dict[tuple[str, str], Any] = {}

        def node_of(tree: str, code: str) -> Any:
            if (tree, code) not in made:
                model = Region if tree == REGION else Organization
                made[(tree, code)] = model._default_manager.get(code=code)
            return made[(tree, code)]

        for row in plan.rows:
            try:
                if row.existing is not None:
                    node = node_of(row.tree, row.code)
                    changes = {"name": row.name, **row.data}
                    changed = {k: v for k, v in changes.items() if getattr(node, k) != v}
                    if changed:
                        trees.update_node(actor=actor, node=node, data=changed, reason=_("Imported"))
                        result.updated += 1
                    else:
                        result.unchanged += 1
                        result.unchanged_rows.append(row.number)
                    continue
                parent = node_of(row.tree, row.parent)
                if row.tree == REGION:
                    made[(REGION, row.code)] = trees.add_region(
                        actor=actor, parent=parent, name=row.name, code=row.code, level=row.kind
                    )
                else:
                    region = node_of(REGION, row.region) if row.region else parent.region
                    made[(ORG, row.code)] = trees.add_organization(
                        actor=actor,
                        parent=parent,
                        name=row.name,
                        code=row.code,
                        kind=row.kind,
                        region=region,
                        **row.data,
                    )
                result.created += 1
            except ValidationError as exc:
                raise ImportFailed(
                    _("Row %(row)s: %(problem)s Nothing was imported.")
                    % {"row": row.number, "problem": " ".join(exc.messages)}
                ) from exc
        if progress is not None:
            progress(len(plan.rows), len(plan.rows))


IMPORTER = TreeImporter()
