"""Demo accounts: one per role of DESIGN.md §2, all in the first community, each linked to a
person. The password is printed by `make run` and listed in the README; it is for demos only."""

import datetime as dt

from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.accounts.services import grant_role
from dangjian.core.actors import Actor
from dangjian.demo.seeding import SeedContext
from dangjian.people.models import CommitteeSeat, MemberStage

ORDER = 30
DEMO_PASSWORD = "Dangjian2026"  # noqa: S105 - printed for demos; demo data is never seeded in production

# username, display role, role, node key
DEMO_ACCOUNTS = [
    ("district", Role.DISTRICT_ADMIN, "district"),  # the district: configures the catalogue and calendar
    ("street", Role.DISTRICT_ADMIN, "street"),
    ("secretary", Role.COMMUNITY_SECRETARY, "community"),
    ("staff", Role.COMMUNITY_STAFF, "community"),
    ("branch", Role.BRANCH_SECRETARY, "branch"),
    ("member", Role.MEMBER, None),
    ("resident", Role.RESIDENT, None),
    ("liaison", Role.PARTNER_LIAISON, "unit"),
]


def seed(ctx: SeedContext) -> None:
    community = ctx.shared["communities"][0]
    branch = community["branches"]["residence"][0]
    nodes = {
        "district": community["street"].parent,
        "street": community["street"],
        "community": community["region"],
        "branch": branch,
        "unit": next(u for u in ctx.shared["units"] if u.region_id == community["region"].pk),
    }
    seats = {
        s.person_id: s for s in CommitteeSeat.objects.filter(organization=community["committee"], title="secretary")
    }
    branch_seat = CommitteeSeat.objects.filter(organization=branch, title="secretary").first()
    members = [m for m in community["members"] if m.stage == MemberStage.FULL]
    non_members = [p for p in community["people"] if p.phone_masked and p.pk not in {m.person_id for m in members}]
    used: set[int] = set()
    seat_people = set(seats) | ({branch_seat.person_id} if branch_seat else set())

    def person_for(username: str):
        pid = None
        if username == "secretary" and seats:
            pid = next(iter(seats))
        elif username == "branch" and branch_seat:
            pid = branch_seat.person_id
        elif username in ("member", "street"):
            in_branch = [m.person_id for m in members if m.organization_id == branch.pk]
            pid = next((p for p in in_branch + [m.person_id for m in members] if p not in used | seat_people), None)
        else:
            pid = next((p.pk for p in non_members if p.pk not in used | seat_people), None)
        if pid is None:  # a very small scale: anyone not yet used
            pid = next(p.pk for p in community["people"] if p.pk not in used | seat_people)
        used.add(pid)
        return next(p for p in community["people"] if p.pk == pid)

    created = []
    for username, role, node_key in DEMO_ACCOUNTS:
        person = person_for(username)
        user = User.objects.create_user(username=username, password=DEMO_PASSWORD, display_name=person.name)
        person.user = user
        person.save(update_fields=["user"])
        grant_role(
            actor=Actor.for_system(via="seed"),
            user=user,
            role=role,
            node=nodes.get(node_key) if node_key else None,
            reason="演示账号" if node_key else "",
        )
        created.append((username, role, person.name))
    _staff_history(ctx, community, person_for)
    _numbers_viewed(community)
    ctx.shared["demo_accounts"] = created
    ctx.log(f"demo accounts: {', '.join(u for u, _r, _n in created)} (password {DEMO_PASSWORD})")


def _staff_history(ctx: SeedContext, community: dict, person_for) -> None:
    """What the staff accounts page shows besides the demo logins: a grid worker appointed by the
    secretary who has not used her sign-in link yet, and a former worker whose role ended when he
    left (his account deactivated, never deleted)."""
    from django.utils import timezone

    from dangjian.accounts.services import end_grant, set_account_active
    from dangjian.core.calendar import add_years

    seed_actor = Actor.for_system(via="seed")
    today = timezone.localdate()
    grids = list(community["region"].children.order_by("path")[:1])
    grid = grids[0] if grids else community["region"]
    newcomer_person = person_for("gridworker")
    newcomer = User(username="wanggeyuan", display_name=newcomer_person.name)
    newcomer.set_unusable_password()
    newcomer.save()
    grant_role(
        actor=seed_actor,
        user=newcomer,
        role=Role.COMMUNITY_STAFF,
        node=grid,
        starts_on=today,
        reason="社区两委会议决定聘任为专职网格员",
    )
    former_person = person_for("former")
    former = User.objects.create_user(username="former_staff", display_name=former_person.name)
    former.set_unusable_password()
    former.save()
    started = add_years(today, -2)
    grant = grant_role(
        actor=seed_actor,
        user=former,
        role=Role.COMMUNITY_STAFF,
        node=community["region"],
        starts_on=started,
        reason="社区工作者招聘录用",
    )
    left = timezone.now() - dt.timedelta(days=40)
    then = Actor.for_system(via="seed", now=left)
    end_grant(actor=then, grant=grant, reason="调往街道综治中心工作")
    set_account_active(actor=then, user=former, active=False, reason="调往街道综治中心工作")


def _numbers_viewed(community: dict) -> None:
    """The community worker looked up a few full numbers (through the service that records it): the
    secretary's 审计日志 lists them, and the resident and member demo accounts see on their
    workbench that their mobile was viewed, by role and place."""
    from dangjian.people.services import person_reveal

    staff = User.objects.get(username="staff")
    worker = Actor.for_user(staff, via="web")
    looked_up = [
        person for person in community["people"] if person.user_id and person.user.username in ("resident", "member")
    ]
    looked_up += [person for person in community["people"] if person.phone_masked and not person.user_id][:3]
    for index, person in enumerate(looked_up):
        purpose = ("contact", "paperwork", "verify")[index % 3]
        person_reveal(
            actor=worker, person=person, field="phone" if person.phone_masked else "id_number", purpose=purpose
        )
