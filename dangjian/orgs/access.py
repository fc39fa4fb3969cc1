"""Where the records of this app sit in the trees (see dangjian.core.access)."""

from dangjian.core.access import Rule, register
from dangjian.orgs.models import (
    Organization,
    OrganizationPath,
    Region,
    RegionPath,
    ResidentUnit,
    Room,
    RoomBooking,
    ServiceSite,
)

register(Region, Rule(region_path="path"))
register(Organization, Rule(region_path="region__path", org_path="path"))
register(ServiceSite, Rule(region_path="region__path", org_path="organization__path"))
register(Room, Rule(region_path="site__region__path", org_path="site__organization__path"))
register(RoomBooking, Rule(region_path="room__site__region__path", org_path="room__site__organization__path"))
register(ResidentUnit, Rule(region_path="region__path", unit="pk"))
register(RegionPath, Rule(region_path="node__path"))
register(OrganizationPath, Rule(region_path="node__region__path", org_path="node__path"))
