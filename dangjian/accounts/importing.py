"""Importing staff accounts with their roles (工作人员账号导入表): one row per role — name, login
name, role, where (a region, party organisation or resident unit by code or name), from, until and
why. A login name on several rows is one account with several roles.

Accounts are matched by login name: a new one is made without a password (the admin gives each
person a one-time sign-in link from the account's page, as for an account made in the browser); a
role already held at the same place is left as it is. Every role goes through
``services.grant_role``: the role matrix (``roles.GRANTABLE``) and the importer's own area apply,
row by row in the check, so that nobody imports a role they may not give.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangjian.accounts import services
from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.roles import GRANT, ROLE_NODE, NodeKind, Role
from dangjian.core.actors import Actor
from dangjian.core.events import EventAction, record_event
from dangjian.core.importing import (
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
from dangjian.orgs.models import Organization, Region, RegionLevel, ResidentUnit
from dangjian.orgs.selectors import open_regions

ROLES = Vocabulary(
    options=(
        ("街道管理员", Role.DISTRICT_ADMIN),
        ("社区书记", Role.COMMUNITY_SECRETARY),
        ("社区工作人员", Role.COMMUNITY_STAFF),
        ("支部书记", Role.BRANCH_SECRETARY),
        ("驻区单位联络员", Role.PARTNER_LIAISON),
    ),
    aliases=(
        ("区管理员", Role.DISTRICT_ADMIN),
        ("管理员", Role.DISTRICT_ADMIN),
        ("社区党委书记", Role.COMMUNITY_SECRETARY),
        ("书记", Role.COMMUNITY_SECRETARY),
        ("社区干部", Role.COMMUNITY_STAFF),
        ("工作人员", Role.COMMUNITY_STAFF),
        ("网格员", Role.COMMUNITY_STAFF),
        ("党支部书记", Role.BRANCH_SECRETARY),
        ("联络员", Role.PARTNER_LIAISON),
        ("共建单位联络员", Role.PARTNER_LIAISON),
    ),
    choices=Role,
)
COLUMNS: tuple[TemplateColumn, ...] = (
    TemplateColumn("name", "姓名", ("名字",), required=True, width=10, example="李芳"),
    TemplateColumn("username", "登录名", ("用户名", "账号"), required=True, width=14, example="lifang", text=True),
    TemplateColumn("role", "角色", ("岗位", "职务"), required=True, width=14, example="社区书记", vocabulary=ROLES),
    TemplateColumn(
        "node", "任职范围", ("所在社区", "所在组织", "单位", "任职单位"), required=True, width=22, example="红钢城社区"
    ),
    TemplateColumn("starts_on", "任职日期", ("开始日期", "起始日期"), width=12, example=dt.date(2024, 7, 1)),
    TemplateColumn("ends_on", "任期届满", ("结束日期", "届满日期"), width=12),
    TemplateColumn("reason", "任职依据", ("原因", "依据", "备注"), width=24, example="2024年社区党委换届选举"),
)
LABELS = {column.key: column.label for column in COLUMNS}


@dataclass
class PlannedGrant:
    number: int
    username: str
    name: str
    role: str
    node: Any
    starts_on: dt.date | None
    ends_on: dt.date | None
    reason: str
    user: User | None = None  # the recorded account


class _Places:
    """The regions, organisations and units of the target's area, by code and name."""

    def __init__(self, target: Region, actor: Actor) -> None:
        self.target = target
        self.nodes: dict[str, list[Any]] = {
            NodeKind.REGION: list(Region.objects.filter(path__startswith=target.path).select_related("parent")),
            NodeKind.ORGANIZATION: list(Organization.objects.filter(region__path__startswith=target.path)),
            NodeKind.UNIT: list(ResidentUnit.objects.filter(region__path__startswith=target.path)),
        }

    def find(self, kind: str, text: str) -> tuple[Any, str | None]:
        nodes = self.nodes[kind]
        by_code = [n for n in nodes if getattr(n, "code", None) == text]
        if by_code:
            return by_code[0], None
        key = word(text)
        named = [
            n
            for n in nodes
            if key in (word(n.name), word(f"{n.parent.name}{n.name}") if getattr(n, "parent", None) else "")
        ]
        if len(named) == 1:
            return named[0], None
        if named:
            return None, _("Several places are called “%(name)s”; write the code instead.") % {"name": text}
        return None, _("There is no %(kind)s “%(name)s” in %(area)s.") % {
            "kind": NodeKind(kind).label,
            "name": text,
            "area": self.target.name,
        }


