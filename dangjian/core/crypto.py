"""Encryption at rest and keyed hashes for personal numbers (DESIGN.md principle 6).

ID and phone numbers are stored as Fernet tokens (AES-128-CBC + HMAC-SHA256). A keyed hash
(HMAC-SHA256) of the normalised value allows exact lookup without decrypting anything.
Keys come from settings; the first encryption key encrypts, every key decrypts (rotation).
"""

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    """Return a token for ``value``; the empty string stays empty."""
    if not value:
        return ""
    return _current().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Return the plaintext of ``token``; raises ValueError if no configured key opens it."""
    if not token:
        return ""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("token cannot be decrypted with the configured keys") from exc


def search_hash(value: str, *, purpose: str) -> str:
    """A keyed hash for exact-match lookups. ``purpose`` separates ID numbers from phones."""
    if not value:
        return ""
    key = settings.SEARCH_HASH_KEY.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
