"""Settings that shape how the database is used."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgresql_connections_do_not_jit_compile():
    """JIT compilation cost the audit log 150 ms on a 35 ms query (docs/performance.md): each new
    connection of the application switches it off (core/apps.py; PG_JIT=on keeps the server's)."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
