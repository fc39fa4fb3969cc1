"""Optimistic locking, written once: a page carries the version it was loaded with, and a save
against an older version is refused with one error and one message instead of silently
overwriting someone else's edit (``TimeStampedModel.version``)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STALE_MESSAGE = _("Someone else changed this a moment ago. Reload the page to see their change, then try again.")


class StaleEdit(ValidationError):
    """The record changed after the page was loaded; nothing was written (code ``stale``)."""

    def __init__(self, message: Any = None) -> None:
        super().__init__(message or STALE_MESSAGE, code="stale")


def versioned_update(obj: Model, *, expected_version: int, **values: Any) -> int:
    """``UPDATE … SET version = version + 1, updated_at = now, **values WHERE pk = obj.pk AND
    version = expected_version``; raises StaleEdit when that matched no row. Sets and returns
    ``obj.version``. Call it inside the service's transaction."""
    model = type(obj)
    updated = model._default_manager.filter(pk=obj.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now(), **values
    )
    if not updated:
        raise StaleEdit
    obj.version = expected_version + 1  # type: ignore[attr-defined]
    return expected_version + 1


def refuse_stale(*, current: Any, expected: Any) -> None:
    """Raise StaleEdit unless ``current`` (of the locked row) is still what the page saw
    (a version, a state or a status)."""
    if expected is not None and current != expected:
        raise StaleEdit
