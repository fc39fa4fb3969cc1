"""Where the records of volunteering sit in the trees (see dangjian.core.access). A team, a post, a
report back and a nomination in their community (a team also with its party organisation); a
claim, a service record and a ledger line there and with their person; a wish in its grid and
with its resident. Members find open posts and the wishes shown to them through the notice-board
selectors (selectors.posts_open_to_me, wishes_open_to_me), as with activities."""

from dangjian.core.access import Rule, register
from dangjian.volunteering.models import (
    Claim,
    LedgerEntry,
    Nomination,
    Post,
    ReportBack,
    ServiceRecord,
    Team,
    TeamMember,
    Wish,
)

register(Team, Rule(region_path="region__path", org_path="organization__path"))
register(TeamMember, Rule(region_path="team__region__path", org_path="team__organization__path", person="person_id"))
register(Post, Rule(region_path="region__path"))
register(Claim, Rule(region_path="post__region__path", person="person_id", unit="unit_id"))
register(Wish, Rule(region_path="region__path", person="resident_id"))
register(ServiceRecord, Rule(region_path="community__path", person="person_id"))
register(LedgerEntry, Rule(region_path="community__path", person="person_id"))
register(ReportBack, Rule(region_path="community__path"))
register(Nomination, Rule(region_path="community__path", person="person_id"))
