"""Recording events: every service that changes state, and every sensitive read, calls this."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext

from dangjian.core.models import Event, EventAction

if TYPE_CHECKING:
    from dangjian.core.actors import Actor


def build_event(
    *,
    actor: Actor,
    action: str,
    target: models.Model,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> Event:
    """An unsaved event (for bulk writers such as imports, which save many with bulk_create).
    ``changes`` maps a field name to ``[old, new]`` (display values; sensitive values must
    already be masked by the caller)."""
    return Event(
        actor=actor.user,
        action=action,
        target_type=ContentType.objects.get_for_model(target),
        target_id=target.pk,
        target_label=str(target)[:200],
        changes=changes or {},
        reason=reason,
        ip_address=actor.ip,
    )


def record_event(
    *,
    actor: Actor,
    action: str,
    target: models.Model,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> Event:
    """Append one event (see build_event)."""
    event = build_event(actor=actor, action=action, target=target, changes=changes, reason=reason)
    event.save()
    return event


def events_for(target: models.Model) -> models.QuerySet[Event]:
    """The timeline of one record, newest first. Callers must have checked access to ``target``."""
    return Event.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=target.pk
    ).select_related("actor")


def labelled_changes(
    event: Event, labels: dict[str, Any], choices: dict[str, dict[str, Any]] | None = None
) -> list[tuple[Any, Any, Any]]:
    """[(label, old, new)] in the reader's language. Events store field names, codes of choices
    and booleans (not translated text), so ``labels`` names the fields and ``choices`` maps each
    choice field's codes to their labels."""
    choices = choices or {}

    def shown(name: str, value: Any) -> Any:
        if isinstance(value, bool):
            return gettext("yes") if value else gettext("no")
        return choices.get(name, {}).get(value, value)

    return [
        (labels.get(name, name), shown(name, change[0]), shown(name, change[1]))
        for name, change in event.changes.items()
        if isinstance(change, list | tuple) and len(change) == 2
    ]


__all__ = ["EventAction", "build_event", "events_for", "labelled_changes", "record_event"]
