"""/healthz tells a load balancer whether the database answers."""

import pytest
from django.db import connection


def test_healthz_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_healthz_503_when_the_database_is_unreachable(client):
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory SQLite test database cannot be disconnected; CI runs this on PostgreSQL")
    settings_dict = connection.settings_dict
    saved = dict(settings_dict)
    connection.close()
    try:
        settings_dict["PORT"] = "1"  # nothing listens there: a real refused connection
        response = client.get("/healthz")
    finally:
        connection.close()
        settings_dict.clear()
        settings_dict.update(saved)
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    with connection.cursor() as cursor:  # and it recovers once the database is back
        cursor.execute("SELECT 1")
    assert client.get("/healthz").status_code == 200
