"""API keys: shown once, stored as a keyed hash, revocable, made and revoked from the shell."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from dangjian.api.keys import api_key_create, api_key_revoke, key_for
from dangjian.api.models import ApiKey
from dangjian.core import crypto
from dangjian.core.models import Event
from tests.factories import as_actor

pytestmark = pytest.mark.django_db


def test_a_key_is_stored_only_as_a_keyed_hash(world):
    key, secret = api_key_create(actor=as_actor(world.users.admin), user=world.users.staff, name="12345 热线")
    assert secret.startswith("djk_") and len(secret) > 40
    assert key.key_hash == crypto.search_hash(secret, purpose="api-key") and secret not in key.key_hash
    assert key.prefix == secret[:12] and str(key) == f"12345 热线 ({key.prefix}…)"
    assert not ApiKey.objects.filter(key_hash=secret).exists()
    assert key_for(secret) == key and key_for(secret).last_used_at is not None
    assert Event.objects.filter(target_id=key.pk, action="created", actor=world.users.admin).exists()


def test_revoked_and_unknown_keys_do_not_work(world):
    key, secret = api_key_create(actor=as_actor(None), user=world.users.staff, name="app")
    assert key_for(secret + "x") is None and key_for("") is None and key_for("x" * 1000) is None
    api_key_revoke(actor=as_actor(None), key=key)
    api_key_revoke(actor=as_actor(None), key=key)  # twice changes nothing
    assert key_for(secret) is None
    assert Event.objects.filter(target_id=key.pk, action="status_changed").count() == 1


def test_a_key_needs_a_name_and_an_active_user(world):
    with pytest.raises(ValidationError):
        api_key_create(actor=as_actor(None), user=world.users.staff, name=" ")
    world.users.staff.is_active = False
    with pytest.raises(ValidationError):
        api_key_create(actor=as_actor(None), user=world.users.staff, name="app")


def test_the_commands_make_and_revoke_keys(world, client):
    out = io.StringIO()
    call_command("api_key_create", "--user", "staff_a", "--name", "12345 热线", stdout=out, stderr=io.StringIO())
    secret = out.getvalue().strip()
    key = ApiKey.objects.get()
    assert key.user == world.users.staff and key_for(secret) == key
    assert client.get(reverse("api:requests"), HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    out = io.StringIO()
    call_command("api_key_revoke", key.prefix, stdout=out)
    assert "revoked" in out.getvalue()
    assert client.get(reverse("api:requests"), HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    with pytest.raises(CommandError):
        call_command("api_key_create", "--user", "nobody", "--name", "x", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("api_key_revoke", "djk_nothing", stdout=io.StringIO())


def test_a_user_sees_only_their_own_keys_through_the_access_layer(world):
    mine, _ = api_key_create(actor=as_actor(None), user=world.users.staff, name="mine")
    api_key_create(actor=as_actor(None), user=world.users.outsider, name="theirs")
    assert list(ApiKey.objects.restrict(as_actor(world.users.staff), "view")) == [mine]
