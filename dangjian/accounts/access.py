from dangjian.accounts.models import RoleGrant, User
from dangjian.core.access import Rule, register

# Grants are visible to those whose scope covers the node they were given at.
register(RoleGrant, Rule(region_path="region__path", org_path="organization__path", unit="unit_id"))
# User rows themselves are reached through people (Person.user); only superusers list them directly.
register(User, Rule())
