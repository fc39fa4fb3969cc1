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


def hours_of(minutes: int | None) -> str:
    """Whole minutes as hours for people: 90 → "1.5", 120 → "2", 50 → "0.83" (times are kept in
    minutes so that they add up exactly; hours are only how they are shown)."""
    value = (minutes or 0) / 60
    return f"{value:.2f}".rstrip("0").rstrip(".")


@register.filter
def hours(minutes: int | None) -> str:
    return hours_of(minutes)
