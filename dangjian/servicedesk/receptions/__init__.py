"""Receptions by party representatives (党代表接待): sessions and bookings."""
