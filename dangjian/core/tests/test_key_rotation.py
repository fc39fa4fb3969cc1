"""manage.py rotate_keys: every encrypted column under the new key, every keyed hash under the new
hash key, resumable, and loud about a token no key opens (run on SQLite and PostgreSQL in CI)."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from dangjian.accounts.models import User
from dangjian.core import crypto
from dangjian.people.models import Person
from dangjian.people.selectors import search_filter
from tests.factories import make_id_number, make_person

pytestmark = pytest.mark.django_db

NEW_HASH_KEY = "a-new-search-hash-key-for-the-test"


@pytest.fixture
def numbers(world):
    import datetime as dt

    id_number = make_id_number(dt.date(1970, 5, 6))
    person = make_person(world.users.admin, world.grid_a1, "轮换", id_number=id_number, phone="13912345678")
    User.objects.filter(pk=world.users.secretary.pk).update(totp_secret=crypto.encrypt("JBSWY3DPEHPK3PXP"))
    return person, id_number


def _found(id_number: str) -> Person | None:
    return Person.objects.filter(search_filter(id_number)).first()


def test_rotation_moves_every_column_to_the_new_keys(numbers):
    person, id_number = numbers
    old = list(settings.FIELD_ENCRYPTION_KEYS)
    new = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, *old], SEARCH_HASH_KEY=NEW_HASH_KEY):
        assert _found(id_number) is None  # the stored hash is still the old key's
        out = StringIO()
        call_command("rotate_keys", "--batch-size", "2", stdout=out)
        assert "people.Person.id_number_encrypted:" in out.getvalue()
        assert _found(id_number) == person
        again = StringIO()
        call_command("rotate_keys", stdout=again)  # nothing left to do
        assert again.getvalue().count("0 re-encrypted, 0 hashes rewritten") == len(crypto.registered_columns())
    with override_settings(FIELD_ENCRYPTION_KEYS=[new], SEARCH_HASH_KEY=NEW_HASH_KEY):  # the old key removed
        person.refresh_from_db()
        assert crypto.decrypt(person.id_number_encrypted) == id_number
        assert crypto.decrypt(person.phone_encrypted) == "13912345678"
        secret = User.objects.values_list("totp_secret", flat=True).get(username="secretary_a")
        assert crypto.decrypt(secret) == "JBSWY3DPEHPK3PXP"
        assert all(
            crypto.decrypt(token)
            for token in Person.objects.exclude(phone_encrypted="").values_list("phone_encrypted", flat=True)
        )


def test_an_interrupted_rotation_is_resumed_by_running_it_again(numbers):
    person, id_number = numbers
    new = Fernet.generate_key().decode()
    column = next(c for c in crypto.registered_columns() if str(c) == "people.Person.id_number_encrypted")

    class Stop(Exception):
        pass

    def stop(done: crypto.Rotated) -> None:
        raise Stop

    with override_settings(FIELD_ENCRYPTION_KEYS=[new, *settings.FIELD_ENCRYPTION_KEYS], SEARCH_HASH_KEY=NEW_HASH_KEY):
        with pytest.raises(Stop):
            crypto.rotate_column(column, batch_size=1, progress=stop)  # one row, then the power goes
        first = crypto.rotate_column(column, batch_size=1)
        assert first.rows == Person.objects.count()
        assert first.encrypted == Person.objects.exclude(id_number_encrypted="").count() - 1
        assert crypto.rotate_column(column).encrypted == 0
        assert _found(id_number) == person


def test_a_token_no_key_opens_is_reported_and_the_rest_rotated(numbers):
    person, id_number = numbers
    Person.objects.filter(pk=person.pk).update(phone_encrypted="not-a-token")
    new = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, *settings.FIELD_ENCRYPTION_KEYS], SEARCH_HASH_KEY=NEW_HASH_KEY):
        with pytest.raises(CommandError, match="none of FIELD_ENCRYPTION_KEYS"):
            call_command("rotate_keys", stdout=StringIO())
        assert _found(id_number) == person  # its ID number was rotated all the same
    Person.objects.filter(pk=person.pk).update(phone_encrypted="")


def test_the_batch_size_is_checked():
    with pytest.raises(CommandError):
        call_command("rotate_keys", "--batch-size", "0")
