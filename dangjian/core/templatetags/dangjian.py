import datetime as dt

from django import template

register = template.Library()


@register.filter
def minutes(value: dt.timedelta | None) -> int:
    """A duration in whole minutes (rounded up), e.g. for the login lockout message."""
    if not value:
        return 0
    return -(-int(value.total_seconds()) // 60)


@register.filter
def shown(name: object) -> str:
    """A stored name of the shipped vocabulary (a service, a tag) as the reader's language shows
    it, e.g. a category name kept in a notice's parameters (core/vocabulary.py)."""
    from dangjian.core.vocabulary import shown as in_language

    return in_language(str(name or ""))
