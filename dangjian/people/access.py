"""Where people records sit in the trees (see dangjian.core.access).

A person is in a region grant's scope by the grid they live in, in an organisation grant's
scope by their party membership, and always in their own.
"""

from dangjian.core.access import Rule, register
from dangjian.people.models import CommitteeSeat, Household, Member, Person

register(Person, Rule(region_path="region__path", org_path="member__organization__path", person="pk"))
register(Household, Rule(region_path="region__path"))
register(
    Member,
    Rule(region_path="organization__region__path", org_path="organization__path", person="person_id"),
)
register(CommitteeSeat, Rule(region_path="organization__region__path", org_path="organization__path"))
