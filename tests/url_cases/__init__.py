"""URL access cases by area, added to RULES in tests/test_url_access.py."""