class StaffImporter(Importer):
    key = "staff"
    kind = "staff"
    order = 40
    title = gettext_lazy("Import staff accounts")
    description = gettext_lazy(
        "Staff accounts with their roles (one row per role); each person then gets a one-time sign-in link."
    )
    template_label = gettext_lazy("Staff account form (.xlsx)")
    template_filename = "工作人员账号导入表.xlsx"
    sheet_title = "工作人员账号导入表"
    columns = COLUMNS
    target_label = gettext_lazy("Import into")
    target_help = gettext_lazy("The places the rows name must be in this area, where you may give roles.")
    file_label = gettext_lazy("Staff file (.xlsx or .csv)")
    back_url = "accounts:users"
    back_label = gettext_lazy("Staff accounts")
    target_model = Region
    target_action = GRANT
    max_rows = 2_000
    result_text = gettext_lazy(
        "Imported. Roles given: %(created)s; already held: %(unchanged)s. New accounts have no password yet: "
        "open each on the staff accounts page and issue a one-time sign-in link."
    )
    preview_text = gettext_lazy(
        "Of the rows that can be imported: roles to give: %(created)s; already held: %(unchanged)s."
    )

    def targets(self, *, actor: Actor) -> QuerySet[Region]:
        return open_regions(actor=actor, action=GRANT, levels=(RegionLevel.STREET, RegionLevel.COMMUNITY))

    def instructions(self) -> list[str]:
        return numbered(
            [
                "带 * 的列必须填写；第 2 行是示例，导入前请删除或覆盖。每行一个角色；同一人有多个角色时写多行，登录名相同。",
                "登录名：3 至 40 个字母、数字或 . _ -（如姓名拼音 lifang）；系统按登录名识别账号，重复导入不会重复建号。",
                *vocabulary_lines(COLUMNS),
                "任职范围：街道管理员、社区书记、社区工作人员填社区或网格（名称或编码）；支部书记填党支部；"
                "驻区单位联络员填驻区单位名称。",
                "任职日期不填为导入当天；任期届满不填为长期。",
                "新账号没有密码：导入后在“工作人员账号”中打开账号，发出一次性登录链接交给本人。",
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
        usernames = {clean_text(row.values.get("username")).lower() for row in table.rows}
        # Login names are matched case-insensitively, as accounts.services does.
        recorded = User.objects.annotate(lowered=Lower("username")).filter(lowered__in=usernames)
        accounts: dict[str, User] = {user.username.casefold(): user for user in recorded}
        names: dict[str, tuple[str, int]] = {}  # username → the name given on its first row
        seen: set[tuple[str, str, int]] = set()
        for row in table.rows:
            check = RowChecker(row.number, table, LABELS)
            planned = self._row(row.values, check, places, accounts, names, actor)
            if planned is not None and not check.problems:
                key = (planned.username.casefold(), planned.role, planned.node.pk)
                if key in seen:
                    check("role", _("This role at this place is already on an earlier row."))
                seen.add(key)
            if check.problems:
                plan.errors.extend(check.problems)
            elif planned is not None:
                plan.rows.append(planned)
        if progress is not None:
            progress(plan.total, plan.total)
        return plan

    def _row(
        self,
        values: dict[str, Any],
        check: RowChecker,
        places: _Places,
        accounts: dict[str, User],
        names: dict[str, tuple[str, int]],
        actor: Actor,
    ) -> PlannedGrant | None:
        name, username = clean_text(values.get("name"))[:50], clean_text(values.get("username"))
        if not name:
            check("name", _("Enter the person's name as colleagues know it."))
        if not services.USERNAME.fullmatch(username):
            check("username", _("3 to 40 letters, digits or . _ - (e.g. the pinyin of the name: zhangsan)."))
        elif username.casefold() in names and names[username.casefold()][0] != name and name:
            first_name, first_row = names[username.casefold()]
            check(
                "name",
                _("Row %(row)s gives the login name %(username)s to %(name)s.")
                % {"row": first_row, "username": username, "name": first_name},
            )
        elif name:
            names.setdefault(username.casefold(), (name, check.number))
        role = ROLES.code(values.get("role"))
        if not role:
            check("role", _("Write one of: %(options)s.") % {"options": ROLES.listed()})
        starts_on, error = parse_date_cell(values.get("starts_on"))
        if error:
            check("starts_on", error)
        ends_on, error = parse_date_cell(values.get("ends_on"))
        if error:
            check("ends_on", error)
        if ends_on is not None and ends_on <= (starts_on or actor.today):
            check("ends_on", _("The end date must be after the start date."))
        node = None
        text = clean_text(values.get("node"))
        if role:
            if not text:
                check("node", _("Enter where the role is held."))
            else:
                node, error = places.find(ROLE_NODE[role], text)
                if error:
                    check("node", error)
                elif getattr(node, "closed_on", None) is not None:
                    check("node", _("%(node)s has been closed; no role can be given there.") % {"node": node})
                elif not services.may_give(actor=actor, role=role, node=node):
                    check("role", str(services.refusal_to_give(role, node).messages[0]))
        user = accounts.get(username.casefold()) if username else None
        if user is not None and not check.has("name"):
            # Of an account the importer does not manage, say nothing but that the name is taken.
            if not services.may_manage(actor=actor, user=user):
                check("username", _("This login name is taken; choose another."))
            elif name and user.display_name and user.display_name != name:
                check(
                    "username",
                    _("The login name %(username)s belongs to %(name)s; choose another for %(new)s.")
                    % {"username": user.username, "name": user.display_name, "new": name},
                )
            elif not user.is_active:
                check(
                    "username",
                    _("The account %(username)s is deactivated; reactivate it first.") % {"username": user.username},
                )
        if check.problems or not role or node is None:
            return None
        reason = clean_text(values.get("reason"))[:200]
        return PlannedGrant(check.number, username, name, role, node, starts_on, ends_on, reason, user)

    def write(self, plan: ImportPlan, *, actor: Actor, result: ImportResult, progress: Progress) -> None:
        made: dict[str, User] = {}
        for row in plan.rows:
            user = row.user or made.get(row.username.casefold())
            if user is None:
                user = User(username=row.username, display_name=row.name)
                user.set_unusable_password()
                user.save()
                record_event(
                    actor=actor,
                    action=EventAction.CREATED,
                    target=user,
                    changes={"username": [None, row.username]},
                    reason=_("Imported"),
                )
                made[row.username.casefold()] = user
            held = RoleGrant.objects.active(row.starts_on or actor.today).filter(
                user=user, role=row.role, **services.node_fields(row.node)
            )
            if held.exists():
                result.unchanged += 1
                result.unchanged_rows.append(row.number)
                continue
            try:
                services.grant_role(
                    actor=actor,
                    user=user,
                    role=row.role,
                    node=row.node,
                    starts_on=row.starts_on,
                    ends_on=row.ends_on,
                    reason=row.reason or _("Imported"),
                )
            except ValidationError as exc:
                raise ImportFailed(
                    _("Row %(row)s: %(problem)s Nothing was imported.")
                    % {"row": row.number, "problem": " ".join(exc.messages)}
                ) from exc
            result.created += 1
        if progress is not None:
            progress(len(plan.rows), len(plan.rows))


IMPORTER = StaffImporter()
