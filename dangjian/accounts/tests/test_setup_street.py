"""manage.py setup_street on an empty database, run twice, and refusing a code used elsewhere."""

import io

import pytest
from django.core.management import CommandError, call_command

from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.roles import Role
from dangjian.orgs.models import Organization, OrgKind, Region, RegionLevel

pytestmark = pytest.mark.django_db

ARGS = {"district": "青山区:420107", "street": "和平街道:420107001", "admin": "wangjie", "admin_name": "王杰"}


def run(**options) -> str:
    out = io.StringIO()
    call_command("setup_street", stdout=out, **{**ARGS, **options})
    return out.getvalue()


def test_an_empty_platform_gets_its_street_and_admin_once():
    first = run()
    assert "/accounts/welcome/" in first
    street = Region.objects.get(code="420107001", level=RegionLevel.STREET)
    assert street.parent.code == "420107" and street.parent.level == RegionLevel.DISTRICT
    committee = Organization.objects.get(kind=OrgKind.WORKING_COMMITTEE)
    assert committee.name == "和平街道党工委" and committee.region == street and committee.parent is None
    admin = User.objects.get(username="wangjie")
    assert not admin.has_usable_password()
    assert list(RoleGrant.objects.active().filter(user=admin).values_list("role", "region")) == [
        (Role.DISTRICT_ADMIN, street.pk)
    ]
    again = run()
    assert "/accounts/welcome/" not in again and "exists" in again
    assert (Region.objects.count(), Organization.objects.count(), User.objects.count()) == (2, 1, 1)
    assert "/accounts/welcome/" in run(new_link=True)


def test_a_code_used_by_another_kind_of_node_is_refused_and_nothing_is_written():
    run()
    with pytest.raises(CommandError):
        run(street="钢花村街道:420107", admin="someone")  # the district's code
    with pytest.raises(CommandError):
        run(district="青山区 420107")  # not NAME:CODE
    assert not User.objects.filter(username="someone").exists()
    assert Region.objects.count() == 2


def test_a_new_link_for_an_admin_named_in_another_case():
    run()
    assert "/accounts/welcome/" in run(admin="WangJie", new_link=True)
