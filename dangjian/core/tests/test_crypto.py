"""Encryption at rest (Fernet with key rotation) and keyed search hashes."""

import pytest
from cryptography.fernet import Fernet

from dangjian.core import crypto


def new_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def one_key(settings):
    key = new_key()
    settings.FIELD_ENCRYPTION_KEYS = [key]
    return key


@pytest.mark.parametrize("plaintext", ["11010519491231002X", "13812345678", "张三", "a", "x" * 5000, "含 空格\n和换行"])
def test_round_trip(one_key, plaintext):
    token = crypto.encrypt(plaintext)
    assert token and token != plaintext
    assert crypto.decrypt(token) == plaintext


@pytest.mark.parametrize("plaintext", ["11010519491231002X", "13812345678"])
def test_token_does_not_contain_the_plaintext(one_key, plaintext):
    token = crypto.encrypt(plaintext)
    assert plaintext not in token


def test_round_trip_with_default_settings():
    token = crypto.encrypt("13812345678")
    assert crypto.decrypt(token) == "13812345678"


def test_empty_string_stays_empty(one_key):
    assert crypto.encrypt("") == ""
    assert crypto.decrypt("") == ""


def test_token_is_a_fernet_token_for_the_configured_key(one_key):
    token = crypto.encrypt("13812345678")
    assert Fernet(one_key.encode()).decrypt(token.encode()) == b"13812345678"


def test_tokens_differ_each_time_but_search_hash_is_stable(one_key):
    tokens = {crypto.encrypt("11010519491231002X") for _ in range(5)}
    assert len(tokens) == 5  # random IV (and timestamp) per token
    assert {crypto.decrypt(t) for t in tokens} == {"11010519491231002X"}
    hashes = {crypto.search_hash("11010519491231002X", purpose="id_number") for _ in range(5)}
    assert len(hashes) == 1
    (digest,) = hashes
    assert len(digest) == 64 and int(digest, 16) >= 0  # hex SHA-256


def test_search_hash_does_not_depend_on_the_encryption_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [new_key()]
    before = crypto.search_hash("13812345678", purpose="phone")
    settings.FIELD_ENCRYPTION_KEYS = [new_key()]
    assert crypto.search_hash("13812345678", purpose="phone") == before


def test_search_hash_differs_by_purpose():
    value = "13812345678"
    assert crypto.search_hash(value, purpose="phone") != crypto.search_hash(value, purpose="id_number")


def test_search_hash_differs_by_value():
    assert crypto.search_hash("13812345678", purpose="phone") != crypto.search_hash("13812345679", purpose="phone")


def test_search_hash_is_keyed(settings):
    settings.SEARCH_HASH_KEY = "first key"
    first = crypto.search_hash("13812345678", purpose="phone")
    settings.SEARCH_HASH_KEY = "second key"
    assert crypto.search_hash("13812345678", purpose="phone") != first
    settings.SEARCH_HASH_KEY = "first key"
    assert crypto.search_hash("13812345678", purpose="phone") == first


def test_search_hash_of_empty_value_is_empty():
    assert crypto.search_hash("", purpose="phone") == ""


def test_decrypt_with_rotated_keys(settings):
    old, new = new_key(), new_key()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    old_token = crypto.encrypt("11010519491231002X")

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert crypto.decrypt(old_token) == "11010519491231002X"
    new_token = crypto.encrypt("13812345678")
    assert crypto.decrypt(new_token) == "13812345678"

    # The first key encrypts: the new token opens with the new key alone, not with the old one.
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(new_token) == "13812345678"
    with pytest.raises(ValueError):
        crypto.decrypt(old_token)
    settings.FIELD_ENCRYPTION_KEYS = [old]
    with pytest.raises(ValueError):
        crypto.decrypt(new_token)


def test_keys_may_be_bytes(settings):
    key = Fernet.generate_key()
    settings.FIELD_ENCRYPTION_KEYS = [key]
    assert crypto.decrypt(crypto.encrypt("张三")) == "张三"


def test_token_from_an_unknown_key_raises_value_error(one_key):
    foreign = Fernet(new_key().encode()).encrypt(b"13812345678").decode()
    with pytest.raises(ValueError, match="cannot be decrypted"):
        crypto.decrypt(foreign)


@pytest.mark.parametrize("garbage", ["not a token", "gAAAAA", "Zm9vYmFy", "!!!!", "\u5f20\u4e09"])
def test_decrypt_garbage_raises_value_error(one_key, garbage):
    with pytest.raises(ValueError):
        crypto.decrypt(garbage)


def test_tampered_token_raises_value_error(one_key):
    token = crypto.encrypt("13812345678")
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    with pytest.raises(ValueError):
        crypto.decrypt(tampered)


def test_one_helper_stores_a_protected_number_for_any_model():
    from dangjian.core import crypto
    from dangjian.people.models import Person
    from dangjian.servicedesk.models import ReceptionBooking

    values = crypto.protected("phone", "13812345678", model=Person, purpose="phone")
    assert values["phone_masked"] == "138****5678" and values["phone_tail"] == "5678"
    assert crypto.decrypt(values["phone_encrypted"]) == "13812345678"
    assert values["phone_hash"] == crypto.search_hash("13812345678", purpose="phone")
    # No number: nothing kept, not the hash of an empty string.
    assert set(crypto.protected("phone", "", model=Person, purpose="phone").values()) == {""}
    # A model without a hash column gets none; one with it needs the purpose of its key.
    assert set(crypto.protected("phone", "13812345678", model=ReceptionBooking)) == {"phone_encrypted", "phone_masked"}
    with pytest.raises(ValueError, match="purpose"):
        crypto.protected("phone", "13812345678", model=Person)
