from dangjian.accounts.models import RoleGrant, User
from dangjian.core.access import Rule, register
from dangjian.core.crypto import register_column

# Grants are visible to those whose scope covers the node they were given at.
register(RoleGrant, Rule(region_path="region__path", org_path="organization__path", unit="unit_id"))
# User rows themselves are reached through people (Person.user); only superusers list them directly.
register(User, Rule())
# The two-factor secret is encrypted like the numbers (key rotation: core.crypto.rotate_column).
register_column(User, "totp_secret", column="totp_secret")
