"""One reading of a request number, for the resident's lookup and the staff queue's search."""

import pytest

from dangjian.servicedesk.models import parse_request_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-0001234", (2026, 1234)),
        (" 2026 － 1234 ", (2026, 1234)),
        ("2026—0001234", (2026, 1234)),
        ("0001234", (None, 1234)),
        ("1234", (None, 1234)),
        ("9999999999", (None, 9999999999)),
        ("２０２６-００１２", (2026, 12)),
    ],
)
def test_a_request_number_as_residents_quote_it(text, expected):
    assert parse_request_number(text) == expected


@pytest.mark.parametrize("text", ["", " ", "0", "2026-", "-12", "12345678901", "2026-12-3", "abc-12", None])
def test_anything_else_is_not_a_request_number(text):
    assert parse_request_number(text) is None


@pytest.mark.django_db
def test_the_queue_and_the_lookup_read_the_same_numbers(world, client):
    from dangjian.servicedesk.requests.selectors import _number_filter

    assert _number_filter("2026-0000042").children == [("pk", 42)]
    assert _number_filter("abc-42") is None  # searched as text instead
