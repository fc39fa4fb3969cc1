"""Quick phrases (issue #16): the demo street keeps its own 办结说明 list — the built-in phrases
and two of its own — saved by its admin, so that the phrases page shows a street's own list beside
the built-in ones and the handling form offers the street's. Workers' recent texts come from the
requests and visits the other seeds recorded."""

from dangjian.accounts.models import User
from dangjian.core.actors import Actor
from dangjian.demo.seeding import SeedContext
from dangjian.phrases.services import phrase_list_save
from dangjian.servicedesk import phrases as desk_phrases

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
