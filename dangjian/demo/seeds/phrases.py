"""Quick phrases and the branch's request (issue #16): the demo street keeps its own 办结说明 list —
the built-in phrases and two of its own — saved by its admin, so that the phrases page shows a
street's own list beside the built-in ones and the handling form offers the street's; and one of
红钢城's requests waiting for dispatch is sent to the demo branch secretary's branch, so that
`branch` has a request to handle from the workbench. Workers' recent texts come from the requests
and visits the other seeds recorded."""

from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.roles import Role
from dangjian.core.actors import Actor
from dangjian.demo.seeding import SeedContext
from dangjian.phrases.services import phrase_list_save
from dangjian.servicedesk import phrases as desk_phrases
from dangjian.servicedesk.models import AssigneeKind, RequestState, ServiceRequest
from dangjian.servicedesk.requests import lifecycle

ORDER = 85  # after the street and its admin exist

STREET_RESULTS = (
    *desk_phrases.RESULTS,
    "已联系物业当日处理，居民确认",
    "已纳入网格员巡查，持续跟进",
)


def seed(ctx: SeedContext) -> None:
    admin = User.objects.filter(username="street").first()
    if admin is None or not ctx.shared.get("communities"):
        return
    street = ctx.shared["communities"][0]["street"]
    phrase_list_save(
        actor=Actor.for_user(admin, via="seed"),
        region=street,
        key=desk_phrases.RESULT,
        variant="",
        text="\n".join(STREET_RESULTS),
    )
    ctx.log(f"phrases: {street.name} keeps its own list of {len(STREET_RESULTS)} phrases for 办结说明")
    _a_request_for_the_branch(ctx)


def _a_request_for_the_branch(ctx: SeedContext) -> None:
    staff = User.objects.filter(username="staff").first()
    grant = RoleGrant.objects.filter(user__username="branch", role=Role.BRANCH_SECRETARY).first()
    if staff is None or grant is None or grant.organization is None:
        return
    branch = grant.organization
    waiting = (
        ServiceRequest.objects.filter(
            community=branch.region, state__in=[RequestState.SUBMITTED, RequestState.ACCEPTED]
        )
        .order_by("submitted_at")
        .first()
    )
    if waiting is None:
        return
    lifecycle.request_dispatch(
        actor=Actor.for_user(staff, via="seed"), req=waiting, kind=AssigneeKind.BRANCH, organization=branch
    )
    ctx.log(f"phrases: request {waiting.number} dispatched to {branch.name} (the demo branch secretary's)")
