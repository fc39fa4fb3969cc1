"""Where people records sit in the trees (see dangjian.core.access).

A person is in a region grant's scope by the grid they live in, in an organisation grant's
scope by their party membership, and always in their own.
"""

from dangjian.accounts.models import User
from dangjian.core.access import Rule, register, set_self_paths_provider
from dangjian.core.crypto import register_column
from dangjian.people.models import CommitteeSeat, Household, Member, Person
from dangjian.people.services import ID_PURPOSE, PHONE_PURPOSE

register(
    Person,
    Rule(
        region_path="region__path",
        org_path="member__organization__path",
        person="pk",
        self_region="home",
        self_org="membership",
    ),
)
register(Household, Rule(region_path="region__path"))
# The encrypted numbers and their keyed hashes, for key rotation (core.crypto.rotate_column).
register_column(Person, "id_number", purpose=ID_PURPOSE)
register_column(Person, "phone", purpose=PHONE_PURPOSE)
register(
    Member,
    Rule(
        region_path="organization__region__path",
        org_path="organization__path",
        person="person_id",
        self_region="membership_region",
        self_org="membership",
    ),
)
register(CommitteeSeat, Rule(region_path="organization__region__path", org_path="organization__path"))


def _self_paths(user: User) -> tuple[int | None, dict[str, str]]:
    """The user's person and where it sits: home grid, party organisation and its region."""
    row = (
        Person.objects.filter(user=user)
        .values_list("pk", "region__path", "member__organization__path", "member__organization__region__path")
        .first()
    )
    if row is None:
        return None, {}
    pk, home, membership, membership_region = row
    return pk, {"home": home or "", "membership": membership or "", "membership_region": membership_region or ""}


set_self_paths_provider(_self_paths)
