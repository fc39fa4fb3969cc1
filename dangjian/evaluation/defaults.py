"""The default tree of DESIGN.md §6: its five groups with their default weights, the floor, target
and minimum sample each known leaf starts with in a new plan, and the leaves that no module
answers yet (待接入, registered as ``core.indicators.Pending`` with what they wait for).

A new plan copies these; the street admin changes them in the plan while it is a draft (the
experts' judgements set the weights), and they are frozen with it."""

from django.utils.translation import gettext_lazy as _

from dangjian.core.indicators import Pending, register_pending

GROUPS = (
    ("A", _("Service to the people: results"), 0.40),
    ("B", _("Party members at work"), 0.20),
    ("C", _("Organisational life by the rules"), 0.15),
    ("D", _("Building together with resident units"), 0.15),
    ("E", _("Residents' recognition and proactive governance"), 0.10),
)
GROUP_NAMES = {code: name for code, name, _weight in GROUPS}

# code → (weight within its group, floor, target, minimum sample). Floor scores 0, target 100: a
# lower-is-better leaf has its target below its floor. Rates are fractions (0.95 = 95 %).
LEAVES: dict[str, tuple[float, float, float, int]] = {
    "servicedesk.response": (0.15, 0.60, 0.95, 30),
    "servicedesk.on_time": (0.20, 0.60, 0.95, 30),
    "servicedesk.resolution": (0.25, 0.60, 0.95, 30),
    "servicedesk.satisfaction": (0.20, 0.60, 0.95, 30),
    "servicedesk.repeat": (0.10, 0.30, 0.05, 30),
    "servicedesk.p90": (0.10, 2.0, 1.0, 30),
    "volunteering.participation": (0.25, 0.10, 0.60, 10),
    "volunteering.hours": (0.20, 0.0, 2.0, 10),
    "volunteering.concentration": (0.10, 0.80, 0.30, 10),
    "volunteering.dual_report": (0.15, 0.30, 0.90, 10),
    "volunteering.claims": (0.15, 0.50, 0.95, 10),
    "membership.dual_registration": (0.15, 0.30, 0.90, 10),
    "membership.dues_on_time": (0.40, 0.70, 1.00, 10),
    "membership.care_visits": (0.30, 0.60, 1.00, 5),
    "membership.development_on_time": (0.30, 0.50, 1.00, 3),
}
DEFAULT_LEAF = (0.20, 0.0, 1.0, 30)

CUTOFFS = [["A", 85.0], ["B", 70.0], ["C", 55.0]]


def register_pending_leaves() -> None:
    """The leaves of DESIGN.md §6 that wait for a module (an app that registers one of these codes
    takes it off this list)."""
    waiting = [
        ("learning.completion", "B", _("Study completion rate"), _("party education")),
        ("servicedesk.member_share", "B", _("Share of requests handled with party members"), _("members' part in requests")),
        ("meetings.on_time", "C", _("Meetings and party lessons held on time (valid meetings only)"), _("organisational life")),
        ("meetings.attendance", "C", _("Average attendance"), _("organisational life")),
        ("meetings.resolutions", "C", _("Resolutions carried out"), _("organisational life")),
        ("sites.checklist", "C", _("Service centre checklist met"), _("service centre standards")),
        ("partners.matching", "D", _("Needs matched with resources"), _("joint projects with resident units")),
        ("partners.on_time", "D", _("Joint projects finished on time"), _("joint projects with resident units")),
        ("partners.beneficiaries", "D", _("Beneficiaries per 1,000 residents"), _("joint projects with resident units")),
        ("partners.rating", "D", _("Residents' rating of projects"), _("joint projects with resident units")),
        ("feedback.closed", "E", _("Negative feedback closed"), _("public feedback")),
        ("servicedesk.frequent_decline", "E", _("Decline of frequent requests"), _("hot-spot analysis")),
        ("survey.satisfaction", "E", _("Sampled satisfaction"), _("sample surveys")),
    ]  # fmt: skip
    for code, group, name, waits_for in waiting:
        register_pending(Pending(code=code, group=group, name=name, waits_for=waits_for))
