"""Where the records of this app sit in the trees (see dangjian.core.access): an activity in its
community (and with its organising party organisation); a sign-up there and with its person."""

from dangjian.activities.models import Activity, Series, SignUp
from dangjian.core.access import Rule, register

register(Series, Rule(region_path="region__path"))
register(Activity, Rule(region_path="region__path", org_path="organization__path"))
register(
    SignUp, Rule(region_path="activity__region__path", org_path="activity__organization__path", person="person_id")
)
