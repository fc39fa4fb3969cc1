"""Where requests sit in the trees (see dangjian.core.access).

A request sits in its grid (or community): staff whose grant covers it see it. A branch it is
dispatched to sees it through the organisation tree; the volunteer or staff member handling it
sees it as its ``assignee_user``; the requester sees their own (``requester``). Everyone else
does not learn it exists. What each may *do* is checked by servicedesk/lifecycle.py.
"""

from dangjian.core.access import Rule, register
from dangjian.core.crypto import register_column
from dangjian.servicedesk.models import (
    REQUEST_PHONE_PURPOSE,
    Callback,
    Rating,
    ReceptionBooking,
    ReceptionSession,
    RequestAttachment,
    RequestDay,
    RequestStep,
    ServiceRequest,
)

register(
    ServiceRequest,
    Rule(
        region_path="region__path",
        org_path="assignee_organization__path",
        person="requester_id",
        user="assignee_user_id",
    ),
)
_VIA_REQUEST = Rule(
    region_path="request__region__path",
    org_path="request__assignee_organization__path",
    person="request__requester_id",
    user="request__assignee_user_id",
)
register(RequestStep, _VIA_REQUEST)
register(RequestAttachment, _VIA_REQUEST)
register(Callback, _VIA_REQUEST)
# Ratings are anonymous to the handler: only region scopes (the reviewers above the handler)
# and the requester see them, never the assignee through the "own records" branch.
register(
    Rating,
    Rule(region_path="request__region__path", person="request__requester_id"),
)
# A reception sits in its community; a booking with its reception, and its resident sees it.
register(ReceptionSession, Rule(region_path="community__path"))
register(ReceptionBooking, Rule(region_path="session__community__path", person="person_id"))
# The rates' daily counts (figures, no person): with the grid or community they count.
register(RequestDay, Rule(region_path="region__path"))

# The contact numbers of requests and bookings (key rotation: core.crypto.rotate_column).
register_column(ServiceRequest, "phone", purpose=REQUEST_PHONE_PURPOSE)
register_column(ReceptionBooking, "phone")
