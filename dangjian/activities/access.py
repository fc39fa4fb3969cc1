"""Where the records of this app sit in the trees (see dangjian.core.access): an activity in its
community (and with its organising party organisation); a sign-up there and with its person."""

from dangjian.activities.models import Activity, Feedback, Series, SignUp
from dangjian.core.access import Rule, register

register(Series, Rule(region_path="region__path"))
register(Activity, Rule(region_path="region__path", org_path="organization__path"))
register(
    SignUp, Rule(region_path="activity__region__path", org_path="activity__organization__path", person="person_id")
)
# Feedback is read by the organisers of the activity (as an average and comments, without names),
# and by the person who gave it.
register(
    Feedback,
    Rule(region_path="activity__region__path", org_path="activity__organization__path", person="sign_up__person_id"),
)
