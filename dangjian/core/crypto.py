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


@cache
def _columns(model: type) -> frozenset[str]:
    return frozenset(f.name for f in model._meta.concrete_fields)  # type: ignore[attr-defined]


def protected(field: str, number: str, *, model: type, purpose: str | None = None) -> dict[str, str]:
    """The stored forms of an ID or mobile number (already validated) for ``model``'s
    ``<field>_encrypted`` and ``<field>_masked`` columns, and its ``<field>_hash`` (keyed with
    ``purpose``) and ``<field>_tail`` where the model has them; all empty for no number. The one
    place that turns a number into what is kept of it (DESIGN.md §3.6), for every app."""
    from dangjian.core.validators import mask_id_number, mask_mobile

    columns = _columns(model)
    mask = mask_id_number if field == "id_number" else mask_mobile
    values = {
        f"{field}_encrypted": encrypt(number) if number else "",
        f"{field}_masked": mask(number) if number else "",
    }
    if f"{field}_hash" in columns:
        if purpose is None:
            raise ValueError(f"{model.__name__}.{field}_hash needs the purpose of its key")
        values[f"{field}_hash"] = search_hash(number, purpose=purpose) if number else ""
    if f"{field}_tail" in columns:
        values[f"{field}_tail"] = number[-4:] if number else ""
    return values


def protect(obj: object, field: str, number: str, *, purpose: str | None = None) -> None:
    """Set the stored forms of ``number`` on ``obj`` (see ``protected``)."""
    for name, value in protected(field, number, model=type(obj), purpose=purpose).items():
        setattr(obj, name, value)
