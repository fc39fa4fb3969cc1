"""Encryption at rest and keyed hashes for personal numbers (DESIGN.md principle 6).

ID and phone numbers are stored as Fernet tokens (AES-128-CBC + HMAC-SHA256). A keyed hash
(HMAC-SHA256) of the normalised value allows exact lookup without decrypting anything.
Keys come from settings; the first encryption key encrypts, every key decrypts (rotation:
``manage.py rotate_keys`` re-encrypts every registered column under the first key and rewrites
the hashes under the current hash key; docs/operations.md).
"""

import dataclasses
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import transaction
from django.db.models import Model


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_key_bytes(key)) for key in keys])


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


# --- Key rotation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """An encrypted column of ``model`` (``<field>_encrypted``, or ``column``) and, with a
    ``purpose``, its keyed hash ``<field>_hash``. Apps register theirs (``register_column``) so
    that rotation finds every one without core importing the apps."""

    model: type[Model]
    field: str
    purpose: str | None = None
    column: str = ""

    @property
    def encrypted(self) -> str:
        return self.column or f"{self.field}_encrypted"

    @property
    def hashed(self) -> str | None:
        return f"{self.field}_hash" if self.purpose else None

    def __str__(self) -> str:
        return f"{self.model._meta.label}.{self.encrypted}"


_COLUMNS: list[Column] = []


def register_column(model: type[Model], field: str, *, purpose: str | None = None, column: str = "") -> None:
    entry = Column(model, field, purpose, column)
    if entry not in _COLUMNS:
        _COLUMNS.append(entry)


def registered_columns() -> list[Column]:
    return list(_COLUMNS)


@dataclass
class Rotated:
    """What ``rotate_column`` did to one column: rows read, tokens re-encrypted, hashes rewritten,
    and the keys of rows whose token no configured key opens (left as they are)."""

    rows: int = 0
    encrypted: int = 0
    hashed: int = 0
    unreadable: list[int] = dataclasses.field(default_factory=list)


def rotate_column(
    entry: Column, *, batch_size: int = 1000, progress: Callable[[Rotated], None] | None = None
) -> Rotated:
    """Re-encrypt ``entry``'s tokens under the first key of FIELD_ENCRYPTION_KEYS (tokens already
    under it are left alone) and rewrite its hashes under SEARCH_HASH_KEY (those that differ), in
    batches by primary key, each batch in its own transaction. Running it again, after an
    interruption or to check, rewrites nothing that is already right: it resumes by itself."""
    newest = Fernet(_key_bytes(settings.FIELD_ENCRYPTION_KEYS[0]))
    done = Rotated()
    manager = entry.model._base_manager  # every row, whatever the scope: a maintenance task
    columns = ["pk", entry.encrypted] + ([entry.hashed] if entry.hashed else [])
    last = 0
    while True:
        with transaction.atomic():  # the batch's rows locked while they are rewritten: no edit is lost
            batch = list(
                manager.select_for_update().filter(pk__gt=last).order_by("pk").values_list(*columns)[:batch_size]
            )
            _rotate_batch(entry, batch, newest, done)
        if not batch:
            return done
        last = batch[-1][0]
        if progress is not None:
            progress(done)


def _rotate_batch(entry: Column, batch: list[tuple], newest: Fernet, done: Rotated) -> None:
    manager = entry.model._base_manager
    columns = [entry.encrypted] + ([entry.hashed] if entry.hashed else [])
    changed: list[Model] = []
    for pk, token, *hashed in batch:
        done.rows += 1
        if not token:
            continue
        row = {entry.encrypted: token}
        try:  # most tokens of a resumed run are already under the newest key: one decryption
            value = newest.decrypt(token.encode()).decode()
        except InvalidToken:
            try:
                value = decrypt(token)
            except ValueError:
                done.unreadable.append(pk)
                continue
            row[entry.encrypted] = newest.encrypt(value.encode()).decode()
            done.encrypted += 1
        if entry.hashed and entry.purpose:
            row[entry.hashed] = search_hash(value, purpose=entry.purpose)
            done.hashed += row[entry.hashed] != hashed[0]
        if row[entry.encrypted] != token or (entry.hashed and row[entry.hashed] != hashed[0]):
            changed.append(entry.model(pk=pk, **row))
    if changed:  # one UPDATE … CASE per batch
        manager.bulk_update(changed, columns)


def _key_bytes(key: str | bytes) -> bytes:
    return key.encode() if isinstance(key, str) else key
