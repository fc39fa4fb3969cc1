"""The numbers a locality changes, changed in the browser by the platform admin: the value applies
(config() reads it), the change is an event with its reason, an empty field goes back to the
deployment's value, values out of range and changes without a reason are refused with nothing
saved, only the platform admin may, and other processes read the change within the refresh time."""

import pytest
from django.urls import reverse

from dangjian.accounts.configuration import change_settings, may_configure_platform
from dangjian.accounts.roles import Role
from dangjian.core import conf
from dangjian.core.conf import config
from dangjian.core.models import Event, EventAction, Setting
from tests.factories import as_actor, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_admin(world):
    return make_user("platform", Role.DISTRICT_ADMIN, world.district)


def test_the_platform_admin_changes_a_value_with_a_reason_and_it_applies(world, root_admin, client):
    client.force_login(root_admin)
    page = client.get(reverse("accounts:settings"))
    assert page.status_code == 200 and "id_reopen_days" in page.content.decode()
    response = client.post(reverse("accounts:settings"), {"reopen_days": "14", "reason": "街道办第3次主任办公会决定"})
    assert response.status_code == 302
    assert config().reopen_days == 14
    event = Event.objects.get(action=EventAction.UPDATED, target_label="REOPEN_DAYS")
    assert event.changes == {"REOPEN_DAYS": [30, 14]} and event.reason == "街道办第3次主任办公会决定"
    assert Setting.objects.get(key="REOPEN_DAYS").changed_by == root_admin
    page = client.get(reverse("accounts:settings")).content.decode()
    assert "14" in page and root_admin.display_name in page
    client.post(reverse("accounts:settings"), {"reopen_days": "", "reason": "恢复默认"})  # empty: the deployment's
    assert config().reopen_days == 30 and not Setting.objects.filter(key="REOPEN_DAYS").exists()


def test_out_of_range_and_unexplained_changes_are_refused_with_nothing_saved(world, root_admin, client):
    client.force_login(root_admin)
    response = client.post(reverse("accounts:settings"), {"reopen_days": "0", "confirm_days": "3", "reason": "x"})
    assert response.status_code == 200 and response.context["form"].errors["reopen_days"]
    response = client.post(reverse("accounts:settings"), {"confirm_days": "3", "reason": ""})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    assert not Setting.objects.exists() and config().confirm_days == 7


def test_only_the_platform_admin_may(world, root_admin, client):
    assert may_configure_platform(actor=as_actor(root_admin))
    for user in (world.users.admin, world.users.secretary, world.users.resident):  # a street admin is not
        assert not may_configure_platform(actor=as_actor(user))
        client.force_login(user)
        assert client.get(reverse("accounts:settings")).status_code == 404
        assert client.post(reverse("accounts:settings"), {"reopen_days": "14", "reason": "x"}).status_code == 404
    assert config().reopen_days == 30


@pytest.mark.django_db(transaction=True)  # the values are not read again inside a transaction
def test_another_process_reads_the_change_within_the_refresh_time(world, root_admin, settings, monkeypatch):
    change_settings(actor=as_actor(root_admin), values={"CONFIRM_DAYS": 5}, reason="试行")
    assert config().confirm_days == 5
    conf.browser_values_changed({})  # as another process that read the values before the change
    assert config().confirm_days == 7
    settings.DANGJIAN_CONFIG_REFRESH_SECONDS = 10
    clock = [1000.0]
    monkeypatch.setattr(conf.time, "monotonic", lambda: clock[0])
    conf._browser["read_at"] = clock[0]
    assert config().confirm_days == 7  # read less than 10 s ago: not read again
    clock[0] += 11
    assert config().confirm_days == 5  # read again from core.Setting
    conf.browser_values_changed({})
    clock[0] += 11
    from django.db import transaction

    with transaction.atomic():
        assert config().confirm_days == 7  # inside a transaction the values read before serve
