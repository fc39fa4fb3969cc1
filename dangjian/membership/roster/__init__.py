"""The roster: members, their records and status, the composition charts and the roster export."""
