"""Where membership records sit in the trees (see dangjian.core.access): with the
organisation they belong to, and always visible to the member they are about."""

from dangjian.core.access import Rule, register
from dangjian.membership.models import (
    Appraisal,
    Candidate,
    CareCase,
    CareVisit,
    CommunityReport,
    DevelopmentStep,
    DuesAssessment,
    DuesPayment,
    MobileRecord,
    Placement,
    StatusChange,
    Transfer,
    TransferStep,
)

_BY_MEMBER = Rule(
    region_path="member__organization__region__path",
    org_path="member__organization__path",
    person="member__person_id",
    self_region="membership_region",
    self_org="membership",
)

register(
    Placement,
    Rule(
        region_path="organization__region__path",
        org_path="organization__path",
        person="member__person_id",
        self_region="membership_region",
        self_org="membership",
    ),
)
register(StatusChange, _BY_MEMBER)
register(DuesAssessment, _BY_MEMBER)
register(
    DuesPayment,
    Rule(
        region_path="organization__region__path",
        org_path="organization__path",
        person="member__person_id",
        self_region="membership_region",
        self_org="membership",
    ),
)
# A transfer sits with the sending organisation; the receiving side finds it through the
# organisations it may see (transfer_selectors.transfers_for), and the member always sees theirs.
register(
    Transfer,
    Rule(
        region_path="from_organization__region__path",
        org_path="from_organization__path",
        person="person_id",
        self_region="membership_region",
        self_org="membership",
    ),
)
# Steps are read through their transfer, after its access check.
register(TransferStep, Rule())
# A candidate sits with the branch developing them, and sees their own record.
register(
    Candidate,
    Rule(region_path="organization__region__path", org_path="organization__path", person="person_id"),
)
register(
    DevelopmentStep,
    Rule(
        region_path="candidate__organization__region__path",
        org_path="candidate__organization__path",
        person="candidate__person_id",
    ),
)
register(
    MobileRecord,
    Rule(region_path="organization__region__path", org_path="organization__path", person="person_id"),
)
# A report sits with the community the member reports to, and with the member.
register(CommunityReport, Rule(region_path="community__path", person="person_id", self_actions=frozenset({"view"})))
register(CareCase, _BY_MEMBER)
register(CareVisit, _BY_MEMBER)
register(
    Appraisal,
    Rule(region_path="organization__region__path", org_path="organization__path", person="member__person_id"),
)
