"""Recording events: every service that changes state, and every sensitive read, calls this."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from dangjian.core.models import Event, EventAction


def client_ip(request: Any) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_event(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    request: Any = None,
) -> Event:
    """Append one event. ``changes`` maps a field name to ``[old, new]`` (display values;
    sensitive values must already be masked by the caller)."""
    return Event.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=ContentType.objects.get_for_model(target),
        target_id=target.pk,
        target_label=str(target)[:200],
        changes=changes or {},
        reason=reason,
        ip_address=client_ip(request),
    )


def events_for(target: models.Model) -> models.QuerySet[Event]:
    """The timeline of one record, newest first. Callers must have checked access to ``target``."""
    return Event.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=target.pk
    ).select_related("actor")


def labelled_changes(event: Event, labels: dict[str, Any]) -> list[tuple[Any, Any, Any]]:
    """[(label, old, new)] for display; ``labels`` maps a field name to its verbose name."""
    return [
        (labels.get(name, name), change[0], change[1])
        for name, change in event.changes.items()
        if isinstance(change, list | tuple) and len(change) == 2
    ]


__all__ = ["EventAction", "client_ip", "events_for", "labelled_changes", "record_event"]
