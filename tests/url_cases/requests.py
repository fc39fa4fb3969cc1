"""URL access cases (see tests/test_url_access.py)."""

from tests.url_access_base import Case

CASES: list[Case] = []
